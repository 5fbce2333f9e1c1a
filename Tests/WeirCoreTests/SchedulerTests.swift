import Foundation
import Testing
import WeirTable

@testable import WeirCore

/// Reads any number of inputs; its output is one int64 column.
private struct ToyStep: StageType {
    let name = "toy.step"
    let version = "1"
    let summary = "test step"
    let inputs = InputArity.many
    let params: [ParamSpec] = []
    func outputSchemas(_ context: inout PlanContext) -> [String: Schema] { ["out": Schema([Field("n", .int64)])] }
    func run(_ context: RunContext) throws -> [String: Table] { [:] }
}

private struct ToyStart: StageType {
    let name = "toy.start"
    let version = "1"
    let summary = "test source"
    let inputs = InputArity.none
    let params: [ParamSpec] = []
    func outputSchemas(_ context: inout PlanContext) -> [String: Schema] { ["out": Schema([Field("n", .int64)])] }
    func run(_ context: RunContext) throws -> [String: Table] { [:] }
}

/// An executor whose attempts do what the test says, reported on the next `wait`.
final class FakeExecutor: StageExecutor {
    enum Behaviour { case succeed, fail, hang }
    let traits: ExecutorTraits
    let behaviour: (_ stage: String, _ attempt: Int) -> Behaviour
    private(set) var launched: [(stage: String, number: Int, after: [String])] = []
    private(set) var cancelled: [String] = []
    private(set) var mostAtOnce = 0
    private var live: [Int: String] = [:]
    private var pending: [AttemptEvent] = []

    init(_ traits: ExecutorTraits, behaviour: @escaping (_ stage: String, _ attempt: Int) -> Behaviour) {
        self.traits = traits
        self.behaviour = behaviour
    }

    func launch(_ attempt: Attempt) throws -> String? {
        let stage = attempt.stage.stage.id
        launched.append((stage, attempt.number, attempt.after.compactMap { live[$0] }))
        live[attempt.token] = stage
        mostAtOnce = max(mostAtOnce, live.count)
        switch behaviour(stage, attempt.number) {
        case .succeed:
            let output = CacheOutput(
                port: "out", digest: "digest-of-\(stage)", rows: 1, schemaJSON: #"[{"name":"n","type":"int64"}]"#)
            pending.append(.produced(token: attempt.token, outputs: [output]))
        case .fail: pending.append(.failed(token: attempt.token, message: "\(stage) broke"))
        case .hang: break
        }
        return traits.startsAtLaunch ? nil : "fake job \(attempt.token)"
    }

    /// One event at a time, so the loop reacts to each before the next.
    func wait(until deadline: Date, interruption: Interruption) -> [AttemptEvent] {
        guard !pending.isEmpty else {
            _ = interruption.wait(seconds: max(0, deadline.timeIntervalSinceNow))
            return []
        }
        let event = pending.removeFirst()
        live[event.token] = nil
        return [event]
    }

    func cancel(_ tokens: [Int]) {
        for token in tokens { if let stage = live.removeValue(forKey: token) { cancelled.append(stage) } }
        pending.removeAll { tokens.contains($0.token) }
    }
}

final class Events: RunReporter {
    var started: [String] = []
    var retried: [(stage: String, attempt: Int)] = []
    func runStarted(runID: String, pipeline: String, stages: Int) {}
    func stageStarted(_ stage: String, reason: String) { started.append(stage) }
    func stageRetrying(_ stage: String, attempt: Int, error: String, delay: Double) { retried.append((stage, attempt)) }
    func stageFinished(_ outcome: StageOutcome) {}
    func runFinished(_ summary: RunSummary) {}
}

/// The run loop on its own: a real plan and ledger, a fake executor.
@Suite(.serialized) struct SchedulerTests {
    /// a → b → c, a → d, and e on its own.
    static let pipeline = """
        pipeline: toy
        stages:
          a: { type: toy.start }
          b: { type: toy.step, input: a }
          c: { type: toy.step, input: b }
          d: { type: toy.step, input: a }
          e: { type: toy.start }
        """

    struct Ran {
        var summary: RunSummary
        var executor: FakeExecutor
        var events: Events
        func status(_ stage: String) -> StageStatus? { summary.outcomes.first { $0.stage == stage }?.status }
        func outcome(_ stage: String) -> StageOutcome? { summary.outcomes.first { $0.stage == stage } }
    }

    private func run(
        _ yaml: String = pipeline, traits: ExecutorTraits = ExecutorTraits(slots: 2),
        options: RunOptions = RunOptions(),
        during: (@Sendable () -> Void)? = nil, behaviour: @escaping (String, Int) -> FakeExecutor.Behaviour
    ) throws -> Ran {
        let folder = NSTemporaryDirectory() + "weir-scheduler-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let workspace = try Workspace(root: folder)
        let registry = StageRegistry([ToyStart(), ToyStep()])
        let loaded = try PipelineLoader(registry: registry, environment: [:]).load(text: yaml, file: folder + "/p.yaml")
        let cache = try CacheView(ledger: workspace.ledger, store: workspace.store, pipelineFile: loaded.file)
        let plan = try Planner(registry: registry, cache: cache, files: DirectFileDigester()).plan(loaded)
        let executor = FakeExecutor(traits, behaviour: behaviour)
        let events = Events()
        let scheduler = Scheduler(
            plan: plan, selected: Set(loaded.stageIDs), options: options, cache: cache, ledger: workspace.ledger,
            runID: "r1", runDirectory: folder + "/runs/r1", reporter: events, executor: executor)
        if let during { DispatchQueue.global().asyncAfter(deadline: .now() + 0.2, execute: during) }
        return Ran(summary: scheduler.run(), executor: executor, events: events)
    }

    @Test func stagesStartOnlyWhenTheirInputsAreReadyAndNoMoreThanTheSlots() throws {
        let ran = try run(traits: ExecutorTraits(slots: 2)) { _, _ in .succeed }
        #expect(ran.summary.outcomes.map(\.status) == [.ran, .ran, .ran, .ran, .ran])
        let order = ran.executor.launched.map(\.stage)
        #expect(Set(order) == ["a", "b", "c", "d", "e"] && order.count == 5)
        for (stage, upstream) in [("b", "a"), ("c", "b"), ("d", "a")] {
            #expect(order.firstIndex(of: upstream)! < order.firstIndex(of: stage)!, "\(order)")
        }
        #expect(ran.executor.mostAtOnce <= 2)
        // Recorded: a second plan finds b's entry under the key it ran with.
        #expect(ran.outcome("b")?.key != nil && ran.outcome("b")?.outputs.first?.digest == "digest-of-b")
    }

    @Test func aFailureSkipsItsDownstreamAndLetsOtherBranchesRun() throws {
        let ran = try run { stage, _ in stage == "b" ? .fail : .succeed }
        #expect(ran.status("b") == .failed && ran.outcome("b")?.error == "b broke")
        #expect(ran.status("c") == .skipped && ran.outcome("c")?.reason == "upstream 'b' did not finish")
        #expect(ran.status("a") == .ran && ran.status("d") == .ran && ran.status("e") == .ran)
        #expect(!ran.executor.launched.map(\.stage).contains("c"))
        #expect(ran.summary.exitStatus == 1)
    }

    @Test func failFastStartsNothingMore() throws {
        let ran = try run(traits: ExecutorTraits(slots: 1), options: RunOptions(failFast: true)) { stage, _ in
            stage == "a" ? .fail : .succeed
        }
        #expect(ran.status("a") == .failed)
        #expect(ran.executor.launched.map(\.stage) == ["a"])
        let skipped = ran.summary.outcomes.filter { $0.status == .skipped }
        #expect(skipped.map(\.stage) == ["b", "c", "d", "e"])
        #expect(
            skipped.allSatisfy { $0.reason == "not started: --fail-fast after a failure" }, "\(skipped.map(\.reason))")
    }

    @Test func retriesWithBackoffUntilAnAttemptSucceeds() throws {
        let yaml = Self.pipeline.replacingOccurrences(
            of: "b: { type: toy.step, input: a }", with: "b: { type: toy.step, input: a, retries: 3 }")
        let began = Date()
        let ran = try run(yaml, options: RunOptions(retryBackoff: 0.1)) { stage, attempt in
            stage == "b" && attempt < 3 ? .fail : .succeed
        }
        #expect(ran.status("b") == .ran && ran.outcome("b")?.attempts == 3)
        #expect(ran.events.retried.map(\.attempt) == [1, 2])
        #expect(ran.executor.launched.filter { $0.stage == "b" }.map(\.number) == [1, 2, 3])
        #expect(Date().timeIntervalSince(began) >= 0.3, "backoff 0.1 s then 0.2 s")
        #expect(ran.events.started.filter { $0 == "b" }.count == 1)
        #expect(ran.status("c") == .ran)
    }

    @Test func retriesRunOutIntoAFailure() throws {
        let yaml = Self.pipeline.replacingOccurrences(
            of: "b: { type: toy.step, input: a }", with: "b: { type: toy.step, input: a, retries: 1 }")
        let ran = try run(yaml, options: RunOptions(retryBackoff: 0.01)) { stage, _ in stage == "b" ? .fail : .succeed }
        #expect(ran.status("b") == .failed && ran.outcome("b")?.attempts == 2)
        #expect(ran.status("c") == .skipped)
    }

    @Test func anAttemptPastItsTimeoutIsCancelledAndFails() throws {
        let yaml = Self.pipeline.replacingOccurrences(
            of: "d: { type: toy.step, input: a }", with: "d: { type: toy.step, input: a, timeout: 0.3 }")
        let ran = try run(yaml) { stage, _ in stage == "d" ? .hang : .succeed }
        #expect(ran.status("d") == .failed && ran.outcome("d")?.error == "timed out after 0.3 s")
        #expect(ran.executor.cancelled == ["d"])
        #expect(ran.status("c") == .ran)
    }

    @Test func aSignalEndsRunningAttemptsAndSkipsTheRest() throws {
        let ran = try run(
            traits: ExecutorTraits(slots: 1), during: { kill(getpid(), SIGINT) },
            behaviour: { stage, _ in stage == "a" ? .hang : .succeed })
        #expect(ran.summary.interrupted == SIGINT && ran.summary.exitStatus == 130)
        #expect(ran.status("a") == .failed && ran.outcome("a")?.error == "interrupted by SIGINT")
        #expect(ran.executor.cancelled == ["a"])
        for stage in ["b", "c", "d", "e"] {
            #expect(ran.outcome(stage)?.reason == "not started: interrupted by SIGINT", "\(stage)")
        }
        #expect(ran.executor.launched.map(\.stage) == ["a"])
    }

    @Test func anExecutorThatLaunchesAheadGetsEveryStageAtOnceAndLosesTheDownstreamOfAFailure() throws {
        let traits = ExecutorTraits(
            slots: .max, launchesAhead: true, attemptsManageThemselves: true, startsAtLaunch: false)
        let ran = try run(traits: traits) { stage, _ in stage == "a" ? .fail : stage == "e" ? .succeed : .hang }
        let launched = ran.executor.launched
        #expect(Set(launched.map(\.stage)) == ["a", "b", "c", "d", "e"], "\(launched)")
        #expect(launched.first { $0.stage == "c" }?.after == ["b"])
        #expect(launched.first { $0.stage == "b" }?.after == ["a"])
        #expect(ran.status("a") == .failed && ran.status("e") == .ran)
        #expect(Set(ran.executor.cancelled) == ["b", "c", "d"])
        #expect(ran.outcome("c")?.reason == "upstream 'b' did not finish")
        // A queued attempt is reported started when it ends, with its label.
        #expect(ran.events.started.contains("a") && !ran.events.started.contains("b"))
    }
}
