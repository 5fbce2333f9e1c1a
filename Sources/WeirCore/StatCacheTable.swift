import Foundation
import GRDB
import WeirTable

/// The file-stat cache: what a file held when it had this size, mtime and inode.
extension Ledger {
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
            // Columns by position: a cached 1,000-stage run reads a thousand rows here.
            while let row = try rows.next() {
                found[row[0]] = FileStat(
                    identity: FileIdentity(
                        device: row[1], inode: row[2], size: row[3], mtimeNanoseconds: row[4], ctimeNanoseconds: row[5]),
                    sha256: row[6])
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
}
