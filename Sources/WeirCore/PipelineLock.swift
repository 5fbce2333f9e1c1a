import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One run of a pipeline per state directory: an exclusive `flock` on a file under
/// `.weir/locks/`, which holds the owner's pid for the message a second run prints. The
/// kernel drops the lock when the process dies, even by `kill -9`.
public final class PipelineLock {
    public let path: String
    private var fd: Int32 = -1

    public struct Held: Error, CustomStringConvertible {
        public var pipeline: String
        public var pid: String
        public var path: String
        public var description: String {
            "pipeline '\(pipeline)' is already running (pid \(pid), lock \(path)); wait for it with --wait, or stop that run"
        }
    }

    public init(stateDirectory: String, pipelineName: String, pipelineFile: String) {
        let safe = String(pipelineName.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        path = "\(stateDirectory)/locks/\(safe)-\(ContentHash.sha256(pipelineFile).prefix(12)).lock"
    }

    /// Takes the lock; with `wait`, blocks until the holder finishes, else throws `Held`.
    public func acquire(pipeline: String, wait: Bool) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LedgerError("cannot open lock file \(path): \(String(cString: strerror(errno)))") }
        while flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK {
                var buffer = [UInt8](repeating: 0, count: 32)
                let n = pread(fd, &buffer, buffer.count, 0)
                let pid =
                    n > 0
                    ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    : "unknown"
                Glibc.close(fd)
                fd = -1
                throw Held(pipeline: pipeline, pid: pid.isEmpty ? "unknown" : pid, path: path)
            }
            throw LedgerError("cannot lock \(path): \(String(cString: strerror(errno)))")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    public func release() {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        Glibc.close(fd)
        fd = -1
    }

    deinit { release() }
}
