import Foundation
import WeirSystem

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
    /// True when it waited for another run (whatever was read before may be out of date).
    @discardableResult
    public func acquire(pipeline: String, wait: Bool) throws -> Bool {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do { fd = try Syscall.open(path, O_RDWR | O_CREAT) } catch {
            throw LedgerError("cannot open lock file \(path): \(error)")
        }
        var locked: Bool
        var waited = false
        do {
            locked = try Syscall.lock(fd, wait: false)
            if !locked && wait { (locked, waited) = (try Syscall.lock(fd, wait: true), true) }
        } catch { throw LedgerError("cannot lock \(path): \(error)") }
        guard locked else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = (try? buffer.withUnsafeMutableBytes { try Syscall.read(fd, into: $0, at: 0) }) ?? 0
            let pid = String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            try? Syscall.close(fd)
            fd = -1
            throw Held(pipeline: pipeline, pid: pid.isEmpty ? "unknown" : pid, path: path)
        }
        // Who holds it, for the message another run prints; the lock stands without it.
        try? Syscall.truncate(fd, to: 0)
        try? Array("\(Syscall.processID)\n".utf8).withUnsafeBytes { try Syscall.write(fd, $0, at: 0) }
        return waited
    }

    public func release() {
        guard fd >= 0 else { return }
        try? Syscall.truncate(fd, to: 0)
        Syscall.unlock(fd)
        try? Syscall.close(fd)
        fd = -1
    }

    deinit { release() }
}
