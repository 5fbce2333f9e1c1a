import CWeirSystem
import WeirSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where writers put bytes: a file, memory, or a wrapper that also hashes what passes.
public protocol ByteSink {
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension ByteSink {
    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in try write(raw) }
    }

    public mutating func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { utf8 in try write(UnsafeRawBufferPointer(utf8)) }
    }
}

/// Collects bytes in memory.
public struct MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public mutating func write(_ chunk: UnsafeRawBufferPointer) throws {
        bytes.append(contentsOf: chunk)
    }
}

/// A file opened for writing with a user-space buffer, so many small writes cost few syscalls.
/// Unless told otherwise, every 8 MiB written, the kernel is asked to start writing that range
/// to disk, so a final fsync waits for the last few megabytes rather than for the whole file.
public final class FileSink: ByteSink {
    public let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 20
    private var written = 0
    private var writebackStarted = 0
    private static let writebackStep = 8 << 20
    private let startsWriteback: Bool

    /// Creates (or truncates) `path`. `startsWriteback: false` leaves the bytes in the page
    /// cache until `close(sync:)` or the kernel decides, for a file that may be deleted unread.
    /// `truncating: false` writes over an existing file from its start, keeping what `skip`
    /// passes over.
    public init(path: String, startsWriteback: Bool = true, truncating: Bool = true) throws {
        self.path = path
        self.startsWriteback = startsWriteback
        do { fd = try Syscall.open(path, O_WRONLY | O_CREAT | (truncating ? O_TRUNC : 0)) } catch {
            throw TableError.io(path: path, message: "cannot create file: \(error)")
        }
        buffer.reserveCapacity(bufferLimit)
    }

    deinit { if fd >= 0 { try? Syscall.close(fd) } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > bufferLimit { try flush() }
        if bytes.count >= bufferLimit {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        try pending.withUnsafeBytes { raw in try writeAll(raw) }
    }

    /// Moves past `count` bytes of the file, leaving them as they are.
    public func skip(_ count: Int) throws {
        try flush()
        do { try Syscall.skip(fd, count) } catch { throw TableError.io(path: path, message: "seek failed: \(error)") }
        written += count
        writebackStarted = written
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        defer {
            written += bytes.count
            if startsWriteback && written - writebackStarted >= Self.writebackStep {
                Syscall.startWriteback(fd, offset: writebackStarted, count: written - writebackStarted)
                writebackStarted = written
            }
        }
        do { try Syscall.write(fd, bytes) } catch { throw TableError.writing(path, "write failed", error) }
    }

    /// Flushes, optionally fsyncs, and closes the file.
    public func close(sync: Bool = false) throws {
        try flush()
        if sync {
            do { try Syscall.sync(fd) } catch { throw TableError.writing(path, "fsync failed", error) }
        }
        defer { fd = -1 }
        do { try Syscall.close(fd) } catch { throw TableError.io(path: path, message: "close failed: \(error)") }
    }
}
