#if canImport(Glibc)
    import Glibc
#endif

/// Reads RFC 4180 CSV into a table: quoted fields with doubled quotes and embedded newlines,
/// CRLF or LF, a UTF-8 byte order mark, any one-byte delimiter, gzip. The header row is
/// required. Types are inferred over the whole file unless declared.
///
/// Large inputs are split into chunks at row boundaries (found from the parity of quote
/// characters, so a newline inside a quoted field never splits a row) and parsed on all cores;
/// each chunk infers its own column types, the chunks' types are joined, and the few chunks
/// whose values cannot be widened in place are re-read.
public enum CSVReader {
    /// `output`, when given, is the Arrow file the table is for: fixed-width values are parsed
    /// into their place in it where that can be foreseen (see `InPlaceArrowFile`).
    public static func read(path: String, options: CSVOptions = CSVOptions(), output: InPlaceArrowFile? = nil) throws
        -> CSVResult
    {
        let file = try MappedFile(path: path)
        if Gzip.isGzip(file.bytes) {
            let text = try Gzip.decompress(file.bytes, path: path)
            return try withExtendedLifetime(text) {
                try parse(text.bytes, name: path, options: options, output: output)
            }
        }
        file.adviseSequential()
        // Parsed parts of the file are let go as they are done: the text would otherwise stay
        // in the process's memory beside the table made from it.
        return try withExtendedLifetime(file) {
            try parse(file.bytes, name: path, options: options, output: output, release: file.release)
        }
    }

    /// Parses CSV text held in memory; `name` is used in error messages.
    public static func read(text: String, name: String = "<text>", options: CSVOptions = CSVOptions()) throws
        -> CSVResult
    {
        var text = text
        return try text.withUTF8 { try parse(UnsafeRawBufferPointer($0), name: name, options: options) }
    }

    public static func read(bytes: [UInt8], name: String, options: CSVOptions = CSVOptions()) throws -> CSVResult {
        try bytes.withUnsafeBytes { raw in
            if Gzip.isGzip(raw) {
                let text = try Gzip.decompress(raw, path: name)
                return try withExtendedLifetime(text) { try parse(text.bytes, name: name, options: options) }
            }
            return try parse(raw, name: name, options: options)
        }
    }

    /// `release` is told of each byte range that has been read through, so memory mapped for
    /// it may be let go.
    static func parse(
        _ bytes: UnsafeRawBufferPointer, name: String, options: CSVOptions, output: InPlaceArrowFile? = nil,
        release: @Sendable (Range<Int>) -> Void = { _ in }
    ) throws -> CSVResult {
        guard let raw = bytes.baseAddress, bytes.count > 0 else {
            throw TableError.csv(
                TextLocation(path: name, line: 1), field: nil, message: "the file is empty; a header row is required")
        }
        if let problem = CSVOptions.delimiterProblem(options.delimiter) {
            throw TableError.csv(TextLocation(path: name, line: 1), field: nil, message: problem)
        }
        // Text that must be rewritten before parsing is parsed from its rewritten copy (so
        // nothing is placed into `output`, whose layout assumed the original).
        if options.encoding == .latin1 {
            var utf8 = options
            utf8.encoding = .utf8
            return try TextChecks.latin1ToUTF8(bytes).withUnsafeBytes { try parse($0, name: name, options: utf8) }
        }
        if let text = TextChecks.macLineEndsToLF(bytes) {
            return try text.withUnsafeBytes { try parse($0, name: name, options: options) }
        }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        let count = bytes.count
        let lines = LineLocator(base: base, count: count, path: name)
        let (names, dataStart) = try readHeader(base: base, count: count, options: options, lines: lines)
        let declared = names.map { options.columnTypes[$0].map(InferredKind.init) }
        let config = CSVParseConfig(options: options, columnCount: names.count, declared: declared)
        let initialKinds = declared.map { $0 ?? .empty }
        let chunkSize =
            options.chunkSize ?? max(1 << 20, min(32 << 20, (count - dataStart) / (Parallel.coreCount * 8) + 1))
        var trace = Trace("csv")
        let pieces = chunkRanges(base: base, from: dataStart, to: count, chunkSize: chunkSize, quote: config.quote)
        let ranges = pieces.map(\.bytes)
        trace.mark("find \(pieces.count) chunks and count their rows")
        let (slabs, slots) = placeColumns(
            pieces, output: output, base: base, names: names, config: config, kinds: initialKinds)
        trace.mark("guess the schema and place columns")
        let chunks = Parallel.map(ranges.count) { i in
            let windows = slabs.map { $0.pointer + slots[i] * 8 }
            var parser = CSVChunkParser(
                config: config, base: base, start: ranges[i].lowerBound, end: ranges[i].upperBound,
                kinds: initialKinds, windows: windows, windowBytes: pieces[i].maxRows * 8)
            parser.parse()
            release(ranges[i])
            return parser.finish()
        }

        trace.mark("parse \(ranges.count) chunks")
        if let failure = chunks.compactMap(\.failure).min(by: { $0.position < $1.position }) {
            throw lines.error(failure, names: names)
        }
        if ranges.count > 1 && chunks.contains(where: { $0.rejects.contains(where: \.quoting) }) {
            // Bad quoting may have misplaced later chunk boundaries: read the file in one piece.
            var single = options
            single.chunkSize = Int.max
            // Without `output`: its places were handed out to this attempt's slabs.
            return try parse(bytes, name: name, options: single, release: release)
        }

        let kinds = joinKinds(chunks, ranges: ranges, base: base, config: config, declared: declared)
        let types = kinds.map { $0 == .empty ? InferredKind.string : $0 }
        try checkTextLimit(chunks, types: types, options: options, names: names, lines: lines)
        let columns = Parallel.map(names.count) { c in
            ColumnAssembler.assemble(
                chunks.map { $0.columns + c }, kind: types[c], rows: chunks.map(\.rows),
                slab: slabs[c], slots: slots)
        }
        trace.mark("assemble")
        let rowCount = chunks.reduce(0) { $0 + $1.rows }
        let schema = Schema(zip(names, types).map { Field($0, $1.dataType) })
        try checkUTF8(columns, names: names, bytes: bytes, from: dataStart, lines: lines)
        let table = try Table(schema: schema, columns: columns, rowCount: rowCount)
        let problems = chunks.flatMap(\.rejects)
        let rejects = lines.rejects(problems, names: names)
        return CSVResult(table: table, rejects: rejects, bytes: count)
    }

    /// The header's column names (after a byte order mark) and where the data starts; every
    /// column a declared schema names must be among them.
    private static func readHeader(base: UnsafePointer<UInt8>, count: Int, options: CSVOptions, lines: LineLocator)
        throws -> (names: [String], dataStart: Int)
    {
        let start = count >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF ? 3 : 0
        let header = try Header.parse(base: base, from: start, end: count, options: options, lines: lines)
        for (column, _) in options.columnTypes where !header.names.contains(column) {
            throw TableError.csv(
                TextLocation(path: lines.path, line: 1), field: nil,
                message: "the schema names column '\(column)', which the header does not have "
                    + "(columns: \(header.names.joined(separator: ", ")))")
        }
        return (header.names, header.end)
    }

    /// Where each chunk's fixed-width values go: one buffer per column (placed in `output` when
    /// the first chunk's guess of the schema allows), each chunk at its rows' slot, so the
    /// columns need no copying together when every row of the file is kept.
    private static func placeColumns(
        _ pieces: [ChunkRange], output: InPlaceArrowFile?, base: UnsafePointer<UInt8>, names: [String],
        config: CSVParseConfig, kinds: [InferredKind]
    ) -> (slabs: [FixedSlab], slots: [Int]) {
        var slots = [0]
        for piece in pieces { slots.append(slots[slots.count - 1] + piece.maxRows) }
        let rows = slots[slots.count - 1]
        var placed = [FixedSlab?](repeating: nil, count: names.count)
        if let output,
            let guess = sample(base: base, range: pieces[0].bytes, names: names, config: config, kinds: kinds)
        {
            let places = output.place(schema: guess.schema, rowCount: rows, mayHaveNulls: guess.mayHaveNulls)
            placed = places.map { place in place.map { FixedSlab(placedAt: $0, keeper: output) } }
        }
        return (placed.map { $0 ?? FixedSlab(bytes: rows * 8) }, slots)
    }

    /// The chunks' kinds joined per column; column chunks that cannot be widened in place are
    /// parsed again as the joined kind.
    private static func joinKinds(
        _ chunks: [ParsedChunk], ranges: [Range<Int>], base: UnsafePointer<UInt8>, config: CSVParseConfig,
        declared: [InferredKind?]
    ) -> [InferredKind] {
        let width = declared.count
        let initialKinds = declared.map { $0 ?? .empty }
        var kinds = initialKinds
        for chunk in chunks {
            for c in 0..<width { kinds[c] = kinds[c].join(chunk.columns[c].kind) }
        }
        for (i, chunk) in chunks.enumerated() {
            let reread = (0..<width).map { c in
                let kind = chunk.columns[c].kind
                // Integers are read again as floats rather than converted: "-0" keeps its sign.
                return chunk.columns[c].needsReparse || (kinds[c] == .string && kind != .string && kind != .empty)
                    || (kinds[c] == .float && kind == .int)
            }
            guard reread.contains(true) else { continue }
            let active = (0..<width).map { reread[$0] || declared[$0] != nil }
            let rereadKinds = (0..<width).map { reread[$0] ? kinds[$0] : initialKinds[$0] }
            var parser = CSVChunkParser(
                config: config, base: base, start: ranges[i].lowerBound, end: ranges[i].upperBound,
                kinds: rereadKinds, active: active)
            parser.parse()
            let again = parser.finish()
            for c in 0..<width where reread[c] {
                let old = (chunk.columns + c).move()
                (chunk.columns + c).initialize(to: (again.columns + c).move())
                (again.columns + c).initialize(to: old)
            }
        }
        return kinds
    }

    /// A text column may hold at most `options.textLimit` bytes (Arrow's 32-bit offsets).
    private static func checkTextLimit(
        _ chunks: [ParsedChunk], types: [InferredKind], options: CSVOptions, names: [String], lines: LineLocator
    ) throws {
        for c in 0..<names.count where types[c] == .string {
            let text = chunks.reduce(0) { $0 + ($1.columns[c].kind == .string ? $1.columns[c].bytes.count : 0) }
            guard text <= options.textLimit else {
                throw TableError.csv(
                    TextLocation(path: lines.path, line: 1), field: lines.fieldRef(c, names),
                    message: "the column holds \(text) bytes of text, more than the \(options.textLimit) "
                        + "one column can (Arrow's 32-bit offsets); split the file into smaller ones")
            }
        }
    }

    /// A utf8 column must hold UTF-8. Its text is checked as a whole (ASCII eight bytes at a
    /// time); only when a column fails is the file searched for the offending byte's place.
    static func checkUTF8(
        _ columns: [Column], names: [String], bytes: UnsafeRawBufferPointer, from start: Int,
        lines: LineLocator
    ) throws {
        let invalid = Parallel.map(columns.count) { c in
            columns[c].type == .string && TextChecks.firstInvalidUTF8(columns[c].data.bytes) != nil
        }
        guard let column = invalid.firstIndex(of: true) else { return }
        let offset =
            TextChecks.firstInvalidUTF8(UnsafeRawBufferPointer(rebasing: bytes[start...])).map { start + $0 } ?? start
        throw TableError.csv(
            lines.location(offset), field: lines.fieldRef(column, names),
            message:
                "text is not valid UTF-8 (byte 0x\(String(bytes[offset], radix: 16, uppercase: true))); save the file "
                + "as UTF-8 or declare its encoding (extract.csv `encoding: latin1`, weir convert --encoding latin1)")
    }

    /// The schema the first rows of `range` suggest, and which columns held nulls there (or no
    /// value to tell their type by): a guess at the table, to lay out its file before parsing.
    /// Nil when those rows are not plain (quoting problems, bad rows).
    static func sample(
        base: UnsafePointer<UInt8>, range: Range<Int>, names: [String], config: CSVParseConfig,
        kinds: [InferredKind]
    ) -> (schema: Schema, mayHaveNulls: [Bool])? {
        var end = min(range.upperBound, range.lowerBound + (64 << 10))
        // The range ends at a row's end; a cut inside it goes back to the last newline.
        if end < range.upperBound {
            while end > range.lowerBound && base[end - 1] != 0x0A { end -= 1 }
        }
        guard end > range.lowerBound else { return nil }
        var parser = CSVChunkParser(config: config, base: base, start: range.lowerBound, end: end, kinds: kinds)
        parser.parse()
        let chunk = parser.finish()
        guard chunk.failure == nil, chunk.rejects.isEmpty else { return nil }
        let columns = (0..<names.count).map { chunk.columns[$0].kind }
        let schema = Schema(zip(names, columns).map { Field($0, $1.dataType) })
        return (schema, (0..<names.count).map { columns[$0] == .empty || chunk.columns[$0].nullCount > 0 })
    }

    /// A part of the file that starts at the beginning of a row.
    struct ChunkRange {
        var bytes: Range<Int>
        /// Its newlines, plus one for a last line without one: no more rows than that.
        var maxRows: Int
    }

    /// Splits [from, to) into ranges that each start at the beginning of a row, counting their
    /// newlines in the same pass that finds the quotes.
    static func chunkRanges(base: UnsafePointer<UInt8>, from: Int, to: Int, chunkSize: Int, quote: UInt8)
        -> [ChunkRange]
    {
        let length = to - from
        let nominal = length > chunkSize ? (length - 1) / chunkSize + 1 : 1
        let counts = Parallel.map(nominal) { k in
            let lo = from + k * chunkSize
            return ByteCount.two(base, lo, lo + min(chunkSize, to - lo), quote, 0x0A)
        }
        // Newlines in [from, start) for each start, so every range's count is a difference.
        var starts = [from]
        var newlinesBefore = [0]
        var quotesBefore = 0
        var nominalNewlines = 0
        for k in 1..<nominal {
            quotesBefore += counts[k - 1].first
            nominalNewlines += counts[k - 1].second
            var inside = quotesBefore & 1 == 1
            var p = from + k * chunkSize
            var quotedNewlines = 0
            while p < to {
                let b = base[p]
                if b == quote {
                    inside.toggle()
                } else if b == 0x0A {
                    if !inside { break }
                    quotedNewlines += 1
                }
                p += 1
            }
            let boundary = p + 1
            if boundary < to && boundary > starts.last! {
                starts.append(boundary)
                newlinesBefore.append(nominalNewlines + quotedNewlines + 1)
            }
        }
        starts.append(to)
        newlinesBefore.append(counts.reduce(0) { $0 + $1.second })
        let unterminated = to > from && base[to - 1] != 0x0A ? 1 : 0
        return (0..<starts.count - 1).map { i in
            ChunkRange(
                bytes: starts[i]..<starts[i + 1],
                maxRows: newlinesBefore[i + 1] - newlinesBefore[i] + (i == starts.count - 2 ? unterminated : 0))
        }
    }
}

/// Counts of two byte values, 32 bytes at a time.
enum ByteCount {
    static func two(_ base: UnsafePointer<UInt8>, _ lo: Int, _ hi: Int, _ a: UInt8, _ b: UInt8) -> (
        first: Int, second: Int
    ) {
        let raw = UnsafeRawPointer(base)
        let patternA = SIMD32<UInt8>(repeating: a)
        let patternB = SIMD32<UInt8>(repeating: b)
        var na = 0
        var nb = 0
        var i = lo
        while i &+ 32 <= hi {
            // Byte lanes count to at most 255 before they are added up. A true mask lane is all
            // ones (-1), so subtracting the mask counts; `replacing(with:where:)` says the same
            // but compiles to a per-lane loop a hundred times slower.
            var lanesA = SIMD32<UInt8>()
            var lanesB = SIMD32<UInt8>()
            var k = 0
            while k < 255 && i &+ 32 <= hi {
                let x = raw.loadUnaligned(fromByteOffset: i, as: SIMD32<UInt8>.self)
                lanesA &-= SIMD32<UInt8>(truncatingIfNeeded: unsafeBitCast(x .== patternA, to: SIMD32<Int8>.self))
                lanesB &-= SIMD32<UInt8>(truncatingIfNeeded: unsafeBitCast(x .== patternB, to: SIMD32<Int8>.self))
                i &+= 32
                k &+= 1
            }
            for lane in 0..<32 {
                na &+= Int(lanesA[lane])
                nb &+= Int(lanesB[lane])
            }
        }
        while i < hi {
            if base[i] == a { na &+= 1 } else if base[i] == b { nb &+= 1 }
            i &+= 1
        }
        return (na, nb)
    }
}

/// One column's fixed-width values for the whole file: each chunk parser fills its own window,
/// at the chunk's first possible row.
final class FixedSlab: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    /// Owns the memory when it is a place in an output file rather than the slab's own.
    private let keeper: AnyObject?
    private var handedOver = false

    init(bytes: Int) {
        pointer = GrowableBuffer.allocate(max(bytes, 64))
        keeper = nil
    }

    init(placedAt pointer: UnsafeMutableRawPointer, keeper: AnyObject) {
        self.pointer = pointer
        self.keeper = keeper
    }

    /// The first `count` bytes become a column buffer.
    func handOver(count: Int) -> ByteBuffer {
        handedOver = true
        if let keeper { return ByteBuffer(base: pointer, count: count, owner: .keeper(keeper)) }
        return ByteBuffer(GrowableBuffer.Finished(pointer: pointer, count: count))
    }

    deinit { if !handedOver && keeper == nil { free(pointer) } }
}

/// The header row: column names, and where the data begins.
private struct Header {
    var names: [String]
    var end: Int

    static func parse(base: UnsafePointer<UInt8>, from: Int, end: Int, options: CSVOptions, lines: LineLocator) throws
        -> Header
    {
        var p = from
        var names: [String] = []
        var field: [UInt8] = []
        let quote: UInt8 = 0x22
        func fail(_ at: Int, _ message: String) -> TableError {
            .csv(lines.location(at), field: nil, message: "header row: " + message)
        }
        // Blank lines are skipped everywhere, before the header too (as pandas does).
        while p < end && (base[p] == 0x0A || (base[p] == 0x0D && p + 1 < end && base[p + 1] == 0x0A)) {
            p += base[p] == 0x0A ? 1 : 2
        }
        if p >= end { throw fail(from, "the file holds only blank lines; a header row naming the columns is required") }
        while true {
            field.removeAll()
            if p < end && base[p] == quote {
                let open = p
                p += 1
                while true {
                    guard p < end else { throw fail(open, "unterminated quoted column name") }
                    if base[p] == quote {
                        if p + 1 < end && base[p + 1] == quote {
                            field.append(quote)
                            p += 2
                            continue
                        }
                        p += 1
                        break
                    }
                    field.append(base[p])
                    p += 1
                }
                if p < end && base[p] == 0x0D && p + 1 < end && base[p + 1] == 0x0A { p += 1 }
                if p < end && base[p] != options.delimiter && base[p] != 0x0A {
                    throw fail(p, "unexpected character after a closing quote")
                }
            } else {
                while p < end && base[p] != options.delimiter && base[p] != 0x0A {
                    // As in a data row: a quote may only enclose a whole field.
                    if base[p] == quote {
                        throw fail(
                            p,
                            "quote character inside an unquoted column name; quote the whole name and double the quotes inside it"
                        )
                    }
                    p += 1
                    field.append(base[p - 1])
                }
                if p >= end || base[p] == 0x0A, field.last == 0x0D { field.removeLast() }
            }
            if let bad = field.withUnsafeBytes(TextChecks.firstInvalidUTF8) {
                throw fail(
                    p - field.count + bad,
                    "column name is not valid UTF-8 (byte 0x\(String(field[bad], radix: 16, uppercase: true))); "
                        + "save the file as UTF-8 or declare its encoding (extract.csv `encoding: latin1`, weir convert --encoding latin1)"
                )
            }
            var name = String(decoding: field, as: UTF8.self)
            if name.isEmpty { name = "Unnamed: \(names.count)" }
            if let first = names.firstIndex(of: name) {
                throw fail(from, "duplicate column name '\(name)' (fields \(first + 1) and \(names.count + 1))")
            }
            names.append(name)
            if p >= end || base[p] == 0x0A { return Header(names: names, end: min(p + 1, end)) }
            p += 1
        }
    }
}

/// Turns byte positions into line and column numbers, counting newlines once for many positions.
struct LineLocator {
    let base: UnsafePointer<UInt8>
    let count: Int
    let path: String

    func location(_ position: Int) -> TextLocation {
        locations([position])[0]
    }

    /// Locations of ascending or unordered positions, in the order given.
    func locations(_ positions: [Int]) -> [TextLocation] {
        let order = positions.indices.sorted { positions[$0] < positions[$1] }
        var result = [TextLocation](repeating: TextLocation(path: path, line: 1), count: positions.count)
        var line = 1
        var lineStart = 0
        var p = 0
        for index in order {
            let target = min(positions[index], count)
            while p < target {
                guard let hit = memchr(base + p, 0x0A, target - p) else {
                    p = target
                    break
                }
                p = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base + 1
                line += 1
                lineStart = p
            }
            // Column in characters: count UTF-8 lead bytes.
            var column = 1
            for i in lineStart..<target where base[i] & 0xC0 != 0x80 { column += 1 }
            result[index] = TextLocation(path: path, line: line, column: column)
        }
        return result
    }

    func fieldRef(_ field: Int?, _ names: [String]) -> CSVFieldRef? {
        field.map { CSVFieldRef(number: $0 + 1, name: $0 < names.count ? names[$0] : nil) }
    }

    func error(_ problem: CSVProblem, names: [String]) -> TableError {
        .csv(location(problem.position), field: fieldRef(problem.field, names), message: problem.message)
    }

    func rejects(_ problems: [CSVProblem], names: [String]) -> [CSVReject] {
        let locations = locations(problems.map(\.position))
        return zip(problems, locations).map { problem, location in
            var end = problem.rowEnd
            if end > problem.rowStart && base[end - 1] == 0x0A { end -= 1 }
            if end > problem.rowStart && base[end - 1] == 0x0D { end -= 1 }
            let text = String(
                decoding: UnsafeBufferPointer(start: base + problem.rowStart, count: end - problem.rowStart),
                as: UTF8.self)
            let field = fieldRef(problem.field, names).map { "\($0): " } ?? ""
            return CSVReject(location: location, message: field + problem.message, text: text)
        }
    }
}

/// Concatenates one column's chunks into a final column of its joined kind.
enum ColumnAssembler {
    /// Fixed-width values were parsed into `slab`, chunk `i` from row `slots[i]`; they are
    /// packed down in place (a no-op when no row was dropped) and the slab becomes the column.
    static func assemble(
        _ parts: [UnsafeMutablePointer<ColumnChunk>], kind: InferredKind, rows: [Int],
        slab: FixedSlab, slots: [Int]
    ) -> Column {
        let total = rows.reduce(0, +)
        let nullCount = parts.reduce(0) { $0 + $1.pointee.nullCount }
        let validity = nullCount > 0 ? validityBitmap(parts, rows: rows, total: total) : nil
        defer { for part in parts { part.pointee = ColumnChunk(kind: .empty, declared: false) } }
        switch kind {
        case .string, .empty:
            let (offsets, bytes) = joinedText(parts, rows: rows, total: total)
            return Column(
                type: .string, count: total, validity: validity, data: bytes, offsets: offsets, nullCount: nullCount)
        case .bool:
            var bits = GrowableBuffer(capacity: Bitmap.byteCount(bits: total))
            bits.appendZeros(Bitmap.byteCount(bits: total))
            var row = 0
            for (part, n) in zip(parts, rows) {
                if part.pointee.kind == .bool {
                    for r in 0..<n where part.pointee.fixed.load(at: r, as: UInt8.self) != 0 {
                        Bitmap.set(bits.pointer, row + r, true)
                    }
                }
                row += n
            }
            return Column(
                type: .bool, count: total, validity: validity, data: ByteBuffer(bits.finish()), nullCount: nullCount)
        case .date, .int, .float, .timestamp:
            let width = kind == .date ? 4 : 8
            var packed = 0
            for (i, (part, n)) in zip(parts, rows).enumerated() {
                // Writes stay below this chunk's window's end, and go forward from at or before
                // where they read, so no value is overwritten before it is read.
                let inPlace = part.pointee.fixed.pointer == slab.pointer + slots[i] * 8 && packed == slots[i]
                pack(part, rows: n, as: kind, into: slab.pointer + packed * width, inPlace: inPlace)
                packed += n
            }
            return Column(
                type: kind.dataType, count: total, validity: validity, data: slab.handOver(count: total * width),
                nullCount: nullCount)
        }
    }

    /// The column's validity bitmap from the chunks' null rows.
    private static func validityBitmap(_ parts: [UnsafeMutablePointer<ColumnChunk>], rows: [Int], total: Int)
        -> ByteBuffer
    {
        var bitmap = GrowableBuffer(capacity: Bitmap.byteCount(bits: total))
        bitmap.append(repeating: 0xFF, count: Bitmap.byteCount(bits: total))
        var row = 0
        for (part, n) in zip(parts, rows) {
            for k in 0..<part.pointee.nullCount {
                Bitmap.set(bitmap.pointer, row + Int(part.pointee.nulls.load(at: k * 4, as: Int32.self)), false)
            }
            row += n
        }
        return ByteBuffer(bitmap.finish())
    }

    /// The chunks' text and end offsets joined; a chunk with no text (all null) adds empty strings.
    private static func joinedText(_ parts: [UnsafeMutablePointer<ColumnChunk>], rows: [Int], total: Int)
        -> (offsets: ByteBuffer, bytes: ByteBuffer)
    {
        var offsets = GrowableBuffer(capacity: (total + 1) * 4)
        var bytes = GrowableBuffer(capacity: parts.reduce(0) { $0 + $1.pointee.bytes.count })
        offsets.append(Int32(0))
        for (part, n) in zip(parts, rows) {
            guard part.pointee.kind == .string else {
                for _ in 0..<n { offsets.append(Int32(bytes.count)) }
                continue
            }
            let base = Int32(bytes.count)
            if n > 0 {
                for r in 1...n { offsets.append(part.pointee.offsets.load(at: r * 4, as: Int32.self) &+ base) }
            }
            bytes.append(UnsafeRawBufferPointer(start: part.pointee.bytes.pointer, count: part.pointee.bytes.count))
        }
        return (ByteBuffer(offsets.finish()), ByteBuffer(bytes.finish()))
    }

    /// One chunk's fixed-width values written at `out` as `kind` (widened or narrowed as needed).
    private static func pack(
        _ part: UnsafeMutablePointer<ColumnChunk>, rows n: Int, as kind: InferredKind,
        into out: UnsafeMutableRawPointer,
        inPlace: Bool
    ) {
        let fixed = part.pointee.fixed.pointer
        switch (part.pointee.kind, kind) {
        case (let chunk, _) where chunk == kind && kind != .date:
            if !inPlace { out.copyMemory(from: fixed, byteCount: n * 8) }
        case (.int, .float):
            for r in 0..<n {
                out.storeBytes(
                    of: Double(fixed.load(fromByteOffset: r * 8, as: Int64.self)), toByteOffset: r * 8, as: Double.self)
            }
        case (.date, .timestamp):
            for r in 0..<n {
                out.storeBytes(
                    of: fixed.load(fromByteOffset: r * 8, as: Int64.self) &* Temporal.microsPerDay,
                    toByteOffset: r * 8, as: Int64.self)
            }
        case (.date, .date):
            for r in 0..<n {
                out.storeBytes(
                    of: Int32(truncatingIfNeeded: fixed.load(fromByteOffset: r * 8, as: Int64.self)),
                    toByteOffset: r * 4, as: Int32.self)
            }
        default:
            out.initializeMemory(as: UInt8.self, repeating: 0, count: n * width(kind))
        }
    }

    private static func width(_ kind: InferredKind) -> Int { kind == .date ? 4 : 8 }
}
