import CDuckDB
import WeirTable

/// One connection to an engine with Weir tables registered under the names a query uses
/// (temporary views over `weir_scan`, private to this connection). The tables stay in memory,
/// read in place, until the session ends.
public final class SQLSession: @unchecked Sendable {
    let engine: SQLEngine
    let connection: duckdb_connection
    private var keys: [String] = []

    public init(engine: SQLEngine, tables: [(name: String, table: Table)]) throws(SQLEngineError) {
        self.engine = engine
        connection = try engine.connect()
        for (name, table) in tables {
            let key = TableScan.add(table)
            keys.append(key)
            try SQLEngine.execute(
                "CREATE TEMP VIEW \(SQLEngine.quote(name)) AS SELECT * FROM weir_scan('\(key)')", on: connection)
        }
    }

    deinit {
        for key in keys { TableScan.remove(key) }
        var owned: duckdb_connection? = connection
        duckdb_disconnect(&owned)
    }

    /// Stops the statement running on this session (from another thread); it fails with an
    /// "interrupted" error.
    public func interrupt() { duckdb_interrupt(connection) }

    public func prepare(_ sql: String) throws(SQLEngineError) -> SQLStatement {
        var statement: duckdb_prepared_statement?
        let status = duckdb_prepare(connection, sql, &statement)
        guard status == DuckDBSuccess, let statement else {
            let message = duckdb_prepare_error(statement).map { String(cString: $0) } ?? "cannot prepare the query"
            duckdb_destroy_prepare(&statement)
            throw SQLEngineError.fromDuckDB(message, kind: .compile)
        }
        return SQLStatement(session: self, statement: statement)
    }
}

/// A value bound to a `$name` parameter.
public enum SQLValue: Sendable {
    case int(Int64), double(Double), bool(Bool), text(String), null
}

/// A prepared query: its parameters, its result columns, and running it into a Weir table.
public final class SQLStatement {
    let session: SQLSession
    private var statement: duckdb_prepared_statement?

    init(session: SQLSession, statement: duckdb_prepared_statement) {
        self.session = session
        self.statement = statement
    }

    deinit { duckdb_destroy_prepare(&statement) }

    /// Whether the statement is a query (SELECT, WITH ... SELECT, VALUES, ...).
    public var isSelect: Bool { duckdb_prepared_statement_type(statement) == DUCKDB_STATEMENT_TYPE_SELECT }

    /// Parameter names in order; positional ones (`?`, `$1`) are numbers.
    public var parameterNames: [String] {
        let count = duckdb_nparams(statement)
        guard count > 0 else { return [] }
        return (1...count).map { index in
            guard let name = duckdb_parameter_name(statement, index) else { return "\(index)" }
            defer { duckdb_free(UnsafeMutableRawPointer(mutating: name)) }
            return String(cString: name)
        }
    }

    public func bind(_ name: String, _ value: SQLValue) throws(SQLEngineError) {
        var index: idx_t = 0
        guard duckdb_bind_parameter_index(statement, &index, name) == DuckDBSuccess else {
            throw SQLEngineError(.compile, "the query has no parameter $\(name)")
        }
        let status =
            switch value {
            case .int(let v): duckdb_bind_int64(statement, index, v)
            case .double(let v): duckdb_bind_double(statement, index, v)
            case .bool(let v): duckdb_bind_boolean(statement, index, v)
            case .text(let v): duckdb_bind_varchar(statement, index, v)
            case .null: duckdb_bind_null(statement, index)
            }
        guard status == DuckDBSuccess else { throw SQLEngineError(.compile, "cannot bind $\(name)") }
    }

    /// The result's columns with DuckDB's types, as prepared.
    public var columns: [(name: String, type: SQLColumnType)] {
        (0..<duckdb_prepared_statement_column_count(statement)).map { index in
            let name = duckdb_prepared_statement_column_name(statement, index)
            defer { duckdb_free(UnsafeMutableRawPointer(mutating: name)) }
            var logical: duckdb_logical_type? = duckdb_prepared_statement_column_logical_type(statement, index)
            defer { duckdb_destroy_logical_type(&logical) }
            return (
                name.map { String(cString: $0) } ?? "column\(index)",
                logical.map(SQLColumnType.init) ?? .other("unknown")
            )
        }
    }

    /// Runs the query and reads its rows into columns of the planned `schema` (one field per
    /// result column, in order), a chunk at a time as DuckDB produces them.
    public func run(into schema: Schema) throws(SQLEngineError) -> Table {
        var result = duckdb_result()
        defer { duckdb_destroy_result(&result) }
        guard duckdb_execute_prepared_streaming(statement, &result) == DuckDBSuccess else {
            throw Self.failure(&result)
        }
        let count = Int(duckdb_column_count(&result))
        guard count == schema.count else {
            throw SQLEngineError(.run, "the query returns \(count) columns where \(schema.count) were planned")
        }
        let columns = (0..<count).map { index in
            var logical: duckdb_logical_type? = duckdb_column_logical_type(&result, idx_t(index))
            defer { duckdb_destroy_logical_type(&logical) }
            return ResultColumn(
                name: schema.fields[index].name, source: logical.map(SQLColumnType.init) ?? .other("unknown"),
                target: schema.fields[index].type)
        }
        while let chunk = duckdb_fetch_chunk(result) {
            defer {
                var owned: duckdb_data_chunk? = chunk
                duckdb_destroy_data_chunk(&owned)
            }
            let size = Int(duckdb_data_chunk_get_size(chunk))
            for (index, column) in columns.enumerated() {
                guard let vector = duckdb_data_chunk_get_vector(chunk, idx_t(index)),
                    let reader = VectorReader(vector, count: size, type: column.source)
                else { continue }
                try column.append(reader)
            }
        }
        if duckdb_result_error(&result) != nil { throw Self.failure(&result) }
        do {
            return try Table(schema: schema, columns: columns.map { $0.builder.finish() })
        } catch {
            throw SQLEngineError(.run, "\(error)")
        }
    }

    private static func failure(_ result: inout duckdb_result) -> SQLEngineError {
        let message = duckdb_result_error(&result).map { String(cString: $0) } ?? "the query failed"
        return SQLEngineError.fromDuckDB(message, kind: .run)
    }
}
