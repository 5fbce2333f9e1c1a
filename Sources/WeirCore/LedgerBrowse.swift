import Foundation
import GRDB

/// What `weir serve` asks of the ledger: pipelines, pages of runs, and the current outputs of a
/// pipeline's stages. Every query is bounded (a page, an index range), so a ledger of ten
/// thousand runs answers in milliseconds.
extension Ledger {
    public struct PipelineSummary: Sendable, Equatable {
        public var name: String
        public var file: String
        public var runs: Int
        public var lastRunID: String
        public var lastStatus: String
        public var lastStartedAt: Double
    }

    static func browseMigration(_ migrator: inout DatabaseMigrator) {
        // v6: runs listed newest first across pipelines, and by status.
        migrator.registerMigration("v6") { db in
            try db.execute(
                sql: """
                    CREATE INDEX runs_by_time ON runs(started_at);
                    CREATE INDEX runs_by_status ON runs(status, started_at);
                    CREATE INDEX runs_by_pipeline ON runs(pipeline, pipeline_file);
                    """)
        }
    }

    /// Every pipeline (by file) that has runs, with its newest run.
    public func pipelines() throws -> [PipelineSummary] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT r.pipeline, r.pipeline_file, c.n, r.id, r.status, r.started_at
                    FROM (SELECT pipeline_file, count(*) AS n, max(started_at) AS newest FROM runs GROUP BY pipeline_file) c
                    JOIN runs r ON r.pipeline_file = c.pipeline_file AND r.started_at = c.newest
                    GROUP BY r.pipeline_file ORDER BY r.pipeline, r.pipeline_file
                    """
            ).map {
                PipelineSummary(
                    name: $0[0], file: $0[1], runs: $0[2], lastRunID: $0[3], lastStatus: $0[4], lastStartedAt: $0[5])
            }
        }
    }

    /// A page of runs, newest first, optionally of one pipeline (by name) and one status; and
    /// how many match in all.
    public func runs(pipeline: String?, status: String?, limit: Int, offset: Int) throws -> (
        runs: [RunRecord], total: Int
    ) {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let pipeline {
            conditions.append("pipeline = ?")
            arguments.append(pipeline)
        }
        if let status {
            conditions.append("status = ?")
            arguments.append(status)
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try pool.read { db in
            let total =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM runs \(filter)", arguments: StatementArguments(arguments)) ?? 0
            let page = try Row.fetchAll(
                db, sql: "SELECT * FROM runs \(filter) ORDER BY started_at DESC LIMIT ? OFFSET ?",
                arguments: StatementArguments(arguments + [limit, offset])
            ).map(RunRecord.init(row:))
            return (page, total)
        }
    }

    /// The run with exactly this id.
    public func run(exactly id: String) throws -> RunRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(RunRecord.init(row:))
        }
    }

    /// The current outputs of one stage of a pipeline file (two indexed lookups); nil when it
    /// never completed.
    public func currentOutputs(pipelineFile: String, stage: String) throws -> [CacheOutput]? {
        try pool.read { db in
            guard
                let key = try String.fetchOne(
                    db.cachedStatement(sql: "SELECT key FROM stage_state WHERE pipeline_file = ? AND stage = ?"),
                    arguments: [pipelineFile, stage])
            else { return nil }
            return try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT port, digest, rows, schema FROM cache_outputs WHERE key = ? ORDER BY rowid"),
                arguments: [key]
            ).map { CacheOutput(port: $0["port"], digest: $0["digest"], rows: $0["rows"], schemaJSON: $0["schema"]) }
        }
    }

    /// The pipeline files that ran under a pipeline name, newest first.
    public func pipelineFiles(named name: String) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(
                db,
                sql:
                    "SELECT pipeline_file FROM runs WHERE pipeline = ? GROUP BY pipeline_file ORDER BY max(started_at) DESC",
                arguments: [name])
        }
    }
}
