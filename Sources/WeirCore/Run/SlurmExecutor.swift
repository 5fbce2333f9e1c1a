import Foundation
import Synchronization

/// Runs stage attempts as Slurm batch jobs, one per stage. A stage is submitted as soon as its
/// upstream jobs are, depending (`afterok`) on them, so the cluster runs the DAG without this
/// process in the loop. Each job runs `weir run-stage`, which reads its inputs from the cache,
/// decides early cutoff, retries and writes its outputs, its cache entry and a result file; this
/// executor polls the jobs' states and reports how each ended.
public final class SlurmExecutor: StageExecutor {
    /// What a job runs: the `weir run-stage` command line of a stage.
    public struct JobCommand: Sendable {
        /// The arguments (the program first) for a stage, whether it is forced, and where it writes its result.
        public var arguments: @Sendable (_ stage: String, _ forced: Bool, _ result: String) -> [String]
        /// The folder jobs start in.
        public var directory: String

        public init(
            directory: String,
            arguments: @escaping @Sendable (_ stage: String, _ forced: Bool, _ result: String) -> [String]
        ) {
            self.directory = directory
            self.arguments = arguments
        }
    }

    public let traits = ExecutorTraits(
        slots: .max, launchesAhead: true, attemptsManageThemselves: true, startsAtLaunch: false)
    let pipeline: Pipeline
    let forced: Set<String>
    let runID: String
    let runDirectory: String
    let client: SlurmClient
    let command: JobCommand

    private struct Job {
        var id: String
        var stage: String
        var started = false
    }
    /// Jobs by attempt token, until they end or are cancelled.
    private var jobs: [Int: Job] = [:]
    private var interval = 0.2
    private var nextPoll = Date()
    private var unreachableSince: Date?

    public init(
        pipeline: Pipeline, forced: Set<String>, runID: String, runDirectory: String,
        client: SlurmClient = SlurmClient(),
        command: JobCommand
    ) {
        self.pipeline = pipeline
        self.forced = forced
        self.runID = runID
        self.runDirectory = runDirectory
        self.client = client
        self.command = command
    }

    public func launch(_ attempt: Attempt) throws -> String? {
        let upstream = Set(attempt.after.compactMap { jobs[$0]?.id }).sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        let id: String
        do { id = try submit(attempt.stage.stage, after: upstream) } catch {
            throw SlurmError("could not submit to Slurm: \(error)")
        }
        jobs[attempt.token] = Job(id: id, stage: attempt.stage.stage.id)
        return "Slurm job \(id)"
    }

    public func cancel(_ tokens: [Int]) {
        client.cancel(tokens.compactMap { jobs.removeValue(forKey: $0)?.id })
    }

    /// Sleeps until the next poll (sooner after a change, up to 2 s when nothing moves), then
    /// asks Slurm for the jobs' states.
    public func wait(until deadline: Date, interruption: Interruption) -> [AttemptEvent] {
        if interruption.wait(seconds: max(0, min(deadline, nextPoll).timeIntervalSinceNow)) || Date() < nextPoll
            || jobs.isEmpty
        {
            return []
        }
        let states: [String: SlurmClient.JobState]
        do {
            states = try client.states(jobs.values.map(\.id))
            unreachableSince = nil
        } catch {
            return unreachable(error)
        }
        var started: [AttemptEvent] = []
        var ended: [AttemptEvent] = []
        for token in jobs.keys.sorted() {
            guard var job = jobs[token], let state = states[job.id] else { continue }
            if state.isRunning, !job.started {
                job.started = true
                jobs[token] = job
                started.append(.started(token: token))
            }
            if state.state == "PENDING", state.reason == "DependencyNeverSatisfied" {
                client.cancel([job.id])  // a cluster without kill_invalid_depend keeps these forever
                continue
            }
            guard state.isFinal else { continue }
            jobs[token] = nil
            ended.append(settle(token: token, job: job, state: state))
        }
        interval = started.isEmpty && ended.isEmpty ? min(interval * 1.5, 2) : 0.2
        nextPoll = Date().addingTimeInterval(interval)
        // Starts first: a job that failed must not make a running one look unstarted.
        return started + ended
    }

    /// Slurm's controller does not answer: polls slow down, and after ten minutes every job fails.
    private func unreachable(_ error: any Error) -> [AttemptEvent] {
        let since = unreachableSince ?? Date()
        unreachableSince = since
        interval = 5
        nextPoll = Date().addingTimeInterval(interval)
        guard Date().timeIntervalSince(since) > 600 else { return [] }
        let lost = jobs.keys.sorted().map {
            AttemptEvent.failed(token: $0, message: "lost contact with Slurm for 10 minutes: \(error)")
        }
        jobs.removeAll()
        return lost
    }

    func paths(_ stage: String) -> (script: String, result: String, log: String) {
        (
            "\(runDirectory)/slurm/\(stage).sh", "\(runDirectory)/slurm/\(stage).result.json",
            "\(runDirectory)/\(stage).slurm.log"
        )
    }

    /// Writes the stage's job script and submits it; returns the job id.
    private func submit(_ stage: StageSpec, after upstream: [String]) throws -> String {
        let (script, result, log) = paths(stage.id)
        try FileManager.default.createDirectory(atPath: "\(runDirectory)/slurm", withIntermediateDirectories: true)
        // The script holds no secret: the job inherits the submitting environment (sbatch's
        // default --export=ALL), and parameters from it are resolved there.
        let arguments = command.arguments(stage.id, forced.contains(stage.id), result)
        // The job writes its own log: the run folder may not exist yet on the node (a state
        // directory that is not shared), and Slurm would not create it.
        let logFolder = Self.shellQuoted((log as NSString).deletingLastPathComponent)
        let text =
            "#!/bin/sh\n# weir: stage '\(stage.id)' of pipeline '\(pipeline.name)', run \(runID)\n"
            + "mkdir -p \(logFolder) && exec >>\(Self.shellQuoted(log)) 2>&1\n"
            + "exec " + arguments.map(Self.shellQuoted).joined(separator: " ") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: script), options: .atomic)
        var sbatch = [
            "--job-name=weir:\(pipeline.name):\(stage.id)", "--output=/dev/null", "--chdir=\(command.directory)",
        ]
        sbatch += pipeline.slurm.overridden(by: stage.slurm).sbatchArguments(timeout: stage.timeout)
        if !upstream.isEmpty {
            sbatch += ["--dependency=afterok:" + upstream.joined(separator: ":"), "--kill-on-invalid-dep=yes"]
        }
        return try client.submit(script: script, options: sbatch)
    }

    /// How a job that Slurm reports ended: the result file the job wrote when the state
    /// directory is shared, else the cache (local, then remote) holds its outputs.
    private func settle(token: Int, job: Job, state: SlurmClient.JobState) -> AttemptEvent {
        let (_, resultPath, log) = paths(job.stage)
        let note = "Slurm job \(job.id); its output: \(log)"
        if var result = StageResultFile.read(resultPath), result.stage == job.stage,
            state.state == "COMPLETED" ? result.status != .failed : result.status == .failed
        {
            if result.status == .failed { result.notes.append(note) }
            return .settled(token: token, outcome: result)
        }
        switch state.state {
        case "CANCELLED" where state.reason.hasPrefix("Dependency"):
            return .upstreamFailed(token: token)
        case "COMPLETED":
            return .recorded(
                token: token,
                otherwise: "Slurm job \(job.id) completed, but its result is in neither this state directory "
                    + "nor a remote cache; share the state directory with the nodes or set cache.remote")
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
            return .failed(
                token: token, message: what + OutputTail.quoted(OutputTail.read(log, lines: 8)), notes: [note])
        }
    }

    static func shellQuoted(_ text: String) -> String {
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/._-=:,+@%".contains($0)) }) {
            return text
        }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
