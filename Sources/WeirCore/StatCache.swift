import Synchronization
import WeirSystem
import WeirTable

#if canImport(Glibc)
    import Glibc
#endif

/// What `stat` says of a file that a write would change: a file whose identity is the one
/// its digest was taken at still holds those bytes. The change time is in it because a write
/// that restores the modification time (`touch -r`, `cp -p`) cannot restore that.
public struct FileIdentity: Sendable, Hashable {
    public var device: Int64
    public var inode: Int64
    public var size: Int64
    public var mtimeNanoseconds: Int64
    public var ctimeNanoseconds: Int64

    public init(device: Int64, inode: Int64, size: Int64, mtimeNanoseconds: Int64, ctimeNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.ctimeNanoseconds = ctimeNanoseconds
    }

    /// The identity of the file at `path`; nil when there is none.
    public static func of(_ path: String) -> FileIdentity? { try? read(path) }

    /// The identity of the file at `path`, or why it cannot be read.
    public static func read(_ path: String) throws(SystemError) -> FileIdentity {
        let info = try Syscall.status(at: path)
        return FileIdentity(
            device: Int64(info.st_dev), inode: Int64(info.st_ino), size: Int64(info.st_size),
            mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            ctimeNanoseconds: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec))
    }
}

/// File digests remembered by their `FileIdentity` in the ledger, so an unchanged file is
/// never read again and a `touch` without a content change costs one hash, not a re-run.
public struct StatCache: FileDigester {
    public let ledger: Ledger
    /// The remembered stats of one folder (the object store), read in one query.
    let index: FileStatIndex?

    /// `indexing` names a folder whose files are looked up often (every cached output of a
    /// plan): their stats are read from the ledger at once, the first time one is asked for.
    public init(ledger: Ledger, indexing folder: String? = nil) {
        self.ledger = ledger
        index = folder.map { FileStatIndex(prefix: $0.hasSuffix("/") ? $0 : $0 + "/", ledger: ledger) }
    }

    public func digest(file path: String) throws -> String {
        let current: FileIdentity
        do { current = try FileIdentity.read(path) } catch { throw StageError("cannot read '\(path)': \(error)") }
        if let known = known(path), known.identity == current { return known.sha256 }
        let sha = try ContentHash.sha256(file: path)
        remember(path: path, identity: current, sha256: sha)
        return sha
    }

    private func known(_ path: String) -> FileStat? {
        if let index, path.hasPrefix(index.prefix) { return index.lookup(path) }
        return try? ledger.fileStat(path: path)
    }

    /// Records a digest the caller knows (it wrote the file). Best effort: a read-only ledger
    /// only means the file is hashed again next time.
    public func remember(path: String, identity: FileIdentity, sha256: String) {
        remember([(path, identity, sha256)])
    }

    /// Records many digests in one ledger transaction.
    public func remember(_ files: [(path: String, identity: FileIdentity, sha256: String)]) {
        guard !files.isEmpty else { return }
        let stats = files.map { (path: $0.path, stat: FileStat(identity: $0.identity, sha256: $0.sha256)) }
        if let index {
            for (path, stat) in stats where path.hasPrefix(index.prefix) { index.update(path, stat) }
        }
        try? ledger.setFileStats(stats)
    }
}

/// The ledger's file stats under one folder, loaded in one query when first asked for:
/// checking a thousand cached objects then costs a thousand `stat`s and one query.
final class FileStatIndex: Sendable {
    let prefix: String
    private let ledger: Ledger
    private let rows = Mutex<[String: FileStat]?>(nil)

    init(prefix: String, ledger: Ledger) {
        self.prefix = prefix
        self.ledger = ledger
    }

    func lookup(_ path: String) -> FileStat? {
        rows.withLock { rows in
            if rows == nil { rows = (try? ledger.fileStats(prefix: prefix)) ?? [:] }
            return rows?[path]
        }
    }

    func update(_ path: String, _ stat: FileStat) {
        rows.withLock { rows in rows?[path] = stat }
    }
}
