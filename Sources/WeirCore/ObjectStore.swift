import Foundation
#if canImport(Glibc)
import Glibc
#endif
import WeirTable

/// Content-addressed Arrow files under `.weir/objects/ab/cdef….arrow`. An object is written to
/// a temporary file, fsynced and renamed into place, so a reader never sees half of one; once
/// renamed it is never modified (readers map it).
public struct ObjectStore: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    var temporaryDirectory: String { root + "/tmp" }

    public func path(of digest: String) -> String {
        let split = digest.index(digest.startIndex, offsetBy: 2)
        return "\(root)/objects/\(digest[..<split])/\(digest[split...]).arrow"
    }

    public func contains(_ digest: String) -> Bool { access(path(of: digest), F_OK) == 0 }

    /// Writes `table` and returns its digest (SHA-256 of the file's bytes).
    ///
    /// Hashing and writing run at once, each serialising the table on its own (the writer is
    /// deterministic, so both see the same bytes; only the small metadata is built twice), so
    /// neither waits for the other and no byte is copied for the hash. The file is fsynced only
    /// once the digest says it is new: a result already stored (a forced re-run, an early
    /// cutoff) is dropped before its dirty pages ever reach the disk.
    public func put(_ table: Table) throws -> String {
        let temporary = temporaryPath()
        let file = try FileSink(path: temporary, startsWriteback: false)
        let (hashed, written) = Parallel.both({
            Result { () throws -> String in
                var hashing = HashingSink()
                try ArrowWriter().write(table, to: &hashing)
                return hashing.digest()
            }
        }, {
            Result { () throws in
                var sink = file
                try ArrowWriter().write(table, to: &sink)
                try sink.flush()
            }
        })
        let digest: String
        do {
            try written.get()
            digest = try hashed.get()
        } catch {
            try? file.close()
            unlink(temporary)
            throw error
        }
        if contains(digest) {
            try? file.close()
            unlink(temporary)
            return digest
        }
        do {
            try file.close(sync: true)
        } catch {
            unlink(temporary)
            throw error
        }
        try moveIntoStore(temporary, digest: digest)
        return digest
    }

    /// A fresh temporary path inside the store, for an object being written or fetched. The pid
    /// in the name lets a later run tell a crashed writer's leftovers from a live one's.
    public func temporaryPath() -> String {
        try? FileManager.default.createDirectory(atPath: temporaryDirectory, withIntermediateDirectories: true)
        return "\(temporaryDirectory)/\(getpid())-\(UUID().uuidString).arrow"
    }

    /// Moves a file fetched from elsewhere into the store once its bytes hash to `digest`,
    /// fsynced first like every object the store holds.
    public func adopt(_ file: String, digest: String) throws {
        let actual = try ContentHash.sha256(file: file)
        guard actual == digest else {
            unlink(file)
            throw TableError.io(path: file, message: "fetched object should hash to \(digest) but hashes to \(actual); not stored")
        }
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        let synced = fd >= 0 && fsync(fd) == 0
        let reason = String(cString: strerror(errno))
        if fd >= 0 { close(fd) }
        guard synced else {
            unlink(file)
            throw TableError.io(path: file, message: "cannot sync the fetched object to disk: \(reason)")
        }
        try moveIntoStore(file, digest: digest)
    }

    /// Renames a complete, synced file to the object path of `digest`.
    private func moveIntoStore(_ file: String, digest: String) throws {
        let target = path(of: digest)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard rename(file, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(file)
            throw TableError.io(path: target, message: "cannot move object into the store: \(reason)")
        }
    }

    public func read(_ digest: String) throws -> Table {
        try ArrowFile.read(path: path(of: digest))
    }

    /// Removes temporary files left by processes that are no longer alive.
    public func removeOrphanTemporaries() -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporaryDirectory) else { return 0 }
        var removed = 0
        for name in names {
            guard let pid = Int32(name.prefix { $0 != "-" }) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                if unlink(temporaryDirectory + "/" + name) == 0 { removed += 1 }
            }
        }
        return removed
    }

    /// Every stored object: digest and size in bytes.
    public func allObjects() -> [(digest: String, bytes: Int)] {
        let objects = root + "/objects"
        guard let prefixes = try? FileManager.default.contentsOfDirectory(atPath: objects) else { return [] }
        var result: [(String, Int)] = []
        for prefix in prefixes where prefix.count == 2 {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: objects + "/" + prefix)) ?? [] where name.hasSuffix(".arrow") {
                var info = stat()
                let full = "\(objects)/\(prefix)/\(name)"
                let size = stat(full, &info) == 0 ? Int(info.st_size) : 0
                result.append((prefix + name.dropLast(6), size))
            }
        }
        return result
    }

    public func remove(_ digest: String) { unlink(path(of: digest)) }
}
