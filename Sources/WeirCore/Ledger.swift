import Foundation
import GRDB
import WeirTable

/// The ledger, `.weir/weir.sqlite`: runs, stage runs, cache entries (key -> artifact digests)
/// and the file-stat cache. SQLite in WAL mode, so several `weir` processes (different
/// pipelines sharing one state directory) read and write it at once. On a network filesystem
/// (a state directory that Slurm jobs on several nodes share) WAL's shared-memory index does
/// not work across hosts, so there the ledger uses a rollback journal and the filesystem's
/// locks instead: slower to share, but never corrupt.
public final class Ledger: Sendable {
    let pool: any DatabaseWriter
    public let path: String
    public let journal: Journal

    public enum Journal: String, Sendable {
        /// Write-ahead log: readers never wait for writers; one host only.
        case wal
        /// Rollback journal with file locks: safe where several hosts share the file.
        case delete
    }

    /// An empty ledger in memory: what read-only commands see where no state directory exists
    /// yet, so that they create none.
    public init(inMemoryFor path: String) throws {
        self.path = path
        journal = .delete
        do {
            pool = try DatabaseQueue()
            try Self.migrator.migrate(pool)
        } catch {
            throw LedgerError("cannot open an empty ledger in memory: \(error)")
        }
    }

    /// Opens a ledger that cannot be written (a read-only mount or folder): never migrated,
    /// and opened `immutable` so that SQLite needs neither locks nor a WAL index beside it.
    public init(readOnlyAt path: String) throws {
        self.path = path
        journal = .delete
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let uri =
                "file:" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path) + "?immutable=1"
            pool = try DatabaseQueue(path: uri, configuration: configuration)
            _ = try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM runs") }
        } catch {
            throw LedgerError("cannot read the ledger \(path): \(error)")
        }
    }

    /// Opens (and creates or migrates) the ledger; `journal` nil chooses by the filesystem.
    public init(path: String, journal: Journal? = nil) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // A process crash never loses a committed transaction in WAL mode with NORMAL;
            // only a power cut could, and then the objects are re-made.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            if (journal ?? Self.journal(directory: directory)) == .delete {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                try queue.writeWithoutTransaction { db in
                    _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
                    try db.execute(sql: "PRAGMA synchronous = FULL")
                }
                pool = queue
                self.journal = .delete
            } else {
                pool = try DatabasePool(path: path, configuration: configuration)
                self.journal = .wal
            }
            // A read first: migrating takes the write lock even when there is nothing to do.
            if try !pool.read(Self.migrator.hasCompletedMigrations) { try Self.migrator.migrate(pool) }
        } catch {
            throw LedgerError.explaining(error, doing: "cannot open the ledger", path: path)
        }
    }

    /// Every write goes through here, so a full disk reads as one.
    func write<T>(_ updates: (Database) throws -> T) throws -> T {
        do { return try pool.write(updates) } catch {
            throw LedgerError.explaining(error, doing: "cannot write the ledger", path: path)
        }
    }

    /// `delete` on filesystems shared between hosts; `WEIR_LEDGER_JOURNAL=wal|delete` decides instead.
    static func journal(directory: String) -> Journal {
        if let chosen = ProcessInfo.processInfo.environment["WEIR_LEDGER_JOURNAL"].flatMap({
            Journal(rawValue: $0.lowercased())
        }) {
            return chosen
        }
        return NetworkFilesystem.contains(directory) ? .delete : .wal
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE runs(
                      id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, pipeline_file TEXT NOT NULL,
                      started_at REAL NOT NULL, finished_at REAL, status TEXT NOT NULL, pid INTEGER NOT NULL,
                      command TEXT NOT NULL, ran INTEGER, cached INTEGER, failed INTEGER, skipped INTEGER);
                    CREATE INDEX runs_by_file ON runs(pipeline_file, started_at);
                    CREATE TABLE stage_runs(
                      run_id TEXT NOT NULL, stage TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,
                      reason TEXT, key TEXT, started_at REAL, finished_at REAL, seconds REAL,
                      outputs TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, notes TEXT,
                      PRIMARY KEY(run_id, stage));
                    CREATE TABLE cache_entries(
                      key TEXT PRIMARY KEY, type TEXT NOT NULL, material TEXT NOT NULL, created_at REAL NOT NULL);
                    CREATE TABLE cache_outputs(
                      key TEXT NOT NULL, port TEXT NOT NULL, digest TEXT NOT NULL, rows INTEGER NOT NULL,
                      schema TEXT NOT NULL, PRIMARY KEY(key, port));
                    CREATE INDEX cache_outputs_by_digest ON cache_outputs(digest);
                    CREATE TABLE stage_state(
                      pipeline_file TEXT NOT NULL, stage TEXT NOT NULL, key TEXT NOT NULL, material TEXT NOT NULL,
                      updated_at REAL NOT NULL, PRIMARY KEY(pipeline_file, stage));
                    CREATE TABLE file_stats(
                      path TEXT PRIMARY KEY, device INTEGER NOT NULL, inode INTEGER NOT NULL, size INTEGER NOT NULL,
                      mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL);
                    """)
        }
        // v2: the change time joins the stat a file's digest is remembered by (a write that
        // restores the mtime still moves the ctime), and loads record what they wrote.
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    ALTER TABLE file_stats ADD COLUMN ctime_ns INTEGER NOT NULL DEFAULT -1;
                    CREATE TABLE written_files(
                      key TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL, content TEXT,
                      PRIMARY KEY(key, path));
                    """)
        }
        scheduleMigration(&migrator)
        // v4: an entry keeps the notes its run made (rejects, quality warnings), so a cached
        // run still shows them.
        migrator.registerMigration("v4") { db in
            try db.execute(sql: "ALTER TABLE cache_entries ADD COLUMN notes TEXT")
        }
        partsMigration(&migrator)
        browseMigration(&migrator)
        return migrator
    }

    // MARK: Cache entries

    /// Outputs recorded for `key`, or nil when the key never completed.
    public func entry(_ key: String) throws -> CacheEntry? {
        try pool.read { db in try Self.entry(key, db) }
    }

    static func entry(_ key: String, _ db: Database) throws -> CacheEntry? {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT port, digest, rows, schema FROM cache_outputs WHERE key = ? ORDER BY port"),
            arguments: [key])
        if rows.isEmpty {
            // A stage with no outputs (a sink) still has an entry.
            guard
                try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM cache_entries WHERE key = ?"), arguments: [key])
                    != nil
            else { return nil }
            return CacheEntry(key: key, outputs: [], notes: try notes(key, db))
        }
        return CacheEntry(
            key: key,
            outputs: rows.map {
                CacheOutput(port: $0["port"], digest: $0["digest"], rows: $0["rows"], schemaJSON: $0["schema"])
            }, notes: try notes(key, db))
    }

    static func notes(_ key: String, _ db: Database) throws -> [String] {
        let text = try String.fetchOne(
            db.cachedStatement(sql: "SELECT notes FROM cache_entries WHERE key = ?"), arguments: [key])
        return text.map { $0.split(separator: "\n").map(String.init) } ?? []
    }

    /// The state of every stage of a pipeline as of its last successful run: key and material.
    public func stageStates(pipelineFile: String) throws -> [String: StageState] {
        try pool.read { db in
            var states: [String: StageState] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT stage, key, material FROM stage_state WHERE pipeline_file = ?",
                arguments: [pipelineFile])
            while let row = try rows.next() {
                states[row["stage"]] = StageState(key: row["key"], materialJSON: row["material"])
            }
            // Prefetch the entries of those keys in one query: in a cached run they are all hits.
            let outputs = try Row.fetchCursor(
                db,
                sql: """
                    SELECT o.key, o.port, o.digest, o.rows, o.schema FROM cache_outputs o
                    JOIN stage_state s ON s.key = o.key WHERE s.pipeline_file = ? ORDER BY o.key, o.port
                    """, arguments: [pipelineFile])
            var byKey: [String: [CacheOutput]] = [:]
            while let row = try outputs.next() {
                byKey[row["key"], default: []].append(
                    CacheOutput(port: row["port"], digest: row["digest"], rows: row["rows"], schemaJSON: row["schema"]))
            }
            var entries: [String: [String]] = [:]
            let entryRows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT e.key, e.notes FROM cache_entries e JOIN stage_state s ON s.key = e.key WHERE s.pipeline_file = ?
                    """, arguments: [pipelineFile])
            while let row = try entryRows.next() {
                entries[row["key"]] = (row["notes"] as String?).map { $0.split(separator: "\n").map(String.init) } ?? []
            }
            for (stage, state) in states {
                guard let notes = entries[state.key] else { continue }
                states[stage]?.entry = CacheEntry(key: state.key, outputs: byKey[state.key] ?? [], notes: notes)
            }
            return states
        }
    }

    /// Records a completed stage: its cache entry and outputs, and the pipeline's state.
    public func recordCompletion(
        pipelineFile: String, stage: String, material: KeyMaterial, key: String, outputs: [CacheOutput],
        written: [WrittenFile] = [], notes: [String] = []
    ) throws {
        let materialJSON = String(decoding: try JSONEncoder.sorted.encode(material), as: UTF8.self)
        let now = Date().timeIntervalSince1970
        try write { db in
            try Self.insertEntry(
                db, key: key, type: material.type, materialJSON: materialJSON, outputs: outputs, at: now)
            if !notes.isEmpty {
                try db.execute(
                    sql: "UPDATE cache_entries SET notes = ? WHERE key = ?",
                    arguments: [Secrets.redact(notes.joined(separator: "\n")), key])
            }
            try Self.recordWritten(db, key: key, written)
            try db.execute(
                sql:
                    "INSERT OR REPLACE INTO stage_state(pipeline_file, stage, key, material, updated_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [pipelineFile, stage, key, materialJSON, now])
        }
    }

    /// Records a cache entry found elsewhere (a remote cache), without touching any pipeline's state.
    public func recordEntry(key: String, material: KeyMaterial, outputs: [CacheOutput], written: [WrittenFile] = [])
        throws
    {
        let materialJSON = String(decoding: try JSONEncoder.sorted.encode(material), as: UTF8.self)
        try write { db in
            try Self.insertEntry(
                db, key: key, type: material.type, materialJSON: materialJSON, outputs: outputs,
                at: Date().timeIntervalSince1970)
            try Self.recordWritten(db, key: key, written)
        }
    }

    private static func insertEntry(
        _ db: Database, key: String, type: String, materialJSON: String, outputs: [CacheOutput], at time: Double
    ) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO cache_entries(key, type, material, created_at) VALUES (?, ?, ?, ?)",
            arguments: [key, type, materialJSON, time])
        try db.execute(sql: "DELETE FROM cache_outputs WHERE key = ?", arguments: [key])
        for output in outputs {
            try db.execute(
                sql: "INSERT INTO cache_outputs(key, port, digest, rows, schema) VALUES (?, ?, ?, ?, ?)",
                arguments: [key, output.port, output.digest, output.rows, output.schemaJSON])
        }
    }

    /// Every object digest some cache entry or kept source part references.
    public func referencedDigests() throws -> Set<String> {
        try pool.read { db in
            try String.fetchSet(db, sql: "SELECT digest FROM cache_outputs UNION SELECT digest FROM source_parts")
        }
    }

    /// Drops cache entries that are not the current state of any pipeline stage, and source
    /// parts no stage's latest read used; returns how many of each.
    public func pruneEntries() throws -> (entries: Int, parts: Int) {
        try write { db in
            try db.execute(sql: "DELETE FROM cache_outputs WHERE key NOT IN (SELECT key FROM stage_state)")
            try db.execute(sql: "DELETE FROM cache_entries WHERE key NOT IN (SELECT key FROM stage_state)")
            let entries = db.changesCount
            return (entries, try pruneParts(db))
        }
    }

    // MARK: File-stat cache

    public func fileStat(path: String) throws -> FileStat? {
        try pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT device, inode, size, mtime_ns, ctime_ns, sha256 FROM file_stats WHERE path = ?"),
                    arguments: [path])
            else { return nil }
            return Self.fileStat(row)
        }
    }

    private static func fileStat(_ row: Row) -> FileStat {
        FileStat(
            identity: FileIdentity(
                device: row["device"], inode: row["inode"], size: row["size"],
                mtimeNanoseconds: row["mtime_ns"], ctimeNanoseconds: row["ctime_ns"]),
            sha256: row["sha256"])
    }

    /// Every remembered file whose path starts with `prefix`, in one query.
    public func fileStats(prefix: String) throws -> [String: FileStat] {
        try pool.read { db in
            var found: [String: FileStat] = [:]
            // A range on the primary key: the prefix, up to the prefix with its last byte raised.
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT path, device, inode, size, mtime_ns, ctime_ns, sha256 FROM file_stats "
                    + "WHERE path >= ? AND path < ?", arguments: [prefix, prefix + "\u{10FFFF}"])
            while let row = try rows.next() {
                found[row["path"]] = Self.fileStat(row)
            }
            return found
        }
    }

    public func setFileStat(path: String, _ stat: FileStat) throws {
        try setFileStats([(path, stat)])
    }

    public func setFileStats(_ stats: [(path: String, stat: FileStat)]) throws {
        try write { db in
            let insert = try db.cachedStatement(
                sql:
                    "INSERT OR REPLACE INTO file_stats(path, device, inode, size, mtime_ns, ctime_ns, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)"
            )
            for (path, stat) in stats {
                let id = stat.identity
                try insert.execute(arguments: [
                    path, id.device, id.inode, id.size, id.mtimeNanoseconds, id.ctimeNanoseconds, stat.sha256,
                ])
            }
        }
    }

    // MARK: Files written by loads

    /// What the run that made entry `key` wrote outside the store.
    public func writtenFiles(key: String) throws -> [WrittenFile] {
        try pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT path, sha256, content FROM written_files WHERE key = ? ORDER BY path"),
                arguments: [key]
            ).map { WrittenFile(path: $0["path"], sha256: $0["sha256"], content: $0["content"]) }
        }
    }

    private static func recordWritten(_ db: Database, key: String, _ files: [WrittenFile]) throws {
        guard !files.isEmpty else { return }
        try db.execute(sql: "DELETE FROM written_files WHERE key = ?", arguments: [key])
        for file in files {
            try db.execute(
                sql: "INSERT INTO written_files(key, path, sha256, content) VALUES (?, ?, ?, ?)",
                arguments: [key, file.path, file.sha256, file.content])
        }
    }

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
            for r in records {
                try statement.execute(arguments: [
                    r.runID, r.stage, r.type, r.status.rawValue, r.reason.map(Secrets.redact), r.key, r.startedAt,
                    r.finishedAt, r.seconds, r.outputsJSON, r.error.map(Secrets.redact), r.attempts,
                    r.notes.isEmpty ? nil : Secrets.redact(r.notes.joined(separator: "\n")),
                ])
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

public struct LedgerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }

    /// SQLite says "database or disk is full" or "disk I/O error" where the cause is a full
    /// disk; say that, naming the file.
    static func explaining(_ error: any Error, doing what: String, path: String) -> LedgerError {
        if let error = error as? DatabaseError {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var info = statvfs()
            let full = statvfs(folder, &info) == 0 && info.f_bavail == 0
            if error.resultCode == .SQLITE_FULL || (error.resultCode == .SQLITE_IOERR && full) {
                return LedgerError("no space left on device writing \(path)")
            }
            if error.resultCode == .SQLITE_READONLY {
                return LedgerError("\(what) \(path): it is read-only")
            }
        }
        return LedgerError("\(what) \(path): \(error)")
    }
}

public struct CacheEntry: Sendable, Hashable {
    public var key: String
    public var outputs: [CacheOutput]
    /// What the run that made the entry noted (rejected rows, quality warnings).
    public var notes: [String] = []

    public init(key: String, outputs: [CacheOutput], notes: [String] = []) {
        self.key = key
        self.outputs = outputs
        self.notes = notes
    }

    public func output(_ port: String) -> CacheOutput? { outputs.first { $0.port == port } }
}

public struct CacheOutput: Sendable, Hashable, Codable {
    public var port: String
    public var digest: String
    public var rows: Int
    /// The port's schema as JSON (`[{"name":…,"type":…}]`).
    public var schemaJSON: String

    public init(port: String, digest: String, rows: Int, schemaJSON: String) {
        self.port = port
        self.digest = digest
        self.rows = rows
        self.schemaJSON = schemaJSON
    }

    public init(port: String, digest: String, rows: Int, schema: Schema) {
        self.init(port: port, digest: digest, rows: rows, schemaJSON: SchemaJSON.encode(schema))
    }

    public var schema: Schema? { SchemaJSON.decode(schemaJSON) }

    enum CodingKeys: String, CodingKey {
        case port, digest, rows
        case schemaJSON = "schema"
    }

    /// Ports, digests and row counts as JSON, as the ledger, `plan --json` and `history --json` give them.
    public static func json(_ outputs: [CacheOutput]) -> String {
        "["
            + outputs.map {
                "{\"digest\":\"\($0.digest)\",\"port\":\(CanonicalJSON.string($0.port)),\"rows\":\($0.rows)}"
            }.joined(separator: ",") + "]"
    }
}

public struct StageState: Sendable {
    public var key: String
    public var materialJSON: String
    public var entry: CacheEntry?

    public var material: KeyMaterial? { try? JSONDecoder().decode(KeyMaterial.self, from: Data(materialJSON.utf8)) }
}

/// A file's digest as of the stat it was taken at.
public struct FileStat: Sendable, Hashable {
    public var identity: FileIdentity
    public var sha256: String
}

/// A file a load wrote: its path, the SHA-256 of its bytes, and for a file that may hold other
/// things too (a SQLite database), a digest of the part the load wrote.
public struct WrittenFile: Sendable, Hashable, Codable {
    public var path: String
    public var sha256: String
    public var content: String?

    public init(path: String, sha256: String, content: String? = nil) {
        self.path = path
        self.sha256 = sha256
        self.content = content
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

extension JSONEncoder {
    /// Sorted keys, slashes as they are: one encoding per value, for cache keys and entries.
    public static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// Schemas in the ledger: `[{"name":"x","type":"int64"},…]`. Read by hand, because a fully
/// cached plan of a thousand stages reads a thousand of them and JSONDecoder costs more than
/// the rest of the lookup.
enum SchemaJSON {
    static func encode(_ schema: Schema) -> String {
        "["
            + schema.fields.map { "{\"name\":\(CanonicalJSON.string($0.name)),\"type\":\"\($0.type.rawValue)\"}" }
            .joined(separator: ",") + "]"
    }

    static func decode(_ text: String) -> Schema? {
        if let fast = parse(Array(text.utf8)) { return Schema(fast) }
        return (try? JSONDecoder().decode([Field].self, from: Data(text.utf8))).map { Schema($0) }
    }

    private static func parse(_ b: [UInt8]) -> [Field]? {
        var i = 0
        func expect(_ literal: String) -> Bool {
            for byte in literal.utf8 {
                guard i < b.count, b[i] == byte else { return false }
                i += 1
            }
            return true
        }
        func string() -> String? {
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            var bytes: [UInt8] = []
            while i < b.count {
                let c = b[i]
                i += 1
                if c == UInt8(ascii: "\"") { return String(decoding: bytes, as: UTF8.self) }
                if c != UInt8(ascii: "\\") {
                    bytes.append(c)
                    continue
                }
                guard i < b.count else { return nil }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
                case UInt8(ascii: "n"): bytes.append(10)
                case UInt8(ascii: "r"): bytes.append(13)
                case UInt8(ascii: "t"): bytes.append(9)
                default: return nil  // \u and the rest: leave to JSONDecoder
                }
            }
            return nil
        }
        var fields: [Field] = []
        guard expect("[") else { return nil }
        if expect("]") { return i == b.count ? [] : nil }
        repeat {
            guard expect("{\"name\":"), let name = string(), expect(",\"type\":"), let type = string(),
                let dataType = DataType(rawValue: type), expect("}")
            else { return nil }
            fields.append(Field(name, dataType))
        } while expect(",")
        return expect("]") && i == b.count ? fields : nil
    }
}
