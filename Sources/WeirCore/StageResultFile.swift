import Foundation

/// `weir run-stage --result FILE`: how a stage ended, as JSON, for the process that submitted
/// it to a cluster. Written whole (temporary file, then rename) so a reader never sees half.
public enum StageResultFile {
    public static func write(_ outcome: StageOutcome, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var outcome = outcome
        outcome.error = outcome.error.map(Secrets.redact)
        outcome.notes = outcome.notes.map(Secrets.redact)
        try JSONEncoder.sorted.encode(outcome).write(to: url, options: .atomic)
    }

    /// The outcome in `path`; nil when there is none (the job never started, or the state
    /// directory is not shared with the node that ran it).
    public static func read(_ path: String) -> StageOutcome? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(StageOutcome.self, from: data)
    }
}
