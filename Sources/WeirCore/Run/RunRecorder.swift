import Foundation

/// Settles the stages of a run, whichever executor ran them: redacts secrets from what is
/// shown and stored, tells the reporter, and records stage runs in the ledger in batches.
final class RunRecorder {
    let runID: String
    /// Nil when another process records this run's stage runs (`weir run-stage` under a
    /// cluster executor).
    let ledger: Ledger?
    let reporter: any RunReporter
    private var pending: [StageRunRecord] = []

    init(runID: String, ledger: Ledger?, reporter: any RunReporter) {
        self.runID = runID
        self.ledger = ledger
        self.reporter = reporter
    }

    /// Reports `outcome` with secrets redacted and queues its ledger record; returns what was reported.
    @discardableResult
    func finish(_ outcome: StageOutcome) -> StageOutcome {
        var outcome = outcome
        outcome.reason = outcome.reason.map(Secrets.redact)
        outcome.error = outcome.error.map(Secrets.redact)
        outcome.notes = outcome.notes.map(Secrets.redact)
        if ledger != nil {
            pending.append(
                StageRunRecord(
                    runID: runID, stage: outcome.stage, type: outcome.type, status: outcome.status,
                    reason: outcome.reason,
                    key: outcome.key, startedAt: outcome.startedAt, finishedAt: outcome.finishedAt,
                    seconds: outcome.seconds,
                    outputsJSON: outcome.outputs.isEmpty ? nil : CacheOutput.json(outcome.outputs),
                    error: outcome.error,
                    attempts: outcome.attempts, notes: outcome.notes))
        }
        reporter.stageFinished(outcome)
        return outcome
    }

    func flush() {
        guard let ledger, !pending.isEmpty else { return }
        do { try ledger.recordStageRuns(pending) } catch {
            FileHandle.standardError.write(Data("weir: ledger: \(error)\n".utf8))
        }
        pending.removeAll()
    }
}

extension StageOutcome {
    /// An outcome of `stagePlan` ending now; `started` nil for a stage decided without running.
    public static func settled(
        _ stagePlan: StagePlan, _ status: StageStatus, reason: String? = nil, error: String? = nil, key: String? = nil,
        outputs: [CacheOutput] = [], attempts: Int = 0, started: Date? = nil, notes: [String] = []
    ) -> StageOutcome {
        let now = Date()
        // Ports in the order the stage type declares them, whether they were made or read back.
        let ports = stagePlan.type.outputs
        let ordered = outputs.sorted {
            (ports.firstIndex(of: $0.port) ?? .max, $0.port) < (ports.firstIndex(of: $1.port) ?? .max, $1.port)
        }
        return StageOutcome(
            stage: stagePlan.stage.id, type: stagePlan.type.name, status: status,
            seconds: started.map { now.timeIntervalSince($0) } ?? 0, outputs: ordered, reason: reason, error: error,
            notes: notes, attempts: attempts, key: key, startedAt: (started ?? now).timeIntervalSince1970,
            finishedAt: now.timeIntervalSince1970)
    }
}
