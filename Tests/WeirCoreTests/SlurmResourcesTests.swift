import Testing

@testable import WeirCore

@Suite struct SlurmResourcesTests {
    @Test func pipelineDefaultsAndStageOptionsBecomeSbatchOptions() throws {
        let yaml = """
            pipeline: big
            executor: slurm
            slurm: { partition: batch, mem: 2g, time: 90m, options: --exclusive }
            stages:
              src: { type: toy.source, columns: [customer, amount], timeout: 5m }
              total: { type: toy.sum, input: src, by: customer, slurm: { partition: long, cpus: 8, time: 2h, qos: high, options: [--gres=gpu:1] } }
            """
        let pipeline = try PipelineLoader(registry: toyRegistry, environment: [:]).load(text: yaml, file: "p.yaml")
        #expect(pipeline.executor == .slurm)
        let source = pipeline.slurm.overridden(by: pipeline.stage("src")!.slurm)
        #expect(source.sbatchArguments(timeout: 300) == ["--partition=batch", "--mem=2G", "--time=90", "--exclusive"])
        let total = pipeline.slurm.overridden(by: pipeline.stage("total")!.slurm)
        #expect(
            total.sbatchArguments(timeout: nil)
                == [
                    "--partition=long", "--cpus-per-task=8", "--mem=2G", "--time=120", "--qos=high", "--exclusive",
                    "--gres=gpu:1",
                ])
        // A stage timeout with no Slurm time: the limit leaves Weir a minute to report it.
        #expect(SlurmResources().sbatchArguments(timeout: 61) == ["--time=3"])
    }

    @Test func badSlurmOptionsAreReportedAtTheirPlace() {
        let yaml = """
            executor: cluster
            slurm: { cpu: 2 }
            stages:
              src: { type: toy.source, columns: [a], slurm: { cpus: 0, mem: lots, time: soon, options: [exclusive] } }
            """
        #expect(
            diagnostics(yaml) == [
                "p.yaml:1:11: error: `executor` must be one of local, slurm, found 'cluster'",
                "p.yaml:2:10: error: unknown key 'cpu' in `slurm`\n  hint: did you mean 'cpus'?",
                "p.yaml:4:57: error: `slurm.cpus` must be a whole number ≥ 1, found '0'",
                "p.yaml:4:65: error: `slurm.mem` must be a size such as 512M, 8G or 1T, found 'lots'",
                "p.yaml:4:77: error: `slurm.time` must be a duration such as 90s, 30m, 2h or 1d, found 'soon'",
                "p.yaml:4:93: error: `slurm.options` holds sbatch options such as --gres=gpu:1, found 'exclusive'",
            ])
    }

    @Test func jobScriptsQuoteForTheShell() {
        #expect(SlurmExecutor.shellQuoted("/opt/weir/bin/weir") == "/opt/weir/bin/weir")
        #expect(SlurmExecutor.shellQuoted("min_orders=3") == "min_orders=3")
        #expect(SlurmExecutor.shellQuoted("it's here") == "'it'\\''s here'")
        #expect(SlurmExecutor.shellQuoted("$HOME") == "'$HOME'")
        #expect(SlurmExecutor.shellQuoted("") == "''")
    }
}
