import Foundation
import GRDB
import WeirSystem
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
    /// and opened `immutable` so that SQLite needs neither locks nor a WAL index beside it —
    /// unless a WAL with changes lies beside it (copied before its last writer closed it), which
    /// `immutable` would ignore: then read-only with the WAL, or an error saying why not.
    public init(readOnlyAt path: String) throws {
        self.path = path
        journal = .delete
        var configuration = Configuration()
        configuration.readonly = true
        let pending = (Syscall.status(path: path + "-wal")?.st_size ?? 0) > 0
        do {
            let uri =
                "file:" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path)
                + (pending ? "?mode=ro" : "?immutable=1")
            pool = try DatabaseQueue(path: uri, configuration: configuration)
            _ = try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM runs") }
        } catch  where pending {
            throw LedgerError(
                "cannot read the ledger \(path): changes not yet merged into it wait in \(path)-wal, and SQLite "
                    + "cannot read them here (\(error)); open the state directory once where it can be written "
                    + "(any weir command merges them), then copy it again")
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

}

public struct LedgerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }

    /// SQLite says "database or disk is full" or "disk I/O error" where the cause is a full
    /// disk; say that, naming the file.
    static func explaining(_ error: any Error, doing what: String, path: String) -> LedgerError {
        if let error = error as? DatabaseError {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            let full = Syscall.isFull(folder)
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
