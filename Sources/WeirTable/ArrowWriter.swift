/// Writes tables as Arrow IPC files ("Feather v2"): uncompressed, little-endian, every buffer
/// 8-byte aligned. Output is deterministic: the same rows and types always give the same bytes,
/// whatever slicing or memory layout the table had (bitmaps are re-aligned with trailing bits
/// cleared, values under nulls are zeroed, string offsets start at zero).
public struct ArrowWriter {
    /// Rows per record batch. Larger tables are written in several batches. The default is
    /// large because a one-batch file is read back without copying (the reader maps it), while
    /// several batches must be concatenated into one table; a column's values never exceed the
    /// 2 GiB an Arrow batch can address, since a `Column` is bound by the same Int32 offsets.
    public var maxRowsPerBatch: Int

    public init(maxRowsPerBatch: Int = 1 << 26) {
        precondition(maxRowsPerBatch > 0)
        self.maxRowsPerBatch = maxRowsPerBatch
    }

    public func write<Sink: ByteSink>(_ table: Table, to sink: inout Sink) throws {
        var position = 0
        func emit(_ bytes: UnsafeRawBufferPointer) throws {
            try sink.write(bytes)
            position += bytes.count
        }
        func emit(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { raw in try emit(raw) }
        }

        try emit(Self.leader)
        try emit(Self.schemaMessage(table.schema))

        var blocks: [UInt8] = []
        var start = 0
        repeat {
            let end = min(table.rowCount, start + maxRowsPerBatch)
            let batch = BatchLayout(table.slice(start..<end))
            let metadata = Self.batchMessage(batch)
            Self.appendBlock(&blocks, offset: position, metadataLength: metadata.count, bodyLength: batch.bodyLength)
            try emit(metadata)
            try batch.writeBody { bytes in try emit(bytes) }
            start = end
        } while start < table.rowCount

        try emit(Self.le(ArrowFormat.continuation) + Self.le(UInt32(0)))

        var builder = FlatBufferBuilder()
        let schema = Self.schema(table.schema, in: &builder)
        let batchesRef = builder.vector(structBytes: blocks, elementSize: ArrowFormat.blockSize, alignment: 8)
        let dictionariesRef = builder.vector(structBytes: [], elementSize: ArrowFormat.blockSize, alignment: 8)
        builder.startTable()
        builder.add(ArrowFormat.FooterField.version, ArrowFormat.metadataVersion)
        builder.add(ArrowFormat.FooterField.schema, ref: schema)
        builder.add(ArrowFormat.FooterField.dictionaries, ref: dictionariesRef)
        builder.add(ArrowFormat.FooterField.recordBatches, ref: batchesRef)
        let footer = builder.finish(root: builder.endTable())
        try emit(footer)
        try emit(Self.le(UInt32(footer.count)) + ArrowFormat.magic)
    }

    /// Where each column's values will begin in the file `write` makes of a table with this
    /// schema and row count, when the columns that `mayHaveNulls` says not to hold nulls indeed
    /// hold none. Known up to the first column with nulls (its validity bitmap comes first);
    /// nil from there on, for string columns, and for a table of more than one batch. A reader
    /// that knows this before it parses can put the values there.
    func plannedValueOffsets(schema: Schema, rowCount: Int, mayHaveNulls: [Bool]) -> [Int?] {
        var offsets = [Int?](repeating: nil, count: schema.fields.count)
        guard rowCount <= maxRowsPerBatch else { return offsets }
        let batch = BatchLayout(planning: schema, rowCount: rowCount)
        let body = Self.leader.count + Self.schemaMessage(schema).count + Self.batchMessage(batch).count
        let pieceOffsets = batch.pieceOffsets
        for (c, field) in schema.fields.enumerated() {
            guard !mayHaveNulls[c] else { break }
            guard field.type != .string else { continue }
            offsets[c] = body + pieceOffsets[batch.firstPiece[c] + 1]
        }
        return offsets
    }

    /// Writes `table` to a new file at `path` (replacing it). Callers that need atomicity write
    /// to a temporary path and rename.
    public func write(_ table: Table, toFile path: String, sync: Bool = false) throws {
        // Early writeback only shortens a final fsync; without one it just throttles on the disk.
        var sink = try FileSink(path: path, startsWriteback: sync)
        try write(table, to: &sink)
        try sink.close(sync: sync)
    }

    /// The file's bytes in memory.
    public func bytes(_ table: Table) throws -> [UInt8] {
        var sink = MemorySink()
        try write(table, to: &sink)
        return sink.bytes
    }

    // MARK: Metadata

    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    private static func appendBlock(_ blocks: inout [UInt8], offset: Int, metadataLength: Int, bodyLength: Int) {
        blocks += le(Int64(offset)) + le(Int32(metadataLength)) + [0, 0, 0, 0] + le(Int64(bodyLength))
    }

    /// The magic and its padding to 8 bytes.
    private static let leader = ArrowFormat.magic + [0, 0]

    private static func schemaMessage(_ schema: Schema) -> [UInt8] {
        message(header: .schema, bodyLength: 0) { builder in Self.schema(schema, in: &builder) }
    }

    private static func batchMessage(_ batch: BatchLayout) -> [UInt8] {
        message(header: .recordBatch, bodyLength: batch.bodyLength) { builder in batch.recordBatch(in: &builder) }
    }

    /// An encapsulated message: continuation marker, padded metadata length, flatbuffer, padding.
    private static func message(
        header: ArrowFormat.MessageHeader, bodyLength: Int,
        _ buildHeader: (inout FlatBufferBuilder) -> FlatBufferBuilder.Ref
    ) -> [UInt8] {
        var builder = FlatBufferBuilder()
        let headerRef = buildHeader(&builder)
        builder.startTable()
        builder.add(ArrowFormat.MessageField.version, ArrowFormat.metadataVersion)
        builder.add(ArrowFormat.MessageField.headerType, header.rawValue)
        builder.add(ArrowFormat.MessageField.header, ref: headerRef)
        builder.add(ArrowFormat.MessageField.bodyLength, Int64(bodyLength))
        var flatbuffer = builder.finish(root: builder.endTable())
        flatbuffer += [UInt8](repeating: 0, count: ArrowFormat.padded(flatbuffer.count) - flatbuffer.count)
        return le(ArrowFormat.continuation) + le(Int32(flatbuffer.count)) + flatbuffer
    }

    @discardableResult
    private static func schema(_ schema: Schema, in builder: inout FlatBufferBuilder) -> FlatBufferBuilder.Ref {
        var fieldRefs: [FlatBufferBuilder.Ref] = []
        for field in schema.fields {
            let name = builder.string(field.name)
            let (typeID, typeRef) = arrowType(field.type, in: &builder)
            let children = builder.vector(of: [])
            builder.startTable()
            builder.add(ArrowFormat.FieldField.name, ref: name)
            builder.add(ArrowFormat.FieldField.nullable, true)
            builder.add(ArrowFormat.FieldField.typeType, typeID.rawValue)
            builder.add(ArrowFormat.FieldField.type, ref: typeRef)
            builder.add(ArrowFormat.FieldField.children, ref: children)
            fieldRefs.append(builder.endTable())
        }
        let fields = builder.vector(of: fieldRefs)
        builder.startTable()
        builder.add(ArrowFormat.SchemaField.endianness, Int16(0))
        builder.add(ArrowFormat.SchemaField.fields, ref: fields)
        return builder.endTable()
    }

    private static func arrowType(_ type: DataType, in builder: inout FlatBufferBuilder)
        -> (ArrowFormat.TypeID, FlatBufferBuilder.Ref)
    {
        switch type {
        case .int64:
            builder.startTable()
            builder.add(0, Int32(64))
            builder.add(1, true)
            return (.int, builder.endTable())
        case .float64:
            builder.startTable()
            builder.add(0, Int16(2))
            return (.floatingPoint, builder.endTable())
        case .bool:
            builder.startTable()
            return (.bool, builder.endTable())
        case .string:
            builder.startTable()
            return (.utf8, builder.endTable())
        case .timestamp:
            let zone = builder.string("UTC")
            builder.startTable()
            builder.add(0, Int16(2))
            builder.add(1, ref: zone)
            return (.timestamp, builder.endTable())
        case .date:
            builder.startTable()
            builder.add(0, Int16(0))
            return (.date, builder.endTable())
        }
    }
}

/// The body of one record batch: for every column its buffers, normalised for determinism.
private struct BatchLayout {
    struct Piece {
        /// Bytes to write; nil for an empty validity buffer, or in a layout only planned.
        var bytes: ByteBuffer?
        var range: Range<Int>
        /// A string column's characters: written after every other piece of the batch.
        var trailing = false
        var count: Int { range.count }
    }

    let rowCount: Int
    var nodes: [(length: Int, nulls: Int)] = []
    var pieces: [Piece] = []
    /// Each column's first piece: its validity bitmap, followed by its value buffers.
    var firstPiece: [Int] = []

    init(_ table: Table) {
        rowCount = table.rowCount
        for column in table.columns {
            firstPiece.append(pieces.count)
            nodes.append((column.count, column.nullCount))
            if let validity = column.validity {
                let bitmap = Bitmap.realigned(validity.base, from: column.offset, count: column.count)
                pieces.append(Piece(bytes: bitmap, range: 0..<bitmap.count))
            } else {
                pieces.append(Piece(bytes: nil, range: 0..<0))
            }
            pieces += Self.valuePieces(column)
        }
    }

    /// The layout of a table without nulls that is yet to be read: the lengths of its pieces
    /// and so the metadata, but no bytes; a string column's characters count as none.
    init(planning schema: Schema, rowCount: Int) {
        self.rowCount = rowCount
        for field in schema.fields {
            firstPiece.append(pieces.count)
            nodes.append((rowCount, 0))
            pieces.append(Piece(bytes: nil, range: 0..<0))
            switch field.type {
            case .string:
                pieces.append(Piece(bytes: nil, range: 0..<(rowCount + 1) * 4))
                pieces.append(Piece(bytes: nil, range: 0..<0, trailing: true))
            case .bool:
                pieces.append(Piece(bytes: nil, range: 0..<Bitmap.byteCount(bits: rowCount)))
            default:
                pieces.append(Piece(bytes: nil, range: 0..<rowCount * field.type.fixedWidth!))
            }
        }
    }

    private static func valuePieces(_ column: Column) -> [Piece] {
        switch column.type {
        case .bool:
            var bits = Bitmap.realigned(column.data.base, from: column.offset, count: column.count)
            if column.hasNulls { bits = zeroingNullBits(bits, column) }
            return [Piece(bytes: bits, range: 0..<bits.count)]
        case .string:
            let view = column.strings
            let first = Int(view.offsetsBase[0])
            if first == 0 && !column.hasNulls {
                return [
                    Piece(bytes: column.offsets!, range: column.offset * 4..<(column.offset + column.count + 1) * 4),
                    Piece(bytes: column.data, range: 0..<view.byteCount, trailing: true),
                ]
            }
            var offsets = GrowableBuffer(capacity: (column.count + 1) * 4)
            var data = GrowableBuffer(capacity: view.byteCount)
            offsets.append(Int32(0))
            for i in 0..<column.count {
                if column.isValid(i) { data.append(UnsafeRawBufferPointer(view.utf8(i))) }
                offsets.append(Int32(data.count))
            }
            let offsetBuffer = ByteBuffer(offsets.finish())
            let dataBuffer = ByteBuffer(data.finish())
            return [
                Piece(bytes: offsetBuffer, range: 0..<offsetBuffer.count),
                Piece(bytes: dataBuffer, range: 0..<dataBuffer.count, trailing: true),
            ]
        default:
            let width = column.type.fixedWidth!
            let range = column.offset * width..<(column.offset + column.count) * width
            guard column.hasNulls else { return [Piece(bytes: column.data, range: range)] }
            var copy = GrowableBuffer(capacity: range.count)
            copy.append(UnsafeRawBufferPointer(rebasing: column.data.bytes[range]))
            for i in 0..<column.count where column.isNull(i) {
                (copy.pointer + i * width).initializeMemory(as: UInt8.self, repeating: 0, count: width)
            }
            let buffer = ByteBuffer(copy.finish())
            return [Piece(bytes: buffer, range: 0..<buffer.count)]
        }
    }

    private static func zeroingNullBits(_ bits: ByteBuffer, _ column: Column) -> ByteBuffer {
        var copy = GrowableBuffer(capacity: bits.count)
        copy.append(bits.bytes)
        for i in 0..<column.count where column.isNull(i) { Bitmap.set(copy.pointer, i, false) }
        return ByteBuffer(copy.finish())
    }

    var bodyLength: Int { pieces.reduce(0) { $0 + ArrowFormat.padded($1.count) } }

    /// The pieces in the order the body holds them: the metadata's order, except that string
    /// characters come last. Every other piece's place then follows from the row count alone,
    /// so a reader can parse values straight into it before it knows how long the text is
    /// (the format locates each buffer by its offset; it does not ask them to be in order).
    var bodyOrder: [Int] {
        pieces.indices.filter { !pieces[$0].trailing } + pieces.indices.filter { pieces[$0].trailing }
    }

    /// Where each piece starts in the body, by piece: in body order, each padded to 8.
    var pieceOffsets: [Int] {
        var offsets = [Int](repeating: 0, count: pieces.count)
        var offset = 0
        for index in bodyOrder {
            offsets[index] = offset
            offset += ArrowFormat.padded(pieces[index].count)
        }
        return offsets
    }

    func recordBatch(in builder: inout FlatBufferBuilder) -> FlatBufferBuilder.Ref {
        var nodeBytes: [UInt8] = []
        for node in nodes { nodeBytes += ArrowWriter.le(Int64(node.length)) + ArrowWriter.le(Int64(node.nulls)) }
        var bufferBytes: [UInt8] = []
        for (piece, offset) in zip(pieces, pieceOffsets) {
            bufferBytes += ArrowWriter.le(Int64(offset)) + ArrowWriter.le(Int64(piece.count))
        }
        let buffersRef = builder.vector(structBytes: bufferBytes, elementSize: ArrowFormat.pairSize, alignment: 8)
        let nodesRef = builder.vector(structBytes: nodeBytes, elementSize: ArrowFormat.pairSize, alignment: 8)
        builder.startTable()
        builder.add(ArrowFormat.RecordBatchField.length, Int64(rowCount))
        builder.add(ArrowFormat.RecordBatchField.nodes, ref: nodesRef)
        builder.add(ArrowFormat.RecordBatchField.buffers, ref: buffersRef)
        return builder.endTable()
    }

    func writeBody(_ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let zeros = [UInt8](repeating: 0, count: 8)
        for piece in bodyOrder.map({ pieces[$0] }) {
            if let bytes = piece.bytes, piece.count > 0 {
                try emit(UnsafeRawBufferPointer(rebasing: bytes.bytes[piece.range]))
            }
            let padding = ArrowFormat.padded(piece.count) - piece.count
            if padding > 0 {
                try zeros.withUnsafeBytes { raw in try emit(UnsafeRawBufferPointer(rebasing: raw[0..<padding])) }
            }
        }
    }
}
