import Foundation
import WeirTable

public enum StageStatus: String, Sendable, CaseIterable, Codable { case ran, cached, failed, skipped }

/// How a run stands in the ledger: running until it ends ok, failed or interrupted.
public enum RunStatus: String, Sendable, CaseIterable, Codable { case running, ok, failed, interrupted }

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
    public var status: RunStatus { interrupted != nil ? .interrupted : failed ? .failed : .ok }
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
    /// Writes what the reporter holds back; the run loop calls it before it waits.
    func flush()
}

extension RunReporter {
    public func tick(running: [(stage: String, seconds: Double)]) {}
    public func flush() {}
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

    public init(
        jobs: Int = Parallel.coreCount, failFast: Bool = false, retryBackoff: Double = 0.5, forced: Set<String> = [],
        recordsStageRuns: Bool = true
    ) {
        self.jobs = max(1, jobs)
        self.failFast = failFast
        self.retryBackoff = retryBackoff
        self.forced = forced
        self.recordsStageRuns = recordsStageRuns
    }
}
