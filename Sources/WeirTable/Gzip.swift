import CWeirSystem

/// gzip decompression through the system zlib. Concatenated gzip members (as `cat a.gz b.gz`
/// makes) are read one after another, as gunzip does.
public enum Gzip {
    public static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    public static func decompress(_ input: UnsafeRawBufferPointer, path: String) throws -> ByteBuffer {
        var output = GrowableBuffer(capacity: max(input.count * 4, 1 << 16))
        var stream = z_stream()
        // 15 + 32: any window size, gzip or zlib header detected automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TableError.io(path: path, message: "cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        var consumed = 0
        while consumed < input.count {
            stream.next_in = UnsafeMutablePointer(
                mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self) + consumed)
            let available = min(input.count - consumed, Int(UInt32.max))
            stream.avail_in = UInt32(available)
            var status: Int32 = Z_OK
            repeat {
                output.reserve(1 << 20)
                let room = output.capacity - output.count
                stream.next_out = output.pointer.assumingMemoryBound(to: UInt8.self) + output.count
                stream.avail_out = UInt32(min(room, Int(UInt32.max)))
                status = inflate(&stream, Z_NO_FLUSH)
                let produced = min(room, Int(UInt32.max)) - Int(stream.avail_out)
                output.appendUninitialized(produced)
                if status == Z_STREAM_END { break }
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw TableError.io(path: path, message: "not valid gzip data: \(reason)")
                }
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    throw TableError.io(path: path, message: "gzip data is truncated (the file ends mid-stream)")
                }
            } while stream.avail_in > 0 || stream.avail_out == 0
            consumed += available - Int(stream.avail_in)
            if status == Z_STREAM_END {
                // Another member may follow; skip zero padding some tools append.
                while consumed < input.count && input[consumed] == 0 { consumed += 1 }
                if consumed < input.count { inflateReset(&stream) }
            } else if consumed >= input.count {
                throw TableError.io(path: path, message: "gzip data is truncated (the file ends mid-stream)")
            }
        }
        return ByteBuffer(output.finish())
    }
}
