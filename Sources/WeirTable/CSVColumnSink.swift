#if canImport(Glibc)
    import Glibc
#endif

/// One sink per column kind for the CSV parser (the model: polars' csv/read/buffer.rs
/// builders): every row path appends a value, a null, or widens an inferred column through
/// these, so the switch on a column's kind is written once.
extension ColumnChunk {
    /// Appends the field's value as this column's kind; false (nothing appended) when the text
    /// is not of that kind. `converted`: the bits a fast path already parsed for an int, float
    /// or timestamp column. `readable`: bytes that may be read from `p`; 16 or more lets short
    /// text be copied as two words.
    @inline(__always)
    mutating func appendValue(
        _ p: UnsafePointer<UInt8>, _ n: Int, readable: Int, converted: UInt64?, _ config: CSVParseConfig
    ) -> Bool {
        switch kind {
        case .string:
            if !needsReparse { appendText(p, n, readable: readable) }
        case .int:
            guard let value = converted.map({ Int64(bitPattern: $0) }) ?? ValueParsing.int64(p, n) else {
                return false
            }
            fixed.append(value)
        case .float:
            guard let value = converted.map({ Double(bitPattern: $0) }) ?? ValueParsing.double(p, n) else {
                return false
            }
            fixed.append(value)
        case .timestamp:
            guard let value = converted.map({ Int64(bitPattern: $0) }) ?? Self.timestamp(p, n, config) else {
                return false
            }
            fixed.append(value)
        case .date:
            guard let value = ValueParsing.date(p, n) else { return false }
            fixed.append(value)
        case .bool:
            guard let value = ValueParsing.bool(p, n) else { return false }
            fixed.append(UInt8(value ? 1 : 0))
        case .empty:
            return false
        }
        rows &+= 1
        return true
    }

    @inline(__always)
    private mutating func appendText(_ p: UnsafePointer<UInt8>, _ n: Int, readable: Int) {
        bytes.reserve(max(n, 16))
        Self.copyText(p, n, readable: readable, to: bytes.pointer + bytes.count)
        bytes.appendUninitialized(n)
        offsets.append(Int32(truncatingIfNeeded: bytes.count))
    }

    /// Copies `n` bytes of field text: as two 8-byte words when the text is that short and 16
    /// bytes may be read from `source` (most text fields are), else with `copyMemory`. `target`
    /// must have room for 16 bytes.
    @inline(__always)
    static func copyText(
        _ source: UnsafePointer<UInt8>, _ n: Int, readable: Int, to target: UnsafeMutableRawPointer
    ) {
        if n <= 16 && readable >= 16 {
            let raw = UnsafeRawPointer(source)
            target.storeBytes(of: raw.loadUnaligned(as: UInt64.self), as: UInt64.self)
            target.storeBytes(
                of: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
        } else if n > 0 {
            target.copyMemory(from: source, byteCount: n)
        }
    }

    /// The kind an inferred column widens to for a field `appendValue` refused.
    func widening(for p: UnsafePointer<UInt8>, _ n: Int, _ config: CSVParseConfig) -> InferredKind {
        switch kind {
        case .int: Self.notInt64(p, n) ?? .string
        case .date: Self.timestamp(p, n, config) != nil ? .timestamp : .string
        case .empty: Self.infer(p, n, config)
        default: .string
        }
    }

    mutating func appendNull() {
        nulls.append(Int32(truncatingIfNeeded: rows))
        switch kind {
        case .string: if !needsReparse { offsets.append(Int32(bytes.count)) }
        case .bool: fixed.append(UInt8(0))
        default: fixed.append(Int64(0))
        }
        rows &+= 1
    }

    /// Switches an inferred column to `newKind`, converting what it holds when that is possible.
    mutating func widen(to newKind: InferredKind) {
        let old = kind
        kind = newKind
        switch (old, newKind) {
        case (.empty, .string):
            fixed.removeAll()
            offsets.appendZeros(4 * (rows + 1))
        case (.empty, .bool):
            fixed.removeAll()
            fixed.appendZeros(rows)
        case (.empty, _):
            break
        case (.int, .float):
            // Not converted in place: "-0" was stored as the integer 0 and would lose its sign.
            // The chunk's column is read again as floats.
            needsReparse = true
        case (.date, .timestamp):
            for r in 0..<rows {
                fixed.store(fixed.load(at: r * 8, as: Int64.self) &* Temporal.microsPerDay, at: r * 8)
            }
        default:
            // To string from a kind whose text was not kept: stop storing, re-read the chunk later.
            needsReparse = true
            fixed.removeAll()
        }
    }

    /// What a number that is not an int64 makes its column: float, or text for an integer too
    /// long for int64, which keeps its digits rather than lose them in a float. Nil: no number.
    private static func notInt64(_ p: UnsafePointer<UInt8>, _ n: Int) -> InferredKind? {
        guard ValueParsing.double(p, n) != nil else { return nil }
        let digitsOnly = (0..<n).allSatisfy {
            ValueParsing.isDigit(p[$0]) || (($0 == 0) && (p[0] == 0x2D || p[0] == 0x2B))
        }
        return digitsOnly ? .string : .float
    }

    @inline(__always)
    static func timestamp(_ p: UnsafePointer<UInt8>, _ n: Int, _ config: CSVParseConfig) -> Int64? {
        if let format = config.timestampFormat, let v = format.parse(p, n) { return v }
        return ValueParsing.timestamp(p, n)
    }

    private static func infer(_ p: UnsafePointer<UInt8>, _ n: Int, _ config: CSVParseConfig) -> InferredKind {
        if ValueParsing.int64(p, n) != nil { return .int }
        if let kind = notInt64(p, n) { return kind }
        if ValueParsing.date(p, n) != nil { return .date }
        if timestamp(p, n, config) != nil { return .timestamp }
        if ValueParsing.bool(p, n) != nil { return .bool }
        return .string
    }
}
