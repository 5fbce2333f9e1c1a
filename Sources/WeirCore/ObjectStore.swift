import Foundation
import WeirSystem
import WeirTable

#if canImport(Glibc)
    import Glibc
#endif

/// Content-addressed Arrow files under `.weir/objects/ab/cdef….arrow`. An object is written to
/// a temporary file, fsynced and renamed into place, so a reader never sees half of one; once
/// renamed it is never modified (readers map it).
///
/// An object is used only while its bytes hash to its name. Checking that costs a `stat` for an
/// object whose identity (`FileIdentity`) is the one recorded when it was written or last
/// hashed; any other object is hashed in full. A corrupt object is moved aside to `corrupt/`,
/// so its entry stops being usable and the stage that made it runs again.
public struct ObjectStore: Sendable {
    public let root: String
    /// Where objects found whole are remembered by their stat; without it every check hashes.
    public let seals: StatCache?
    /// How `read` checks an object: by its stat, or by hashing it in full (`show`, `run-stage`).
    public var readCheck: ObjectCheck = .stat

    public init(root: String, seals: StatCache? = nil) {
        self.root = root
        self.seals = seals
    }

    var temporaryDirectory: String { root + "/tmp" }

    public func path(of digest: String) -> String {
        let split = digest.index(digest.startIndex, offsetBy: 2)
        return "\(root)/objects/\(digest[..<split])/\(digest[split...]).arrow"
    }

    /// Where a table stored in parts keeps its manifest (`PartsManifest`).
    public func manifestPath(of digest: String) -> String {
        let split = digest.index(digest.startIndex, offsetBy: 2)
        return "\(root)/objects/\(digest[..<split])/\(digest[split...]).parts"
    }

    /// The object's file: its Arrow file, or its manifest when it is a table stored in parts.
    public func file(of digest: String) -> String {
        let manifest = manifestPath(of: digest)
        return Syscall.exists(manifest) ? manifest : path(of: digest)
    }

    public func contains(_ digest: String) -> Bool {
        Syscall.exists(path(of: digest)) || Syscall.exists(manifestPath(of: digest))
    }

    /// Writes `table` and returns its digest (SHA-256 of the file's bytes).
    ///
    /// Hashing and writing run at once, each serialising the table on its own (the writer is
    /// deterministic, so both see the same bytes; only the small metadata is built twice), so
    /// neither waits for the other and no byte is copied for the hash. The file is fsynced only
    /// once the digest says it is new: a result already stored (a forced re-run, an early
    /// cutoff) is dropped before its dirty pages ever reach the disk.
    public func put(_ table: Table) throws -> String {
        let (digest, seal) = try store(table)
        if let seal, let seals { seals.remember(path: seal.path, identity: seal.identity, sha256: digest) }
        return digest
    }

    /// Writes many (small) tables at once, on all cores, and remembers them in one ledger
    /// transaction: a source's parts are hundreds of objects.
    public func put(_ tables: [Table]) throws -> [String] {
        let stored = try Parallel.map(tables.count) { i in Result { try store(tables[i]) } }.map { try $0.get() }
        seals?.remember(stored.compactMap { digest, seal in seal.map { ($0.path, $0.identity, digest) } })
        return stored.map(\.digest)
    }

    /// Writes `table` into the store; the new object's path and identity, to be remembered as
    /// whole, unless it was there already.
    private func store(_ table: Table) throws -> (digest: String, seal: (path: String, identity: FileIdentity)?) {
        let temporary = temporaryPath()
        let file = try FileSink(path: temporary, startsWriteback: false)
        let (hashed, written) = Parallel.both(
            {
                Result { () throws -> String in
                    var hashing = HashingSink()
                    try ArrowWriter().write(table, to: &hashing)
                    return hashing.digest()
                }
            },
            {
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
            Syscall.unlink(temporary)
            throw error
        }
        // An object already there is kept only when whole: a forced re-run replaces a corrupt one.
        if contains(digest), (try? verify(digest, .stat)) != nil {
            try? file.close()
            Syscall.unlink(temporary)
            return (digest, nil)
        }
        do {
            try file.close(sync: true)
        } catch {
            Syscall.unlink(temporary)
            throw error
        }
        let target = try moveIntoStore(temporary, digest: digest)
        return (digest, FileIdentity.of(target).map { (target, $0) })
    }

    /// A fresh temporary path inside the store, for an object being written or fetched. The pid
    /// in the name lets a later run tell a crashed writer's leftovers from a live one's.
    public func temporaryPath() -> String {
        try? FileManager.default.createDirectory(atPath: temporaryDirectory, withIntermediateDirectories: true)
        return "\(temporaryDirectory)/\(Syscall.processID)-\(UUID().uuidString).arrow"
    }

    /// Stores a manifest of parts already in the store; returns its digest.
    public func put(_ manifest: PartsManifest) throws -> String {
        let bytes = Array(manifest.text.utf8)
        let digest = bytes.withUnsafeBytes { ContentHash.sha256($0) }
        if Syscall.exists(manifestPath(of: digest)), (try? verify(digest, .stat)) != nil { return digest }
        let temporary = temporaryPath()
        let file = try FileSink(path: temporary, startsWriteback: false)
        do {
            try bytes.withUnsafeBytes { try file.write($0) }
            try file.flush()
            try file.close(sync: true)
        } catch {
            try? file.close()
            Syscall.unlink(temporary)
            throw error
        }
        let target = try moveIntoStore(temporary, digest: digest, to: manifestPath(of: digest))
        if let seals, let identity = FileIdentity.of(target) {
            seals.remember(path: target, identity: identity, sha256: digest)
        }
        return digest
    }

    /// The manifest of an object stored in parts; nil for an ordinary object.
    public func manifest(_ digest: String) throws -> PartsManifest? {
        let file = manifestPath(of: digest)
        guard Syscall.exists(file) else { return nil }
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ObjectStoreError.unreadable(digest: digest, path: file, reason: "\(error)")
        }
        guard let manifest = PartsManifest.parse(text) else {
            throw ObjectStoreError.unreadable(digest: digest, path: file, reason: "not a manifest of parts")
        }
        return manifest
    }

    /// Every object `digests` stand for: themselves and, for tables stored in parts, their parts.
    public func closure(_ digests: Set<String>) -> Set<String> {
        var all = digests
        for digest in digests { all.formUnion(((try? manifest(digest))?.parts ?? []).map(\.digest)) }
        return all
    }

    /// Moves a file fetched from elsewhere into the store once its bytes hash to `digest`,
    /// fsynced first like every object the store holds.
    public func adopt(_ file: String, digest: String) throws {
        let actual = try ContentHash.sha256(file: file)
        guard actual == digest else {
            Syscall.unlink(file)
            throw TableError.io(
                path: file, message: "fetched object should hash to \(digest) but hashes to \(actual); not stored")
        }
        do {
            let fd = try Syscall.open(file, O_RDONLY)
            defer { try? Syscall.close(fd) }
            try Syscall.sync(fd)
        } catch {
            Syscall.unlink(file)
            throw TableError.io(path: file, message: "cannot sync the fetched object to disk: \(error)")
        }
        let target = try moveIntoStore(
            file, digest: digest,
            to: PartsManifest.isManifest(Self.prefix(of: file)) ? manifestPath(of: digest) : path(of: digest))
        if let seals, let identity = FileIdentity.of(target) {
            seals.remember(path: target, identity: identity, sha256: digest)
        }
    }

    private static func prefix(of file: String) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: file) else { return [] }
        defer { try? handle.close() }
        return Array((try? handle.read(upToCount: 16)) ?? Data())
    }

    /// Renames a complete, synced file to the object path of `digest`; returns that path, whose
    /// identity after the rename is what later checks will see.
    private func moveIntoStore(_ file: String, digest: String, to target: String? = nil) throws -> String {
        let target = target ?? path(of: digest)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do { try Syscall.rename(file, to: target) } catch {
            Syscall.unlink(file)
            throw TableError.io(path: target, message: "cannot move object into the store: \(error)")
        }
        return target
    }

    /// The object's table, once `readCheck` found its bytes to be what its name says.
    public func read(_ digest: String) throws -> Table {
        try verify(digest, readCheck)
        guard let manifest = try manifest(digest) else { return try ArrowFile.read(path: path(of: digest)) }
        let table = try Table.concatenate(manifest.parts.map { try ArrowFile.read(path: path(of: $0.digest)) })
        guard table.schema.fields == manifest.schema.fields, table.rowCount == manifest.rows else {
            throw ObjectStoreError.unreadable(
                digest: digest, path: manifestPath(of: digest),
                reason:
                    "its parts hold \(table.rowCount) rows of \(table.schema), not \(manifest.rows) of \(manifest.schema)"
            )
        }
        return table
    }

    /// At least the first `rows` rows of the object's table (all of an ordinary object; of a
    /// table stored in parts, only the parts that hold them), for previews.
    public func read(_ digest: String, firstRows rows: Int) throws -> Table {
        guard let manifest = try manifest(digest) else { return try read(digest) }
        var needed = 0
        var covered = 0
        while needed < manifest.parts.count, covered < rows {
            covered += manifest.parts[needed].rows
            needed += 1
        }
        try verifyFile(manifestPath(of: digest), digest: digest, readCheck)
        return try Table.concatenate(
            manifest.parts.prefix(Swift.max(needed, 1)).map { part in
                try verifyFile(path(of: part.digest), digest: part.digest, readCheck)
                return try ArrowFile.read(path: path(of: part.digest))
            })
    }

    /// Throws unless the object is present and hashes to its name (a table stored in parts:
    /// its manifest and every part); a corrupt object is moved aside first (when the store is
    /// writable), so the error says where it went.
    /// Why the object `digest` cannot be used (missing, corrupt: `verify` by stat), or nil.
    public func problem(_ digest: String) -> String? {
        do { try verify(digest, .stat) } catch { return "\(error)" }
        return nil
    }

    public func verify(_ digest: String, _ check: ObjectCheck) throws {
        let manifestFile = manifestPath(of: digest)
        do {
            return try verifyFile(path(of: digest), digest: digest, check)
        } catch ObjectStoreError.missing where Syscall.exists(manifestFile) {}
        try verifyFile(manifestFile, digest: digest, check)
        for part in try manifest(digest)?.parts ?? [] {
            try verifyFile(path(of: part.digest), digest: part.digest, check)
        }
    }

    private func verifyFile(_ file: String, digest: String, _ check: ObjectCheck) throws {
        let actual: String
        do {
            if check == .stat, let seals {
                actual = try seals.digest(file: file)
            } else {
                actual = try ContentHash.sha256(file: file)
                if let seals, let identity = FileIdentity.of(file) {
                    seals.remember(path: file, identity: identity, sha256: actual)
                }
            }
        } catch {
            guard Syscall.exists(file) else { throw ObjectStoreError.missing(digest: digest, path: file) }
            throw ObjectStoreError.unreadable(digest: digest, path: file, reason: "\(error)")
        }
        guard actual == digest else {
            throw ObjectStoreError.corrupt(digest: digest, actual: actual, movedTo: quarantine(file, digest: digest))
        }
    }

    /// Moves a corrupt object to `corrupt/<digest>-<time>.arrow`, out of the way of a fresh
    /// copy and kept for a look; nil when it could not be moved (a read-only store).
    @discardableResult
    public func quarantine(_ digest: String) -> String? { quarantine(file(of: digest), digest: digest) }

    private func quarantine(_ file: String, digest: String) -> String? {
        let folder = root + "/corrupt"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let target = "\(folder)/\(digest)-\(Int(Date().timeIntervalSince1970)).\((file as NSString).pathExtension)"
        return (try? Syscall.rename(file, to: target)) != nil ? target : nil
    }

    /// Removes temporary files left by processes that are no longer alive.
    public func removeOrphanTemporaries() -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporaryDirectory) else { return 0 }
        var removed = 0
        for name in names {
            // PID-... files of interrupted writes; sql-PID[-STAGE] folders a killed query spilled into.
            let spill = name.hasPrefix("sql-")
            guard let pid = Int32((spill ? name.dropFirst(4) : Substring(name)).prefix { $0 != "-" }) else { continue }
            if !Syscall.isAlive(pid) {
                if spill
                    ? (try? FileManager.default.removeItem(atPath: temporaryDirectory + "/" + name)) != nil
                    : Syscall.unlink(temporaryDirectory + "/" + name)
                {
                    removed += 1
                }
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
            for name in (try? FileManager.default.contentsOfDirectory(atPath: objects + "/" + prefix)) ?? []
            where name.hasSuffix(".arrow") || name.hasSuffix(".parts") {
                let size = Syscall.status(path: "\(objects)/\(prefix)/\(name)").map { Int($0.st_size) } ?? 0
                result.append((prefix + name.dropLast(6), size))
            }
        }
        return result
    }

    public func remove(_ digest: String) {
        Syscall.unlink(path(of: digest))
        Syscall.unlink(manifestPath(of: digest))
    }
}

/// How an object's bytes are checked against its name.
public enum ObjectCheck: Sendable {
    /// By its stat when the store has seen it whole with that stat, else by hashing it.
    case stat
    /// By hashing every byte.
    case full
}

public enum ObjectStoreError: Error, Sendable, CustomStringConvertible {
    case missing(digest: String, path: String)
    case unreadable(digest: String, path: String, reason: String)
    case corrupt(digest: String, actual: String, movedTo: String?)

    public var description: String {
        switch self {
        case .missing(let digest, let path):
            return
                "object \(digest.prefix(12)) is missing from the store (\(path)); the stage that made it runs again on the next run"
        case .unreadable(_, let path, let reason):
            return "cannot read object \(path): \(reason)"
        case .corrupt(let digest, let actual, let movedTo):
            let place = movedTo.map { "moved aside to \($0)" } ?? "left in place (the store is read-only)"
            return
                "object \(digest.prefix(12)) is corrupt: its bytes hash to \(actual.prefix(12)), not to its name; \(place); "
                + "the stage that made it runs again on the next run"
        }
    }
}
