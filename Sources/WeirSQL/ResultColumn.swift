import WeirTable

/// One result column being read into a Weir column: DuckDB's type, the Weir type planned for
/// it, and the checked conversion between them. A value that does not fit the planned type
/// is an error naming the column and row, never a changed value.
final class ResultColumn {
    let name: String
    let source: SQLColumnType
    let target: DataType
    let builder: ColumnBuilder
    /// Rows read so far, for messages.
    private(set) var rows = 0

    init(name: String, source: SQLColumnType, target: DataType) {
        self.name = name
        self.source = source
        self.target = target
        builder = ColumnBuilder(target)
    }

    static let textLimit = Int(Int32.max)

    func append(_ reader: VectorReader) throws(SQLEngineError) {
        defer { rows += reader.count }
        if target.fixedWidth != nil, source.storesExactly(target), let block = reader.block() {
            builder.append(fixedWidth: block, count: reader.count)
            return
        }
        for row in 0..<reader.count {
            guard reader.isValid(row) else {
                builder.appendNull()
                continue
            }
            try appendValue(reader, row)
        }
    }

    private func mismatch(_ row: Int, _ shown: String) -> SQLEngineError {
        SQLEngineError(
            .result, "result column '\(name)' is \(target) but row \(rows + row + 1) holds \(shown)",
            hint:
                "DuckDB gives it \(source); declare another type with schema: { \(name): <type> } or CAST it in the query"
        )
    }

    private func appendValue(_ reader: VectorReader, _ row: Int) throws(SQLEngineError) {
        switch target {
        case .int64:
            guard let value = integer(reader, row) else { throw mismatch(row, SQLText.value(reader, row)) }
            builder.append(value)
        case .float64:
            builder.append(reader.double(row))
        case .bool:
            if case .boolean = source {
                builder.append(reader.bool(row))
                return
            }
            guard let value = reader.integer(row), value == 0 || value == 1 else {
                throw mismatch(row, SQLText.value(reader, row))
            }
            builder.append(value == 1)
        case .string:
            if case .varchar = source {
                let text = reader.text(row)
                guard builder.textByteCount + text.count <= Self.textLimit else {
                    throw SQLEngineError(
                        .result, "result column '\(name)' holds more than 2 GiB of text",
                        hint: "select fewer rows, or split the query into stages")
                }
                builder.append(utf8: text)
            } else {
                builder.append(SQLText.value(reader, row))
            }
        case .timestamp:
            guard let micros = timestamp(reader, row) else { throw mismatch(row, SQLText.value(reader, row)) }
            builder.append(micros)
        case .date:
            switch source {
            case .date:
                guard let days = reader.finiteDate(row) else { throw mismatch(row, "an infinite date") }
                builder.append(date: days)
            default:
                guard case .varchar = source, let days = Temporal.parseDate(reader.text(row)) else {
                    throw mismatch(row, SQLText.value(reader, row))
                }
                builder.append(date: days)
            }
        }
    }

    /// An exact Int64: integers that fit, decimals and floats with no fraction.
    private func integer(_ reader: VectorReader, _ row: Int) -> Int64? {
        switch source {
        case .integer, .hugeint: return reader.integer(row)
        case .decimal(_, 0, _): return reader.integer(row)
        case .decimal, .float, .double:
            let value = reader.double(row)
            guard value.rounded() == value else { return nil }
            return Int64(exactly: value)
        default: return nil
        }
    }

    private func timestamp(_ reader: VectorReader, _ row: Int) -> Int64? {
        switch source {
        case .timestamp: return reader.timestampMicros(row)
        case .date:
            guard let days = reader.finiteDate(row) else { return nil }
            return Int64(days) * 86_400_000_000
        case .varchar: return Temporal.parseTimestamp(reader.text(row))
        default: return nil
        }
    }
}

extension SQLColumnType {
    /// Whether DuckDB's vector holds values in exactly the Weir column's layout, every bit
    /// pattern meaning the same. (Not TIMESTAMP or DATE: their ±infinity have no Weir value.)
    func storesExactly(_ target: DataType) -> Bool {
        switch (self, target) {
        case (.integer(64, true), .int64), (.double, .float64): true
        default: false
        }
    }
}

/// Values as text, for string columns planned from other types and for messages.
enum SQLText {
    static func value(_ reader: VectorReader, _ row: Int) -> String {
        switch reader.type {
        case .boolean: return reader.bool(row) ? "true" : "false"
        case .integer, .hugeint: return reader.integer(row).map(String.init) ?? reader.wideInteger(row)
        case .decimal(_, let scale, _): return decimal(reader, row, scale: scale)
        case .float, .double: return FloatFormat.shortest(reader.double(row))
        case .varchar: return String(decoding: reader.text(row), as: UTF8.self)
        case .date: return reader.finiteDate(row).map(Temporal.formatDate) ?? "an infinite date"
        case .timestamp: return reader.timestampMicros(row).map(Temporal.formatTimestamp) ?? "an infinite timestamp"
        case .null: return "NULL"
        case .other(let name): return "a \(name) value"
        }
    }

    /// A decimal as DuckDB prints it: every digit of its scale.
    private static func decimal(_ reader: VectorReader, _ row: Int, scale: Int) -> String {
        guard let unscaled = reader.integer(row), scale > 0 else {
            return reader.integer(row).map(String.init) ?? FloatFormat.shortest(reader.double(row))
        }
        let negative = unscaled < 0
        var digits = String(unscaled.magnitude)
        if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
        digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        return (negative ? "-" : "") + digits
    }
}
