import Foundation
import Synchronization

/// Runs the selected stages of a plan as Slurm batch jobs, one per stage: every stage that is
/// not cached is submitted at once, each job depending (`afterok`) on the jobs of its upstream,
/// so the cluster runs the DAG without this process in the loop. Each job runs
/// `weir run-stage`, which reads its inputs from the cache, decides early cutoff itself and
/// writes its outputs, its cache entry and a result file; this process polls the jobs' states
/// and reports, records and summarises the run exactly as a local run does.
public final class SlurmExecutor {
    /// What a job runs: the `weir run-stage` command line of a stage.
    public struct JobCommand: Sendable {
        /// The arguments (the program first) for a stage, whether it is forced, and where it writes its result.
        public var arguments: @Sendable (_ stage: String, _ forced: Bool, _ result: String) -> [String]
        /// The folder jobs start in.
        public var directory: String

        public init(directory: String, arguments: @escaping @Sendable (_ stage: String, _ forced: Bool, _ result: String) -> [String]) {
            self.directory = directory
            self.arguments = arguments
        }
    }

    let plan: Plan
    /// The plan's stages by id.
    let plans: [String: StagePlan]
    let selected: Set<String>
    let options: RunOptions
    let cache: CacheView
    let ledger: Ledger
    let runID: String
    let runDirectory: String
    let reporter: any RunReporter
    let client: SlurmClient
    let command: JobCommand

    public init(plan: Plan, selected: Set<String>, options: RunOptions, cache: CacheView, ledger: Ledger, runID: String,
                runDirectory: String, reporter: any RunReporter, client: SlurmClient = SlurmClient(), command: JobCommand) {
        self.plan = plan
        plans = Dictionary(uniqueKeysWithValues: plan.stages.map { ($0.stage.id, $0) })
        self.selected = selected
        self.options = options
        self.cache = cache
        self.ledger = ledger
        self.runID = runID
        self.runDirectory = runDirectory
        self.reporter = reporter
        self.client = client
        self.command = command
    }

    private struct Job {
        var id: String
        var reason: String
        var submitted: Date
        var started: Date?
    }

    public func run() -> RunSummary {
        let begun = Date()
        let order = plan.stages.filter { selected.contains($0.stage.id) }
        var outputs: [String: [CacheOutput]] = [:]
        for stagePlan in plan.stages where !selected.contains(stagePlan.stage.id) {
            if let entry = stagePlan.entry { outputs[stagePlan.stage.id] = entry.outputs }
        }
        var done: [String: StageOutcome] = [:]
        var jobs: [String: Job] = [:]  // stage -> its job, until settled
        let recorder = RunRecorder(runID: runID, ledger: ledger, reporter: reporter)
        let interruption = Interruption()
        defer { interruption.restore() }

        reporter.runStarted(runID: runID, pipeline: plan.pipeline.name, stages: order.count)

        func finish(_ outcome: StageOutcome) {
            let outcome = recorder.finish(outcome)
            done[outcome.stage] = outcome
            jobs[outcome.stage] = nil
            if outcome.status == .ran || outcome.status == .cached { outputs[outcome.stage] = outcome.outputs }
        }

        /// The first input of `stagePlan` that failed or was skipped.
        func blocker(of stagePlan: StagePlan) -> String? {
            stagePlan.stage.inputs.map(\.stage).first { done[$0].map { $0.status == .failed || $0.status == .skipped } ?? false }
        }

        /// Settles every unsettled stage downstream of `failed` as skipped, cancelling its job:
        /// Slurm would cancel them too (`kill_invalid_depend`) or leave them pending forever.
        func skipDownstream(of failed: String) {
            let downstream = DAG.downstream(of: failed, in: plan.pipeline)
            var cancelled: [String] = []
            for stagePlan in order where downstream.contains(stagePlan.stage.id) && done[stagePlan.stage.id] == nil {
                if let job = jobs[stagePlan.stage.id] { cancelled.append(job.id) }
                finish(.settled(stagePlan, .skipped, reason: "upstream '\(blocker(of: stagePlan) ?? failed)' did not finish"))
            }
            client.cancel(cancelled)
        }

        /// `--fail-fast`: jobs that have not started are cancelled; running ones finish.
        func cancelPending(_ states: [String: SlurmClient.JobState]) {
            var cancelled: [String] = []
            for stagePlan in order {
                guard let job = jobs[stagePlan.stage.id], job.started == nil, states[job.id]?.isRunning != true else { continue }
                cancelled.append(job.id)
                finish(.settled(stagePlan, .skipped, reason: "not started: --fail-fast after a failure"))
            }
            client.cancel(cancelled)
        }

        // Submit, in dependency order, everything the plan could not take from the cache.
        for stagePlan in order {
            let id = stagePlan.stage.id
            if done[id] != nil { continue }
            if let blocker = blocker(of: stagePlan) {
                finish(.settled(stagePlan, .skipped, reason: "upstream '\(blocker)' did not finish"))
                continue
            }
            let upstreamJobs = Array(Set(stagePlan.stage.inputs.compactMap { jobs[$0.stage]?.id })).sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
            if upstreamJobs.isEmpty, stagePlan.status == .cached, let entry = stagePlan.entry {
                finish(.settled(stagePlan, .cached, key: stagePlan.key, outputs: entry.outputs))
                continue
            }
            do {
                let jobID = try submit(stagePlan, after: upstreamJobs)
                jobs[id] = Job(id: jobID, reason: stagePlan.reason, submitted: Date())
            } catch {
                finish(.settled(stagePlan, .failed, reason: stagePlan.reason, error: "could not submit to Slurm: \(error)"))
                skipDownstream(of: id)
            }
        }

        // Follow the jobs until every one has ended.
        var interval = 0.2
        var unreachableSince: Date?
        while !jobs.isEmpty {
            if interruption.wait(seconds: interval) {
                let ids = jobs.values.map(\.id)
                client.cancel(ids)
                for stagePlan in order where jobs[stagePlan.stage.id] != nil {
                    let job = jobs[stagePlan.stage.id]!
                    if job.started != nil {
                        finish(.settled(stagePlan, .failed, reason: job.reason, error: "interrupted: Slurm job \(job.id) cancelled",
                                        attempts: 1, started: job.started))
                    } else {
                        finish(.settled(stagePlan, .skipped, reason: "not started: interrupted; Slurm job \(job.id) cancelled"))
                    }
                }
                break
            }
            let states: [String: SlurmClient.JobState]
            do {
                states = try client.states(jobs.values.map(\.id))
                unreachableSince = nil
            } catch {
                let since = unreachableSince ?? Date()
                unreachableSince = since
                if Date().timeIntervalSince(since) > 600 {
                    for stagePlan in order where jobs[stagePlan.stage.id] != nil {
                        finish(.settled(stagePlan, .failed, reason: jobs[stagePlan.stage.id]!.reason,
                                        error: "lost contact with Slurm for 10 minutes: \(error)"))
                    }
                    break
                }
                interval = 5
                continue
            }
            var changed = false
            for stagePlan in order {
                let id = stagePlan.stage.id
                guard var job = jobs[id], let state = states[job.id] else { continue }
                if state.isRunning, job.started == nil {
                    job.started = Date()
                    jobs[id] = job
                    reporter.stageStarted(id, reason: "\(job.reason); Slurm job \(job.id)")
                    changed = true
                }
                if state.state == "PENDING", state.reason == "DependencyNeverSatisfied" {
                    client.cancel([job.id])  // a cluster without kill_invalid_depend keeps these forever
                    continue
                }
                guard state.isFinal else { continue }
                changed = true
                let outcome = settle(stagePlan, job: job, state: state, outputs: outputs, done: done)
                if (outcome.status == .ran || outcome.status == .failed) && job.started == nil { reporter.stageStarted(id, reason: "\(job.reason); Slurm job \(job.id)") }
                finish(outcome)
                if outcome.status == .failed {
                    skipDownstream(of: id)
                    if options.failFast { cancelPending(states) }
                }
            }
            let now = Date()
            let running = jobs.compactMap { id, job in job.started.map { (stage: id, seconds: now.timeIntervalSince($0)) } }
            if !running.isEmpty { reporter.tick(running: running.sorted { $0.stage < $1.stage }) }
            interval = changed ? 0.2 : min(interval * 1.5, 2)
        }
        recorder.flush()
        let outcomes = order.compactMap { done[$0.stage.id] }
        let summary = RunSummary(runID: runID, seconds: Date().timeIntervalSince(begun), outcomes: outcomes, interrupted: interruption.signal)
        reporter.runFinished(summary)
        return summary
    }

    func paths(_ stage: String) -> (script: String, result: String, log: String) {
        ("\(runDirectory)/slurm/\(stage).sh", "\(runDirectory)/slurm/\(stage).result.json", "\(runDirectory)/\(stage).slurm.log")
    }

    /// Writes the stage's job script and submits it; returns the job id.
    private func submit(_ stagePlan: StagePlan, after upstream: [String]) throws -> String {
        let stage = stagePlan.stage
        let (script, result, log) = paths(stage.id)
        try FileManager.default.createDirectory(atPath: "\(runDirectory)/slurm", withIntermediateDirectories: true)
        // The script holds no secret: the job inherits the submitting environment (sbatch's
        // default --export=ALL), and parameters from it are resolved there.
        let arguments = command.arguments(stage.id, options.forced.contains(stage.id), result)
        // The job writes its own log: the run folder may not exist yet on the node (a state
        // directory that is not shared), and Slurm would not create it.
        let logFolder = Self.shellQuoted((log as NSString).deletingLastPathComponent)
        let text = "#!/bin/sh\n# weir: stage '\(stage.id)' of pipeline '\(plan.pipeline.name)', run \(runID)\n"
            + "mkdir -p \(logFolder) && exec >>\(Self.shellQuoted(log)) 2>&1\n"
            + "exec " + arguments.map(Self.shellQuoted).joined(separator: " ") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: script), options: .atomic)
        var sbatch = ["--job-name=weir:\(plan.pipeline.name):\(stage.id)", "--output=/dev/null", "--chdir=\(command.directory)"]
        sbatch += plan.pipeline.slurm.overridden(by: stage.slurm).sbatchArguments(timeout: stage.timeout)
        if !upstream.isEmpty { sbatch += ["--dependency=afterok:" + upstream.joined(separator: ":"), "--kill-on-invalid-dep=yes"] }
        return try client.submit(script: script, options: sbatch)
    }

    /// How a job that Slurm reports ended turns into a stage outcome: the result file the job
    /// wrote when the state directory is shared, else the cache (local, then remote).
    private func settle(_ stagePlan: StagePlan, job: Job, state: SlurmClient.JobState, outputs: [String: [CacheOutput]],
                        done: [String: StageOutcome]) -> StageOutcome {
        let (_, resultPath, log) = paths(stagePlan.stage.id)
        let note = "Slurm job \(job.id); its output: \(log)"
        if var result = StageResultFile.read(resultPath), result.stage == stagePlan.stage.id,
           state.state == "COMPLETED" ? result.status != .failed : result.status == .failed {
            if result.status == .failed { result.notes.append(note) }
            return result
        }
        switch state.state {
        case "CANCELLED" where state.reason.hasPrefix("Dependency"):
            let blocker = stagePlan.stage.inputs.map(\.stage).first { done[$0]?.status != .ran && done[$0]?.status != .cached }
            return .settled(stagePlan, .skipped, reason: "upstream '\(blocker ?? "?")' did not finish")
        case "COMPLETED":
            // No result file: the job ran where this state directory is not; its entry is in the cache.
            let inputs = stagePlan.stage.inputs.compactMap { ref in
                ref.output(producer: plans[ref.stage], among: outputs[ref.stage]).map { InputDigest(name: ref.description, digest: $0.digest) }
            }
            if inputs.count == stagePlan.stage.inputs.count {
                let material = stagePlan.material(inputs: inputs)
                if let entry = cache.entry(for: material.key, stage: stagePlan.stage.id) {
                    return .settled(stagePlan, .ran, reason: job.reason, key: material.key, outputs: entry.outputs, attempts: 1,
                                    started: job.started ?? job.submitted)
                }
            }
            return .settled(stagePlan, .failed, reason: job.reason,
                            error: "Slurm job \(job.id) completed, but its result is in neither this state directory nor a remote cache; "
                                + "share the state directory with the nodes or set cache.remote",
                            attempts: 1, started: job.started ?? job.submitted, notes: [note])
        default:
            let exit = state.exitCode ?? client.exitCode(job.id)
            let what: String
            switch state.state {
            case "TIMEOUT": what = "Slurm stopped job \(job.id) at its time limit (raise slurm.time)"
            case "OUT_OF_MEMORY": what = "job \(job.id) ran out of memory (raise slurm.mem)"
            case "NODE_FAIL": what = "the node running job \(job.id) failed"
            case "CANCELLED": what = "job \(job.id) was cancelled outside Weir"
            default: what = "job \(job.id) ended \(state.state)" + (exit.map { " with exit code \($0)" } ?? "")
            }
            return .settled(stagePlan, .failed, reason: job.reason, error: what + OutputTail.quoted(OutputTail.read(log, lines: 8)),
                            attempts: 1, started: job.started ?? job.submitted, notes: [note])
        }
    }

    static func shellQuoted(_ text: String) -> String {
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/._-=:,+@%".contains($0)) }) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
