import Foundation
import Synchronization
import WeirTable

public enum StageStatus: String, Sendable, CaseIterable, Codable { case ran, cached, failed, skipped }

/// How one stage ended in a run.
public struct StageOutcome: Sendable, Codable {
    public var stage: String
    public var type: String
    public var status: StageStatus
    public var seconds: Double
    public var outputs: [CacheOutput]
    public var reason: String?
    public var error: String?
    public var notes: [String]
    /// For a multi-file source that ran: files parsed and reused.
    public var files: FileCounts?
    public var attempts: Int
    public var key: String?
    public var startedAt: Double?
    public var finishedAt: Double?

    public var rows: [String: Int] { Dictionary(outputs.map { ($0.port, $0.rows) }, uniquingKeysWith: { a, _ in a }) }
    /// The digest of the stage's first output, as the summary shows it.
    public var digest: String? { outputs.first?.digest }
}

public struct RunSummary: Sendable {
    public var runID: String
    public var seconds: Double
    public var outcomes: [StageOutcome]

    /// The signal that interrupted the run, if one did.
    public var interrupted: Int32?

    public init(runID: String, seconds: Double, outcomes: [StageOutcome], interrupted: Int32? = nil) {
        self.runID = runID
        self.seconds = seconds
        self.outcomes = outcomes
        self.interrupted = interrupted
    }

    public var failed: Bool { interrupted != nil || outcomes.contains { $0.status == .failed } }
    public var status: String { interrupted != nil ? "interrupted" : failed ? "failed" : "ok" }
    /// The process's exit status for this run: 0, 1 when a stage failed, 128 + the signal.
    public var exitStatus: Int32 { interrupted.map { 128 + $0 } ?? (failed ? 1 : 0) }

    public var counts: [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: StageStatus.allCases.map { ($0.rawValue, 0) })
        for outcome in outcomes { counts[outcome.status.rawValue, default: 0] += 1 }
        return counts
    }
}

/// Receives a run's events on the scheduling thread, in order.
public protocol RunReporter: AnyObject {
    func runStarted(runID: String, pipeline: String, stages: Int)
    func stageStarted(_ stage: String, reason: String)
    func stageRetrying(_ stage: String, attempt: Int, error: String, delay: Double)
    func stageFinished(_ outcome: StageOutcome)
    /// Called about four times a second while stages run, for live displays.
    func tick(running: [(stage: String, seconds: Double)])
    func runFinished(_ summary: RunSummary)
}

extension RunReporter {
    public func tick(running: [(stage: String, seconds: Double)]) {}
}

public struct RunOptions: Sendable {
    public var jobs: Int
    public var failFast: Bool
    /// Seconds before the first retry; doubled for each further one.
    public var retryBackoff: Double
    /// Stages whose cache is ignored.
    public var forced: Set<String>
    /// False when another process records this run's stage runs (`weir run-stage` under a
    /// cluster executor).
    public var recordsStageRuns: Bool

    public init(jobs: Int = Parallel.coreCount, failFast: Bool = false, retryBackoff: Double = 0.5, forced: Set<String> = [],
                recordsStageRuns: Bool = true) {
        self.jobs = max(1, jobs)
        self.failFast = failFast
        self.retryBackoff = retryBackoff
        self.forced = forced
        self.recordsStageRuns = recordsStageRuns
    }
}

/// Runs the selected stages of a plan: every stage whose inputs are ready starts at once, up
/// to `jobs` at a time, each on its own thread (stages block on I/O and subprocesses, and
/// Dispatch does not widen its pool for blocking work). Cache hits, including early cutoff
/// after an upstream re-run gave the same bytes, are decided here on the scheduling thread.
public final class Scheduler {
    let plan: Plan
    let selected: Set<String>
    let options: RunOptions
    let cache: CacheView
    let store: ObjectStore
    let ledger: Ledger
    let runID: String
    let runDirectory: String
    let memo: StageMemo
    let reporter: any RunReporter

    public init(plan: Plan, selected: Set<String>, options: RunOptions, cache: CacheView, store: ObjectStore, ledger: Ledger,
                runID: String, runDirectory: String, memo: StageMemo, reporter: any RunReporter) {
        self.plan = plan
        self.selected = selected
        self.options = options
        self.cache = cache
        self.store = store
        self.ledger = ledger
        self.runID = runID
        self.runDirectory = runDirectory
        self.memo = memo
        self.reporter = reporter
    }

    /// Selected stages whose unselected upstream has no cached output for its current key.
    public static func missingUpstream(plan: Plan, selected: Set<String>) -> [(stage: String, upstream: String)] {
        var missing: [(String, String)] = []
        for stagePlan in plan.stages where selected.contains(stagePlan.stage.id) {
            for ref in stagePlan.stage.inputs where !selected.contains(ref.stage) {
                if plan[ref.stage]?.status != .cached { missing.append((stagePlan.stage.id, ref.stage)) }
            }
        }
        return missing
    }

    private enum State {
        case waiting
        case queued(attempt: Int, reason: String, material: KeyMaterial)
        case running(token: Int, attempt: Int, started: Date, deadline: Date?, reason: String, material: KeyMaterial, log: StageLog)
        case retrying(at: Date, attempt: Int, reason: String, material: KeyMaterial)
        case done(StageOutcome)
    }

    private struct Completion: Sendable {
        var stage: String
        var token: Int
        var result: Result<[CacheOutput], StageWork.Failure>
    }

    private final class Mailbox: Sendable {
        let items = Mutex<[Completion]>([])
        let signal = DispatchSemaphore(value: 0)
        func post(_ completion: Completion) {
            items.withLock { $0.append(completion) }
            signal.signal()
        }
        func drain() -> [Completion] { items.withLock { items in defer { items.removeAll() }; return items } }
    }

    public func run() -> RunSummary {
        let started = Date()
        let order = plan.stages.filter { selected.contains($0.stage.id) }
        let plans = Dictionary(uniqueKeysWithValues: plan.stages.map { ($0.stage.id, $0) })
        var states = Dictionary(uniqueKeysWithValues: order.map { ($0.stage.id, State.waiting) })
        var outputs: [String: [CacheOutput]] = [:]  // stage -> outputs, for selected done stages and cached upstream
        for stagePlan in plan.stages where !selected.contains(stagePlan.stage.id) {
            if let entry = stagePlan.entry { outputs[stagePlan.stage.id] = entry.outputs }
        }
        // Readiness by counting: each finished stage releases its dependents, so the scheduling
        // thread never rescans the whole pipeline (a thousand-stage run would be quadratic).
        var dependents: [String: [String]] = [:]
        var unresolved: [String: Int] = [:]
        var ready: [String] = []
        var readyHead = 0
        for stagePlan in order {
            let id = stagePlan.stage.id
            let producers = stagePlan.stage.inputs.map(\.stage).filter { selected.contains($0) }
            for producer in producers { dependents[producer, default: []].append(id) }
            unresolved[id] = producers.count
            if producers.isEmpty { ready.append(id) }
        }
        /// Stages running or waiting to retry: the only ones with deadlines and timers.
        var active = Set<String>()
        var queue: [String] = []
        var running = 0
        var nextToken = 0
        var stopLaunching = false
        /// Why no more stages start (--fail-fast, a signal), for the ones left waiting.
        var stopReason = ""
        let interruption = Interruption()
        defer { interruption.restore() }
        var interrupted: Int32?
        let mailbox = Mailbox()
        let recorder = RunRecorder(runID: runID, ledger: options.recordsStageRuns ? ledger : nil, reporter: reporter)
        let parts = cache.sourceParts(forced: options.forced)

        reporter.runStarted(runID: runID, pipeline: plan.pipeline.name, stages: order.count)

        func finish(_ outcome: StageOutcome) {
            let outcome = recorder.finish(outcome)
            states[outcome.stage] = .done(outcome)
            active.remove(outcome.stage)
            if outcome.status == .ran || outcome.status == .cached { outputs[outcome.stage] = outcome.outputs }
            for dependent in dependents[outcome.stage] ?? [] {
                unresolved[dependent]! -= 1
                if unresolved[dependent] == 0 { ready.append(dependent) }
            }
        }

        func launch(_ id: String, attempt: Int, reason: String, material: KeyMaterial) {
            let stagePlan = plans[id]!
            nextToken += 1
            let token = nextToken
            let log = StageLog()
            let now = Date()
            states[id] = .running(token: token, attempt: attempt, started: now, deadline: stagePlan.stage.timeout.map { now.addingTimeInterval($0) },
                                  reason: reason, material: material, log: log)
            active.insert(id)
            running += 1
            if attempt == 1 { reporter.stageStarted(id, reason: reason) }
            let inputs = stagePlan.stage.inputs.map { $0.output(producer: plans[$0.stage], among: outputs[$0.stage]) }
            // The input tables are read on the stage's own thread.
            let context = RunContext(stage: stagePlan.stage, inputs: [], outputSchemas: stagePlan.schemas,
                                     pipelineDirectory: plan.pipeline.directory, runDirectory: runDirectory, memo: memo, log: log,
                                     stateDirectory: store.root, parts: parts)
            let work = StageWork(type: stagePlan.type, context: context, inputs: inputs, store: store,
                                 share: cache.remote.map { ($0, material) })
            let thread = Thread {
                let result = work.execute()
                mailbox.post(Completion(stage: id, token: token, result: result))
            }
            thread.stackSize = 16 << 20
            thread.start()
        }

        func handleFailure(_ id: String, attempt: Int, started: Date, message: String, reason: String, material: KeyMaterial, log: StageLog) {
            let stagePlan = plans[id]!
            if attempt <= stagePlan.stage.retries && !stopLaunching {
                let delay = options.retryBackoff * pow(2, Double(attempt - 1))
                reporter.stageRetrying(id, attempt: attempt, error: Secrets.redact(message), delay: delay)
                states[id] = .retrying(at: Date().addingTimeInterval(delay), attempt: attempt + 1, reason: reason, material: material)
                return
            }
            writeLog(id, log: log, error: message)
            finish(StageOutcome.settled(stagePlan, .failed, reason: reason, error: message, key: material.key, attempts: attempt, started: started,
                           notes: log.notes))
            if options.failFast && !stopLaunching { stop(because: "--fail-fast after a failure") }
        }

        /// Starts nothing more: waiting stages are skipped now, queued ones below.
        func stop(because reason: String) {
            stopLaunching = true
            stopReason = reason
            for waiting in order where { if case .waiting = states[waiting.stage.id] { true } else { false } }() {
                finish(StageOutcome.settled(waiting, .skipped, reason: "not started: " + reason))
            }
        }

        /// A signal: every running child's group is ended, running stages are recorded as
        /// interrupted (failed), and nothing else starts.
        func interrupt(_ signal: Int32) {
            interrupted = signal
            let why = "interrupted by \(Interruption.name(signal))"
            ChildProcess.terminateAll()
            StageCancellation.cancelAll()
            for id in active.sorted() {
                switch states[id] {
                case .running(_, let attempt, let started, _, let reason, let material, let log)?:
                    running -= 1
                    writeLog(id, log: log, error: why)
                    finish(StageOutcome.settled(plans[id]!, .failed, reason: reason, error: why, key: material.key, attempts: attempt,
                                                started: started, notes: log.notes))
                case .retrying?:
                    finish(StageOutcome.settled(plans[id]!, .skipped, reason: "not started: " + why))
                default: break
                }
            }
            stop(because: why)
        }

        while true {
            if interrupted == nil, let signal = interruption.signal { interrupt(signal) }
            // Decide every stage whose inputs are settled.
            while readyHead < ready.count {
                let id = ready[readyHead]
                readyHead += 1
                guard case .waiting = states[id], let stagePlan = plans[id] else { continue }
                var digests: [InputDigest] = []
                var blocked: String?
                for ref in stagePlan.stage.inputs {
                    if case .done(let done)? = states[ref.stage], done.status == .failed || done.status == .skipped {
                        blocked = ref.stage
                        break
                    }
                    guard let output = ref.output(producer: plans[ref.stage], among: outputs[ref.stage]) else {
                        blocked = ref.stage  // unreachable: every input is settled and a done stage has its ports
                        break
                    }
                    digests.append(InputDigest(name: ref.description, digest: output.digest))
                }
                if let blocked {
                    finish(StageOutcome.settled(stagePlan, .skipped, reason: "upstream '\(blocked)' did not finish"))
                    continue
                }
                let forced = options.forced.contains(id)
                // The plan already decided stages whose inputs it knew; only stages
                // downstream of a re-run need a fresh key (the early-cutoff case).
                let planned = stagePlan.material.flatMap { $0.inputs == digests ? $0 : nil }
                let material = planned ?? stagePlan.material(inputs: digests)
                let key = planned.flatMap { _ in stagePlan.key } ?? material.key
                let decision: CacheView.Lookup
                if planned != nil {
                    // Planned with these very inputs (and the same forced set): the plan's decision stands.
                    decision = stagePlan.entry.map { .hit($0) } ?? .run(reason: stagePlan.reason)
                } else {
                    let context = SourceContext(stage: stagePlan.stage, pipelineDirectory: plan.pipeline.directory,
                                                files: DirectFileDigester())
                    decision = cache.lookup(material, key: key, type: stagePlan.type, context: context, forced: forced)
                }
                switch decision {
                case .hit(let entry):
                    finish(StageOutcome.settled(stagePlan, .cached, key: key, outputs: entry.outputs,
                                                notes: entry.notes.map { "(when it ran) " + $0 }))
                case .run(let reason):
                    states[id] = .queued(attempt: 1, reason: reason, material: material)
                    queue.append(id)
                }
            }

            // Start what fits.
            while running < options.jobs, !queue.isEmpty, !stopLaunching {
                let id = queue.removeFirst()
                guard case .queued(let attempt, let reason, let material) = states[id] else { continue }
                launch(id, attempt: attempt, reason: reason, material: material)
            }
            if stopLaunching {
                for id in queue {
                    if case .queued = states[id] { finish(StageOutcome.settled(plans[id]!, .skipped, reason: "not started: " + stopReason)) }
                }
                queue.removeAll()
            }

            if running == 0 && queue.isEmpty && active.isEmpty && readyHead == ready.count { break }
            if readyHead < ready.count { continue }  // stages released by skips above: decide them now

            // Wait for a completion, a deadline, a retry, or the next display tick.
            var wakeAt = Date().addingTimeInterval(0.25)
            for id in active {
                switch states[id] {
                case .running(_, _, _, let deadline?, _, _, _)?: wakeAt = min(wakeAt, deadline)
                case .retrying(let at, _, _, _)?: wakeAt = min(wakeAt, at)
                default: break
                }
            }
            let timeout = max(0, wakeAt.timeIntervalSinceNow)
            _ = mailbox.signal.wait(timeout: .now() + timeout)

            for completion in mailbox.drain() {
                guard case .running(let token, let attempt, let started, _, let reason, let material, let log) = states[completion.stage],
                      token == completion.token else { continue }  // a timed-out attempt finishing late
                running -= 1
                let stagePlan = plans[completion.stage]!
                switch completion.result {
                case .success(let stageOutputs):
                    do {
                        let key = material.key
                        let written = log.written
                        try ledger.recordCompletion(pipelineFile: cache.pipelineFile, stage: completion.stage, material: material,
                                                    key: key, outputs: stageOutputs, written: written, notes: log.notes)
                        // What a load wrote is known whole: the next plan checks it with a stat.
                        let seals = StatCache(ledger: ledger)
                        for file in written {
                            if let identity = FileIdentity.of(file.path) { seals.remember(path: file.path, identity: identity, sha256: file.sha256) }
                        }
                        writeLog(completion.stage, log: log, error: nil)
                        var outcome = StageOutcome.settled(stagePlan, .ran, reason: reason, key: key, outputs: stageOutputs, attempts: attempt,
                                                           started: started, notes: log.notes)
                        outcome.files = log.fileCounts
                        finish(outcome)
                    } catch {
                        handleFailure(completion.stage, attempt: attempt, started: started, message: "cannot record in the ledger: \(error)",
                                      reason: reason, material: material, log: log)
                    }
                    recorder.flush()
                case .failure(let failure):
                    handleFailure(completion.stage, attempt: attempt, started: started, message: failure.message, reason: reason,
                                  material: material, log: log)
                }
            }
            let now = Date()
            var ticking: [(String, Double)] = []
            for id in active {
                switch states[id] {
                case .running(_, let attempt, let started, let deadline?, let reason, let material, let log)? where deadline <= now:
                    running -= 1
                    // The attempt's thread cannot be stopped, but the processes it started can.
                    ChildProcess.terminateAll(owner: id)
                    StageCancellation.cancelAll(owner: id)
                    let limit = plans[id]!.stage.timeout ?? 0
                    handleFailure(id, attempt: attempt, started: started, message: "timed out after \(FloatFormat.shortest(limit)) s",
                                  reason: reason, material: material, log: log)
                case .running(_, _, let started, _, _, _, _)?:
                    ticking.append((id, now.timeIntervalSince(started)))
                case .retrying(let at, let attempt, let reason, let material)? where at <= now:
                    states[id] = .queued(attempt: attempt, reason: reason, material: material)
                    active.remove(id)
                    queue.append(id)
                default: break
                }
            }
            if !ticking.isEmpty { reporter.tick(running: ticking.sorted { $0.0 < $1.0 }) }
        }
        recorder.flush()
        let outcomes = order.compactMap { stagePlan -> StageOutcome? in
            if case .done(let outcome)? = states[stagePlan.stage.id] { return outcome }
            return nil
        }
        let summary = RunSummary(runID: runID, seconds: Date().timeIntervalSince(started), outcomes: outcomes, interrupted: interrupted)
        reporter.runFinished(summary)
        return summary
    }

    private func writeLog(_ stage: String, log: StageLog, error: String?) {
        var lines = log.lines
        if let error { lines.append("error: " + error) }
        guard !lines.isEmpty else { return }
        let text = lines.map(Secrets.redact).joined(separator: "\n") + "\n"
        try? FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(runDirectory)/\(stage).log", contents: Data(text.utf8))
    }
}

/// One attempt at one stage, on its own thread: read inputs from the store, run, check the
/// outputs against the announced schemas, store them.
struct StageWork: Sendable {
    let type: any StageType
    let context: RunContext
    let inputs: [CacheOutput?]
    let store: ObjectStore
    /// The remote cache to send the outputs to, with the key material they answer; the upload
    /// happens here, on the stage's thread, so the scheduler's loop never waits on the network.
    let share: (remote: RemoteCache, material: KeyMaterial)?

    struct Failure: Error { var message: String }

    func execute() -> Result<[CacheOutput], Failure> {
        do {
            var trace = Trace("stage \(context.stage.id)")
            var tables: [Table] = []
            for (ref, input) in zip(context.stage.inputs, inputs) {
                guard let input else { throw StageError("input '\(ref)' has no output") }
                tables.append(try store.read(input.digest))
            }
            var runContext = context
            runContext.inputs = tables
            trace.mark("read inputs")
            let produced = try type.run(runContext)
            trace.mark("run")
            var results: [CacheOutput] = []
            for port in type.outputs {
                let manifest = context.composed[port]
                guard let schema = manifest?.schema ?? produced[port]?.schema else {
                    throw StageError("\(type.name) returned no table for output '\(port)'")
                }
                if let announced = context.outputSchemas[port], !announced.admits(schema) {
                    throw StageError("\(type.name) produced \(schema) on '\(port)' but announced \(announced); this is a bug in the stage type")
                }
                if let manifest {
                    results.append(CacheOutput(port: port, digest: try store.put(manifest), rows: manifest.rows, schema: schema))
                } else if let table = produced[port] {
                    results.append(CacheOutput(port: port, digest: try store.put(table), rows: table.rowCount, schema: schema))
                }
            }
            trace.mark("store outputs")
            if let (remote, material) = share {
                do { try remote.push(key: material.key, material: material, outputs: results, written: context.log.written, store: store) }
                catch { context.log.note("not shared with the remote cache \(remote.url): \(error)") }
                trace.mark("push to the remote cache")
            }
            return .success(results)
        } catch let error as StageError {
            return .failure(Failure(message: error.description))
        } catch let error as DiagnosticError {
            return .failure(Failure(message: error.description))
        } catch {
            return .failure(Failure(message: "\(error)"))
        }
    }
}
