import CDuckDB
import Synchronization
import WeirTable

/// `weir_scan('key')`: a DuckDB table function over a Weir table held in this process. It is
/// what a session's views select from, so DuckDB reads the column buffers in place, a block at
/// a time, on every thread (blocks of `morsel` rows are handed out in turn), only the columns
/// the query uses, and as often as the query names the table (a self-join scans it twice).
enum TableScan {
    /// Tables a session has handed over, by key.
    private static let tables = Mutex<[String: Table]>([:])
    private static let counter = Atomic<Int>(0)
    /// Rows a thread takes at once: DuckDB's row-group size.
    static let morsel = 122_880

    static func add(_ table: Table) -> String {
        let key = "weir_table_\(counter.wrappingAdd(1, ordering: .relaxed).newValue)"
        tables.withLock { $0[key] = table }
        return key
    }

    static func remove(_ key: String) { _ = tables.withLock { $0.removeValue(forKey: key) } }

    static func table(_ key: String) -> Table? { tables.withLock { $0[key] } }

    static func register(on connection: duckdb_connection) throws(SQLEngineError) {
        var function: duckdb_table_function? = duckdb_create_table_function()
        defer { duckdb_destroy_table_function(&function) }
        duckdb_table_function_set_name(function, "weir_scan")
        var varchar: duckdb_logical_type? = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR)
        duckdb_table_function_add_parameter(function, varchar)
        duckdb_destroy_logical_type(&varchar)
        duckdb_table_function_set_bind(function, scanBind)
        duckdb_table_function_set_init(function, scanInit)
        duckdb_table_function_set_local_init(function, scanLocalInit)
        duckdb_table_function_set_function(function, scanNext)
        duckdb_table_function_supports_projection_pushdown(function, true)
        guard duckdb_register_table_function(connection, function) == DuckDBSuccess else {
            throw SQLEngineError(.setup, "cannot register the weir_scan table function")
        }
    }
}

/// What `bind` found: the table, kept alive for the scan.
private final class ScanBinding {
    let table: Table
    init(_ table: Table) { self.table = table }
}

/// One scan of a table: the columns DuckDB asked for and the next block to hand out.
private final class ScanState {
    let table: Table
    /// Table column per output column; an index past the table's columns is DuckDB's row id.
    let columns: [Int]
    let next = Atomic<Int>(0)
    init(table: Table, columns: [Int]) {
        self.table = table
        self.columns = columns
    }
}

/// One thread's place in its current block.
private final class ScanCursor {
    var position = 0
    var end = 0
}

private let releaseObject: duckdb_delete_callback_t = { pointer in
    guard let pointer else { return }
    Unmanaged<AnyObject>.fromOpaque(pointer).release()
}

private let scanBind: duckdb_table_function_bind_t = { info in
    guard let info else { return }
    var parameter: duckdb_value? = duckdb_bind_get_parameter(info, 0)
    defer { duckdb_destroy_value(&parameter) }
    guard let text = duckdb_get_varchar(parameter) else {
        return duckdb_bind_set_error(info, "weir_scan takes a table key")
    }
    let key = String(cString: text)
    duckdb_free(text)
    guard let table = TableScan.table(key) else {
        return duckdb_bind_set_error(info, "weir_scan: no table '\(key)' in this process")
    }
    for field in table.schema.fields {
        var type: duckdb_logical_type? = SQLColumnType.logicalType(for: field.type)
        duckdb_bind_add_result_column(info, field.name, type)
        duckdb_destroy_logical_type(&type)
    }
    duckdb_bind_set_cardinality(info, idx_t(table.rowCount), true)
    duckdb_bind_set_bind_data(info, Unmanaged.passRetained(ScanBinding(table) as AnyObject).toOpaque(), releaseObject)
}

private let scanInit: duckdb_table_function_init_t = { info in
    guard let info, let raw = duckdb_init_get_bind_data(info) else { return }
    let binding = Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as! ScanBinding
    let columns = (0..<duckdb_init_get_column_count(info)).map { Int(duckdb_init_get_column_index(info, $0)) }
    let state = ScanState(table: binding.table, columns: columns)
    let blocks = (binding.table.rowCount + TableScan.morsel - 1) / TableScan.morsel
    duckdb_init_set_max_threads(info, idx_t(max(1, blocks)))
    duckdb_init_set_init_data(info, Unmanaged.passRetained(state as AnyObject).toOpaque(), releaseObject)
}

private let scanLocalInit: duckdb_table_function_init_t = { info in
    guard let info else { return }
    duckdb_init_set_init_data(info, Unmanaged.passRetained(ScanCursor() as AnyObject).toOpaque(), releaseObject)
}

private let scanNext: duckdb_table_function_t = { info, output in
    guard let info, let output, let global = duckdb_function_get_init_data(info),
        let local = duckdb_function_get_local_init_data(info)
    else { return }
    let state = Unmanaged<AnyObject>.fromOpaque(global).takeUnretainedValue() as! ScanState
    let cursor = Unmanaged<AnyObject>.fromOpaque(local).takeUnretainedValue() as! ScanCursor
    let rowCount = state.table.rowCount
    if cursor.position >= cursor.end {
        let start = state.next.wrappingAdd(TableScan.morsel, ordering: .relaxed).oldValue
        guard start < rowCount else { return duckdb_data_chunk_set_size(output, 0) }
        cursor.position = start
        cursor.end = min(start + TableScan.morsel, rowCount)
    }
    let rows = cursor.position..<min(cursor.position + Int(duckdb_vector_size()), cursor.end)
    for (slot, index) in state.columns.enumerated() {
        guard let vector = duckdb_data_chunk_get_vector(output, idx_t(slot)) else { continue }
        let writer = VectorWriter(vector: vector)
        if index < state.table.columnCount {
            writer.write(state.table.columns[index], rows: rows)
        } else {
            writer.writeRowNumbers(rows)
        }
    }
    duckdb_data_chunk_set_size(output, idx_t(rows.count))
    cursor.position = rows.upperBound
}
