import ArgumentParser
import Foundation
import WeirCore
import WeirReport
import WeirStages
import WeirSystem
import WeirTable

extension ExecutorKind: ExpressibleByArgument {}

/// `weir run`: plan, then run what is not cached, in parallel, and record it all.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline: every stage whose output is not cached, in parallel.",
        discussion:
            "Exit status: 0 when every stage ran or was cached, 1 when a stage failed, 2 when the pipeline or the command line is invalid (or the pipeline is already running)."
    )

    @OptionGroup var options: PipelineOptions
    @OptionGroup var selection: SelectionOptions

    @Option(name: .shortAndLong, help: "Stages to run at once. Default: the number of cores.")
    var jobs: Int?

    @Flag(help: "Stop starting stages after the first failure.")
    var failFast = false

    @Flag(help: "Run the stages that failed in the pipeline's last run, and their downstream.")
    var retryFailed = false

    @Flag(help: "Wait for a run of the same pipeline that holds the lock, instead of exiting 2.")
    var wait = false

    @Flag(help: "Print the plan and do nothing (same as weir plan).")
    var dryRun = false

    @Flag(help: "Print JSON Lines events instead of text.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Where stages run: local (threads of this process) or slurm (one sbatch job per stage). Default: the pipeline's executor, else local.",
            valueName: "kind"))
    var executor: ExecutorKind?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if retryFailed && !selection.select.isEmpty {
            throw ValidationError("--retry-failed chooses the stages itself; drop --select")
        }
    }

    func run() throws {
        if dryRun {
            var plan = Plan_(options: _options, selection: _selection)
            plan.json = json
            return try plan.run()
        }
        var trace = Trace("run")
        // The state directory is opened and read while the pipeline file is parsed.
        let opening = Background { [options] () throws -> (Workspace, CachePrefetch?) in
            let workspace = try options.workspace()
            let found = try? CachePrefetch.read(
                ledger: workspace.ledger, store: workspace.store, pipelineFile: options.pipelineIdentity)
            return (workspace, found)  // a failed read is read again, and reported, by the plan
        }
        let pipeline: Pipeline
        let problems: [Diagnostic]
        do { (pipeline, problems) = try options.loadCollecting() } catch {
            _ = try? opening.value()  // no exit while it may be creating the ledger
            throw error
        }
        trace.mark("load the pipeline")
        let (workspace, prefetched) = try opening.value()
        trace.mark("open and read the state directory")
        if problems.contains(where: { $0.severity == .error }) {
            _ = try loadAndPlan(options, workspace: workspace)  // throws every problem, contracts included
        }
        let identity = options.pipelineIdentity
        _ = workspace.store.removeOrphanTemporaries()
        guard let selected = try selectedStages(pipeline, workspace: workspace) else { return }

        let lock = PipelineLock(stateDirectory: workspace.root, pipelineName: pipeline.name, pipelineFile: identity)
        let waited: Bool
        do {
            waited = try lock.acquire(pipeline: pipeline.name, wait: wait)
        } catch let held as PipelineLock.Held {
            throw UsageError("weir: \(held)")
        }
        defer { lock.release() }

        let memo = StageMemo()
        let (plan, cache) = try makePlan(
            pipeline, identity: identity, workspace: workspace, forced: selection.force ? selected : [], memo: memo,
            prefetched: waited ? nil : prefetched)
        trace.mark("plan")
        try Self.checkUpstreamCached(plan: plan, selected: selected)
        let summary = try runStages(plan, selected: selected, cache: cache, workspace: workspace, memo: memo)
        trace.mark("run stages")
        try workspace.ledger.finishRun(
            id: summary.runID, status: summary.status, finishedAt: Date().timeIntervalSince1970, counts: summary.counts)
        let runDirectory = workspace.runDirectory(summary.runID)
        writeReport(pipeline: pipeline, summary: summary, workspace: workspace, runID: summary.runID)
        for warning in ChartFiles.write(summary, runDirectory: runDirectory, read: { try workspace.store.read($0) }) {
            Terminal.error("weir: warning: \(warning)")
        }
        trace.mark("write the report")
        notify(pipeline: pipeline, summary: summary, report: runDirectory + "/report.html")
        if let retention = pipeline.retention {
            do { _ = try workspace.pruneRuns(pipelineFile: identity, olderThan: retention.runs) } catch {
                Terminal.error("weir: warning: pruning old runs: \(error)")
            }
        }
        ProcessLifetime.keep(pipeline, plan, summary)
        try exit(summary, runDirectory: runDirectory)
    }

    /// The stages `--select` (or `--retry-failed`) names; nil when there is nothing to retry.
    private func selectedStages(_ pipeline: Pipeline, workspace: Workspace) throws -> Set<String>? {
        guard retryFailed else { return try selection.selection.resolve(in: pipeline) }
        guard let last = try workspace.ledger.runs(pipelineFile: options.pipelineIdentity, limit: 1).first else {
            throw UsageError("--retry-failed: pipeline '\(pipeline.name)' has no runs in \(workspace.root)")
        }
        let failed = try workspace.ledger.stageRuns(runID: last.id).filter { $0.status == .failed }.map(\.stage)
        guard !failed.isEmpty else {
            Output.line("weir: the last run (\(last.id)) had no failed stages; nothing to retry")
            return nil
        }
        let patterns = Selection(
            include: failed.filter { pipeline.stage($0) != nil }.map { $0 + "+" }, exclude: selection.exclude)
        return try patterns.resolve(in: pipeline)
    }

    /// A selected stage cannot read an unselected upstream that has no cached output.
    static func checkUpstreamCached(plan: Plan, selected: Set<String>) throws {
        let missing = Scheduler.missingUpstream(plan: plan, selected: selected)
        guard let first = missing.first else { return }
        let lines = missing.map {
            "stage '\($0.stage)' reads '\($0.upstream)', which is not selected and has no cached output for its current key"
        }
        let adds = Set(missing.map(\.upstream)).sorted().map { "--select \($0)" }.joined(separator: " ")
        throw UsageError(
            lines.joined(separator: "\n")
                + "\n  hint: add it (\(adds)) or select with its upstream (--select +\(first.stage))")
    }

    /// Records the run's start, and runs the selected stages on the executor asked for.
    private func runStages(
        _ plan: Plan, selected: Set<String>, cache: CacheView, workspace: Workspace, memo: StageMemo
    ) throws -> RunSummary {
        let pipeline = plan.pipeline
        let executor = executor ?? pipeline.executor
        if executor == .slurm {
            do { try SlurmClient().checkInstalled() } catch { throw UsageError("executor slurm: \(error)") }
        }
        let runID = Workspace.newRunID()
        let command = (["weir"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        try workspace.ledger.startRun(
            RunRecord(
                id: runID, pipeline: pipeline.name, pipelineFile: options.pipelineIdentity,
                startedAt: Date().timeIntervalSince1970, pid: Int(Syscall.processID), command: command))
        let reporter: any RunReporter = json ? JSONReporter() : TextReporter(live: Terminal.isInteractive)
        let runOptions = RunOptions(
            jobs: jobs ?? Parallel.coreCount, failFast: failFast, forced: selection.force ? selected : [])
        let runDirectory = workspace.runDirectory(runID)
        let stageExecutor: any StageExecutor
        switch executor {
        case .local:
            stageExecutor = ThreadExecutor(
                jobs: runOptions.jobs, cache: cache, forced: runOptions.forced, store: workspace.store,
                pipelineDirectory: pipeline.directory, runDirectory: runDirectory, memo: memo)
        case .slurm:
            stageExecutor = SlurmExecutor(
                pipeline: pipeline, forced: runOptions.forced, runID: runID, runDirectory: runDirectory,
                command: try jobCommand(runID: runID, workspace: workspace, remote: cache.remote?.url))
        }
        return Scheduler(
            plan: plan, selected: selected, options: runOptions, cache: cache, ledger: workspace.ledger, runID: runID,
            runDirectory: runDirectory, reporter: reporter, executor: stageExecutor
        ).run()
    }

    /// Says how to go on after an interrupted or failed run, and exits with its status.
    private func exit(_ summary: RunSummary, runDirectory: String) throws {
        if let signal = summary.interrupted {
            if !json { Output.line("\nrun interrupted by \(Interruption.name(signal)); logs: \(runDirectory)") }
            throw ExitCode(summary.exitStatus)
        }
        guard summary.failed else { return }
        if !json {
            let failed = summary.outcomes.filter { $0.status == .failed }.map(\.stage)
            let rerun = (["weir run", options.pipeline] + failed.map { "--select \($0)+" }).joined(separator: " ")
            Output.line(
                "\nre-run the failed stages and their downstream with:\n  \(rerun)\nor: weir run \(options.pipeline) --retry-failed"
            )
            Output.line("logs: \(runDirectory)")
        }
        throw ExitCode(1)
    }

    /// The `weir run-stage` command each Slurm job runs: this very executable (or
    /// `$WEIR_EXECUTABLE`, where the nodes have it elsewhere), the pipeline by absolute path,
    /// and this run's state directory, parameters and cache remote.
    func jobCommand(runID: String, workspace: Workspace, remote: String?) throws -> SlurmExecutor.JobCommand {
        let environment = ProcessInfo.processInfo.environment
        let executable =
            environment["WEIR_EXECUTABLE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let pipelinePath = URL(fileURLWithPath: options.pipeline).standardizedFileURL.path
        let params = options.params
        let stateDirectory = workspace.root
        return SlurmExecutor.JobCommand(directory: FileManager.default.currentDirectoryPath) { stage, forced, result in
            var arguments = [
                executable, "run-stage", pipelinePath, stage, "--state-dir", stateDirectory, "--run-id", runID,
                "--result", result,
            ]
            if let remote { arguments += ["--cache-remote", remote] }
            for param in params { arguments += ["--param", param] }
            if forced { arguments.append("--force") }
            return arguments
        }
    }

    /// The run's report.html; a report that cannot be written is a warning, not a failed run.
    /// Tells the pipeline's `notify:` webhook how the run went; a message that cannot be sent is
    /// a warning, never a failed run.
    func notify(pipeline: Pipeline, summary: RunSummary, report: String) {
        let notification = RunNotification(
            pipeline: pipeline, summary: summary, pipelineArgument: options.pipeline, reportPath: report)
        let json = self.json
        if let warning = notification.send(log: { if !json { Output.line("weir: " + $0) } }) {
            Terminal.error("weir: warning: \(warning)")
        }
    }

    func writeReport(pipeline: Pipeline, summary: RunSummary, workspace: Workspace, runID: String) {
        let report = RunReport(
            pipeline: pipeline, summary: summary, types: BuiltinStages.registry, fragments: workspace.root + "/previews"
        ) { digest, rows in
            try rows.map { try workspace.store.read(digest, firstRows: $0) } ?? workspace.store.read(digest)
        }
        let path = workspace.runDirectory(runID) + "/report.html"
        do {
            try FileManager.default.createDirectory(
                atPath: workspace.runDirectory(runID), withIntermediateDirectories: true)
            try report.write(to: path)
            if !json { Output.line("report: \(path)") }
        } catch {
            FileHandle.standardError.write(
                Data("weir: warning: could not write the run report \(path): \(error)\n".utf8))
        }
    }
}
