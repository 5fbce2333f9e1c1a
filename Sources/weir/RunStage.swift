import ArgumentParser
import Foundation
import WeirCore
import WeirStages
import WeirSystem
import WeirTable

/// `weir run-stage`: one stage in this process, its inputs read from the cache (the state
/// directory, else the remote cache) and its outputs and cache entry written there. This is
/// what a cluster job runs; it is also how to run one stage by hand once its upstream is cached.
struct RunStage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-stage",
        abstract: "Run one stage in this process, its inputs read from the cache and its outputs written there.",
        discussion: """
            The stage's upstream must already be cached for its current key, in the state directory or in the remote cache. \
            A stage whose own output is cached is not run again (unless --force).
            Exit status: 0 when the stage ran or was cached, 1 when it failed or its inputs are not cached, 2 when the pipeline or the command line is invalid.
            """
    )

    @OptionGroup var options: PipelineOptions

    @Argument(help: "The stage to run.")
    var stage: String

    @Flag(help: "Ignore the stage's cached output.")
    var force = false

    @Flag(help: "Print JSON Lines events instead of text.")
    var json = false

    @Option(help: .hidden)
    var runID: String?

    @Option(help: .hidden)
    var result: String?

    func run() throws {
        let workspace = try options.workspace()
        let pipeline = try options.load()
        guard pipeline.stage(stage) != nil else {
            throw UsageError(
                "no stage '\(stage)' in pipeline '\(pipeline.name)'\n  hint: "
                    + (Suggest.didYouMean(stage, in: pipeline.stageIDs)
                        ?? "stages: \(pipeline.stageIDs.joined(separator: ", "))"))
        }
        // Only the stage and its upstream are planned: other branches are none of this job's business.
        let needed = DAG.upstream(of: stage, in: pipeline).union([stage])
        var upstream = pipeline
        upstream.stages = pipeline.stages.filter { needed.contains($0.id) }
        let memo = StageMemo()
        let (plan, cache) = try makePlan(
            upstream, identity: options.pipelineIdentity, workspace: workspace,
            forced: force ? [stage] : [], memo: memo)
        guard let stagePlan = plan[stage] else { throw UsageError("stage '\(stage)' could not be planned") }

        if let missing = Scheduler.missingUpstream(plan: plan, selected: [stage]).first {
            let place =
                cache.remote.map { "the state directory \(workspace.root) or the remote cache \($0.url)" }
                ?? "the state directory \(workspace.root)"
            let message =
                "input '\(missing.upstream)' has no cached output for its current key in \(place); "
                + "run it first (weir run-stage \(options.pipeline) \(missing.upstream))"
            if let result {
                try StageResultFile.write(
                    StageOutcome.settled(stagePlan, .failed, reason: stagePlan.reason, error: message), to: result)
            }
            throw RuntimeError("stage '\(stage)': " + message)
        }

        let runID = self.runID ?? Workspace.newRunID()
        let standalone = self.runID == nil
        if standalone {
            let command = (["weir"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
            try workspace.ledger.startRun(
                RunRecord(
                    id: runID, pipeline: pipeline.name, pipelineFile: options.pipelineIdentity,
                    startedAt: Date().timeIntervalSince1970, pid: Int(Syscall.processID), command: command))
        }
        let reporter: any RunReporter = json ? JSONReporter() : TextReporter(live: false)
        // A job on another node reads inputs it did not see written: hash them in full.
        var store = workspace.store
        store.readCheck = .full
        let runOptions = RunOptions(jobs: 1, forced: force ? [stage] : [], recordsStageRuns: standalone)
        let runDirectory = workspace.runDirectory(runID)
        let executor = ThreadExecutor(
            jobs: 1, cache: cache, forced: runOptions.forced, store: store,
            pipelineDirectory: plan.pipeline.directory, runDirectory: runDirectory, memo: memo)
        let scheduler = Scheduler(
            plan: plan, selected: [stage], options: runOptions, cache: cache, ledger: workspace.ledger, runID: runID,
            runDirectory: runDirectory, reporter: reporter, executor: executor)
        let summary = scheduler.run()
        if standalone {
            try workspace.ledger.finishRun(
                id: runID, status: summary.status, finishedAt: Date().timeIntervalSince1970, counts: summary.counts)
        }
        if let result, let outcome = summary.outcomes.first { try StageResultFile.write(outcome, to: result) }
        if summary.failed { throw ExitCode(summary.exitStatus) }
    }
}
