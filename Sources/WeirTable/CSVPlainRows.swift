/// The plain-rows loop: rows of unquoted fields that each convert to their column's kind by
/// the short conversions (plain numbers, `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS`, text without
/// quotes), with empty fields as nulls. This is the bulk of most files.
///
/// Each column is written through a `PlainLane`: raw cursors copied out of its `ColumnChunk` on
/// entry and counted back on exit. Values go to `row * width` past a cursor, with room for the
/// whole run checked once, so the loop does no per-value capacity check or count update, and a
/// row it gives up half-way leaves nothing behind but values past the counts.
struct PlainLane {
    enum Op: UInt8 { case int, float, date, timestamp, bool, string }

    var op: Op
    /// Where the first row of this run goes: 8-byte values, a bool's bytes, or a string's
    /// Int32 end offsets.
    var values: UnsafeMutableRawPointer
    /// A string column's text and its length so far (room for the rest of the chunk is
    /// reserved on entry).
    var text: UnsafeMutableRawPointer
    var textCount: Int
}

extension CSVChunkParser {
    /// The lane op for a column of `kind`, or nil when its values need another path.
    static func plainOp(for column: borrowing ColumnChunk, config: CSVParseConfig) -> PlainLane.Op? {
        switch column.kind {
        case .int: .int
        case .float: .float
        case .date: .date
        case .timestamp: config.plainTimestamps ? .timestamp : nil
        case .string: column.needsReparse ? nil : .string
        case .bool: .bool
        case .empty: nil
        }
    }

    /// Whether every column can take the plain-rows loop as the kinds stand.
    func plainRowsApply() -> Bool {
        guard config.nullIsEmptyOnly else { return false }
        for c in 0..<config.columnCount where Self.plainOp(for: columns[c], config: config) == nil { return false }
        return true
    }

    /// Appends rows from `start` while they are plain; returns where the first row it did not
    /// take starts (`end` when it took them all). Call only when `plainRowsApply()`.
    mutating func appendPlainRows(from start: Int) -> Int {
        let count = config.columnCount
        let lanes = storage.lanes
        // Rows of room in every column for this run; text room covers the rest of the chunk.
        var room = Int.max
        for c in 0..<count {
            let column = columns + c
            guard let op = Self.plainOp(for: column.pointee, config: config) else { return start }
            if op == .string {
                if column.pointee.offsets.capacity - column.pointee.offsets.count < 4 * 1024 {
                    column.pointee.offsets.reserve(4 * 64 * 1024)
                }
                column.pointee.bytes.reserve(end - start + 16)
                room = min(room, (column.pointee.offsets.capacity - column.pointee.offsets.count) / 4)
                let bytes = column.pointee.bytes.pointer
                let textCount = column.pointee.bytes.count
                lanes[c] = PlainLane(
                    op: op, values: column.pointee.offsets.pointer + column.pointee.offsets.count,
                    text: bytes, textCount: textCount)
            } else {
                // A window into a shared slab keeps the room it was given: growing would move
                // the column out of its place.
                let width = column.pointee.kind.width
                if !column.pointee.fixed.isWindow
                    && column.pointee.fixed.capacity - column.pointee.fixed.count < width * 1024
                {
                    column.pointee.fixed.reserve(width * 64 * 1024)
                }
                room = min(room, (column.pointee.fixed.capacity - column.pointee.fixed.count) / width)
                lanes[c] = PlainLane(
                    op: op, values: column.pointee.fixed.pointer + column.pointee.fixed.count,
                    text: column.pointee.fixed.pointer, textCount: 0)
            }
        }
        let last = count - 1
        let base = self.base
        let end = self.end
        var p = start
        var row = 0
        /// A null was stored for the row under way.
        var rowHasNull = false
        rowLoop: while row < room && p < end {
            let rowStart = p
            // Blank lines are the general loop's to skip.
            if base[p] == 0x0A || base[p] == 0x0D { break }
            var c = 0
            while c <= last {
                let lane = lanes + c
                var q: Int
                var null = false
                switch lane.pointee.op {
                case .int, .float:
                    let float = lane.pointee.op == .float
                    // Most numbers are short enough for one word to hold them whole. (Tried
                    // inside `leadingPlainNumber` itself, for every caller, this loop ran 5-15%
                    // slower on order_products.csv.)
                    if p &+ 8 <= end,
                        let (bits, length) = ValueParsing.numberInWord(
                            UInt64(littleEndian: UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self)),
                            fraction: float),
                        mayEndField(at: p &+ length)
                    {
                        q = p &+ length
                        lane.pointee.values.storeBytes(of: bits, toByteOffset: row &* 8, as: UInt64.self)
                    } else if let (bits, length) = ValueParsing.leadingPlainNumber(
                        base + p, limit: end &- p, fraction: float),
                        mayEndField(at: p &+ length)
                    {
                        q = p &+ length
                        lane.pointee.values.storeBytes(of: bits, toByteOffset: row &* 8, as: UInt64.self)
                    } else {
                        // Not a short plain number: NaN, an exponent, a sign, many digits, or empty.
                        q = unquotedFieldEnd(from: p)
                        let n = q &- p
                        if n == 0 {
                            null = true
                        } else if float, let value = ValueParsing.double(base + p, n) {
                            lane.pointee.values.storeBytes(of: value, toByteOffset: row &* 8, as: Double.self)
                        } else if !float, let value = ValueParsing.int64(base + p, n) {
                            lane.pointee.values.storeBytes(of: value, toByteOffset: row &* 8, as: Int64.self)
                        } else {
                            p = rowStart
                            break rowLoop
                        }
                    }
                case .timestamp, .date:
                    // `YYYY-MM-DDTHH:MM:SS` or `YYYY-MM-DD`, exactly.
                    let timestamp = lane.pointee.op == .timestamp
                    let width = timestamp ? 19 : 10
                    let text = UnsafeRawBufferPointer(start: base + p, count: width)
                    if p &+ width <= end, let value = timestamp ? Temporal.plainTimestamp(text) : Temporal.dateAt(text)
                    {
                        q = p &+ width
                        lane.pointee.values.storeBytes(of: value, toByteOffset: row &* 8, as: Int64.self)
                    } else {
                        q = p
                        null = true
                    }
                case .bool:
                    q = unquotedFieldEnd(from: p)
                    if let value = ValueParsing.bool(base + p, q &- p) {
                        lane.pointee.values.storeBytes(of: value ? 1 : 0, toByteOffset: row, as: UInt8.self)
                    } else if q == p {
                        null = true
                    } else {
                        p = rowStart
                        break rowLoop
                    }
                case .string:
                    q = unquotedFieldEnd(from: p)
                    var n = q &- p
                    if c == last && n > 0 && base[q &- 1] == 0x0D { n &-= 1 }
                    if n == 0 {
                        null = true
                    } else {
                        copyText(from: p, count: n, to: lane.pointee.text + lane.pointee.textCount)
                        lane.pointee.textCount &+= n
                    }
                    lane.pointee.values.storeBytes(
                        of: Int32(truncatingIfNeeded: lane.pointee.textCount),
                        toByteOffset: row &* 4, as: Int32.self)
                }
                if null {
                    // Only an empty field is null here; other text is the slower paths' to read.
                    if !mayEndField(at: q) {
                        p = rowStart
                        break rowLoop
                    }
                    switch lane.pointee.op {
                    case .string: break
                    case .bool: lane.pointee.values.storeBytes(of: 0, toByteOffset: row, as: UInt8.self)
                    default: lane.pointee.values.storeBytes(of: Int64(0), toByteOffset: row &* 8, as: Int64.self)
                    }
                    columns[c].nulls.append(Int32(truncatingIfNeeded: rows &+ row))
                    rowHasNull = true
                }
                // A quote stops a scan too, and fails here: quoted fields are the slower paths' to read.
                guard let next = nextField(after: q, last: c == last) else {
                    p = rowStart
                    break rowLoop
                }
                p = next
                c &+= 1
            }
            row &+= 1
            rowHasNull = false
        }
        for c in 0..<count {
            let column = columns + c
            let lane = lanes + c
            if lane.pointee.op == .string {
                // The text ends at the last whole row's end offset; a row given up half-way
                // left its text past it, uncounted.
                if row > 0 {
                    let text = Int(lane.pointee.values.load(fromByteOffset: (row - 1) * 4, as: Int32.self))
                    column.pointee.bytes.appendUninitialized(text - column.pointee.bytes.count)
                }
                column.pointee.offsets.appendUninitialized(row * 4)
            } else {
                column.pointee.fixed.appendUninitialized(row * column.pointee.kind.width)
            }
            column.pointee.rows &+= row
            if rowHasNull {
                while column.pointee.nulls.count >= 4
                    && Int(column.pointee.nulls.load(at: column.pointee.nulls.count - 4, as: Int32.self)) >= rows + row
                {
                    column.pointee.nulls.truncate(to: column.pointee.nulls.count - 4)
                }
            }
        }
        rows += row
        return p
    }

    /// Copies `n` bytes of text from `start` to `target`, which has room for `max(n, 16)`: as two
    /// word copies when the text is that short and the chunk holds 16 bytes from `start` (most
    /// text fields are), else with `copyMemory`.
    @inline(__always)
    func copyText(from start: Int, count n: Int, to target: UnsafeMutableRawPointer) {
        if n <= 16 && start &+ 16 <= end {
            let source = UnsafeRawPointer(base + start)
            target.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
            target.storeBytes(
                of: source.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
        } else {
            target.copyMemory(from: base + start, byteCount: n)
        }
    }

    /// Where an unquoted field starting at `p` ends: the first delimiter, newline or quote, or
    /// the end of the chunk.
    @inline(__always)
    func unquotedFieldEnd(from start: Int) -> Int {
        var q = start
        while q &+ 8 <= end {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + q).loadUnaligned(as: UInt64.self))
            let k = SWAR.firstOf(word, config.delimiterLanes, config.newlineLanes, config.quoteLanes)
            q &+= k
            if k < 8 { return q }
        }
        while q < end && base[q] != delimiter && base[q] != 0x0A && base[q] != config.quote { q &+= 1 }
        return q
    }
}
