/// A string column whose size is known before it is written, filled by several threads at once.
///
/// Building a large text column value by value and then joining per-thread parts copies every
/// byte twice; here each thread owns a range of rows and the bytes they take, and writes them in
/// place. The caller computes the ranges (a prefix sum of the values' lengths) and must give
/// every row exactly the bytes it announced; `finish` checks that the ranges were filled.
public final class StringColumnFill: @unchecked Sendable {
    public let rows: Int
    public let bytes: Int
    private let offsets: UnsafeMutablePointer<Int32>
    private let data: UnsafeMutableRawPointer
    /// Own the memory from the start, so it is freed even if the fill is abandoned.
    private let offsetsBuffer: ByteBuffer
    private let dataBuffer: ByteBuffer

    public init(rows: Int, bytes: Int) throws {
        guard bytes <= Int(Int32.max) else {
            throw TableError.invalid("string column of \(bytes) bytes exceeds the 2 GiB a column can hold")
        }
        self.rows = rows
        self.bytes = bytes
        let offsetMemory = GrowableBuffer.allocate((rows + 1) * 4)
        let dataMemory = GrowableBuffer.allocate(max(bytes, 1))
        offsetsBuffer = ByteBuffer(base: offsetMemory, count: (rows + 1) * 4, owner: .heap(offsetMemory))
        dataBuffer = ByteBuffer(base: dataMemory, count: bytes, owner: .heap(dataMemory))
        offsets = offsetMemory.bindMemory(to: Int32.self, capacity: rows + 1)
        data = dataMemory
        offsets[0] = 0
    }

    /// A writer for rows `firstRow...` whose bytes start at `firstByte`.
    public func writer(firstRow: Int, firstByte: Int) -> Writer {
        Writer(offsets: offsets, data: data, row: firstRow, cursor: firstByte, limit: bytes)
    }

    /// Writes values one after another; a value may be written in several parts.
    public struct Writer: @unchecked Sendable {
        let offsets: UnsafeMutablePointer<Int32>
        let data: UnsafeMutableRawPointer
        var row: Int
        var cursor: Int
        let limit: Int

        public mutating func write(_ part: UnsafeRawBufferPointer) {
            precondition(cursor + part.count <= limit, "string column fill past its announced size")
            if let base = part.baseAddress, part.count > 0 {
                (data + cursor).copyMemory(from: base, byteCount: part.count)
            }
            cursor += part.count
        }

        public mutating func write(byte: UInt8) {
            precondition(cursor < limit, "string column fill past its announced size")
            data.storeBytes(of: byte, toByteOffset: cursor, as: UInt8.self)
            cursor += 1
        }

        /// Ends the current value.
        public mutating func endValue() {
            offsets[row + 1] = Int32(cursor)
            row += 1
        }
    }

    public func finish() -> Column {
        precondition(
            rows == 0 || Int(offsets[rows]) == bytes, "string column fill ended at \(offsets[rows]) of \(bytes) bytes")
        return Column(
            type: .string, count: rows, validity: nil, data: bytes == 0 ? ByteBuffer.empty : dataBuffer,
            offsets: offsetsBuffer)
    }
}
