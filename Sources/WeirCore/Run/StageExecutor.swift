import Foundation

/// Where a run's stage attempts execute: threads of this process, Slurm jobs, and whatever
/// comes next. An executor only starts attempts, reports how they end and stops them; every
/// policy (readiness, cache decisions, skipping, fail-fast, retries, timeouts, interruption)
/// belongs to the `Scheduler` that drives it, so all executors behave alike.
public protocol StageExecutor: AnyObject {
    var traits: ExecutorTraits { get }
    /// Starts an attempt; returns a label naming it for people ("Slurm job 42"), if it has one.
    /// A thrown error fails the attempt.
    func launch(_ attempt: Attempt) throws -> String?
    /// Waits until an attempt changes state, `deadline` passes or a signal arrives; returns
    /// what happened, in order.
    func wait(until deadline: Date, interruption: Interruption) -> [AttemptEvent]
    /// Stops these attempts: the run loop has settled them and ignores what they report.
    func cancel(_ tokens: [Int])
}

/// How an executor runs attempts, which decides part of the run loop's policy.
public struct ExecutorTraits: Sendable {
    /// Attempts running at once, at most.
    public var slots: Int
    /// A stage is launched once its upstream stages are launched, not finished: the executor
    /// holds it until they succeed (Slurm's `afterok`), and an attempt launched so decides its
    /// own cache hit (`weir run-stage` does).
    public var launchesAhead: Bool
    /// Attempts keep their own time limit and retries (a `weir run-stage` job does both): the
    /// loop sets no deadline and retries nothing.
    public var attemptsManageThemselves: Bool
    /// An attempt runs from its launch; otherwise it waits in a queue until `.started`.
    public var startsAtLaunch: Bool

    public init(
        slots: Int, launchesAhead: Bool = false, attemptsManageThemselves: Bool = false, startsAtLaunch: Bool = true
    ) {
        self.slots = max(1, slots)
        self.launchesAhead = launchesAhead
        self.attemptsManageThemselves = attemptsManageThemselves
        self.startsAtLaunch = startsAtLaunch
    }
}

/// One attempt at one stage, as the run loop hands it to an executor.
public struct Attempt: Sendable {
    /// Unique within a run; events name the attempt by it.
    public var token: Int
    public var stage: StagePlan
    /// 1 for the first attempt.
    public var number: Int
    /// The key material it answers; nil when launched ahead of its inputs.
    public var material: KeyMaterial?
    /// Each input's output, nil while its producer is still running (launched ahead).
    public var inputs: [CacheOutput?]
    /// The attempts of the producers still running, which this one must wait for.
    public var after: [Int]
    /// Where the attempt writes its log lines, notes and written files.
    public var log: StageLog
}

/// What an executor reports of an attempt.
public enum AttemptEvent: Sendable {
    /// It began running (executors whose attempts wait in a queue say so).
    case started(token: Int)
    /// It made these outputs, now in the store; the run loop records them.
    case produced(token: Int, outputs: [CacheOutput])
    /// It ended and recorded its own outcome (a `weir run-stage` result file).
    case settled(token: Int, outcome: StageOutcome)
    /// It ended well and recorded its outputs in the cache; `otherwise` is the error when the
    /// cache does not hold them.
    case recorded(token: Int, otherwise: String)
    /// It failed; the loop retries it or records the failure.
    case failed(token: Int, message: String, notes: [String] = [])
    /// It was stopped because an upstream attempt did not succeed.
    case upstreamFailed(token: Int)

    var token: Int {
        switch self {
        case .started(let token), .produced(let token, _), .settled(let token, _), .recorded(let token, _),
            .failed(let token, _, _),
            .upstreamFailed(let token):
            token
        }
    }
}

/// Why a stage was skipped, worded once for every executor.
enum SkipReason {
    case upstream(String)
    case notStarted(String)

    var text: String {
        switch self {
        case .upstream(let stage): "upstream '\(stage)' did not finish"
        case .notStarted(let why): "not started: " + why
        }
    }
}
