#if canImport(Glibc)
import Glibc
#endif
import WeirTable

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

    /// The identity of the file at `path`; nil when there is none (errno says why).
    public static func of(_ path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(device: Int64(info.st_dev), inode: Int64(info.st_ino), size: Int64(info.st_size),
                            mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                            ctimeNanoseconds: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec))
    }
}

/// File digests remembered by their `FileIdentity` in the ledger, so an unchanged file is
/// never read again and a `touch` without a content change costs one hash, not a re-run.
public struct StatCache: FileDigester {
    public let ledger: Ledger

    public init(ledger: Ledger) { self.ledger = ledger }

    public func digest(file path: String) throws -> String {
        guard let current = FileIdentity.of(path) else {
            throw StageError("cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        if let known = try? ledger.fileStat(path: path), known.identity == current { return known.sha256 }
        let sha = try ContentHash.sha256(file: path)
        remember(path: path, identity: current, sha256: sha)
        return sha
    }

    /// Records a digest the caller knows (it wrote the file). Best effort: a read-only ledger
    /// only means the file is hashed again next time.
    public func remember(path: String, identity: FileIdentity, sha256: String) {
        try? ledger.setFileStat(path: path, FileStat(identity: identity, sha256: sha256))
    }
}
