import Foundation
import WeirSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Reads Arrow IPC files by mapping them: columns of Weir's own types point into the mapping
/// and are not copied. Other integer and float widths, other timestamp and date units, large
/// strings and dictionary-encoded strings (as pyarrow, pandas and polars write them) are
/// converted to Weir's types. Anything else — compression, nested or decimal types — is refused
/// with an error naming the file, the field and the type.
public struct ArrowFile: Sendable {
    public let path: String
    public let schema: Schema
    public var batchCount: Int { batches.count }

    private let file: MappedFile
    private let fields: [FieldLayout]
    private let batches: [Block]
    private let dictionaries: [Int64: Column]

    /// Reads a whole file into one table. One record batch is returned without copying;
    /// several are concatenated.
    public static func read(path: String) throws -> Table {
        try ArrowFile(path: path).readAll()
    }

    /// Whether the file begins with the Arrow IPC file magic `ARROW1`.
    public static func startsWithMagic(path: String) throws -> Bool {
        let fd: Int32
        do { fd = try Syscall.open(path, O_RDONLY) } catch {
            throw TableError.io(path: path, message: "cannot open: \(error)")
        }
        defer { try? Syscall.close(fd) }
        var head = [UInt8](repeating: 0, count: ArrowFormat.magic.count)
        let n = (try? head.withUnsafeMutableBytes { try Syscall.read(fd, into: $0, at: 0) }) ?? 0
        return n == head.count && head == ArrowFormat.magic
    }

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        let magic = ArrowFormat.magic
        guard bytes.count >= 8 + 10, Array(bytes[0..<6]) == magic, Array(bytes[(bytes.count - 6)...]) == magic else {
            throw TableError.arrow(
                path: path, field: nil, message: "not an Arrow IPC file (no ARROW1 magic at start and end)")
        }
        let footerLength = Int(
            Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: bytes.count - 10, as: Int32.self)))
        let footerStart = bytes.count - 10 - footerLength
        guard footerLength > 0, footerStart >= 8 else {
            throw TableError.arrow(path: path, field: nil, message: "corrupt footer length \(footerLength)")
        }
        do {
            let footer = try FlatBufferReader(base: file.base + footerStart, count: footerLength).root()
            guard let schemaTable = try footer.table(ArrowFormat.FooterField.schema) else {
                throw TableError.arrow(path: path, field: nil, message: "footer has no schema")
            }
            // Weir maps values as they lie; a big-endian file would be read byte-swapped.
            guard try schemaTable.scalar(ArrowFormat.SchemaField.endianness, default: Int16(0)) == 0 else {
                throw TableError.arrow(
                    path: path, field: nil,
                    message: "the file is big-endian; Weir reads little-endian Arrow files only "
                        + "(pyarrow writes little-endian on every common machine)")
            }
            let parsed = try Self.parseSchema(schemaTable, path: path)
            fields = parsed
            schema = Schema(parsed.map { Field($0.name, $0.type) })
            batches = try Self.blocks(footer, ArrowFormat.FooterField.recordBatches)
            let dictionaryBlocks = try Self.blocks(footer, ArrowFormat.FooterField.dictionaries)
            var dictionaries: [Int64: Column] = [:]
            for block in dictionaryBlocks {
                try Self.readDictionary(block, file: file, path: path, fields: parsed, into: &dictionaries)
            }
            self.dictionaries = dictionaries
        } catch let error as FlatBufferError {
            throw TableError.arrow(path: path, field: nil, message: "corrupt metadata: \(error)")
        }
    }

    public func readAll() throws -> Table {
        if batches.count == 1 { return try batch(0) }
        if batches.isEmpty { return Table(empty: schema) }
        return try Table.concatenate((0..<batches.count).map(batch))
    }

    /// Record batch `index` as a table sharing the file's memory.
    public func batch(_ index: Int) throws -> Table {
        do {
            let body = try Self.message(batches[index], file: file, path: path, expecting: .recordBatch)
            let columns = try Self.decodeBatch(
                body.header, bodyStart: body.bodyStart, bodyLength: body.bodyLength,
                fields: fields, file: file, path: path, dictionaries: dictionaries)
            let length = Int(try body.header.scalar(ArrowFormat.RecordBatchField.length, default: Int64(0)))
            // As for field nodes: rows take at least a bit of the body each, so a batch of no
            // columns cannot claim a billion rows.
            guard length >= 0, length / 8 <= body.bodyLength else {
                throw TableError.arrow(
                    path: path, field: nil,
                    message: "record batch \(index) claims \(length) rows for a body of \(body.bodyLength) bytes")
            }
            if let column = columns.first(where: { $0.count != length }) {
                throw TableError.arrow(
                    path: path, field: nil,
                    message: "record batch \(index) says \(length) rows but a field node holds \(column.count)")
            }
            return try Table(schema: schema, columns: columns, rowCount: length)
        } catch let error as FlatBufferError {
            throw TableError.arrow(path: path, field: nil, message: "corrupt record batch \(index): \(error)")
        }
    }

    // MARK: Schema

    enum Physical {
        case int(bits: Int, signed: Bool)
        case float(precision: Int)
        case utf8
        case largeUtf8
        case bool
        case timestamp(unit: Int)
        case date(unit: Int)
    }

    struct FieldLayout: Sendable {
        var name: String
        var type: DataType
        var physical: Physical
        /// Dictionary id and index type when the field is dictionary-encoded.
        var dictionary: (id: Int64, indexBits: Int, indexSigned: Bool)?
    }

    private static func parseSchema(_ schema: FlatTable, path: String) throws -> [FieldLayout] {
        try schema.tables(ArrowFormat.SchemaField.fields).map { field in
            let name = try field.string(ArrowFormat.FieldField.name) ?? ""
            let typeID = try field.scalar(ArrowFormat.FieldField.typeType, default: UInt8(0))
            let typeTable = try field.table(ArrowFormat.FieldField.type)
            let (physical, type) = try physicalType(typeID, typeTable, field: name, path: path)
            var dictionary: (Int64, Int, Bool)?
            if let encoding = try field.table(ArrowFormat.FieldField.dictionary) {
                guard type == .string else {
                    throw TableError.arrow(
                        path: path, field: name,
                        message: "dictionary-encoded \(type) is not supported (only dictionary strings)")
                }
                let id = try encoding.scalar(ArrowFormat.DictionaryEncodingField.id, default: Int64(0))
                var bits = 32
                var signed = true
                if let index = try encoding.table(ArrowFormat.DictionaryEncodingField.indexType) {
                    bits = Int(try index.scalar(0, default: Int32(32)))
                    signed = try index.bool(1, default: false)
                }
                guard [8, 16, 32, 64].contains(bits) else {
                    throw TableError.arrow(
                        path: path, field: name, message: "dictionary index of \(bits) bits (expected 8, 16, 32 or 64)")
                }
                dictionary = (id, bits, signed)
            }
            return FieldLayout(name: name, type: type, physical: physical, dictionary: dictionary)
        }
    }

    private static func physicalType(_ id: UInt8, _ table: FlatTable?, field: String, path: String) throws -> (
        Physical, DataType
    ) {
        guard let typeID = ArrowFormat.TypeID(rawValue: id) else {
            throw TableError.arrow(path: path, field: field, message: "unknown Arrow type id \(id)")
        }
        func unsupported(_ detail: String? = nil) -> TableError {
            .arrow(
                path: path, field: field,
                message: "Arrow type \(detail ?? typeID.name) is not supported "
                    + "(Weir reads int, float, bool, utf8, timestamp and date columns)")
        }
        switch typeID {
        case .int:
            let bits = Int(try table?.scalar(0, default: Int32(0)) ?? 0)
            let signed = try table?.bool(1, default: false) ?? false
            guard [8, 16, 32, 64].contains(bits) else { throw unsupported("int\(bits)") }
            return (.int(bits: bits, signed: signed), .int64)
        case .floatingPoint:
            let precision = Int(try table?.scalar(0, default: Int16(0)) ?? 0)
            guard precision == 1 || precision == 2 else { throw unsupported("float16") }
            return (.float(precision: precision), .float64)
        case .utf8: return (.utf8, .string)
        case .largeUtf8: return (.largeUtf8, .string)
        case .bool: return (.bool, .bool)
        case .timestamp:
            let unit = Int(try table?.scalar(0, default: Int16(0)) ?? 0)
            guard (0...3).contains(unit) else { throw unsupported("timestamp with time unit \(unit)") }
            return (.timestamp(unit: unit), .timestamp)
        case .date:
            let unit = Int(try table?.scalar(0, default: Int16(1)) ?? 1)
            guard unit == 0 || unit == 1 else { throw unsupported("date with unit \(unit)") }
            return (.date(unit: unit), .date)
        default:
            throw unsupported()
        }
    }

    // MARK: Messages

    struct Block {
        var offset: Int
        var metadataLength: Int
        var bodyLength: Int
    }

    private static func blocks(_ footer: FlatTable, _ id: Int) throws -> [Block] {
        guard let (start, count) = try footer.vector(id, elementSize: ArrowFormat.blockSize) else { return [] }
        let reader = footer.reader
        return try (0..<count).map { i in
            let at = start + i * ArrowFormat.blockSize
            return Block(
                offset: Int(try reader.read(at, as: Int64.self)),
                metadataLength: Int(try reader.read(at + 8, as: Int32.self)),
                bodyLength: Int(try reader.read(at + 16, as: Int64.self)))
        }
    }

    private static func message(_ block: Block, file: MappedFile, path: String, expecting: ArrowFormat.MessageHeader)
        throws -> (header: FlatTable, bodyStart: Int, bodyLength: Int)
    {
        let bytes = file.bytes
        // Compared by subtraction: the three lengths come from the file and may be anything.
        guard block.offset >= 8, block.metadataLength >= 8, block.bodyLength >= 0, block.offset <= bytes.count,
            block.metadataLength <= bytes.count - block.offset,
            block.bodyLength <= bytes.count - block.offset - block.metadataLength
        else {
            throw TableError.arrow(path: path, field: nil, message: "block at \(block.offset) lies outside the file")
        }
        var metaStart = block.offset + 4
        var metaLength = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: block.offset, as: Int32.self)))
        if UInt32(bitPattern: Int32(metaLength)) == ArrowFormat.continuation {
            metaLength = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: block.offset + 4, as: Int32.self)))
            metaStart += 4
        }
        guard metaLength > 0, metaStart + metaLength <= block.offset + block.metadataLength else {
            throw TableError.arrow(
                path: path, field: nil, message: "message at \(block.offset) has a bad metadata length")
        }
        let message = try FlatBufferReader(base: file.base + metaStart, count: metaLength).root()
        let headerType = try message.scalar(ArrowFormat.MessageField.headerType, default: UInt8(0))
        guard headerType == expecting.rawValue, let header = try message.table(ArrowFormat.MessageField.header) else {
            throw TableError.arrow(path: path, field: nil, message: "message at \(block.offset) is not a \(expecting)")
        }
        return (header, block.offset + block.metadataLength, block.bodyLength)
    }

    private static func readDictionary(
        _ block: Block, file: MappedFile, path: String, fields: [FieldLayout],
        into dictionaries: inout [Int64: Column]
    ) throws {
        let body = try message(block, file: file, path: path, expecting: .dictionaryBatch)
        let id = try body.header.scalar(ArrowFormat.DictionaryBatchField.id, default: Int64(0))
        let isDelta = try body.header.bool(ArrowFormat.DictionaryBatchField.isDelta, default: false)
        guard let data = try body.header.table(ArrowFormat.DictionaryBatchField.data),
            var field = fields.first(where: { $0.dictionary?.id == id })
        else {
            throw TableError.arrow(path: path, field: nil, message: "dictionary \(id) belongs to no field")
        }
        field.dictionary = nil
        let column = try decodeBatch(
            data, bodyStart: body.bodyStart, bodyLength: body.bodyLength, fields: [field],
            file: file, path: path, dictionaries: [:])[0]
        if isDelta, let existing = dictionaries[id] {
            dictionaries[id] = try Column.concatenate([existing, column])
        } else {
            dictionaries[id] = column
        }
    }

    // MARK: Columns

    private static func decodeBatch(
        _ batch: FlatTable, bodyStart: Int, bodyLength: Int, fields: [FieldLayout],
        file: MappedFile, path: String, dictionaries: [Int64: Column]
    ) throws -> [Column] {
        if let compression = try batch.table(ArrowFormat.RecordBatchField.compression) {
            let codec = try compression.scalar(0, default: UInt8(0)) == 0 ? "LZ4_FRAME" : "ZSTD"
            throw TableError.arrow(
                path: path, field: nil,
                message: "record batches are compressed with \(codec); Weir reads "
                    + "uncompressed files only (pyarrow: feather.write_feather(df, path, compression='uncompressed'))")
        }
        guard let (nodeStart, nodeCount) = try batch.vector(ArrowFormat.RecordBatchField.nodes, elementSize: 16),
            let (bufferStart, bufferCount) = try batch.vector(ArrowFormat.RecordBatchField.buffers, elementSize: 16)
        else {
            throw TableError.arrow(path: path, field: nil, message: "record batch without nodes or buffers")
        }
        var cursor = BatchCursor(
            reader: batch.reader, path: path, file: file, bodyStart: bodyStart, bodyLength: bodyLength,
            nodes: (nodeStart, nodeCount), buffers: (bufferStart, bufferCount))
        return try fields.map { try decodeColumn($0, &cursor, dictionaries: dictionaries) }
    }

    /// One field's column, from the next field node and its buffers.
    private static func decodeColumn(_ field: FieldLayout, _ cursor: inout BatchCursor, dictionaries: [Int64: Column])
        throws -> Column
    {
        let (path, bodyLength) = (cursor.path, cursor.bodyLength)
        let (length, nulls) = try cursor.node(field.name)
        let validity = try cursor.buffer(field.name)
        // Every supported type spends at least a bit per row in the body, so this bound keeps
        // the sizes computed from `length` far from overflow.
        guard length >= 0, nulls >= 0, nulls <= length, length / 8 <= bodyLength else {
            throw TableError.arrow(
                path: path, field: field.name,
                message: "bad field node (\(length) rows, \(nulls) nulls) for a body of \(bodyLength) bytes")
        }
        if nulls > 0 {
            guard let validity, validity.count >= Bitmap.byteCount(bits: length) else {
                throw TableError.arrow(path: path, field: field.name, message: "validity bitmap missing or too short")
            }
        }
        let decoder = ColumnDecoder(
            path: path, field: field.name, length: length, nulls: nulls, validity: nulls > 0 ? validity : nil)
        if let dictionary = field.dictionary {
            guard let values = dictionaries[dictionary.id] else {
                throw TableError.arrow(path: path, field: field.name, message: "dictionary \(dictionary.id) not found")
            }
            return try decoder.dictionary(
                indices: try cursor.buffer(field.name), bits: dictionary.indexBits, signed: dictionary.indexSigned,
                values: values)
        }
        switch field.physical {
        case .utf8, .largeUtf8:
            let offsets = try cursor.buffer(field.name)
            let data = try cursor.buffer(field.name)
            let large = if case .largeUtf8 = field.physical { true } else { false }
            return try decoder.strings(offsets: offsets, data: data, large: large)
        default:
            return try decoder.fixed(field.physical, data: try cursor.buffer(field.name))
        }
    }
}

/// Walks a record batch's field nodes and buffers in order, checking each against the batch.
private struct BatchCursor {
    let reader: FlatBufferReader
    let path: String
    let file: MappedFile
    let bodyStart: Int
    let bodyLength: Int
    let nodes: (start: Int, count: Int)
    let buffers: (start: Int, count: Int)
    var nextNode = 0
    var nextBuffer = 0

    init(
        reader: FlatBufferReader, path: String, file: MappedFile, bodyStart: Int, bodyLength: Int,
        nodes: (start: Int, count: Int), buffers: (start: Int, count: Int)
    ) {
        (self.reader, self.path, self.file, self.bodyStart, self.bodyLength) = (
            reader, path, file, bodyStart, bodyLength
        )
        (self.nodes, self.buffers) = (nodes, buffers)
    }

    mutating func node(_ field: String) throws -> (length: Int, nulls: Int) {
        guard nextNode < nodes.count else {
            throw TableError.arrow(path: path, field: field, message: "missing field node")
        }
        defer { nextNode += 1 }
        let at = nodes.start + nextNode * 16
        return (Int(try reader.read(at, as: Int64.self)), Int(try reader.read(at + 8, as: Int64.self)))
    }

    mutating func buffer(_ field: String) throws -> ByteBuffer? {
        guard nextBuffer < buffers.count else {
            throw TableError.arrow(path: path, field: field, message: "missing buffer")
        }
        defer { nextBuffer += 1 }
        let at = buffers.start + nextBuffer * 16
        let offset = Int(try reader.read(at, as: Int64.self))
        let length = Int(try reader.read(at + 8, as: Int64.self))
        guard offset >= 0, length >= 0, offset <= bodyLength, length <= bodyLength - offset else {
            throw TableError.arrow(
                path: path, field: field, message: "buffer (\(offset), \(length)) lies outside its record batch body")
        }
        return length == 0 ? nil : ByteBuffer(mapping: file, offset: bodyStart + offset, count: length)
    }
}

/// Turns one field's Arrow buffers into a Weir column, validating sizes so that a corrupt file
/// gives an error, never an out-of-bounds read.
private struct ColumnDecoder {
    let path: String
    let field: String
    let length: Int
    let nulls: Int
    let validity: ByteBuffer?

    func fail(_ message: String) -> TableError { .arrow(path: path, field: field, message: message) }

    func need(_ buffer: ByteBuffer?, _ bytes: Int, _ what: String) throws -> ByteBuffer {
        if bytes == 0 { return buffer ?? .empty }
        guard let buffer, buffer.count >= bytes else {
            throw fail("\(what) buffer holds \(buffer?.count ?? 0) bytes, \(bytes) needed for \(length) rows")
        }
        return buffer
    }

    /// The buffer itself when aligned for `T`, else an aligned copy.
    func aligned(_ buffer: ByteBuffer, _ alignment: Int) -> ByteBuffer {
        if Int(bitPattern: buffer.base) % alignment == 0 { return buffer }
        return ByteBuffer(copying: buffer.bytes)
    }

    func column(_ type: DataType, _ data: ByteBuffer, offsets: ByteBuffer? = nil) -> Column {
        Column(type: type, count: length, validity: validity, data: data, offsets: offsets, nullCount: nulls)
    }

    /// Builds a new 8-byte column by converting each of `length` values.
    func converted<T: BitwiseCopyable>(_ data: ByteBuffer, _ type: DataType, _ transform: (Int) throws -> T) rethrows
        -> Column
    {
        var out = GrowableBuffer(capacity: length * MemoryLayout<T>.stride)
        for i in 0..<length { out.append(try transform(i)) }
        return column(type, ByteBuffer(out.finish()))
    }

    /// A timestamp in seconds or milliseconds as microseconds; past what int64 microseconds
    /// hold (about 292,000 years either side of 1970) is an error, not a wrapped value.
    func micros(_ data: ByteBuffer, _ row: Int, times factor: Int64) throws -> Int64 {
        if let validity, !Bitmap.get(validity.base, row) { return 0 }
        let (value, overflow) = data.load(row, as: Int64.self).multipliedReportingOverflow(by: factor)
        if overflow {
            throw fail(
                "timestamp \(data.load(row, as: Int64.self)) in row \(row) is out of the range of microsecond timestamps"
            )
        }
        return value
    }

    func fixed(_ physical: ArrowFile.Physical, data: ByteBuffer?) throws -> Column {
        switch physical {
        case .bool:
            return column(.bool, try need(data, Bitmap.byteCount(bits: length), "bool"))
        case .int(let bits, let signed):
            let data = try need(data, length * bits / 8, "int\(bits)")
            switch (bits, signed) {
            case (64, true): return column(.int64, aligned(data, 8))
            case (64, false):
                for i in 0..<length where validity.map({ Bitmap.get($0.base, i) }) ?? true {
                    if data.load(i, as: UInt64.self) > UInt64(Int64.max) {
                        throw fail("uint64 value \(data.load(i, as: UInt64.self)) in row \(i) does not fit int64")
                    }
                }
                return column(.int64, aligned(data, 8))
            case (32, true): return converted(data, .int64) { Int64(data.load($0, as: Int32.self)) }
            case (32, false): return converted(data, .int64) { Int64(data.load($0, as: UInt32.self)) }
            case (16, true): return converted(data, .int64) { Int64(data.load($0, as: Int16.self)) }
            case (16, false): return converted(data, .int64) { Int64(data.load($0, as: UInt16.self)) }
            case (8, true): return converted(data, .int64) { Int64(data.load($0, as: Int8.self)) }
            default: return converted(data, .int64) { Int64(data.load($0, as: UInt8.self)) }
            }
        case .float(let precision):
            if precision == 2 { return column(.float64, aligned(try need(data, length * 8, "float64"), 8)) }
            let data = try need(data, length * 4, "float32")
            return converted(data, .float64) { Double(data.load($0, as: Float.self)) }
        case .timestamp(let unit):
            let data = try need(data, length * 8, "timestamp")
            switch unit {
            case 2: return column(.timestamp, aligned(data, 8))
            case 0: return try converted(data, .timestamp) { try micros(data, $0, times: 1_000_000) }
            case 1: return try converted(data, .timestamp) { try micros(data, $0, times: 1_000) }
            default: return converted(data, .timestamp) { Temporal.floorDiv(data.load($0, as: Int64.self), 1_000) }
            }
        case .date(let unit):
            if unit == 0 { return column(.date, aligned(try need(data, length * 4, "date32"), 4)) }
            let data = try need(data, length * 8, "date64")
            var out = GrowableBuffer(capacity: length * 4)
            for i in 0..<length {
                let day = Temporal.floorDiv(data.load(i, as: Int64.self), 86_400_000)
                guard let narrow = Int32(exactly: day) else {
                    if let validity, !Bitmap.get(validity.base, i) {
                        out.append(Int32(0))
                        continue
                    }
                    throw fail("date64 value \(data.load(i, as: Int64.self)) in row \(i) is out of the range of dates")
                }
                out.append(narrow)
            }
            return column(.date, ByteBuffer(out.finish()))
        case .utf8, .largeUtf8:
            throw fail("internal: strings decoded as fixed width")
        }
    }

    func strings(offsets: ByteBuffer?, data: ByteBuffer?, large: Bool) throws -> Column {
        let width = large ? 8 : 4
        let offsets = try need(
            offsets, length == 0 ? 0 : (length + 1) * width, large ? "large utf8 offsets" : "utf8 offsets")
        let data = data ?? .empty
        if length == 0 { return column(.string, .empty, offsets: .zeroOffset) }
        func offset(_ i: Int) -> Int {
            large ? Int(offsets.load(i, as: Int64.self)) : Int(offsets.load(i, as: Int32.self))
        }
        var previous = offset(0)
        guard previous >= 0 else { throw fail("negative string offset") }
        for i in 1...length {
            let next = offset(i)
            guard next >= previous, next <= data.count else {
                throw fail("string offsets are not increasing within the data buffer at row \(i - 1)")
            }
            previous = next
        }
        if !large { return column(.string, data, offsets: aligned(offsets, 4)) }
        let base = offset(0)
        guard offset(length) - base <= Int(Int32.max) else {
            throw fail("large utf8 column holds over 2 GiB of text in one batch; write smaller batches")
        }
        var narrow = GrowableBuffer(capacity: (length + 1) * 4)
        for i in 0...length { narrow.append(Int32(offset(i) - base)) }
        let bytes = ByteBuffer(slicing: data, offset: base, count: offset(length) - base)
        return column(.string, bytes, offsets: ByteBuffer(narrow.finish()))
    }

    /// Dictionary strings are decoded into a plain string column.
    func dictionary(indices: ByteBuffer?, bits: Int, signed: Bool, values: Column) throws -> Column {
        let indices = try need(indices, length * bits / 8, "dictionary index")
        let builder = ColumnBuilder(.string, capacity: length)
        let view = values.strings
        for i in 0..<length {
            if let validity, !Bitmap.get(validity.base, i) {
                builder.appendNull()
                continue
            }
            let index: Int
            switch (bits, signed) {
            case (8, true): index = Int(indices.load(i, as: Int8.self))
            case (8, false): index = Int(indices.load(i, as: UInt8.self))
            case (16, true): index = Int(indices.load(i, as: Int16.self))
            case (16, false): index = Int(indices.load(i, as: UInt16.self))
            case (32, true): index = Int(indices.load(i, as: Int32.self))
            case (32, false): index = Int(indices.load(i, as: UInt32.self))
            default: index = Int(truncatingIfNeeded: indices.load(i, as: Int64.self))
            }
            guard index >= 0, index < values.count else {
                throw fail("dictionary index \(index) in row \(i) is outside the dictionary of \(values.count) values")
            }
            if values.isNull(index) {
                builder.appendNull()
            } else {
                builder.append(utf8: UnsafeRawBufferPointer(view.utf8(index)))
            }
        }
        return builder.finish()
    }
}
