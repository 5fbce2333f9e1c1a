import Foundation
import WeirTable

/// PostgreSQL types Weir reads and writes, by OID (pg_type.h).
public enum PGType {
    public static let bool: UInt32 = 16, int8: UInt32 = 20, int2: UInt32 = 21, int4: UInt32 = 23, text: UInt32 = 25
    public static let name: UInt32 = 19, float4: UInt32 = 700, float8: UInt32 = 701, bpchar: UInt32 = 1042,
        varchar: UInt32 = 1043
    public static let date: UInt32 = 1082, timestamp: UInt32 = 1114, timestamptz: UInt32 = 1184, numeric: UInt32 = 1700,
        uuid: UInt32 = 2950

    /// The Weir type a column of PostgreSQL type `oid` becomes; nil when Weir cannot hold it.
    public static func dataType(_ oid: UInt32, numericAsText: Bool) -> DataType? {
        switch oid {
        case int2, int4, int8: .int64
        case float4, float8: .float64
        case numeric: numericAsText ? .string : .float64
        case bool: .bool
        case text, varchar, bpchar, name, uuid: .string
        case date: .date
        case timestamp, timestamptz: .timestamp
        default: nil
        }
    }

    /// The column type a Weir type is written as (timestamps are instants: timestamptz).
    public static func sqlName(_ type: DataType) -> String {
        switch type {
        case .int64: "bigint"
        case .float64: "double precision"
        case .bool: "boolean"
        case .string: "text"
        case .date: "date"
        case .timestamp: "timestamptz"
        }
    }

    /// What a column's type is called in messages.
    public static func describe(_ oid: UInt32) -> String {
        [
            bool: "boolean", int8: "bigint", int2: "smallint", int4: "integer", text: "text", float4: "real",
            float8: "double precision",
            varchar: "varchar", bpchar: "char", date: "date", timestamp: "timestamp", timestamptz: "timestamptz",
            numeric: "numeric",
            uuid: "uuid", name: "name", 114: "json", 3802: "jsonb", 17: "bytea", 1186: "interval", 1083: "time",
            1266: "timetz",
            2249: "record", 1009: "text[]", 1007: "integer[]", 1016: "bigint[]",
        ][oid] ?? "type oid \(oid)"
    }

    /// 2000-01-01, PostgreSQL's epoch, in Weir's units.
    static let epochDays: Int64 = 10_957
    static let epochMicros: Int64 = 946_684_800_000_000
}

/// Reads COPY ... (FORMAT binary) into columns: one builder per column, each value decoded by
/// its PostgreSQL type straight from the bytes libpq hands over.
public struct PGBinaryReader {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    let columns: [(name: String, oid: UInt32)]
    let builders: [ColumnBuilder]
    let numericAsText: Bool
    private var headerSeen = false
    /// A numeric value's digits, reused from value to value.
    private var scratch: [UInt8] = []
    private var ended = false
    public private(set) var rows = 0

    public init(columns: [(name: String, oid: UInt32)], schema: Schema, numericAsText: Bool) {
        self.columns = columns
        self.numericAsText = numericAsText
        builders = schema.fields.map { ColumnBuilder($0.type) }
    }

    public func finish(schema: Schema) throws -> Table {
        try Table(schema: schema, columns: builders.map { $0.finish() })
    }

    /// One message from the server: the header (with the first row), a row, or the trailer.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer) throws {
        var cursor = ByteCursor(bytes: bytes)
        if !headerSeen {
            let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]
            guard bytes.count >= 19, Array(bytes.prefix(11)) == signature else {
                throw Failure(description: "not a binary COPY stream")
            }
            cursor.offset = 15
            let extension_ = Int(try cursor.int32())
            guard extension_ >= 0 else { throw Failure(description: "a COPY header with a negative extension length") }
            try cursor.skip(extension_)
            headerSeen = true
        }
        while cursor.offset < bytes.count {
            let fields = Int(try cursor.int16())
            if fields == -1 {
                ended = true
                return
            }
            guard !ended, fields == columns.count else {
                throw Failure(description: "a COPY row of \(fields) fields where \(columns.count) were described")
            }
            for column in 0..<fields {
                let length = Int(try cursor.int32())
                if length == -1 {
                    builders[column].appendNull()
                    continue
                }
                guard length >= 0 else { throw Failure(description: "a negative field length") }
                let value = try cursor.take(length)
                try decode(value, column)
            }
            rows += 1
        }
    }

    private mutating func decode(_ value: UnsafeRawBufferPointer, _ column: Int) throws {
        let builder = builders[column]
        var cursor = ByteCursor(bytes: value)
        switch columns[column].oid {
        case PGType.int2: builder.append(Int64(try cursor.int16()))
        case PGType.int4: builder.append(Int64(try cursor.int32()))
        case PGType.int8: builder.append(try cursor.int64())
        case PGType.float4: builder.append(Double(Float(bitPattern: UInt32(bitPattern: try cursor.int32()))))
        case PGType.float8: builder.append(Double(bitPattern: UInt64(bitPattern: try cursor.int64())))
        case PGType.bool: builder.append(try cursor.take(1)[0] != 0)
        case PGType.date:
            let days = Int64(try cursor.int32())
            guard abs(days) < Int64(Int32.max) - 1 else { throw infinite(column, "date") }
            builder.append(date: Int32(days + PGType.epochDays))
        case PGType.timestamp, PGType.timestamptz:
            let micros = try cursor.int64()
            guard micros != .max && micros != .min else { throw infinite(column, "timestamp") }
            let (shifted, overflow) = micros.addingReportingOverflow(PGType.epochMicros)
            guard !overflow else { throw infinite(column, "timestamp") }
            builder.append(shifted)
        case PGType.uuid: builder.append(Self.uuid(try cursor.take(16)))
        case PGType.numeric:
            scratch.removeAll(keepingCapacity: true)
            try Self.numericDigits(value, into: &scratch)
            if numericAsText {
                scratch.withUnsafeBytes { builder.append(utf8: $0) }
            } else {
                scratch.append(0)
                let number = scratch.withUnsafeBufferPointer {
                    strtod(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), nil)
                }
                builder.append(number)
            }
        default: builder.append(utf8: value)
        }
    }

    private func infinite(_ column: Int, _ kind: String) -> Failure {
        Failure(
            description:
                "column '\(columns[column].name)' holds an infinite or out-of-range \(kind), which Weir cannot store; filter or cast it in the query"
        )
    }

    static func uuid(_ bytes: UnsafeRawBufferPointer) -> String {
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(
                hex[
                    hex.index(
                        hex.startIndex, offsetBy: range.lowerBound)..<hex.index(
                            hex.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }

    /// A binary numeric as decimal text: base-10000 digits, a weight, a sign and a display scale.
    static func numeric(_ value: UnsafeRawBufferPointer) throws -> String {
        var bytes: [UInt8] = []
        try numericDigits(value, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The decimal text of a binary numeric as ASCII bytes (no Foundation formatting: this runs
    /// once per value of a numeric column).
    static func numericDigits(_ value: UnsafeRawBufferPointer, into out: inout [UInt8]) throws {
        var cursor = ByteCursor(bytes: value)
        let count = Int(try cursor.int16())
        let weight = Int(try cursor.int16())
        let sign = UInt16(bitPattern: try cursor.int16())
        let scale = Int(try cursor.int16())
        switch sign {
        case 0xC000:
            out += Array("NaN".utf8)
            return
        case 0xD000:
            out += Array("Infinity".utf8)
            return
        case 0xF000:
            out += Array("-Infinity".utf8)
            return
        default: break
        }
        guard count >= 0, count <= 1000, weight > -1000, weight < 1000 else {
            throw Failure(description: "a numeric value out of range")
        }
        func digit(_ i: Int) throws -> Int {
            guard i >= 0 && i < count else { return 0 }
            let b = UnsafeRawBufferPointer(rebasing: value[(8 + 2 * i)..<(10 + 2 * i)])
            return Int(UInt16(b[0]) << 8 | UInt16(b[1]))
        }
        func four(_ d: Int, pad: Bool) {
            var started = pad
            var divisor = 1000
            while divisor > 0 {
                let x = d / divisor % 10
                if x != 0 { started = true }
                if started { out.append(UInt8(48 + x)) }
                divisor /= 10
            }
            if !started { out.append(48) }
        }
        guard value.count >= 8 + 2 * count else { throw Failure(description: "a COPY message ends early") }
        if sign == 0x4000 { out.append(UInt8(ascii: "-")) }
        if weight < 0 {
            out.append(48)
        } else {
            for i in 0...weight { four(try digit(i), pad: i > 0) }
        }
        if scale > 0 {
            out.append(UInt8(ascii: "."))
            var written = 0
            var i = weight + 1
            while written < scale {
                let d = try digit(i)
                var divisor = 1000
                while divisor > 0 && written < scale {
                    out.append(UInt8(48 + d / divisor % 10))
                    written += 1
                    divisor /= 10
                }
                i += 1
            }
        }
    }
}

/// Big-endian reads with bounds checked: a short or corrupt stream is an error, never a trap.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, offset <= bytes.count - count else {
            throw PGBinaryReader.Failure(description: "a COPY message ends early")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func skip(_ count: Int) throws { _ = try take(count) }

    mutating func int16() throws -> Int16 {
        let b = try take(2)
        return Int16(bitPattern: UInt16(b[0]) << 8 | UInt16(b[1]))
    }

    mutating func int32() throws -> Int32 {
        let b = try take(4)
        return Int32(bitPattern: b.loadUnaligned(as: UInt32.self).bigEndian)
    }

    mutating func int64() throws -> Int64 {
        let b = try take(8)
        return Int64(bitPattern: b.loadUnaligned(as: UInt64.self).bigEndian)
    }
}

/// Writes a table as COPY ... FROM STDIN (FORMAT binary), in blocks of about 1 MiB, straight
/// from the columns' buffers.
public enum PGBinaryWriter {
    /// A column's values, viewed once rather than per row.
    enum Values {
        case int64(FixedWidthView<Int64>), float64(FixedWidthView<Double>), bool(Column), date(FixedWidthView<Int32>)
        case timestamp(FixedWidthView<Int64>), string(StringView)

        init(_ column: Column) {
            switch column.type {
            case .int64: self = .int64(column.int64s)
            case .float64: self = .float64(column.float64s)
            case .bool: self = .bool(column)
            case .date: self = .date(column.dates)
            case .timestamp: self = .timestamp(column.int64s)
            case .string: self = .string(column.strings)
            }
        }
    }

    public static func write(_ table: Table, _ send: (UnsafeRawBufferPointer) throws -> Void) throws {
        var out = [UInt8]()
        out.reserveCapacity(1 << 20 + 4096)
        out += Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]
        let columns = table.columns
        let values = columns.map(Values.init)
        func be<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
        for row in 0..<table.rowCount {
            be(Int16(columns.count))
            for (column, value) in zip(columns, values) {
                guard column.isValid(row) else {
                    be(Int32(-1))
                    continue
                }
                switch value {
                case .int64(let v):
                    be(Int32(8))
                    be(v[row])
                case .float64(let v):
                    be(Int32(8))
                    be(v[row].bitPattern)
                case .bool(let c):
                    be(Int32(1))
                    out.append(c.bool(at: row) ? 1 : 0)
                case .date(let v):
                    be(Int32(4))
                    be(Int32(truncatingIfNeeded: Int64(v[row]) - PGType.epochDays))
                case .timestamp(let v):
                    be(Int32(8))
                    be(v[row] &- PGType.epochMicros)
                case .string(let v):
                    let bytes = v.utf8(row)
                    be(Int32(bytes.count))
                    out.append(contentsOf: bytes)
                }
            }
            if out.count >= 1 << 20 {
                try out.withUnsafeBytes { try send($0) }
                out.removeAll(keepingCapacity: true)
            }
        }
        be(Int16(-1))
        try out.withUnsafeBytes { try send($0) }
    }
}
