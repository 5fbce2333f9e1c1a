import GRDBSQLite
import WeirCore
import WeirTable

/// A private in-memory SQLite database for one `sql` stage, driven through the C API so tables
/// are bulk-loaded straight from column buffers (one prepared INSERT, one transaction) and
/// results are read straight into column builders.
final class SQLDatabase {
    private var handle: OpaquePointer?

    /// Declared column types: they give SQLite the right affinity and come back from
    /// `sqlite3_column_decltype`, so a column passed through a query keeps its Weir type.
    static func declaredType(_ type: DataType) -> String {
        switch type {
        case .int64: "INT64"
        case .float64: "FLOAT64"
        case .string: "TEXT"
        case .bool: "BOOL"
        case .timestamp: "TIMESTAMP"
        case .date: "DATE"
        }
    }

    static func dataType(declared: String) -> DataType? {
        switch declared.uppercased() {
        case "INT64", "INTEGER", "INT", "BIGINT": .int64
        case "FLOAT64", "REAL", "DOUBLE", "FLOAT": .float64
        case "TEXT", "VARCHAR", "STRING": .string
        case "BOOL", "BOOLEAN": .bool
        case "TIMESTAMP", "DATETIME": .timestamp
        case "DATE": .date
        default: nil
        }
    }

    /// A private in-memory database, or the file at `path` (created if need be).
    init(path: String = ":memory:") throws {
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK else {
            let reason = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            throw StageError(
                path == ":memory:"
                    ? "cannot open an in-memory SQLite database" : "cannot open SQLite database \(path): \(reason)",
                param: "path")
        }
        // Another process (a dashboard) may hold a read lock for a moment.
        sqlite3_busy_timeout(handle, 10_000)
    }

    deinit {
        sqlite3_close_v2(handle)
        budget?.deallocate()
    }

    private var budget: UnsafeMutablePointer<Int>?

    /// Interrupts any statement after about `units` thousand virtual-machine steps, so planning
    /// never runs a query that generates its own data for long.
    func limitWork(thousandsOfSteps units: Int) {
        let pointer = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        pointer.initialize(to: units)
        budget = pointer
        sqlite3_progress_handler(
            handle, 1000,
            { context in
                guard let remaining = context?.assumingMemoryBound(to: Int.self) else { return 0 }
                remaining.pointee -= 1
                return remaining.pointee < 0 ? 1 : 0
            }, pointer)
    }

    var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &error) != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(error)
            throw StageError(message)
        }
    }

    func createTable(
        _ name: String, schema: Schema, typeName: (DataType) -> String = declaredType, ifNotExists: Bool = false
    ) throws {
        let columns = schema.fields.map { "\(Self.quote($0.name)) \(typeName($0.type))" }.joined(separator: ", ")
        try execute("CREATE TABLE \(ifNotExists ? "IF NOT EXISTS " : "")\(Self.quote(name)) (\(columns))")
    }

    /// The columns of an existing table, in order, with their declared types; nil when there is no such table.
    func columns(of table: String) throws -> [(name: String, type: String)]? {
        let statement = try prepare("SELECT name, type FROM pragma_table_info(?)")
        defer { sqlite3_finalize(statement.pointer) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        sqlite3_bind_text(statement.pointer, 1, table, -1, transient)
        var found: [(name: String, type: String)] = []
        while sqlite3_step(statement.pointer) == SQLITE_ROW {
            found.append(
                (
                    String(cString: sqlite3_column_text(statement.pointer, 0)),
                    String(cString: sqlite3_column_text(statement.pointer, 1))
                ))
        }
        return found.isEmpty ? nil : found
    }

    /// A SHA-256 of a table's rows in rowid order, each value with its storage class, so two
    /// tables digest alike only when they hold the same values; nil when there is no such table.
    func contentDigest(of table: String) throws -> String? {
        guard try columns(of: table) != nil else { return nil }
        let statement = try prepare("SELECT * FROM \(Self.quote(table)) ORDER BY rowid")
        defer { sqlite3_finalize(statement.pointer) }
        var hasher = HashingSink()
        let count = sqlite3_column_count(statement.pointer)
        func add<T>(_ value: T) { withUnsafeBytes(of: value) { try? hasher.write($0) } }
        var status = sqlite3_step(statement.pointer)
        while status == SQLITE_ROW {
            for i in 0..<count {
                let kind = sqlite3_column_type(statement.pointer, i)
                add(UInt8(kind))
                switch kind {
                case SQLITE_INTEGER: add(sqlite3_column_int64(statement.pointer, i).littleEndian)
                case SQLITE_FLOAT: add(sqlite3_column_double(statement.pointer, i).bitPattern.littleEndian)
                case SQLITE_TEXT, SQLITE_BLOB:
                    let bytes = sqlite3_column_blob(statement.pointer, i)
                    let length = Int(sqlite3_column_bytes(statement.pointer, i))
                    add(Int64(length).littleEndian)
                    if let bytes { try? hasher.write(UnsafeRawBufferPointer(start: bytes, count: length)) }
                default: break
                }
            }
            status = sqlite3_step(statement.pointer)
        }
        guard status == SQLITE_DONE else { throw StageError(errorMessage) }
        return hasher.digest()
    }

    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Inserts every row of `table`, binding values from the column buffers.
    func insert(_ table: Table, into name: String) throws {
        guard table.columnCount > 0 else { return }
        let placeholders = Array(repeating: "?", count: table.columnCount).joined(separator: ", ")
        let statement = try prepare("INSERT INTO \(Self.quote(name)) VALUES (\(placeholders))")
        defer { sqlite3_finalize(statement.pointer) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let columns = table.columns
        for row in 0..<table.rowCount {
            for (c, column) in columns.enumerated() {
                let index = Int32(c + 1)
                if column.isNull(row) {
                    sqlite3_bind_null(statement.pointer, index)
                    continue
                }
                switch column.type {
                case .int64: sqlite3_bind_int64(statement.pointer, index, column.int64s[row])
                case .float64: sqlite3_bind_double(statement.pointer, index, column.float64s[row])
                case .bool: sqlite3_bind_int64(statement.pointer, index, column.bool(at: row) ? 1 : 0)
                case .string:
                    let bytes = column.strings.utf8(row)
                    if let base = bytes.baseAddress {
                        // SQLITE_STATIC (nil): the column's buffer outlives the step.
                        base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                            _ = sqlite3_bind_text(statement.pointer, index, $0, Int32(bytes.count), nil)
                        }
                    } else {
                        sqlite3_bind_text(statement.pointer, index, "", 0, transient)
                    }
                case .timestamp:
                    sqlite3_bind_text(statement.pointer, index, Self.sqliteTimestamp(column.int64s[row]), -1, transient)
                case .date:
                    sqlite3_bind_text(statement.pointer, index, Temporal.formatDate(column.dates[row]), -1, transient)
                }
            }
            guard sqlite3_step(statement.pointer) == SQLITE_DONE else {
                throw StageError("loading table '\(name)': \(errorMessage)")
            }
            sqlite3_reset(statement.pointer)
        }
    }

    /// `YYYY-MM-DD HH:MM:SS[.fff]`, the form SQLite's date functions read and compare as text.
    static func sqliteTimestamp(_ micros: Int64) -> String {
        var text = Temporal.formatTimestamp(micros)
        text.removeLast()  // Z
        return text.replacingOccurrences(of: "T", with: " ")
    }

    struct Statement {
        var pointer: OpaquePointer
        /// Non-blank SQL after the first statement.
        var tail: String
    }

    func prepare(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        var rest = ""
        let utf8 = Array(sql.utf8CString)
        let status = utf8.withUnsafeBufferPointer { buffer in
            let status = sqlite3_prepare_v2(handle, buffer.baseAddress, Int32(buffer.count), &statement, &tail)
            rest = tail.map { String(cString: $0) } ?? ""
            return status
        }
        guard status == SQLITE_OK, let statement else { throw StageError(errorMessage) }
        return Statement(pointer: statement, tail: rest)
    }
}
