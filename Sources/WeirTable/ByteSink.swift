import CWeirSystem

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
        fd = open(path, O_WRONLY | O_CREAT | (truncating ? O_TRUNC : 0) | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw TableError.io(path: path, message: "cannot create file: \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(bufferLimit)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

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
        guard lseek(fd, off_t(count), SEEK_CUR) >= 0 else {
            throw TableError.io(path: path, message: "seek failed: \(String(cString: strerror(errno)))")
        }
        written += count
        writebackStarted = written
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        defer {
            written += bytes.count
            if startsWriteback && written - writebackStarted >= Self.writebackStep {
                _ = weir_start_writeback(fd, writebackStarted, written - writebackStarted)
                writebackStarted = written
            }
        }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw TableError.writing(path, "write failed")
            }
            done += n
        }
    }

    /// Flushes, optionally fsyncs, and closes the file.
    public func close(sync: Bool = false) throws {
        try flush()
        if sync && fsync(fd) != 0 {
            throw TableError.writing(path, "fsync failed")
        }
        if Glibc.close(fd) != 0 {
            fd = -1
            throw TableError.io(path: path, message: "close failed: \(String(cString: strerror(errno)))")
        }
        fd = -1
    }
}
