import Foundation
import WeirTable

/// Runs the selected stages of a plan on an executor; the one run loop of every executor.
///
/// Readiness is counted: each settled stage releases its dependents, so the loop never rescans
/// the pipeline (a thousand-stage run would be quadratic). Cache hits, including early cutoff
/// after an upstream re-run gave the same bytes, are decided here. Skipping, fail-fast, retries
/// with backoff, timeouts and interruption are decided here too; the executor only starts,
/// reports and stops attempts. A scheduler runs once.
public final class Scheduler {
    let plan: Plan
    let options: RunOptions
    let cache: CacheView
    let ledger: Ledger
    let runDirectory: String
    let reporter: any RunReporter
    let executor: any StageExecutor
    let traits: ExecutorTraits
    private let recorder: RunRecorder

    /// The selected stages' positions in `plan.stages`, in dependency order.
    private let order: [Int]
    /// Per stage, by position in `plan.stages`.
    private var phases: [Phase]
    private var outcomes: [StageOutcome?]
    private var outputs: [[CacheOutput]?]
    /// Each input's producer.
    private let producers: [[Int]]
    /// Selected stages reading the stage.
    private let dependents: [[Int]]
    /// Selected producers not settled yet.
    private var unsettled: [Int]
    /// Selected producers neither launched nor settled (for executors that launch ahead).
    private var unlaunched: [Int]
    private var released: [Bool]

    private var ready: [Int] = []
    private var readyHead = 0
    private var queue: [Int] = []
    private var queueHead = 0
    /// Stages running or waiting to retry: the only ones with clocks.
    private var active = Set<Int>()
    private var stageOfToken: [Int: Int] = [:]
    private var nextToken = 0
    private var running = 0
    /// Why no more stages start (--fail-fast, a signal).
    private var stopReason: String?
    private var interrupted: Int32?

    private enum Phase {
        case waiting
        case queued(number: Int, reason: String, material: KeyMaterial?)
        case running(Running)
        case retrying(at: Date, number: Int, reason: String, material: KeyMaterial?)
        case done
    }

    private struct Running {
        var token: Int
        var number: Int
        var launched: Date
        var started: Date?
        var deadline: Date?
        var reason: String
        var material: KeyMaterial?
        var log: StageLog
        var label: String?
    }

    public init(
        plan: Plan, selected: Set<String>, options: RunOptions, cache: CacheView, ledger: Ledger, runID: String,
        runDirectory: String, reporter: any RunReporter, executor: any StageExecutor
    ) {
        self.plan = plan
        self.options = options
        self.cache = cache
        self.ledger = ledger
        self.runDirectory = runDirectory
        self.reporter = reporter
        self.executor = executor
        traits = executor.traits
        precondition(
            !traits.launchesAhead || traits.attemptsManageThemselves,
            "an attempt launched ahead decides its own cache and retries")
        recorder = RunRecorder(runID: runID, ledger: options.recordsStageRuns ? ledger : nil, reporter: reporter)
        let count = plan.stages.count
        let position = Dictionary(
            plan.stages.indices.map { (plan.stages[$0].stage.id, $0) }, uniquingKeysWith: { a, _ in a })
        let isSelected = plan.stages.map { selected.contains($0.stage.id) }
        order = plan.stages.indices.filter { isSelected[$0] }
        producers = plan.stages.map { stagePlan in stagePlan.stage.inputs.map { position[$0.stage] ?? -1 } }
        var dependents = [[Int]](repeating: [], count: count)
        var unsettled = [Int](repeating: 0, count: count)
        for index in order {
            // A stage reading two ports of one producer counts it once.
            for producer in producers[index]
            where producer >= 0 && isSelected[producer] && dependents[producer].last != index {
                dependents[producer].append(index)
                unsettled[index] += 1
            }
        }
        self.dependents = dependents
        self.unsettled = unsettled
        unlaunched = unsettled
        released = [Bool](repeating: false, count: count)
        phases = [Phase](repeating: .done, count: count)
        outcomes = [StageOutcome?](repeating: nil, count: count)
        outputs = plan.stages.indices.map { isSelected[$0] ? nil : plan.stages[$0].entry?.outputs }
        for index in order {
            phases[index] = .waiting
            if unsettled[index] == 0 { ready.append(index) }
        }
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

    public func run() -> RunSummary {
        let begun = Date()
        let interruption = Interruption()
        defer { interruption.restore() }
        reporter.runStarted(runID: recorder.runID, pipeline: plan.pipeline.name, stages: order.count)
        while true {
            if interrupted == nil, let signal = interruption.signal { interrupt(signal) }
            decideReady()
            launchQueued()
            if readyHead < ready.count { continue }  // stages released by skips above: decide them now
            if running == 0 && queueHead == queue.count && active.isEmpty { break }
            reporter.flush()
            for event in executor.wait(until: wakeTime(), interruption: interruption) { handle(event) }
            checkClocks()
        }
        recorder.flush()
        let summary = RunSummary(
            runID: recorder.runID, seconds: Date().timeIntervalSince(begun),
            outcomes: order.compactMap { outcomes[$0] },
            interrupted: interrupted)
        reporter.runFinished(summary)
        return summary
    }

    // MARK: Deciding and launching

    private func decideReady() {
        while readyHead < ready.count {
            let index = ready[readyHead]
            readyHead += 1
            if case .waiting = phases[index] { decide(index) }
        }
    }

    /// A stage whose inputs are settled (or, for an executor that launches ahead, launched):
    /// skipped, cached, or queued to run.
    private func decide(_ index: Int) {
        if let blocker = unsuccessfulProducer(of: index) {
            finish(index, .settled(plan.stages[index], .skipped, reason: SkipReason.upstream(blocker).text))
            return
        }
        if unsettled[index] > 0 {  // launched ahead of its inputs: the attempt decides its cache itself
            enqueue(index, number: 1, reason: plan.stages[index].reason, material: nil)
            return
        }
        let stagePlan = plan.stages[index]
        let (digests, missing) = inputDigests(of: index)
        // Unreachable: every input is settled and a done stage has its ports.
        if let missing {
            finish(index, .settled(stagePlan, .skipped, reason: SkipReason.upstream(missing).text))
            return
        }
        // The plan already decided stages whose inputs it knew; only stages downstream of a
        // re-run need a fresh key (the early-cutoff case).
        let planned = stagePlan.material.flatMap { $0.inputs == digests ? $0 : nil }
        let material = planned ?? stagePlan.material(inputs: digests)
        let key = planned.flatMap { _ in stagePlan.key } ?? material.key
        let decision: CacheView.Lookup
        if planned != nil {
            decision = stagePlan.entry.map { .hit($0) } ?? .run(reason: stagePlan.reason)
        } else {
            let context = SourceContext(
                stage: stagePlan.stage, pipelineDirectory: plan.pipeline.directory, files: DirectFileDigester())
            decision = cache.lookup(
                material, key: key, type: stagePlan.type, context: context,
                forced: options.forced.contains(stagePlan.stage.id))
        }
        switch decision {
        case .hit(let entry):
            finish(
                index,
                .settled(
                    stagePlan, .cached, key: key, outputs: entry.outputs,
                    notes: entry.notes.map { "(when it ran) " + $0 }))
        case .run(let reason):
            enqueue(index, number: 1, reason: reason, material: material)
        }
    }

    /// The output input `slot` of stage `index` reads, once its producer has it.
    private func input(_ slot: Int, of index: Int) -> CacheOutput? {
        let producer = producers[index][slot]
        guard producer >= 0 else { return nil }
        return plan.stages[index].stage.inputs[slot].output(
            ports: plan.stages[producer].type.outputs, among: outputs[producer])
    }

    /// The digests of stage `index`'s inputs, or the first input whose producer has no output for it.
    private func inputDigests(of index: Int) -> (digests: [InputDigest], missing: String?) {
        let refs = plan.stages[index].stage.inputs
        var digests: [InputDigest] = []
        digests.reserveCapacity(refs.count)
        for (slot, ref) in refs.enumerated() {
            guard let output = input(slot, of: index) else { return (digests, ref.stage) }
            digests.append(InputDigest(name: ref.description, digest: output.digest))
        }
        return (digests, nil)
    }

    /// The first input of stage `index` whose producer failed or was skipped.
    private func unsuccessfulProducer(of index: Int) -> String? {
        for producer in producers[index] where producer >= 0 {
            if let status = outcomes[producer]?.status, status == .failed || status == .skipped {
                return plan.stages[producer].stage.id
            }
        }
        return nil
    }

    private func enqueue(_ index: Int, number: Int, reason: String, material: KeyMaterial?) {
        phases[index] = .queued(number: number, reason: reason, material: material)
        queue.append(index)
    }

    private func launchQueued() {
        while running < traits.slots, queueHead < queue.count, stopReason == nil {
            let index = queue[queueHead]
            queueHead += 1
            if case .queued(let number, let reason, let material) = phases[index] {
                launch(index, number: number, reason: reason, material: material)
            }
        }
        guard let stopReason else { return }
        while queueHead < queue.count {
            let index = queue[queueHead]
            queueHead += 1
            if case .queued = phases[index] {
                finish(index, .settled(plan.stages[index], .skipped, reason: SkipReason.notStarted(stopReason).text))
            }
        }
    }

    private func launch(_ index: Int, number: Int, reason: String, material: KeyMaterial?) {
        nextToken += 1
        let now = Date()
        var attempt = Running(
            token: nextToken, number: number, launched: now, reason: reason, material: material, log: StageLog())
        if traits.startsAtLaunch {
            attempt.started = now
            attempt.deadline = deadline(of: index, from: now)
        }
        let inputs = plan.stages[index].stage.inputs.indices.map { input($0, of: index) }
        let after = producers[index].compactMap { producer -> Int? in
            guard producer >= 0, case .running(let upstream) = phases[producer] else { return nil }
            return upstream.token
        }
        stageOfToken[attempt.token] = index
        phases[index] = .running(attempt)
        active.insert(index)
        running += 1
        if number == 1 && traits.startsAtLaunch { reporter.stageStarted(plan.stages[index].stage.id, reason: reason) }
        do {
            attempt.label = try executor.launch(
                Attempt(
                    token: attempt.token, stage: plan.stages[index], number: number, material: material,
                    inputs: inputs, after: after, log: attempt.log))
            phases[index] = .running(attempt)
            releaseLaunched(index)
        } catch {
            failed(index, endAttempt(index), message: "\(error)")
        }
    }

    private func deadline(of index: Int, from start: Date) -> Date? {
        traits.attemptsManageThemselves ? nil : plan.stages[index].stage.timeout.map { start.addingTimeInterval($0) }
    }

    /// Tells the stage's dependents it is launched, for executors that launch ahead.
    private func releaseLaunched(_ index: Int) {
        guard traits.launchesAhead, !released[index] else { return }
        released[index] = true
        for dependent in dependents[index] {
            unlaunched[dependent] -= 1
            if unlaunched[dependent] == 0 && unsettled[dependent] > 0 { ready.append(dependent) }
        }
    }

    // MARK: Settling

    private func finish(_ index: Int, _ outcome: StageOutcome) {
        let outcome = recorder.finish(outcome)
        outcomes[index] = outcome
        phases[index] = .done
        active.remove(index)
        let succeeded = outcome.status == .ran || outcome.status == .cached
        if succeeded { outputs[index] = outcome.outputs }
        releaseLaunched(index)
        for dependent in dependents[index] {
            unsettled[dependent] -= 1
            if !succeeded, case .running(let ahead) = phases[dependent] {
                // Launched ahead of this producer: it can never start now.
                executor.cancel([ahead.token])
                let attempt = endAttempt(dependent)
                let why = attempt.started == nil ? stopReason.map(SkipReason.notStarted) : nil
                finish(
                    dependent,
                    .settled(plan.stages[dependent], .skipped, reason: (why ?? .upstream(outcome.stage)).text))
            } else if unsettled[dependent] == 0 {
                ready.append(dependent)
            }
        }
    }

    /// Takes a running attempt off the books; its stage is then retried or settled.
    @discardableResult
    private func endAttempt(_ index: Int) -> Running {
        guard case .running(let attempt) = phases[index] else {
            preconditionFailure("stage \(index) has no attempt running")
        }
        running -= 1
        stageOfToken[attempt.token] = nil
        return attempt
    }

    private func handle(_ event: AttemptEvent) {
        guard let index = stageOfToken[event.token], case .running(var attempt) = phases[index],
            attempt.token == event.token
        else {
            return  // an attempt already settled (timed out, cancelled) reporting late
        }
        let id = plan.stages[index].stage.id
        if case .started = event {
            guard attempt.started == nil else { return }
            attempt.started = Date()
            attempt.deadline = deadline(of: index, from: attempt.started ?? attempt.launched)
            phases[index] = .running(attempt)
            if attempt.number == 1 { reporter.stageStarted(id, reason: labelled(attempt)) }
            return
        }
        endAttempt(index)
        switch event {
        case .started: break
        case .produced(_, let stageOutputs):
            announce(index, attempt)
            record(index, attempt, outputs: stageOutputs)
        case .settled(_, let outcome):
            if outcome.status == .ran || outcome.status == .failed { announce(index, attempt) }
            finish(index, outcome)
            if outcome.status == .failed { failedFast() }
        case .recorded(_, let otherwise):
            announce(index, attempt)
            recordedElsewhere(index, attempt, otherwise: otherwise)
        case .failed(_, let message, let notes):
            announce(index, attempt)
            failed(index, attempt, message: message, notes: notes)
        case .upstreamFailed:
            let blocker = producers[index].first {
                $0 >= 0 && outcomes[$0]?.status != .ran && outcomes[$0]?.status != .cached
            }
            finish(
                index,
                .settled(
                    plan.stages[index], .skipped,
                    reason: SkipReason.upstream(blocker.map { plan.stages[$0].stage.id } ?? "?").text))
        }
    }

    private func labelled(_ attempt: Running) -> String {
        attempt.label.map { "\(attempt.reason); \($0)" } ?? attempt.reason
    }

    /// Reports the start of an attempt that ended before the executor saw it running.
    private func announce(_ index: Int, _ attempt: Running) {
        if attempt.started == nil && attempt.number == 1 {
            reporter.stageStarted(plan.stages[index].stage.id, reason: labelled(attempt))
        }
    }

    /// Records outputs an attempt made in this state directory, and settles the stage as ran.
    private func record(_ index: Int, _ attempt: Running, outputs stageOutputs: [CacheOutput]) {
        let id = plan.stages[index].stage.id
        guard let material = attempt.material else {
            failed(index, attempt, message: "made outputs without key material; this is a bug in the executor")
            return
        }
        do {
            let written = attempt.log.written
            try ledger.recordCompletion(
                pipelineFile: cache.pipelineFile, stage: id, material: material, key: material.key,
                outputs: stageOutputs, written: written, notes: attempt.log.notes)
            // What a load wrote is known whole: the next plan checks it with a stat.
            let seals = StatCache(ledger: ledger)
            for file in written {
                if let identity = FileIdentity.of(file.path) {
                    seals.remember(path: file.path, identity: identity, sha256: file.sha256)
                }
            }
        } catch {
            failed(index, attempt, message: "cannot record in the ledger: \(error)")
            return
        }
        writeLog(id, log: attempt.log, error: nil)
        var outcome = StageOutcome.settled(
            plan.stages[index], .ran, reason: attempt.reason, key: material.key, outputs: stageOutputs,
            attempts: attempt.number, started: attempt.started, notes: attempt.log.notes)
        outcome.files = attempt.log.fileCounts
        finish(index, outcome)
        recorder.flush()
    }

    /// Settles a stage whose attempt recorded its outputs in the cache (local or remote).
    private func recordedElsewhere(_ index: Int, _ attempt: Running, otherwise: String) {
        let stagePlan = plan.stages[index]
        let started = attempt.started ?? attempt.launched
        let (inputs, missing) = inputDigests(of: index)
        if missing == nil {
            let material = attempt.material ?? stagePlan.material(inputs: inputs)
            if let entry = cache.entry(for: material.key, stage: stagePlan.stage.id) {
                finish(
                    index,
                    .settled(
                        stagePlan, .ran, reason: attempt.reason, key: material.key, outputs: entry.outputs,
                        attempts: attempt.number, started: started))
                return
            }
        }
        failed(index, attempt, message: otherwise)
    }

    /// An attempt failed: retried after a backoff, or the stage settles as failed.
    private func failed(_ index: Int, _ attempt: Running, message: String, notes: [String] = []) {
        let stagePlan = plan.stages[index]
        if !traits.attemptsManageThemselves, attempt.number <= stagePlan.stage.retries, stopReason == nil {
            let delay = options.retryBackoff * pow(2, Double(attempt.number - 1))
            reporter.stageRetrying(
                stagePlan.stage.id, attempt: attempt.number, error: Secrets.redact(message), delay: delay)
            phases[index] = .retrying(
                at: Date().addingTimeInterval(delay), number: attempt.number + 1, reason: attempt.reason,
                material: attempt.material)
            active.insert(index)
            return
        }
        writeLog(stagePlan.stage.id, log: attempt.log, error: message)
        finish(
            index,
            .settled(
                stagePlan, .failed, reason: attempt.reason, error: message, key: attempt.material?.key,
                attempts: attempt.number,
                started: attempt.started ?? attempt.launched, notes: attempt.log.notes + notes))
        failedFast()
    }

    private func failedFast() {
        if options.failFast && stopReason == nil { stop(because: "--fail-fast after a failure") }
    }

    /// Starts nothing more: stages waiting, waiting to retry or launched but not started are
    /// skipped now, queued ones as the loop reaches them; running attempts finish.
    private func stop(because reason: String) {
        stopReason = reason
        let skipped = StageStatus.skipped
        for index in order {
            switch phases[index] {
            case .waiting, .retrying:
                finish(index, .settled(plan.stages[index], skipped, reason: SkipReason.notStarted(reason).text))
            case .running(let attempt) where attempt.started == nil:
                executor.cancel([attempt.token])
                endAttempt(index)
                finish(index, .settled(plan.stages[index], skipped, reason: SkipReason.notStarted(reason).text))
            default: break
            }
        }
    }

    /// A signal: running attempts are stopped and recorded as interrupted (failed), and
    /// nothing else starts.
    private func interrupt(_ signal: Int32) {
        interrupted = signal
        let why = "interrupted by \(Interruption.name(signal))"
        stopReason = why
        var stopped: [Int] = []
        for index in active.sorted() {
            if case .running(let attempt) = phases[index] { stopped.append(attempt.token) }
        }
        executor.cancel(stopped)
        for index in active.sorted() {
            guard case .running(let attempt) = phases[index] else { continue }
            endAttempt(index)
            let error = attempt.label.map { "\(why); \($0) cancelled" } ?? why
            if attempt.started == nil {
                finish(index, .settled(plan.stages[index], .skipped, reason: SkipReason.notStarted(error).text))
            } else {
                writeLog(plan.stages[index].stage.id, log: attempt.log, error: error)
                finish(
                    index,
                    .settled(
                        plan.stages[index], .failed, reason: attempt.reason, error: error, key: attempt.material?.key,
                        attempts: attempt.number, started: attempt.started, notes: attempt.log.notes))
            }
        }
        stop(because: why)
    }

    // MARK: Clocks

    /// When the loop must look again: a deadline, a retry, or the next display tick.
    private func wakeTime() -> Date {
        var wake = Date().addingTimeInterval(0.25)
        for index in active {
            switch phases[index] {
            case .running(let attempt): if let deadline = attempt.deadline { wake = min(wake, deadline) }
            case .retrying(let at, _, _, _): wake = min(wake, at)
            default: break
            }
        }
        return wake
    }

    /// Times out attempts past their deadline, requeues due retries, and ticks the display.
    private func checkClocks() {
        let now = Date()
        var ticking: [(stage: String, seconds: Double)] = []
        for index in active.sorted() {
            switch phases[index] {
            case .running(let attempt) where attempt.deadline.map { $0 <= now } ?? false:
                // The attempt's thread cannot be stopped, but the processes it started can.
                executor.cancel([attempt.token])
                endAttempt(index)
                let limit = plan.stages[index].stage.timeout ?? 0
                failed(index, attempt, message: "timed out after \(FloatFormat.shortest(limit)) s")
            case .running(let attempt):
                if let started = attempt.started {
                    ticking.append((plan.stages[index].stage.id, now.timeIntervalSince(started)))
                }
            case .retrying(let at, let number, let reason, let material) where at <= now:
                active.remove(index)
                enqueue(index, number: number, reason: reason, material: material)
            default: break
            }
        }
        if !ticking.isEmpty { reporter.tick(running: ticking.sorted { $0.stage < $1.stage }) }
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
