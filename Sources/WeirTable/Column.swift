/// One column of a table: a type, a count, an optional validity bitmap (bit set = value
/// present, as in Arrow) and the Arrow-layout buffers that hold the values. Buffers are shared
/// between slices and with memory-mapped files; a column never copies on slicing.
///
/// Layout per type (all little-endian, as in Arrow):
/// - int64, timestamp: 8-byte integers; float64: 8-byte doubles; date: 4-byte day numbers.
/// - bool: a bitmap, least significant bit first.
/// - string: `offsets` holds count+1 Int32 offsets into `data`, the UTF-8 bytes.
public struct Column: Sendable {
    public let type: DataType
    public let count: Int
    public let nullCount: Int
    /// Element offset of this column's first value inside its buffers (non-zero after slicing).
    let offset: Int
    let validity: ByteBuffer?
    let data: ByteBuffer
    let offsets: ByteBuffer?

    init(
        type: DataType, count: Int, offset: Int = 0, validity: ByteBuffer?, data: ByteBuffer,
        offsets: ByteBuffer? = nil, nullCount: Int? = nil
    ) {
        self.type = type
        self.count = count
        self.offset = offset
        self.data = data
        self.offsets = offsets
        if let validity {
            let nulls = nullCount ?? (count - Bitmap.countSet(validity.base, from: offset, count: count))
            self.validity = nulls == 0 ? nil : validity
            self.nullCount = nulls
        } else {
            self.validity = nil
            self.nullCount = 0
        }
    }

    // MARK: Nulls

    public var hasNulls: Bool { nullCount > 0 }

    @inline(__always)
    public func isNull(_ index: Int) -> Bool {
        guard let validity else { return false }
        return !Bitmap.get(validity.base, offset &+ index)
    }

    @inline(__always)
    public func isValid(_ index: Int) -> Bool { !isNull(index) }

    // MARK: Typed views

    /// The values of an int64 or timestamp column (zero where null).
    public var int64s: FixedWidthView<Int64> {
        precondition(type == .int64 || type == .timestamp, "int64s on a \(type) column")
        return FixedWidthView(owner: data, offset: offset, count: count)
    }

    /// The values of a float64 column (zero where null).
    public var float64s: FixedWidthView<Double> {
        precondition(type == .float64, "float64s on a \(type) column")
        return FixedWidthView(owner: data, offset: offset, count: count)
    }

    /// The day numbers of a date column (zero where null).
    public var dates: FixedWidthView<Int32> {
        precondition(type == .date, "dates on a \(type) column")
        return FixedWidthView(owner: data, offset: offset, count: count)
    }

    /// The values of a string column.
    public var strings: StringView {
        precondition(type == .string, "strings on a \(type) column")
        return StringView(offsets: offsets!, data: data, offset: offset, count: count)
    }

    @inline(__always)
    public func bool(at index: Int) -> Bool {
        precondition(type == .bool, "bool(at:) on a \(type) column")
        return Bitmap.get(data.base, offset &+ index)
    }

    /// A numeric value as Double (int64 and float64 columns); nil where null.
    @inline(__always)
    public func double(at index: Int) -> Double? {
        if isNull(index) { return nil }
        switch type {
        case .int64: return Double(data.load(offset &+ index, as: Int64.self))
        case .float64: return data.load(offset &+ index, as: Double.self)
        default: return nil
        }
    }

    /// One value, boxed. Convenient for tests, display and small tables; kernels use the views.
    public subscript(index: Int) -> Value {
        precondition(index >= 0 && index < count, "row \(index) out of range 0..<\(count)")
        if isNull(index) { return .null }
        let i = offset &+ index
        switch type {
        case .int64: return .int64(data.load(i, as: Int64.self))
        case .float64: return .float64(data.load(i, as: Double.self))
        case .timestamp: return .timestamp(data.load(i, as: Int64.self))
        case .date: return .date(data.load(i, as: Int32.self))
        case .bool: return .bool(Bitmap.get(data.base, i))
        case .string: return .string(strings[index])
        }
    }

    public var values: [Value] { (0..<count).map { self[$0] } }

    // MARK: Slicing

    /// Rows `range` of this column, sharing its buffers.
    public func slice(_ range: Range<Int>) -> Column {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "slice \(range) out of 0..<\(count)")
        return Column(
            type: type, count: range.count, offset: offset + range.lowerBound,
            validity: validity, data: data, offsets: offsets)
    }
}

/// A boxed cell value.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case null
    case int64(Int64)
    case float64(Double)
    case bool(Bool)
    case string(String)
    /// Microseconds since the epoch, UTC.
    case timestamp(Int64)
    /// Days since the epoch.
    case date(Int32)

    public var isNull: Bool { if case .null = self { true } else { false } }

    public var description: String {
        switch self {
        case .null: "null"
        case .int64(let v): String(v)
        case .float64(let v): FloatFormat.shortest(v)
        case .bool(let v): v ? "true" : "false"
        case .string(let v): v
        case .timestamp(let v): Temporal.formatTimestamp(v)
        case .date(let v): Temporal.formatDate(v)
        }
    }
}

/// A read-only view of fixed-width values that keeps their buffer alive.
public struct FixedWidthView<T: BitwiseCopyable>: RandomAccessCollection, @unchecked Sendable {
    let owner: ByteBuffer
    let base: UnsafePointer<T>
    public let count: Int

    init(owner: ByteBuffer, offset: Int, count: Int) {
        self.owner = owner
        self.base = owner.base.assumingMemoryBound(to: T.self) + offset
        self.count = count
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    @inline(__always)
    public subscript(position: Int) -> T { base[position] }

    /// Direct access for kernels; the pointer is valid inside `body` only.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(UnsafeBufferPointer(start: base, count: count)) }
    }
}

/// A read-only view of a string column's values that keeps its buffers alive.
public struct StringView: RandomAccessCollection, @unchecked Sendable {
    let offsetsOwner: ByteBuffer
    let dataOwner: ByteBuffer
    @usableFromInline let offsetsBase: UnsafePointer<Int32>
    @usableFromInline let dataBase: UnsafePointer<UInt8>
    public let count: Int

    init(offsets: ByteBuffer, data: ByteBuffer, offset: Int, count: Int) {
        offsetsOwner = offsets
        dataOwner = data
        offsetsBase = offsets.base.assumingMemoryBound(to: Int32.self) + offset
        dataBase = data.base.assumingMemoryBound(to: UInt8.self)
        self.count = count
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> String {
        String(decoding: utf8(position), as: UTF8.self)
    }

    /// The UTF-8 bytes of value `position`; valid while this view (or its column) is alive.
    /// Inlinable: grouping and parsing kernels in other modules call it once per row.
    @inlinable @inline(__always)
    public func utf8(_ position: Int) -> UnsafeBufferPointer<UInt8> {
        let start = Int(offsetsBase[position])
        let end = Int(offsetsBase[position &+ 1])
        return UnsafeBufferPointer(start: dataBase + start, count: end &- start)
    }

    /// Total bytes of the values in this view.
    public var byteCount: Int { Int(offsetsBase[count]) - Int(offsetsBase[0]) }
}

/// A string or int64 column's values and validity as bare pointers, for hot loops that read
/// single values from many rows: no reference counting per access. Valid only while the column
/// it came from (or a copy of it) is alive; the caller keeps it so. Inlinable, since the loops
/// that use it live in other modules.
public struct UnownedValues: @unchecked Sendable {
    @usableFromInline let validity: UnsafePointer<UInt8>?
    @usableFromInline let offset: Int
    @usableFromInline let data: UnsafeRawPointer
    @usableFromInline let offsets: UnsafePointer<Int32>?

    @inlinable @inline(__always)
    public func isValid(_ index: Int) -> Bool {
        guard let validity else { return true }
        return Bitmap.get(UnsafeRawPointer(validity), offset &+ index)
    }

    /// Value `index` of a string column.
    @inlinable @inline(__always)
    public func utf8(_ index: Int) -> UnsafeRawBufferPointer {
        let start = Int(offsets![offset &+ index])
        let end = Int(offsets![offset &+ index &+ 1])
        return UnsafeRawBufferPointer(start: data + start, count: end &- start)
    }

    /// Value `index` of an int64 or timestamp column.
    @inlinable @inline(__always)
    public func int64(_ index: Int) -> Int64 { data.load(fromByteOffset: (offset &+ index) &* 8, as: Int64.self) }
}

extension Column {
    /// The values as bare pointers (see `UnownedValues`); for string, int64 and timestamp columns.
    public var unownedValues: UnownedValues {
        precondition(type == .string || type == .int64 || type == .timestamp, "unowned values of a \(type) column")
        return UnownedValues(
            validity: validity.map { $0.base.assumingMemoryBound(to: UInt8.self) }, offset: offset, data: data.base,
            offsets: type == .string ? offsets!.base.assumingMemoryBound(to: Int32.self) : nil)
    }
}
