/// Builds a column value by value. The validity bitmap is created only when the first null
/// arrives, so columns without nulls carry none.
///
/// A builder belongs to one thread at a time and never hands out its buffers while appending,
/// so the runtime's exclusive-access checks on its properties (a tenth of a parser's time when
/// it appends a few values per row) are turned off.
public final class ColumnBuilder {
    public let type: DataType
    @exclusivity(unchecked) public private(set) var count = 0
    @exclusivity(unchecked) public private(set) var nullCount = 0
    @exclusivity(unchecked) private var data: GrowableBuffer
    @exclusivity(unchecked) private var offsets: GrowableBuffer
    @exclusivity(unchecked) private var validity = GrowableBuffer(capacity: 0)
    @exclusivity(unchecked) private var hasValidity = false

    public init(_ type: DataType, capacity: Int = 0) {
        self.type = type
        data = GrowableBuffer(capacity: capacity * (type.fixedWidth ?? 1))
        offsets = GrowableBuffer(capacity: type == .string ? (capacity + 1) * 4 : 0)
        if type == .string { offsets.append(Int32(0)) }
    }

    public func appendNull() {
        if !hasValidity {
            validity.appendZeros(Bitmap.byteCount(bits: count))
            for i in 0..<count { Bitmap.set(validity.pointer, i, true) }
            hasValidity = true
        }
        appendValidityBit(false)
        nullCount += 1
        switch type {
        case .int64, .timestamp: data.append(Int64(0))
        case .float64: data.append(Double(0))
        case .date: data.append(Int32(0))
        case .bool: appendBit(false)
        case .string: offsets.append(Int32(data.count))
        }
        count += 1
    }

    @inline(__always)
    private func appendValidityBit(_ value: Bool) {
        guard hasValidity else { return }
        if count & 7 == 0 { validity.append(UInt8(0)) }
        if value { Bitmap.set(validity.pointer, count, true) }
    }

    @inline(__always)
    private func appendBit(_ value: Bool) {
        if count & 7 == 0 { data.append(UInt8(0)) }
        if value { Bitmap.set(data.pointer, count, true) }
    }

    public func append(_ value: Int64) {
        precondition(type == .int64 || type == .timestamp, "appending int64 to a \(type) column")
        appendValidityBit(true)
        data.append(value)
        count += 1
    }

    public func append(_ value: Double) {
        precondition(type == .float64, "appending float64 to a \(type) column")
        appendValidityBit(true)
        data.append(value)
        count += 1
    }

    public func append(date days: Int32) {
        precondition(type == .date, "appending a date to a \(type) column")
        appendValidityBit(true)
        data.append(days)
        count += 1
    }

    public func append(_ value: Bool) {
        precondition(type == .bool, "appending bool to a \(type) column")
        appendValidityBit(true)
        appendBit(value)
        count += 1
    }

    public func append(_ value: String) {
        var value = value
        value.withUTF8 { append(utf8: UnsafeRawBufferPointer($0)) }
    }

    public func append(utf8 bytes: UnsafeRawBufferPointer) {
        precondition(type == .string, "appending string to a \(type) column")
        appendValidityBit(true)
        data.append(bytes)
        guard data.count <= Int(Int32.max) else {
            fatalError("string column exceeds 2 GiB of text; split the table into batches")
        }
        offsets.append(Int32(data.count))
        count += 1
    }

    /// Appends `count` values of this builder's fixed-width type (int64, timestamp, float64,
    /// date) laid out as Arrow lays them out, all present.
    public func append(fixedWidth values: UnsafeRawPointer, count added: Int) {
        guard let width = type.fixedWidth else { preconditionFailure("bulk append to a \(type) column") }
        if hasValidity {
            let start = count
            for i in 0..<added {
                if (start + i) & 7 == 0 { validity.append(UInt8(0)) }
                Bitmap.set(validity.pointer, start + i, true)
            }
        }
        data.append(UnsafeRawBufferPointer(start: values, count: added * width))
        count += added
    }

    /// Bytes of text held so far (string columns): a column holds at most 2 GiB.
    public var textByteCount: Int { type == .string ? data.count : 0 }

    /// Appends a boxed value; throws when its type does not match the column's.
    public func append(_ value: Value) throws {
        switch (value, type) {
        case (.null, _): appendNull()
        case (.int64(let v), .int64), (.timestamp(let v), .timestamp): append(v)
        case (.int64(let v), .float64): append(Double(v))
        case (.float64(let v), .float64): append(v)
        case (.bool(let v), .bool): append(v)
        case (.string(let v), .string): append(v)
        case (.date(let v), .date): append(date: v)
        default: throw TableError.invalid("cannot store \(value) in a \(type) column")
        }
    }

    /// Appends value `index` of `column`, which must have this builder's type.
    public func append(from column: Column, at index: Int) {
        precondition(column.type == type, "appending a \(column.type) value to a \(type) column")
        if column.isNull(index) {
            appendNull()
            return
        }
        switch type {
        case .int64, .timestamp: append(column.int64s[index])
        case .float64: append(column.float64s[index])
        case .date: append(date: column.dates[index])
        case .bool: append(column.bool(at: index))
        case .string:
            let bytes = column.strings.utf8(index)
            append(utf8: UnsafeRawBufferPointer(bytes))
        }
    }

    public func finish() -> Column {
        let finishedData = swapOut(&data)
        let finishedOffsets = type == .string ? ByteBuffer(swapOut(&offsets).finish()) : nil
        let bitmap: ByteBuffer? = hasValidity ? ByteBuffer(swapOut(&validity).finish()) : nil
        hasValidity = false
        let column = Column(
            type: type, count: count, validity: bitmap, data: ByteBuffer(finishedData.finish()),
            offsets: finishedOffsets, nullCount: nullCount)
        offsets = GrowableBuffer(capacity: 0)
        if type == .string { offsets.append(Int32(0)) }
        count = 0
        nullCount = 0
        return column
    }

    private func swapOut(_ buffer: inout GrowableBuffer) -> GrowableBuffer {
        var fresh = GrowableBuffer(capacity: 0)
        swap(&fresh, &buffer)
        return fresh
    }
}

extension Column {
    /// A column from boxed values (tests, small tables).
    public init(_ type: DataType, _ values: [Value]) throws {
        let builder = ColumnBuilder(type, capacity: values.count)
        for value in values { try builder.append(value) }
        self = builder.finish()
    }

    public init(int64 values: [Int64?]) {
        let builder = ColumnBuilder(.int64, capacity: values.count)
        for v in values { if let v { builder.append(v) } else { builder.appendNull() } }
        self = builder.finish()
    }

    public init(float64 values: [Double?]) {
        let builder = ColumnBuilder(.float64, capacity: values.count)
        for v in values { if let v { builder.append(v) } else { builder.appendNull() } }
        self = builder.finish()
    }

    public init(string values: [String?]) {
        let builder = ColumnBuilder(.string, capacity: values.count)
        for v in values { if let v { builder.append(v) } else { builder.appendNull() } }
        self = builder.finish()
    }

    public init(bool values: [Bool?]) {
        let builder = ColumnBuilder(.bool, capacity: values.count)
        for v in values { if let v { builder.append(v) } else { builder.appendNull() } }
        self = builder.finish()
    }

    /// A column from a contiguous array of fixed-width values with no nulls, copied once.
    public init(int64Values values: [Int64], type: DataType = .int64) {
        precondition(type == .int64 || type == .timestamp)
        let buffer = values.withUnsafeBytes { ByteBuffer(copying: $0) }
        self.init(type: type, count: values.count, validity: nil, data: buffer)
    }

    public init(float64Values values: [Double]) {
        let buffer = values.withUnsafeBytes { ByteBuffer(copying: $0) }
        self.init(type: .float64, count: values.count, validity: nil, data: buffer)
    }

    /// A date column from day numbers (days since the epoch), no nulls.
    public init(dateValues days: [Int32]) {
        let buffer = days.withUnsafeBytes { ByteBuffer(copying: $0) }
        self.init(type: .date, count: days.count, validity: nil, data: buffer)
    }
}

extension Column {
    /// The values at `rows`, in that order (Arrow's "take").
    public func take(_ rows: [Int]) -> Column {
        let builder = ColumnBuilder(type, capacity: rows.count)
        if type == .string {
            // Straight from the bytes: the per-value path looks up the string view each time.
            let view = strings
            for row in rows {
                if isNull(row) {
                    builder.appendNull()
                } else {
                    builder.append(utf8: UnsafeRawBufferPointer(view.utf8(row)))
                }
            }
            return builder.finish()
        }
        for row in rows { builder.append(from: self, at: row) }
        return builder.finish()
    }
}
