import Foundation
import GRDB

/// `retention: { runs: 30d }` at the top of a pipeline: runs older than that are forgotten
/// (their ledger rows and their `.weir/runs/ID/` folders) after each run, and by
/// `weir runs prune`. The newest run of a pipeline is always kept (`--retry-failed` reads it),
/// and a run still going is never touched. Cached results are not runs: `weir cache gc` keeps
/// those.
public struct RetentionSpec: Sendable {
    /// Seconds a run is kept.
    public var runs: Double

    static func parse(_ node: YAMLNode, _ diagnostics: inout DiagnosticCollector) -> RetentionSpec? {
        guard let pairs = node.pairs else {
            diagnostics.error(
                node.location, "`retention` must be a mapping such as { runs: 30d }, found \(node.kindName)")
            return nil
        }
        diagnostics.unknownKeys(pairs, allowed: ["runs"], in: "`retention`")
        guard let value = node["runs"] else {
            diagnostics.error(node.location, "`retention` needs `runs:`, how long runs are kept (e.g. 30d)")
            return nil
        }
        guard let text = value.scalar, let seconds = DurationText.seconds(text), seconds > 0 else {
            diagnostics.error(
                value.location,
                "`retention.runs` must be a duration such as 30d, 12h or 90m, found '\(value.scalar ?? value.kindName)'"
            )
            return nil
        }
        return RetentionSpec(runs: seconds)
    }
}

extension Ledger {
    /// Forgets finished runs that started before `before` (of one pipeline file, or all), except
    /// each pipeline's newest; returns their ids.
    public func pruneRuns(pipelineFile: String?, startedBefore before: Date) throws -> [String] {
        try write { db in
            let filter = pipelineFile == nil ? "" : "AND r.pipeline_file = ?"
            var arguments: StatementArguments = [before.timeIntervalSince1970]
            if let pipelineFile { arguments += [pipelineFile] }
            let ids = try String.fetchAll(
                db,
                sql: """
                    SELECT r.id FROM runs r
                    WHERE r.started_at < ? AND r.status <> 'running' \(filter)
                      AND r.started_at < (SELECT max(n.started_at) FROM runs n WHERE n.pipeline_file = r.pipeline_file)
                    """, arguments: arguments)
            for id in ids {
                try db.execute(sql: "DELETE FROM stage_runs WHERE run_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [id])
            }
            return ids
        }
    }
}

extension Workspace {
    /// Prunes runs older than `age` seconds; removes their folders. Returns how many went.
    public func pruneRuns(pipelineFile: String?, olderThan age: Double, now: Date = Date()) throws -> Int {
        let ids = try ledger.pruneRuns(pipelineFile: pipelineFile, startedBefore: now.addingTimeInterval(-age))
        for id in ids { try? FileManager.default.removeItem(atPath: runDirectory(id)) }
        return ids.count
    }
}
