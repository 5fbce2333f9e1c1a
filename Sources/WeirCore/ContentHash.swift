import Crypto
import Foundation
import WeirSystem
import WeirTable

#if canImport(Glibc)
    import Glibc
#endif

/// SHA-256 digests as lowercase hex, the form used in keys, the ledger and object names.
public enum ContentHash {
    public static func hex<D: Digest>(_ digest: D) -> String {
        // One pass into the string's own storage: appending scalars one by one cost a tenth of
        // planning a cached 1,000-stage run.
        digest.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                for (i, byte) in bytes.enumerated() {
                    out[2 * i] = hexDigit(byte >> 4)
                    out[2 * i + 1] = hexDigit(byte & 15)
                }
                return bytes.count * 2
            }
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 48 + nibble : 87 + nibble
    }

    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> String {
        hex(SHA256.hash(data: bytes))
    }

    public static func sha256(_ text: String) -> String {
        hex(SHA256.hash(data: Array(text.utf8)))
    }

    /// The SHA-256 of a sequence of texts, each prefixed by its length so that no two different
    /// sequences hash alike, without joining them into one string first.
    public struct Fields {
        /// The length-prefixed fields, hashed in one pass at the end: thousands of small
        /// updates cost more than the bytes (a 1,000-stage report digest adds 7,000 fields).
        private var bytes: [UInt8] = []
        public init() {}

        public mutating func add(_ text: String) {
            var text = text
            bytes.append(contentsOf: String(text.utf8.count).utf8)
            bytes.append(UInt8(ascii: ":"))
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }

        public var hex: String { bytes.withUnsafeBytes { ContentHash.sha256($0) } }
    }

    /// Reads the file in 1 MiB blocks; it is never loaded whole.
    public static func sha256(file path: String) throws -> String {
        let fd: Int32
        do { fd = try Syscall.open(path, O_RDONLY) } catch {
            throw TableError.io(path: path, message: "cannot open: \(error)")
        }
        defer { try? Syscall.close(fd) }
        var hasher = SHA256()
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { block.deallocate() }
        while true {
            let n: Int
            do { n = try Syscall.read(fd, into: block) } catch {
                throw TableError.io(path: path, message: "read failed: \(error)")
            }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: block[0..<n]))
        }
        return hex(hasher.finalize())
    }
}

/// Computes the SHA-256 of what is written to it, straight from the caller's memory.
public struct HashingSink: ByteSink {
    private var hasher = SHA256()

    public init() {}

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: bytes)
    }

    /// The SHA-256 of everything written, as lowercase hex.
    public func digest() -> String { ContentHash.hex(hasher.finalize()) }
}

/// Writes a file and hashes what it writes in one pass, so whoever wrote a file knows its
/// digest without reading it back.
public struct HashingFileSink: ByteSink {
    private let file: FileSink
    private var hashing = HashingSink()

    public init(path: String) throws { file = try FileSink(path: path) }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        try file.write(bytes)
        try hashing.write(bytes)
    }

    /// Flushes and fsyncs the file; returns the SHA-256 of everything written.
    public func close() throws -> String {
        try file.close(sync: true)
        return hashing.digest()
    }
}
