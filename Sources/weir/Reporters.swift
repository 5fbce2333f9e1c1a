import Foundation
import WeirCore
import WeirSystem

/// Writes to standard output without Foundation's buffering surprises, flushing per line so
/// a scheduler reading the pipe sees events as they happen.
enum Output {
    /// Writes all of `bytes` to standard output; false when the output is gone.
    @discardableResult
    static func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        (try? Syscall.write(STDOUT_FILENO, bytes)) != nil
    }

    static func line(_ text: String) { raw(text + "\n") }

    static func raw(_ text: String) {
        var text = Secrets.redact(text)
        _ = text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }
}

/// `--json`: one JSON object per event, a stable interface for schedulers and monitors.
final class JSONReporter: RunReporter {
    /// Events not yet written: the run loop flushes them whenever it waits, so a thousand cached
    /// stages decided at once cost one write, and a monitor still sees each event as it happens.
    private var pending = ""

    private func emit(_ line: String) {
        pending += line
        pending += "\n"
    }

    func flush() {
        guard !pending.isEmpty else { return }
        Output.raw(pending)
        pending = ""
    }

    func runStarted(runID: String, pipeline: String, stages: Int) {
        emit(
            "{\"event\":\"run_started\",\"run_id\":\(CanonicalJSON.string(runID)),\"pipeline\":\(CanonicalJSON.string(pipeline)),\"stages\":\(stages)}"
        )
    }

    func stageStarted(_ stage: String, reason: String) {
        emit(
            "{\"event\":\"stage_started\",\"stage\":\(CanonicalJSON.string(stage)),\"reason\":\(CanonicalJSON.string(reason))}"
        )
    }

    func stageRetrying(_ stage: String, attempt: Int, error: String, delay: Double) {
        emit(
            "{\"event\":\"stage_retrying\",\"stage\":\(CanonicalJSON.string(stage)),\"attempt\":\(attempt),\"error\":\(CanonicalJSON.string(error)),\"delay\":\(delay.json)}"
        )
    }

    func stageFinished(_ outcome: StageOutcome) {
        // One buffer: a cached 1,000-stage run prints a thousand of these.
        var line = "{\"event\":\"stage_finished\",\"stage\":" + CanonicalJSON.string(outcome.stage)
        line += ",\"status\":\"" + outcome.status.rawValue + "\",\"seconds\":" + outcome.seconds.json
        if !outcome.outputs.isEmpty {
            line += ",\"rows\":{"
            for (i, output) in outcome.outputs.enumerated() {
                line += (i == 0 ? "" : ",") + CanonicalJSON.string(output.port) + ":" + String(output.rows)
            }
            line += "}"
        }
        if let digest = outcome.digest { line += ",\"digest\":\"" + digest + "\"" }
        if let reason = outcome.reason, !reason.isEmpty { line += ",\"reason\":" + CanonicalJSON.string(reason) }
        if let error = outcome.error { line += ",\"error\":" + CanonicalJSON.string(error) }
        if let files = outcome.files {
            line += ",\"files\":{\"parsed\":\(files.parsed),\"reused\":\(files.reused)}"
        }
        if !outcome.notes.isEmpty {
            line += ",\"notes\":[" + outcome.notes.map(CanonicalJSON.string).joined(separator: ",") + "]"
        }
        emit(line + "}")
    }

    func runFinished(_ summary: RunSummary) {
        emit(
            "{\"event\":\"run_finished\",\"run_id\":\(CanonicalJSON.string(summary.runID)),\"status\":\"\(summary.status.rawValue)\",\"seconds\":\(summary.seconds.json),\"counts\":\(Self.counts(summary.counts))}"
        )
        flush()
    }

    /// `{"ran":…,"cached":…,"failed":…,"skipped":…}` in that order.
    static func counts(_ counts: [String: Int]) -> String {
        "{" + StageStatus.allCases.map { "\"\($0.rawValue)\":\(counts[$0.rawValue] ?? 0)" }.joined(separator: ",") + "}"
    }
}

/// Human output: one line per event (on a terminal, plus a live line of the running stages),
/// and the summary table at the end.
final class TextReporter: RunReporter {
    let live: Bool
    private var statusShown = false

    init(live: Bool) { self.live = live }

    private func emit(_ text: String) {
        if statusShown {
            Output.raw("\r\u{1B}[K")
            statusShown = false
        }
        Output.line(text)
    }

    func runStarted(runID: String, pipeline: String, stages: Int) {
        emit("weir: run \(runID) of pipeline '\(pipeline)': \(Wording.count(stages, "stage"))")
    }

    func stageStarted(_ stage: String, reason: String) {
        emit("  start    \(stage)  (\(reason))")
    }

    func stageRetrying(_ stage: String, attempt: Int, error: String, delay: Double) {
        emit("  retry    \(stage)  attempt \(attempt) failed: \(error); again in \(Terminal.seconds(delay))")
    }

    func stageFinished(_ outcome: StageOutcome) {
        var line =
            "  " + outcome.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + " " + outcome.stage
        switch outcome.status {
        case .ran:
            line += "  \(Terminal.seconds(outcome.seconds))"
            if !outcome.outputs.isEmpty { line += "  " + rows(outcome) }
        case .failed:
            line += "  \(Terminal.seconds(outcome.seconds))  error: \(outcome.error ?? "")"
        case .skipped:
            if let reason = outcome.reason { line += "  (\(reason))" }
        case .cached: break
        }
        emit(line)
        for note in outcome.notes { emit("           \(outcome.stage): \(note)") }
    }

    func tick(running: [(stage: String, seconds: Double)]) {
        guard live else { return }
        let text = "  running: " + running.map { "\($0.stage) \(Terminal.seconds($0.seconds))" }.joined(separator: ", ")
        Output.raw("\r\u{1B}[K" + text)
        statusShown = true
    }

    func runFinished(_ summary: RunSummary) {
        let rows = summary.outcomes.map { outcome in
            [
                outcome.stage, outcome.status.rawValue,
                outcome.status == .ran || outcome.status == .failed ? Terminal.seconds(outcome.seconds) : "",
                outcome.outputs.isEmpty ? "" : self.rows(outcome), outcome.digest.map { String($0.prefix(12)) } ?? "",
            ]
        }
        emit("")
        emit(Terminal.table(["STAGE", "STATUS", "TIME", "ROWS", "DIGEST"], rows, rightAligned: [2, 3]))
        let counts = summary.counts
        emit(
            "\nrun \(summary.status) in \(Terminal.seconds(summary.seconds)): \(counts["ran"] ?? 0) ran, \(counts["cached"] ?? 0) cached, "
                + "\(counts["failed"] ?? 0) failed, \(counts["skipped"] ?? 0) skipped")
    }

    private func rows(_ outcome: StageOutcome) -> String {
        if outcome.outputs.count == 1 { return Terminal.count(outcome.outputs[0].rows) }
        return outcome.outputs.map { "\($0.port)=\(Terminal.count($0.rows))" }.joined(separator: " ")
    }
}
