import Foundation
import GRDB
import WeirTable

/// Run history: each run and how each of its stages ended.
extension Ledger {
    // MARK: Runs

    public func startRun(_ run: RunRecord) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO runs(id, pipeline, pipeline_file, started_at, status, pid, command) VALUES (?, ?, ?, ?, 'running', ?, ?)
                    """,
                arguments: [
                    run.id, run.pipeline, run.pipelineFile, run.startedAt, run.pid, Secrets.redact(run.command),
                ])
        }
    }

    public func finishRun(id: String, status: RunStatus, finishedAt: Double, counts: [String: Int]) throws {
        try write { db in
            try db.execute(
                sql:
                    "UPDATE runs SET status = ?, finished_at = ?, ran = ?, cached = ?, failed = ?, skipped = ? WHERE id = ?",
                arguments: [
                    status.rawValue, finishedAt, counts["ran"] ?? 0, counts["cached"] ?? 0, counts["failed"] ?? 0,
                    counts["skipped"] ?? 0, id,
                ])
        }
    }

    public func recordStageRuns(_ records: [StageRunRecord]) throws {
        guard !records.isEmpty else { return }
        try write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO stage_runs(run_id, stage, type, status, reason, key, started_at, finished_at, seconds,
                      outputs, error, attempts, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            // Text that may quote a failure is redacted here too: nothing reaches the file unread.
            var row = LedgerRowWriter(statement)
            for r in records {
                try row.bind(r.runID)
                try row.bind(r.stage)
                try row.bind(r.type)
                try row.bind(r.status.rawValue)
                try row.bind(r.reason.map(Secrets.redact))
                try row.bind(r.key)
                try row.bind(r.startedAt)
                try row.bind(r.finishedAt)
                try row.bind(r.seconds)
                try row.bind(r.outputsJSON)
                try row.bind(r.error.map(Secrets.redact))
                try row.bind(r.attempts)
                try row.bind(r.notes.isEmpty ? nil : Secrets.redact(r.notes.joined(separator: "\n")))
                try row.step()
            }
        }
    }

    public func runs(pipelineFile: String? = nil, limit: Int = 20) throws -> [RunRecord] {
        try pool.read { db in
            let filter = pipelineFile == nil ? "" : "WHERE pipeline_file = ?"
            let arguments: StatementArguments = pipelineFile.map { [$0, limit] } ?? [limit]
            return try Row.fetchAll(
                db, sql: "SELECT * FROM runs \(filter) ORDER BY started_at DESC LIMIT ?", arguments: arguments
            ).map(RunRecord.init(row:))
        }
    }

    public func run(id: String) throws -> RunRecord? {
        try pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM runs WHERE id = ? OR id LIKE ? ORDER BY started_at DESC LIMIT 1",
                arguments: [id, id + "%"]
            ).map(RunRecord.init(row:))
        }
    }

    public func stageRuns(runID: String) throws -> [StageRunRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(StageRunRecord.columns) FROM stage_runs WHERE run_id = ? ORDER BY started_at, rowid",
                arguments: [runID]
            ).map(StageRunRecord.init(row:))
        }
    }
}

public struct RunRecord: Sendable {
    public var id: String
    public var pipeline: String
    public var pipelineFile: String
    public var startedAt: Double
    public var finishedAt: Double?
    public var status: RunStatus
    public var pid: Int
    public var command: String
    public var counts: [String: Int]

    public init(id: String, pipeline: String, pipelineFile: String, startedAt: Double, pid: Int, command: String) {
        self.id = id
        self.pipeline = pipeline
        self.pipelineFile = pipelineFile
        self.startedAt = startedAt
        self.status = .running
        self.pid = pid
        self.command = command
        self.counts = [:]
    }

    init(row: Row) {
        id = row["id"]
        pipeline = row["pipeline"]
        pipelineFile = row["pipeline_file"]
        startedAt = row["started_at"]
        finishedAt = row["finished_at"]
        // A status this version does not know (a newer Weir wrote it) reads as failed.
        status = RunStatus(rawValue: row["status"]) ?? .failed
        pid = row["pid"]
        command = row["command"]
        counts = [
            "ran": row["ran"] ?? 0, "cached": row["cached"] ?? 0, "failed": row["failed"] ?? 0,
            "skipped": row["skipped"] ?? 0,
        ]
    }
}

public struct StageRunRecord: Sendable {
    public var runID: String
    public var stage: String
    public var type: String
    public var status: StageStatus
    public var reason: String?
    public var key: String?
    public var startedAt: Double?
    public var finishedAt: Double?
    public var seconds: Double?
    public var outputsJSON: String?
    public var error: String?
    public var attempts: Int
    public var notes: [String]

    public init(
        runID: String, stage: String, type: String, status: StageStatus, reason: String?, key: String?,
        startedAt: Double?,
        finishedAt: Double?, seconds: Double?, outputsJSON: String?, error: String?, attempts: Int, notes: [String]
    ) {
        self.runID = runID
        self.stage = stage
        self.type = type
        self.status = status
        self.reason = reason
        self.key = key
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.seconds = seconds
        self.outputsJSON = outputsJSON
        self.error = error
        self.attempts = attempts
        self.notes = notes
    }

    init(row: Row) {
        runID = row[0]
        stage = row[1]
        type = row[2]
        status = StageStatus(rawValue: row[3]) ?? .failed
        reason = row[4]
        key = row[5]
        startedAt = row[6]
        finishedAt = row[7]
        seconds = row[8]
        outputsJSON = row[9]
        error = row[10]
        attempts = row[11]
        notes = (row[12] as String?)?.split(separator: "\n").map(String.init) ?? []
    }

    /// The columns `init(row:)` reads, by position (a run of 2,000 stages is read faster so).
    static let columns =
        "run_id, stage, type, status, reason, key, started_at, finished_at, seconds, outputs, error, attempts, notes"
}
