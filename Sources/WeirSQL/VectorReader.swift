import CDuckDB
import Foundation

/// Reads the values of one DuckDB result vector. The only place that reads DuckDB's vector
/// memory; every read is of a row below `count`, in the layout `type` gives.
struct VectorReader {
    let type: SQLColumnType
    let count: Int
    private let data: UnsafeRawPointer
    private let validity: UnsafePointer<UInt64>?

    init?(_ vector: duckdb_vector, count: Int, type: SQLColumnType) {
        guard let data = duckdb_vector_get_data(vector) else { return nil }
        self.type = type
        self.count = count
        self.data = UnsafeRawPointer(data)
        self.validity = duckdb_vector_get_validity(vector).map { UnsafePointer($0) }
    }

    /// The values as one block of `width`-byte slots, when no row is null.
    func block() -> UnsafeRawPointer? {
        guard let validity else { return data }
        for word in 0..<(count + 63) / 64 {
            let bits = min(64, count - word * 64)
            let full: UInt64 = bits == 64 ? ~0 : (1 << UInt64(bits)) - 1
            if validity[word] & full != full { return nil }
        }
        return data
    }

    func isValid(_ row: Int) -> Bool {
        precondition(row < count)
        guard let validity else { return true }
        return validity[row >> 6] & (1 << UInt64(row & 63)) != 0
    }

    private func load<T: BitwiseCopyable>(_ row: Int, _: T.Type) -> T {
        precondition(row < count)
        return data.load(fromByteOffset: row * MemoryLayout<T>.stride, as: T.self)
    }

    /// An integer's value, or a decimal's unscaled value; nil when it does not fit in Int64.
    func integer(_ row: Int) -> Int64? {
        switch type {
        case .integer(let bits, let signed): fixedInteger(row, bits: bits, signed: signed)
        case .decimal(_, _, let bits): fixedInteger(row, bits: bits, signed: true)
        case .hugeint(let signed): fitting(hugeint(row), signed: signed)
        default: nil
        }
    }

    private func fixedInteger(_ row: Int, bits: Int, signed: Bool) -> Int64? {
        switch (bits, signed) {
        case (8, true): Int64(load(row, Int8.self))
        case (16, true): Int64(load(row, Int16.self))
        case (32, true): Int64(load(row, Int32.self))
        case (64, true): load(row, Int64.self)
        case (8, false): Int64(load(row, UInt8.self))
        case (16, false): Int64(load(row, UInt16.self))
        case (32, false): Int64(load(row, UInt32.self))
        case (64, false): Int64(exactly: load(row, UInt64.self))
        default: fitting(hugeint(row), signed: signed)
        }
    }

    /// An integer too wide for Int64 (UBIGINT, HUGEINT), exactly, in decimal.
    func wideInteger(_ row: Int) -> String {
        switch type {
        case .integer(64, false): return String(load(row, UInt64.self))
        case .hugeint(let signed):
            let value = hugeint(row)
            return signed
                ? String(Int128(value.high) << 64 | Int128(value.low))
                : String(UInt128(UInt64(bitPattern: value.high)) << 64 | UInt128(value.low))
        default: return String(integer(row) ?? 0)
        }
    }

    /// A 128-bit value as Int64 when it fits.
    private func fitting(_ value: (low: UInt64, high: Int64), signed: Bool) -> Int64? {
        if !signed { return value.high == 0 ? Int64(exactly: value.low) : nil }
        let fits = (value.high == 0 && value.low >> 63 == 0) || (value.high == -1 && value.low >> 63 == 1)
        return fits ? Int64(bitPattern: value.low) : nil
    }

    private func hugeint(_ row: Int) -> (low: UInt64, high: Int64) {
        precondition(row < count)
        return (
            data.load(fromByteOffset: row * 16, as: UInt64.self),
            data.load(fromByteOffset: row * 16 + 8, as: Int64.self)
        )
    }

    /// A numeric value as a double (decimals divided by their scale).
    func double(_ row: Int) -> Double {
        switch type {
        case .float: return Double(load(row, Float.self))
        case .double: return load(row, Double.self)
        case .hugeint(let signed):
            let value = hugeint(row)
            return (signed ? Double(value.high) : Double(UInt64(bitPattern: value.high))) * 18446744073709551616.0
                + Double(value.low)
        case .decimal(_, let scale, let bits):
            let unscaled: Double
            if bits == 128 {
                let value = hugeint(row)
                unscaled = Double(value.high) * 18446744073709551616.0 + Double(value.low)
            } else {
                unscaled = Double(integer(row) ?? 0)
            }
            return unscaled / pow(10, Double(scale))
        case .integer(64, false): return Double(load(row, UInt64.self))
        default: return Double(integer(row) ?? 0)
        }
    }

    func bool(_ row: Int) -> Bool { load(row, UInt8.self) != 0 }

    /// A DATE's day number; nil for ±infinity (DuckDB's Int32.max and -Int32.max).
    func finiteDate(_ row: Int) -> Int32? {
        let days = load(row, Int32.self)
        return days == .max || days == -.max ? nil : days
    }

    /// A timestamp in microseconds; nil for ±infinity or one out of range.
    func timestampMicros(_ row: Int) -> Int64? {
        let raw = load(row, Int64.self)
        guard raw != .max && raw != -.max else { return nil }
        guard case .timestamp(let digits, _) = type else { return nil }
        switch digits {
        case 0: return raw.multipliedReportingOverflow(by: 1_000_000).overflow ? nil : raw * 1_000_000
        case 3: return raw.multipliedReportingOverflow(by: 1_000).overflow ? nil : raw * 1_000
        case 9: return raw / 1_000 - (raw % 1_000 < 0 ? 1 : 0)  // floor: 1 ns before 1970 is in the microsecond before
        default: return raw
        }
    }

    /// The UTF-8 bytes of a VARCHAR value, valid while the chunk is.
    func text(_ row: Int) -> UnsafeRawBufferPointer {
        precondition(row < count)
        let slot = data + row * 16
        let length = Int(slot.load(as: UInt32.self))
        if length <= 12 { return UnsafeRawBufferPointer(start: slot + 4, count: length) }
        let pointer = slot.load(fromByteOffset: 8, as: UnsafeRawPointer.self)
        return UnsafeRawBufferPointer(start: pointer, count: length)
    }
}
