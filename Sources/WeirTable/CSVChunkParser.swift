#if canImport(Glibc)
    import Glibc
#endif

/// The type a CSV column has so far. Inference only widens: empty (nulls only) → any;
/// int → float; date → timestamp; anything else → string.
enum InferredKind: UInt8, Sendable {
    case empty, int, float, bool, date, timestamp, string

    init(_ type: DataType) {
        switch type {
        case .int64: self = .int
        case .float64: self = .float
        case .bool: self = .bool
        case .date: self = .date
        case .timestamp: self = .timestamp
        case .string: self = .string
        }
    }

    var dataType: DataType {
        switch self {
        case .int: .int64
        case .float: .float64
        case .bool: .bool
        case .date: .date
        case .timestamp: .timestamp
        case .string, .empty: .string
        }
    }

    /// Bytes per row in a chunk's fixed buffer.
    var width: Int { self == .bool ? 1 : 8 }

    func join(_ other: InferredKind) -> InferredKind {
        if self == other || other == .empty { return self }
        if self == .empty { return other }
        switch (self, other) {
        case (.int, .float), (.float, .int): return .float
        case (.date, .timestamp), (.timestamp, .date): return .timestamp
        default: return .string
        }
    }
}

/// Settings shared by all chunk parsers of one file. The tables the inner loop reads are raw
/// memory owned by this object, so the loop does no reference counting.
final class CSVParseConfig: @unchecked Sendable {
    let delimiter: UInt8
    let quote: UInt8 = 0x22
    let columnCount: Int
    /// Declared kind per column, or nil to infer.
    let declared: [InferredKind?]
    /// Columns in the order fields are converted: declared first, so a row that fails a declared
    /// type is rejected before it can widen an inferred column.
    let order: UnsafeMutablePointer<Int>
    let nullIsEmptyOnly: Bool
    let nullValues: [[UInt8]]
    let timestampFormat: TimestampFormat?
    let skipBadRows: Bool
    /// No null value looks like a number, so a field that parses as one is never null.
    let numbersAreNeverNull: Bool
    let fastRows: Bool
    /// 1 for the bytes that end an unquoted field's scan: delimiter, newline, quote.
    let special: UnsafeMutablePointer<Bool>
    /// The delimiter, newline and quote repeated in every byte lane, for `SWAR.firstOf`.
    let delimiterLanes, newlineLanes, quoteLanes: UInt64
    /// A field that starts `YYYY-MM-DDTHH:MM:SS` and ends there is a whole timestamp field:
    /// no custom format, and no byte of that layout is the delimiter.
    let plainTimestamps: Bool

    init(options: CSVOptions, columnCount: Int, declared: [InferredKind?]) {
        delimiter = options.delimiter
        self.columnCount = columnCount
        self.declared = declared
        let ordered = declared.indices.filter { declared[$0] != nil } + declared.indices.filter { declared[$0] == nil }
        order = .allocate(capacity: max(columnCount, 1))
        order.initialize(from: ordered, count: ordered.count)
        nullValues = options.nullValues.map { Array($0.utf8) }
        nullIsEmptyOnly = options.nullValues == [""]
        numbersAreNeverNull = !nullValues.contains { $0.first.map { ValueParsing.isDigit($0) || $0 == 0x2D } ?? false }
        timestampFormat = options.timestampFormat
        fastRows = options.fastRows
        skipBadRows = options.badRows == .skip
        special = .allocate(capacity: 256)
        special.initialize(repeating: false, count: 256)
        special[Int(options.delimiter)] = true
        special[0x0A] = true
        special[0x22] = true
        delimiterLanes = UInt64(options.delimiter) &* SWAR.ones
        newlineLanes = 0x0A &* SWAR.ones
        quoteLanes = 0x22 &* SWAR.ones
        plainTimestamps = options.timestampFormat == nil && !"0123456789-:T".utf8.contains(options.delimiter)
    }

    deinit {
        order.deallocate()
        special.deallocate()
    }
}

/// A problem found while parsing, located by byte position; lines are counted afterwards.
struct CSVProblem: Sendable {
    var position: Int
    var rowStart: Int
    /// Just past the row's last byte (its newline, when it has one).
    var rowEnd: Int
    var field: Int?
    var message: String
    /// The problem is in the quoting, which may have misplaced later chunk boundaries.
    var quoting = false
}

/// One column's values from one chunk, in the chunk's own inferred kind.
struct ColumnChunk: ~Copyable {
    var kind: InferredKind
    let declared: Bool
    /// 8 bytes per row (Int64, Double bits, days, microseconds) or 1 per row for bool.
    var fixed = GrowableBuffer(capacity: 0)
    /// Strings: rows+1 Int32 offsets into `bytes`.
    var offsets = GrowableBuffer(capacity: 0)
    var bytes = GrowableBuffer(capacity: 0)
    /// Int32 chunk-local row numbers of null values.
    var nulls = GrowableBuffer(capacity: 0)
    var rows = 0
    /// The column turned to string after non-string values were stored: re-read it as strings.
    var needsReparse = false

    init(kind: InferredKind, declared: Bool) {
        self.kind = kind
        self.declared = declared
        if kind == .string { offsets.append(Int32(0)) }
    }

    var nullCount: Int { nulls.count / 4 }

    /// Drops the values of rows `row...` (used when a row is rejected half-way through).
    mutating func truncate(to row: Int) {
        guard rows > row else { return }
        if needsReparse {
            // Nothing stored but counts.
        } else if kind == .string {
            let end = Int(offsets.load(at: row * 4, as: Int32.self))
            bytes.truncate(to: end)
            offsets.truncate(to: (row + 1) * 4)
        } else {
            fixed.truncate(to: min(fixed.count, row * kind.width))
        }
        while nulls.count >= 4 && Int(nulls.load(at: nulls.count - 4, as: Int32.self)) >= row {
            nulls.truncate(to: nulls.count - 4)
        }
        rows = row
    }
}

/// Owns one chunk's column buffers.
final class ChunkColumns: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<ColumnChunk>
    let count: Int
    /// Per-row scratch: where each field of the current row starts and ends, and whether it
    /// holds doubled quotes, and which columns are converted.
    let fieldStart: UnsafeMutablePointer<Int>
    let fieldEnd: UnsafeMutablePointer<Int>
    let fieldEscaped: UnsafeMutablePointer<Bool>
    let active: UnsafeMutablePointer<Bool>
    /// The plain-rows loop's cursors, one per column.
    let lanes: UnsafeMutablePointer<PlainLane>

    init(kinds: [InferredKind], declared: [InferredKind?], active: [Bool]) {
        count = kinds.count
        pointer = .allocate(capacity: count)
        for c in 0..<count {
            (pointer + c).initialize(to: ColumnChunk(kind: kinds[c], declared: declared[c] != nil))
        }
        fieldStart = .allocate(capacity: count + 1)
        fieldStart.initialize(repeating: 0, count: count + 1)
        fieldEnd = .allocate(capacity: count + 1)
        fieldEnd.initialize(repeating: 0, count: count + 1)
        fieldEscaped = .allocate(capacity: count + 1)
        fieldEscaped.initialize(repeating: false, count: count + 1)
        self.active = .allocate(capacity: max(count, 1))
        self.active.initialize(from: active, count: count)
        lanes = .allocate(capacity: max(count, 1))
    }

    deinit {
        pointer.deinitialize(count: count)
        pointer.deallocate()
        fieldStart.deallocate()
        fieldEnd.deallocate()
        fieldEscaped.deallocate()
        active.deallocate()
        lanes.deallocate()
    }
}

/// Parses the rows of one chunk of a CSV file into per-column buffers.
struct CSVChunkParser {
    let config: CSVParseConfig
    let base: UnsafePointer<UInt8>
    let start: Int
    let end: Int
    let storage: ChunkColumns
    let columns: UnsafeMutablePointer<ColumnChunk>
    /// Columns to parse; others are tokenized and ignored (used for re-reading some columns).
    private let active: UnsafeMutablePointer<Bool>
    private let fieldStart: UnsafeMutablePointer<Int>
    private let fieldEnd: UnsafeMutablePointer<Int>
    private let fieldEscaped: UnsafeMutablePointer<Bool>
    private let special: UnsafeMutablePointer<Bool>
    private let order: UnsafeMutablePointer<Int>
    private let columnCount: Int
    /// The config's delimiter, held here so that the inner loops read it without going
    /// through the config object.
    let delimiter: UInt8
    var rows = 0
    var rejects: [CSVProblem] = []
    var failure: CSVProblem?
    private var scratch: [UInt8] = []

    init(
        config: CSVParseConfig, base: UnsafePointer<UInt8>, start: Int, end: Int,
        kinds: [InferredKind], active: [Bool]? = nil, windows: [UnsafeMutableRawPointer] = [], windowBytes: Int = 0
    ) {
        self.config = config
        self.base = base
        self.start = start
        self.end = end
        storage = ChunkColumns(
            kinds: kinds, declared: config.declared,
            active: active ?? [Bool](repeating: true, count: config.columnCount))
        columns = storage.pointer
        for (c, window) in windows.enumerated() {
            columns[c].fixed = GrowableBuffer(window: window, capacity: windowBytes)
        }
        self.active = storage.active
        fieldStart = storage.fieldStart
        fieldEnd = storage.fieldEnd
        fieldEscaped = storage.fieldEscaped
        special = config.special
        order = config.order
        columnCount = config.columnCount
        delimiter = config.delimiter
    }

    func finish() -> ParsedChunk {
        ParsedChunk(storage: storage, rows: rows, rejects: rejects, failure: failure)
    }

    mutating func parse() {
        let base = self.base
        let end = self.end
        var p = start
        // Rows take a fast path once every column has a kind; a general row may change kinds.
        let fastRows = config.fastRows && (0..<columnCount).allSatisfy { active[$0] }
        var rowPath = fastRows ? currentRowPath() : .general
        // Rows the plain-rows loop leaves to the others after it took none: a file whose rows
        // all need a slower path does not pay for trying it on each.
        var plainPause = 0
        while p < end {
            if rowPath == .plain {
                if plainPause == 0 {
                    let before = rows
                    p = appendPlainRows(from: p)
                    if p >= end { break }
                    if rows == before { plainPause = 64 }
                } else {
                    plainPause -= 1
                }
            }
            if rowPath != .general,
                let next = rowPath == .numeric ? appendNumericRow(at: p) : appendSimpleRow(at: p)
            {
                p = next
                continue
            }
            defer { if fastRows { rowPath = currentRowPath() } }
            let rowStart = p
            // Blank lines are not rows.
            if base[p] == 0x0A {
                p += 1
                continue
            }
            if base[p] == 0x0D && p + 1 < end && base[p + 1] == 0x0A {
                p += 2
                continue
            }
            switch splitRow(from: &p) {
            case .stop: return
            case .skipped: continue
            case .fields(let field) where field != columnCount:
                let names = field < columnCount ? "found only \(field)" : "found \(field)"
                let problem = CSVProblem(
                    position: rowStart, rowStart: rowStart, rowEnd: min(p, end), field: nil,
                    message: "expected \(columnCount) fields, \(names)")
                if !report(problem) { return }
            case .fields:
                if !convertRow(rowStart: rowStart, rowEnd: min(p, end)) { return }
            }
        }
    }

    /// How splitting a row ended: its field count, a problem reported and the row skipped, or a
    /// problem that stops the parse.
    private enum RowSplit { case fields(Int), skipped, stop }

    /// Splits the row at `p` into `fieldStart`, `fieldEnd` and `fieldEscaped`, quoted fields
    /// included; `p` moves past the row (or, after a problem, to where parsing resumes).
    private mutating func splitRow(from p: inout Int) -> RowSplit {
        let rowStart = p
        var field = 0
        var rowEnded = false
        while !rowEnded {
            var fs = p
            var fe: Int
            var escaped = false
            if p < end && base[p] == config.quote {
                guard let (close, doubled) = closingQuote(after: p) else {
                    let message = "unterminated quoted field: no closing quote before the end of the file"
                    return skip(
                        CSVProblem(
                            position: p, rowStart: rowStart, rowEnd: end, field: field, message: message, quoting: true),
                        to: end, &p)
                }
                (fs, fe, escaped) = (p + 1, close, doubled)
                p = close + 1
                if p < end && base[p] == 0x0D && p + 1 < end && base[p + 1] == 0x0A { p += 1 }
                if p < end && base[p] != delimiter && base[p] != 0x0A {
                    return skipLine(
                        "unexpected character after a closing quote; expected the delimiter or the end of the line",
                        at: &p, rowStart: rowStart, field: field)
                }
            } else {
                while p < end && !special[Int(base[p])] { p += 1 }
                if p < end && base[p] == config.quote {
                    return skipLine(
                        "quote character inside an unquoted field; quote the whole field and double the quotes inside it",
                        at: &p, rowStart: rowStart, field: field)
                }
                fe = p
                if p < end && base[p] == 0x0A || p == end {
                    if fe > fs && base[fe - 1] == 0x0D { fe -= 1 }
                }
            }
            if p >= end || base[p] == 0x0A { rowEnded = true }
            p += 1
            if field < columnCount {
                fieldStart[field] = fs
                fieldEnd[field] = fe
                fieldEscaped[field] = escaped
            }
            field += 1
        }
        return .fields(field)
    }

    /// Reports `problem`; parsing resumes at `resume` unless the report stops it.
    private mutating func skip(_ problem: CSVProblem, to resume: Int, _ p: inout Int) -> RowSplit {
        guard report(problem) else { return .stop }
        p = resume
        return .skipped
    }

    /// Reports a quoting problem at `p` and skips to the next line.
    private mutating func skipLine(_ message: String, at p: inout Int, rowStart: Int, field: Int) -> RowSplit {
        let next = skipLine(p)
        let problem = CSVProblem(
            position: p, rowStart: rowStart, rowEnd: next, field: field, message: message, quoting: true)
        return skip(problem, to: next, &p)
    }

    /// The quote closing the field whose opening quote is at `open`, and whether the field holds
    /// doubled quotes; nil when the file ends first.
    private func closingQuote(after open: Int) -> (at: Int, doubled: Bool)? {
        let quote = config.quote
        var q = open + 1
        var doubled = false
        while true {
            guard q < end, let hit = memchr(base + q, Int32(quote), end - q) else { return nil }
            q = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
            guard q + 1 < end && base[q + 1] == quote else { return (q, doubled) }
            doubled = true
            q += 2
        }
    }

    private enum RowPath { case general, plain, numeric, simple }

    private func currentRowPath() -> RowPath {
        if plainRowsApply() { return .plain }
        var numeric = true
        for c in 0..<columnCount {
            switch columns[c].kind {
            case .empty: return .general
            case .int, .float: break
            default: numeric = false
            }
        }
        return numeric && config.numbersAreNeverNull ? .numeric : .simple
    }

    /// A row of plain numbers in int and float columns: `appendSimpleRow` cut down to what a
    /// numeric file needs, which saves a tenth of the parse on one.
    private mutating func appendNumericRow(at start: Int) -> Int? {
        var p = start
        let last = columnCount - 1
        for c in 0...last {
            let column = columns + c
            guard
                let (bits, length) = ValueParsing.leadingPlainNumber(
                    base + p, limit: end - p,
                    fraction: column.pointee.kind == .float)
            else { return abandonRow() }
            let fieldEnd = p + length
            guard let next = nextField(after: fieldEnd, last: c == last) else { return abandonRow() }
            p = next
            column.pointee.fixed.append(bits)
            column.pointee.rows &+= 1
        }
        rows += 1
        return p
    }

    /// A row whose fields each convert to their column's kind as it stands, quoted or not:
    /// the bulk of most files, read without the general loop's per-field bookkeeping. Returns
    /// where the next row starts, or nil, having stored nothing, to leave the row to the
    /// general loop (doubled quotes, values that would widen a column, wrong field counts,
    /// blank lines), which also reports what is wrong.
    /// (Mutating so that `self` is passed by reference: a non-mutating call from `parse()`
    /// copies the whole parser for every row.)
    private mutating func appendSimpleRow(at start: Int) -> Int? {
        if base[start] == 0x0A || base[start] == 0x0D { return nil }
        var p = start
        let last = columnCount - 1
        for c in 0...last {
            let column = columns + c
            guard let field = simpleField(at: p, kind: column.pointee.kind, last: c == last),
                let next = nextField(after: field.end, last: c == last)
            else { return abandonRow() }
            p = next
            if let converted = field.converted, config.numbersAreNeverNull {
                // An int's, a float's or a timestamp's bits, stored as they are.
                column.pointee.fixed.append(converted)
                column.pointee.rows &+= 1
                continue
            }
            guard store(field, in: column) else { return abandonRow() }
        }
        rows += 1
        return p
    }

    /// A field found by the simple-rows path: its text, where it ends, and its value when it was
    /// converted while finding the end.
    private struct SimpleField {
        var textStart: Int
        var textEnd: Int
        var end: Int
        var converted: UInt64?
    }

    /// The field at `p`, for a column of `kind`; nil when it needs the general path (a quoted
    /// field with doubled quotes, a quote inside an unquoted field, no closing quote).
    @inline(__always)
    private func simpleField(at p: Int, kind: InferredKind, last: Bool) -> SimpleField? {
        let quote = config.quote
        if p < end && base[p] == quote {
            let textStart = p + 1
            guard textStart < end, let hit = memchr(base + textStart, Int32(quote), end - textStart) else { return nil }
            let textEnd = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
            if textEnd + 1 < end && base[textEnd + 1] == quote { return nil }
            return SimpleField(textStart: textStart, textEnd: textEnd, end: textEnd + 1)
        }
        if kind == .int || kind == .float,
            let (value, length) = ValueParsing.leadingPlainNumber(base + p, limit: end - p, fraction: kind == .float),
            mayEndField(at: p + length)
        {
            return SimpleField(textStart: p, textEnd: p + length, end: p + length, converted: value)
        }
        if kind == .timestamp && config.plainTimestamps && p &+ 19 <= end && mayEndField(at: p &+ 19),
            let value = Temporal.plainTimestamp(UnsafeRawBufferPointer(start: base + p, count: 19))
        {
            return SimpleField(textStart: p, textEnd: p &+ 19, end: p &+ 19, converted: UInt64(bitPattern: value))
        }
        let q = unquotedFieldEnd(from: p)
        if q < end && base[q] == quote { return nil }
        var textEnd = q
        if last && textEnd > p && base[textEnd - 1] == 0x0D { textEnd -= 1 }
        return SimpleField(textStart: p, textEnd: textEnd, end: q)
    }

    /// Appends `field` to `column` as its kind; false when the text is not of that kind.
    @inline(__always)
    private func store(_ field: SimpleField, in column: UnsafeMutablePointer<ColumnChunk>) -> Bool {
        let text = base + field.textStart
        let n = field.textEnd - field.textStart
        let converted = field.converted
        if Self.isNull(text, n, config) {
            column.pointee.appendNull()
            return true
        }
        return column.pointee.appendValue(text, n, readable: end - field.textStart, converted: converted, config)
    }

    /// Whether a value converted up to `position` can be a whole field: the text ends there, or
    /// a delimiter or line end follows (`nextField` then checks which one the field's place needs).
    @inline(__always)
    func mayEndField(at position: Int) -> Bool {
        position == end || base[position] == delimiter || base[position] == 0x0A || base[position] == 0x0D
    }

    /// Where the field after one ending at `fieldEnd` starts (the next row's first, after the
    /// row's last field), or nil when the byte there does not end the field as its place in
    /// the row requires.
    @inline(__always)
    func nextField(after fieldEnd: Int, last: Bool) -> Int? {
        if !last { return fieldEnd < end && base[fieldEnd] == delimiter ? fieldEnd + 1 : nil }
        if fieldEnd == end { return end }
        if base[fieldEnd] == 0x0A { return fieldEnd + 1 }
        if base[fieldEnd] == 0x0D && fieldEnd + 1 < end && base[fieldEnd + 1] == 0x0A { return fieldEnd + 2 }
        return nil
    }

    /// Drops what a fast path stored of a row it leaves to the general loop.
    @inline(never)
    private func abandonRow() -> Int? {
        dropPartialRow()
        return nil
    }

    /// Drops what a rejected row had already stored: only the fast paths and `convertRow`
    /// store values, so the general loop's scan needs no undoing.
    private func dropPartialRow() {
        for c in 0..<columnCount where active[c] { columns[c].truncate(to: rows) }
    }

    private func skipLine(_ from: Int) -> Int {
        guard from < end, let hit = memchr(base + from, 0x0A, end - from) else { return end }
        return UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base + 1
    }

    /// Records a problem; returns whether parsing goes on (it does when bad rows are skipped).
    private mutating func report(_ problem: CSVProblem) -> Bool {
        if config.skipBadRows {
            rejects.append(problem)
            return true
        }
        failure = problem
        return false
    }

    private mutating func convertRow(rowStart: Int, rowEnd: Int) -> Bool {
        for n in 0..<columnCount {
            let c = order[n]
            guard active[c] else { continue }
            let p = base + fieldStart[c]
            let length = fieldEnd[c] - fieldStart[c]
            var ok: Bool
            if fieldEscaped[c] {
                scratch.removeAll(keepingCapacity: true)
                var i = 0
                while i < length {
                    scratch.append(p[i])
                    i += p[i] == config.quote ? 2 : 1
                }
                let config = self.config
                ok = scratch.withUnsafeBufferPointer {
                    Self.append($0.baseAddress ?? p, $0.count, to: columns + c, config)
                }
            } else {
                ok = Self.append(p, length, to: columns + c, config)
            }
            if !ok {
                let kind = columns[c].kind
                let text = String(decoding: UnsafeBufferPointer(start: p, count: min(length, 60)), as: UTF8.self)
                let problem = CSVProblem(
                    position: fieldStart[c], rowStart: rowStart, rowEnd: rowEnd, field: c,
                    message: "expected \(kind.dataType) (declared in schema), found \"\(text)\"")
                dropPartialRow()
                return report(problem)
            }
        }
        rows += 1
        return true
    }

    @inline(__always)
    private static func isNull(_ p: UnsafePointer<UInt8>, _ n: Int, _ config: CSVParseConfig) -> Bool {
        if config.nullIsEmptyOnly { return n == 0 }
        for value in config.nullValues where value.count == n {
            if n == 0 || value.withUnsafeBufferPointer({ memcmp($0.baseAddress!, p, n) == 0 }) { return true }
        }
        return false
    }

    /// Appends one field; returns false when a declared column cannot hold it.
    @inline(__always)
    private static func append(
        _ p: UnsafePointer<UInt8>, _ n: Int, to column: UnsafeMutablePointer<ColumnChunk>,
        _ config: CSVParseConfig
    ) -> Bool {
        if isNull(p, n, config) {
            column.pointee.appendNull()
            return true
        }
        // Inference widens the column until the field fits (a string always does); a declared
        // column does not widen.
        while !column.pointee.appendValue(p, n, readable: n, converted: nil, config) {
            if column.pointee.declared { return false }
            column.pointee.widen(to: column.pointee.widening(for: p, n, config))
        }
        return true
    }
}

/// The result of parsing one chunk.
struct ParsedChunk: @unchecked Sendable {
    let storage: ChunkColumns
    let rows: Int
    let rejects: [CSVProblem]
    let failure: CSVProblem?

    var columns: UnsafeMutablePointer<ColumnChunk> { storage.pointer }
}
