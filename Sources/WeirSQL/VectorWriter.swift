import CDuckDB
import WeirTable

/// Fills one DuckDB output vector (at most `duckdb_vector_size()` rows) from a Weir column.
/// The only place that writes DuckDB's vector memory.
struct VectorWriter {
    let vector: duckdb_vector

    func write(_ column: Column, rows: Range<Int>) {
        precondition(rows.count <= Int(duckdb_vector_size()), "\(rows.count) rows do not fit one DuckDB vector")
        guard let data = duckdb_vector_get_data(vector) else { return }
        switch column.type {
        case .int64, .timestamp, .float64, .date:
            column.copyFixedWidth(rows, to: data)
        case .bool:
            let bytes = data.assumingMemoryBound(to: UInt8.self)
            for (slot, row) in rows.enumerated() { bytes[slot] = column.bool(at: row) ? 1 : 0 }
        case .string:
            let values = column.strings
            for (slot, row) in rows.enumerated() {
                let utf8 = values.utf8(row)
                utf8.withMemoryRebound(to: CChar.self) { text in
                    if let base = text.baseAddress {
                        duckdb_vector_assign_string_element_len(vector, idx_t(slot), base, idx_t(text.count))
                    } else {
                        duckdb_vector_assign_string_element_len(vector, idx_t(slot), "", 0)
                    }
                }
            }
        }
        if column.hasNulls { writeValidity(column, rows: rows) }
    }

    /// DuckDB's row ids (a query may ask for them): the row numbers.
    func writeRowNumbers(_ rows: Range<Int>) {
        guard let data = duckdb_vector_get_data(vector) else { return }
        let values = data.assumingMemoryBound(to: Int64.self)
        for (slot, row) in rows.enumerated() { values[slot] = Int64(row) }
    }

    /// Sets every bit of the rows' validity words: set where a value is present.
    private func writeValidity(_ column: Column, rows: Range<Int>) {
        duckdb_vector_ensure_validity_writable(vector)
        guard let mask = duckdb_vector_get_validity(vector) else { return }
        var word: UInt64 = 0
        for (slot, row) in rows.enumerated() {
            if column.isValid(row) { word |= 1 << UInt64(slot & 63) }
            if slot & 63 == 63 {
                mask[slot >> 6] = word
                word = 0
            }
        }
        if rows.count & 63 != 0 { mask[rows.count >> 6] = word }
    }
}
