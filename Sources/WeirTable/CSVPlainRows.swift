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
        guard let room = openLanes(for: start) else { return start }
        let lanes = storage.lanes
        let last = config.columnCount - 1
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
                guard let (q, null) = plainField(lane, at: p, row: row, last: c == last) else {
                    p = rowStart
                    break rowLoop
                }
                if null {
                    // Only an empty field is null here; other text is the slower paths' to read.
                    if !mayEndField(at: q) {
                        p = rowStart
                        break rowLoop
                    }
                    Self.storeNull(lane, row: row)
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
        closeLanes(rows: row, rowHasNull: rowHasNull)
        return p
    }

    /// Copies each column's cursors into its lane; returns the rows of room every column has
    /// for this run (text room covers the rest of the chunk), nil when a column is not plain.
    private mutating func openLanes(for start: Int) -> Int? {
        let lanes = storage.lanes
        var room = Int.max
        for c in 0..<config.columnCount {
            let column = columns + c
            guard let op = Self.plainOp(for: column.pointee, config: config) else { return nil }
            if op == .string {
                if column.pointee.offsets.capacity - column.pointee.offsets.count < 4 * 1024 {
                    column.pointee.offsets.reserve(4 * 64 * 1024)
                }
                column.pointee.bytes.reserve(end - start + 16)
                room = min(room, (column.pointee.offsets.capacity - column.pointee.offsets.count) / 4)
                lanes[c] = PlainLane(
                    op: op, values: column.pointee.offsets.pointer + column.pointee.offsets.count,
                    text: column.pointee.bytes.pointer, textCount: column.pointee.bytes.count)
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
        return room
    }

    /// Counts the run's `rows` back into the columns; a row given up half-way leaves its values
    /// (and nulls, when it stored one) past the counts, where they are dropped.
    private mutating func closeLanes(rows row: Int, rowHasNull: Bool) {
        let lanes = storage.lanes
        for c in 0..<config.columnCount {
            let column = columns + c
            let lane = lanes + c
            if lane.pointee.op == .string {
                // The text ends at the last whole row's end offset.
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
    }

    /// Stores the field at `p` as row `row` of its lane: where its text ends and whether it is
    /// empty (null, stored by the caller), or nil when it is not a plain value of the lane's kind.
    @inline(__always)
    private func plainField(_ lane: UnsafeMutablePointer<PlainLane>, at p: Int, row: Int, last: Bool)
        -> (end: Int, null: Bool)?
    {
        switch lane.pointee.op {
        case .int, .float:
            return plainNumber(lane, at: p, row: row, float: lane.pointee.op == .float)
        case .timestamp, .date:
            // `YYYY-MM-DDTHH:MM:SS` or `YYYY-MM-DD`, exactly.
            let timestamp = lane.pointee.op == .timestamp
            let width = timestamp ? 19 : 10
            let text = UnsafeRawBufferPointer(start: base + p, count: width)
            guard p &+ width <= end, let value = timestamp ? Temporal.plainTimestamp(text) : Temporal.dateAt(text)
            else { return (p, true) }
            lane.pointee.values.storeBytes(of: value, toByteOffset: row &* 8, as: Int64.self)
            return (p &+ width, false)
        case .bool:
            let q = unquotedFieldEnd(from: p)
            if let value = ValueParsing.bool(base + p, q &- p) {
                lane.pointee.values.storeBytes(of: value ? 1 : 0, toByteOffset: row, as: UInt8.self)
                return (q, false)
            }
            return q == p ? (q, true) : nil
        case .string:
            let q = unquotedFieldEnd(from: p)
            var n = q &- p
            if last && n > 0 && base[q &- 1] == 0x0D { n &-= 1 }
            if n > 0 {
                copyText(from: p, count: n, to: lane.pointee.text + lane.pointee.textCount)
                lane.pointee.textCount &+= n
            }
            lane.pointee.values.storeBytes(
                of: Int32(truncatingIfNeeded: lane.pointee.textCount), toByteOffset: row &* 4, as: Int32.self)
            return (q, n == 0)
        }
    }

    /// A number field: most are short enough for one word to hold them whole. (Tried inside
    /// `leadingPlainNumber` itself, for every caller, this ran 5-15% slower on order_products.csv.)
    @inline(__always)
    private func plainNumber(_ lane: UnsafeMutablePointer<PlainLane>, at p: Int, row: Int, float: Bool)
        -> (end: Int, null: Bool)?
    {
        if p &+ 8 <= end,
            let (bits, length) = ValueParsing.numberInWord(
                UInt64(littleEndian: UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self)), fraction: float),
            mayEndField(at: p &+ length)
        {
            lane.pointee.values.storeBytes(of: bits, toByteOffset: row &* 8, as: UInt64.self)
            return (p &+ length, false)
        }
        if let (bits, length) = ValueParsing.leadingPlainNumber(base + p, limit: end &- p, fraction: float),
            mayEndField(at: p &+ length)
        {
            lane.pointee.values.storeBytes(of: bits, toByteOffset: row &* 8, as: UInt64.self)
            return (p &+ length, false)
        }
        // Not a short plain number: NaN, an exponent, a sign, many digits, or empty.
        let q = unquotedFieldEnd(from: p)
        let n = q &- p
        if n == 0 { return (q, true) }
        if float, let value = ValueParsing.double(base + p, n) {
            lane.pointee.values.storeBytes(of: value, toByteOffset: row &* 8, as: Double.self)
        } else if !float, let value = ValueParsing.int64(base + p, n) {
            lane.pointee.values.storeBytes(of: value, toByteOffset: row &* 8, as: Int64.self)
        } else {
            return nil
        }
        return (q, false)
    }

    /// A null's placeholder value in its lane (a string's end offset is already stored).
    @inline(__always)
    private static func storeNull(_ lane: UnsafeMutablePointer<PlainLane>, row: Int) {
        switch lane.pointee.op {
        case .string: break
        case .bool: lane.pointee.values.storeBytes(of: 0, toByteOffset: row, as: UInt8.self)
        default: lane.pointee.values.storeBytes(of: Int64(0), toByteOffset: row &* 8, as: Int64.self)
        }
    }

    /// Copies `n` bytes of text from `start` to `target`, which has room for `max(n, 16)`: as two
    /// word copies when the text is that short and the chunk holds 16 bytes from `start` (most
    /// text fields are), else with `copyMemory`.
    @inline(__always)
    func copyText(from start: Int, count n: Int, to target: UnsafeMutableRawPointer) {
        ColumnChunk.copyText(base + start, n, readable: end &- start, to: target)
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
