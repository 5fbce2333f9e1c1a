import Foundation
import GRDB

/// Schedule ticks in the ledger: a tick is claimed once (by whichever `weir schedule` gets
/// there first), then finished with what its run did.
extension Ledger {
    /// How a schedule tick stands: claimed and running, then what its run came to (skipped:
    /// another run of the pipeline held the lock).
    public enum TickStatus: String, Sendable, Codable { case running, ok, failed, skipped }

    public struct Tick: Sendable, Equatable {
        public var pipelineFile: String
        public var tick: Date
        public var status: TickStatus
        public var runID: String?
        public var detail: String?
    }

    static func scheduleMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3") { db in
            try db.execute(
                sql: """
                    CREATE TABLE schedule_ticks(
                      pipeline_file TEXT NOT NULL, tick REAL NOT NULL, status TEXT NOT NULL, claimed_at REAL NOT NULL,
                      finished_at REAL, run_id TEXT, detail TEXT, PRIMARY KEY(pipeline_file, tick));
                    """)
        }
    }

    /// Claims a tick; false when it was claimed before (it ran, runs, or was skipped).
    public func claimTick(pipelineFile: String, tick: Date) throws -> Bool {
        try write { db in
            try db.execute(
                sql:
                    "INSERT OR IGNORE INTO schedule_ticks(pipeline_file, tick, status, claimed_at) VALUES (?, ?, 'running', ?)",
                arguments: [pipelineFile, tick.timeIntervalSince1970, Date().timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    public func finishTick(pipelineFile: String, tick: Date, status: TickStatus, runID: String?, detail: String?) throws
    {
        try write { db in
            try db.execute(
                sql:
                    "UPDATE schedule_ticks SET status = ?, finished_at = ?, run_id = ?, detail = ? WHERE pipeline_file = ? AND tick = ?",
                arguments: [
                    status.rawValue, Date().timeIntervalSince1970, runID, detail.map(Secrets.redact), pipelineFile,
                    tick.timeIntervalSince1970,
                ])
        }
    }

    /// The newest tick recorded for a pipeline.
    public func lastTick(pipelineFile: String) throws -> Date? {
        try pool.read { db in
            try Double.fetchOne(
                db, sql: "SELECT max(tick) FROM schedule_ticks WHERE pipeline_file = ?", arguments: [pipelineFile]
            )
            .map(Date.init(timeIntervalSince1970:))
        }
    }

    public func ticks(pipelineFile: String, limit: Int = 20) throws -> [Tick] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM schedule_ticks WHERE pipeline_file = ? ORDER BY tick DESC LIMIT ?",
                arguments: [pipelineFile, limit]
            ).map {
                Tick(
                    pipelineFile: $0["pipeline_file"], tick: Date(timeIntervalSince1970: $0["tick"]),
                    status: TickStatus(rawValue: $0["status"]) ?? .failed,
                    runID: $0["run_id"], detail: $0["detail"])
            }
        }
    }
}
