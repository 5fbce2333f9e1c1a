#if canImport(Glibc)
import Glibc
#endif
import WeirTable

/// File digests remembered by (device, inode, size, mtime) in the ledger, so an unchanged file
/// is never read again and a `touch` without a content change costs one hash, not a re-run.
public struct StatCache: FileDigester {
    public let ledger: Ledger

    public init(ledger: Ledger) { self.ledger = ledger }

    public func digest(file path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw StageError("cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let current = (device: Int64(info.st_dev), inode: Int64(info.st_ino), size: Int64(info.st_size), mtime: mtime)
        if let known = try ledger.fileStat(path: path), known.device == current.device, known.inode == current.inode,
           known.size == current.size, known.mtimeNanoseconds == current.mtime {
            return known.sha256
        }
        let sha = try ContentHash.sha256(file: path)
        try ledger.setFileStat(path: path, FileStat(device: current.device, inode: current.inode, size: current.size,
                                                    mtimeNanoseconds: current.mtime, sha256: sha))
        return sha
    }
}
