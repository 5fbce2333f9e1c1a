import Foundation
import Testing
import WeirTestSupport

/// `weir run --executor slurm` on a real one-node cluster (slurmctld, slurmd, munge on
/// 127.0.0.1) with a remote cache on an S3-compatible server (moto, SigV4 checked). One test,
/// because one cluster serves every check and starting it is the slow part.
@Suite(.enabled(if: SlurmTestCluster.available && ReferencePython.available), .serialized)
struct SlurmExecutorTests {
    /// The repository's example pipeline and its sample data, copied so its loads write there.
    static func copyExample(into weir: WeirProcess) throws {
        let root = ReferencePython.packageRoot
        for file in ["pipelines/orders-summary.yaml", "data/samples/orders.csv", "data/samples/order_products.csv"] {
            try weir.write(file, String(contentsOf: root.appendingPathComponent(file), encoding: .utf8))
        }
    }

    func runDirectory(_ weir: WeirProcess, _ result: WeirProcess.Result, state: String) -> String {
        let runID = result.events.first { $0["event"] as? String == "run_started" }?["run_id"] as? String ?? "?"
        return "\(weir.directory)/\(state)/runs/\(runID)"
    }

    @Test func theExamplePipelineRunsOnSlurmWithARemoteCache() throws {
        let cluster = try SlurmTestCluster()
        defer { cluster.stop() }
        let server = try S3TestServer()
        try server.bucket("weir-shared")
        var weir = try WeirProcess()
        weir.environment = server.environment.merging(cluster.environment) { a, _ in a }
        // The node runs the packaged binary when there is one (CI): what a cluster would install.
        if let packaged = PackagedWeir.binary { weir.environment["WEIR_EXECUTABLE"] = packaged }
        try Self.copyExample(into: weir)
        let pipeline = "pipelines/orders-summary.yaml"
        let stages: Set = ["orders", "lines", "basket_sizes", "users", "hours", "users_csv", "hours_arrow"]

        // The reference: a local run, no remote.
        let local = try weir.run("run", pipeline, "--json", "--state-dir", "local")
        // From here on the ledger is opened as on a state directory that several hosts share.
        weir.environment["WEIR_LEDGER_JOURNAL"] = "delete"
        #expect(local.status == 0, "\(local.stderr)")
        let localCSV = try weir.read("out/users.csv")

        // On the cluster, every stage is one job; the results are those of the local run.
        let jobsBefore = try cluster.jobCount()
        let first = try weir.run(
            "run", pipeline, "--json", "--executor", "slurm", "--state-dir", "node-a",
            "--cache-remote", "s3://weir-shared/cache")
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stages("ran") == stages, "\(first.stdout)")
        #expect(first.digests == local.digests)
        #expect(try cluster.jobCount() - jobsBefore == 7)
        #expect(try weir.read("out/users.csv") == localCSV)
        #expect(!FileManager.default.fileExists(atPath: weir.directory + "/node-a/weir.sqlite-wal"))
        let started = first.events.filter { $0["event"] as? String == "stage_started" }.compactMap {
            $0["reason"] as? String
        }
        #expect(started.count == 7 && started.allSatisfy { $0.contains("Slurm job") }, "\(started)")

        // Nothing changed: no job at all.
        let second = try weir.run(
            "run", pipeline, "--json", "--executor", "slurm", "--state-dir", "node-a",
            "--cache-remote", "s3://weir-shared/cache")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stages("cached") == stages)
        #expect(try cluster.jobCount() - jobsBefore == 7)

        // Another machine's state directory, the same remote cache: pulled, not recomputed.
        let other = try weir.run(
            "run", pipeline, "--json", "--executor", "slurm", "--state-dir", "node-b",
            "--cache-remote", "s3://weir-shared/cache")
        #expect(other.status == 0, "\(other.stderr)")
        #expect(other.stages("cached") == stages, "\(other.stdout)")
        #expect(other.digests == local.digests)
        #expect(try cluster.jobCount() - jobsBefore == 7)
        let shown = try weir.run("show", pipeline, "hours", "--format", "csv", "--state-dir", "node-b")
        #expect(shown.status == 0 && shown.stdout.split(separator: "\n").count == 25, "\(shown.stderr)")

        // One changed parameter: only what depends on it is submitted.
        let changed = try weir.run(
            "run", pipeline, "--json", "--executor", "slurm", "--state-dir", "node-a",
            "--cache-remote", "s3://weir-shared/cache", "--param", "min_orders=3")
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(changed.stages("ran") == ["users", "users_csv"], "\(changed.stdout)")
        #expect(try cluster.jobCount() - jobsBefore == 9)

        // A failing stage: its dependents never run and are reported skipped; other branches run.
        try weir.write("fail/a.csv", "id,name\n1,abc\n2,def\n")
        try weir.write(
            "fail/p.yaml",
            """
            pipeline: failing
            slurm: { mem: 200M }
            stages:
              a: { type: extract.csv, path: a.csv }
              bad: { type: sql, input: a, query: "SELECT id, json_extract(name, '$.x') AS x FROM a", schema: { x: string } }
              after: { type: sql, input: bad, query: "SELECT count(*) AS n FROM bad" }
              last: { type: sql, input: after, query: "SELECT n FROM after" }
              fine: { type: sql, input: a, query: "SELECT count(*) AS n FROM a", slurm: { mem: 300M, time: 7m } }

            """)
        let failing = try weir.run("run", "fail/p.yaml", "--json", "--executor", "slurm", "--state-dir", "node-a")
        #expect(failing.status == 1, "\(failing.stdout)\n\(failing.stderr)")
        #expect(failing.stages("ran") == ["a", "fine"])
        #expect(failing.stages("failed") == ["bad"])
        #expect(failing.stages("skipped") == ["after", "last"])
        let badEvent = failing.events.first {
            $0["stage"] as? String == "bad" && $0["event"] as? String == "stage_finished"
        }
        #expect(
            (badEvent?["error"] as? String)?.lowercased().contains("malformed json") == true,
            "\(String(describing: badEvent))")
        // The pipeline's and the stage's `slurm:` options reach sbatch.
        func job(_ stage: String) -> String {
            let reason =
                failing.events.first { $0["stage"] as? String == stage && $0["event"] as? String == "stage_started" }?[
                    "reason"] as? String
            return String(reason?.split(separator: " ").last ?? "")
        }
        #expect(try cluster.show("%m|%l", of: job("fine")) == "300M|7:00")
        #expect(try cluster.show("%m", of: job("bad")) == "200M")
        let run = runDirectory(weir, failing, state: "node-a")
        for stage in ["after", "last"] {
            #expect(!FileManager.default.fileExists(atPath: "\(run)/slurm/\(stage).result.json"), "\(stage) ran")
            #expect(!FileManager.default.fileExists(atPath: "\(run)/\(stage).slurm.log"), "\(stage) ran")
        }

        // --fail-fast: jobs still waiting for a CPU when `bad` fails are cancelled, not run.
        try weir.write(
            "fail/fast.yaml",
            """
            pipeline: fast
            stages:
              a: { type: extract.csv, path: a.csv }
              bad: { type: sql, input: a, query: "SELECT id, json_extract(name, '$.x') AS x FROM a", schema: { x: string } }
              s1: { type: sql, input: a, query: "\(slowQuery("a", 30_000_000))", schema: { n: int64, s: int64 } }
              s2: { type: sql, input: a, query: "\(slowQuery("a", 30_000_001))", schema: { n: int64, s: int64 } }
              s3: { type: sql, input: a, query: "\(slowQuery("a", 30_000_002))", schema: { n: int64, s: int64 } }

            """)
        let fast = try weir.run(
            "run", "fail/fast.yaml", "--json", "--executor", "slurm", "--fail-fast", "--state-dir", "node-a")
        #expect(fast.status == 1, "\(fast.stdout)\n\(fast.stderr)")
        #expect(fast.stages("failed") == ["bad"])
        #expect(fast.stages("skipped").contains("s3"), "\(fast.stdout)")
        let skippedReasons = fast.events.filter {
            $0["event"] as? String == "stage_finished" && $0["status"] as? String == "skipped"
        }
        .compactMap { $0["reason"] as? String }
        #expect(skippedReasons.allSatisfy { $0 == "not started: --fail-fast after a failure" }, "\(skippedReasons)")
    }

    @Test func ctrlCCancelsTheSubmittedJobs() throws {
        let cluster = try SlurmTestCluster()
        defer { cluster.stop() }
        var env = try WeirProcess()
        env.environment = cluster.environment
        try env.write("a.csv", "id\n1\n")
        try env.write(
            "p.yaml",
            """
            pipeline: slow
            stages:
              a: { type: extract.csv, path: a.csv }
              slow: { type: sql, input: a, query: "\(slowQuery("a", 400_000_000))", schema: { n: int64, s: int64 } }
              after: { type: sql, input: slow, query: "SELECT n FROM slow" }

            """)
        let process = try env.start(
            ["run", "p.yaml", "--json", "--executor", "slurm", "--state-dir", "s"], output: "events.jsonl")
        #expect(try env.waitFor("\"stage_started\",\"stage\":\"slow\"", in: "events.jsonl"))
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        // 128 + SIGINT, as for every executor: the run was interrupted, not failed.
        #expect(process.terminationStatus == 130)
        let result = WeirProcess.Result(
            status: process.terminationStatus, stdout: try env.read("events.jsonl"), stderr: "")
        #expect(result.stages("failed") == ["slow"], "\(result.stdout)")
        #expect(result.stages("skipped") == ["after"], "\(result.stdout)")
        let slowJob = try #require(
            result.events.first { $0["stage"] as? String == "slow" && $0["event"] as? String == "stage_started" }?[
                "reason"] as? String)
        let id = String(slowJob.split(separator: " ").last ?? "")
        let deadline = Date().addingTimeInterval(20)
        var state = ""
        repeat {
            state = try cluster.state(of: id)
            if state == "CANCELLED" { break }
            usleep(200_000)
        } while Date() < deadline
        #expect(state == "CANCELLED", "job \(id)")
    }
}

/// Slurm errors that need no cluster.
@Suite struct SlurmExecutorUsageTests {
    @Test func withoutSlurmClientsTheRunStopsBeforeStarting() throws {
        var weir = try WeirProcess()
        weir.environment = ["PATH": "/nonexistent"]
        try weir.write("a.csv", "id\n1\n")
        try weir.write("p.yaml", "executor: slurm\nstages:\n  a: { type: extract.csv, path: a.csv }\n")
        let result = try weir.run("run", "p.yaml")
        #expect(result.status == 2)
        #expect(
            result.stderr == "weir: executor slurm: sbatch is not installed (no Slurm client on this machine's PATH)\n")
        // Nothing was recorded: the run never started.
        let history = try weir.run("history")
        #expect(history.stdout.split(separator: "\n").count == 1, "only the header: \(history.stdout)")
    }
}
