import Foundation
import Crypto
#if canImport(Glibc)
import Glibc
#endif
import WeirTable

/// SHA-256 digests as lowercase hex, the form used in keys, the ledger and object names.
public enum ContentHash {
    public static func hex<D: Digest>(_ digest: D) -> String {
        var text = ""
        text.reserveCapacity(64)
        let hexDigits = Array("0123456789abcdef".utf8)
        for byte in digest {
            text.unicodeScalars.append(UnicodeScalar(hexDigits[Int(byte >> 4)]))
            text.unicodeScalars.append(UnicodeScalar(hexDigits[Int(byte & 15)]))
        }
        return text
    }

    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> String {
        hex(SHA256.hash(data: bytes))
    }

    public static func sha256(_ text: String) -> String {
        hex(SHA256.hash(data: Array(text.utf8)))
    }

    /// Reads the file in 1 MiB blocks; it is never loaded whole.
    public static func sha256(file path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TableError.io(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var hasher = SHA256()
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { block.deallocate() }
        while true {
            let n = read(fd, block.baseAddress, block.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw TableError.io(path: path, message: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: block[0..<n]))
        }
        return hex(hasher.finalize())
    }
}

/// Passes bytes on to `inner` and computes their SHA-256 as they go (see `BackgroundHasher`).
public struct BackgroundHashingSink<Inner: ByteSink>: ByteSink {
    public var inner: Inner
    private let hasher = BackgroundHasher()

    public init(_ inner: Inner) { self.inner = inner }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        try inner.write(bytes)
        hasher.update(bytes)
    }

    /// The SHA-256 of everything written. Call once, after the last write.
    public func digest() -> String { hasher.digest() }
}

/// SHA-256 on a thread of its own, so hashing a large object overlaps writing it instead of
/// following it. Bytes are copied into 4 MiB chunks that the hashing thread takes in order; at
/// most four are in flight. Less than one chunk never starts the thread.
public final class BackgroundHasher: @unchecked Sendable {
    private static var chunkSize: Int { 4 << 20 }
    private var hasher = SHA256()
    private var current: UnsafeMutableRawPointer
    private var filled = 0
    private let state = NSCondition()
    // Guarded by `state`.
    private var full: [(UnsafeMutableRawPointer, Int)] = []
    private var spare: [UnsafeMutableRawPointer] = []
    private var closed = false
    private var hashingDone = false
    private var chunks: [UnsafeMutableRawPointer] = []
    private var started = false

    public init() {
        current = UnsafeMutableRawPointer.allocate(byteCount: Self.chunkSize, alignment: 64)
        chunks = [current]
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let n = min(Self.chunkSize - filled, bytes.count - offset)
            (current + filled).copyMemory(from: bytes.baseAddress! + offset, byteCount: n)
            filled += n
            offset += n
            if filled == Self.chunkSize { handOver() }
        }
    }

    /// Gives the full chunk to the hashing thread and takes an empty one.
    private func handOver() {
        if !started {
            started = true
            for _ in 0..<3 {
                let chunk = UnsafeMutableRawPointer.allocate(byteCount: Self.chunkSize, alignment: 64)
                chunks.append(chunk)
                spare.append(chunk)
            }
            let thread = Thread { [self] in hashLoop() }
            thread.name = "weir-hash"
            thread.start()
        }
        state.lock()
        full.append((current, filled))
        state.signal()
        while spare.isEmpty { state.wait() }
        current = spare.removeLast()
        state.unlock()
        filled = 0
    }

    private func hashLoop() {
        while true {
            state.lock()
            while full.isEmpty && !closed { state.wait() }
            if full.isEmpty {
                hashingDone = true
                state.broadcast()
                state.unlock()
                return
            }
            let (chunk, count) = full.removeFirst()
            state.unlock()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: chunk, count: count))
            state.lock()
            spare.append(chunk)
            state.broadcast()
            state.unlock()
        }
    }

    /// The SHA-256 of everything written. Call once, after the last write.
    public func digest() -> String {
        if started {
            state.lock()
            if filled > 0 { full.append((current, filled)) }
            filled = 0
            closed = true
            state.broadcast()
            while !hashingDone { state.wait() }
            state.unlock()
        } else if filled > 0 {
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: current, count: filled))
            filled = 0
        }
        return ContentHash.hex(hasher.finalize())
    }
}
