/// Writes tables as CSV: a header, then one line per row ending in `\n`. Fields holding the
/// delimiter, a quote, a newline or a carriage return are quoted with inner quotes doubled;
/// nulls are empty fields; floats use the shortest text that parses back to the same value;
/// timestamps are ISO 8601 UTC with a `Z`. A row that would be a blank line (one column, its
/// value null or empty) is written as `""`, since readers skip blank lines.
public struct CSVWriter {
    public var delimiter: UInt8

    public init(delimiter: UInt8 = UInt8(ascii: ",")) {
        self.delimiter = delimiter
    }

    public func write<Sink: ByteSink>(_ table: Table, to sink: inout Sink, header: Bool = true) throws {
        var line: [UInt8] = []
        line.reserveCapacity(1 << 16)
        if header {
            for (i, name) in table.schema.names.enumerated() {
                if i > 0 { line.append(delimiter) }
                appendQuoted(Array(name.utf8)[...], to: &line)
            }
            line.append(0x0A)
        }
        for row in 0..<table.rowCount {
            let start = line.count
            for (i, column) in table.columns.enumerated() {
                if i > 0 { line.append(delimiter) }
                appendField(column, row, to: &line)
            }
            if line.count == start { line.append(contentsOf: [0x22, 0x22]) }
            line.append(0x0A)
            if line.count >= 1 << 16 {
                try sink.write(line)
                line.removeAll(keepingCapacity: true)
            }
        }
        try sink.write(line)
    }

    public func write(_ table: Table, toFile path: String, header: Bool = true) throws {
        var sink = try FileSink(path: path)
        try write(table, to: &sink, header: header)
        try sink.close()
    }

    public func string(_ table: Table, header: Bool = true) throws -> String {
        var sink = MemorySink()
        try write(table, to: &sink, header: header)
        return String(decoding: sink.bytes, as: UTF8.self)
    }

    private func appendField(_ column: Column, _ row: Int, to line: inout [UInt8]) {
        if column.isNull(row) { return }
        switch column.type {
        case .int64: line.append(contentsOf: String(column.int64s[row]).utf8)
        case .float64: line.append(contentsOf: FloatFormat.shortest(column.float64s[row]).utf8)
        case .bool: line.append(contentsOf: (column.bool(at: row) ? "true" : "false").utf8)
        case .timestamp: line.append(contentsOf: Temporal.formatTimestamp(column.int64s[row]).utf8)
        case .date: line.append(contentsOf: Temporal.formatDate(column.dates[row]).utf8)
        case .string:
            let bytes = column.strings.utf8(row)
            appendQuoted(bytes[...], to: &line)
        }
    }

    private func appendQuoted<C: Collection>(_ bytes: C, to line: inout [UInt8]) where C.Element == UInt8 {
        let needsQuotes = bytes.contains { $0 == delimiter || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            line.append(contentsOf: bytes)
            return
        }
        line.append(0x22)
        for b in bytes {
            if b == 0x22 { line.append(0x22) }
            line.append(b)
        }
        line.append(0x22)
    }
}
