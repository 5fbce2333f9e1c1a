import GRDB
import GRDBSQLite

/// Binds a prepared statement's parameters through SQLite's C API and steps it, for the
/// ledger's bulk inserts: GRDB's `StatementArguments` box every value in an existential, which
/// cost half of recording a cached 1,000-stage run's stage rows. The only raw SQLite in WeirCore.
struct LedgerRowWriter {
    private let statement: OpaquePointer
    private var index: Int32 = 0

    init(_ statement: Statement) { self.statement = statement.sqliteStatement }

    mutating func bind(_ text: String?) throws {
        index += 1
        guard let text else { return try check(sqlite3_bind_null(statement, index)) }
        // SQLITE_TRANSIENT: SQLite copies the bytes before the temporary C string goes away.
        try check(sqlite3_bind_text(statement, index, text, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self)))
    }

    mutating func bind(_ number: Double?) throws {
        index += 1
        try check(number.map { sqlite3_bind_double(statement, index, $0) } ?? sqlite3_bind_null(statement, index))
    }

    mutating func bind(_ number: Int) throws {
        index += 1
        try check(sqlite3_bind_int64(statement, index, Int64(number)))
    }

    /// Runs the statement with the values bound so far, then makes it ready for the next row.
    mutating func step() throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        index = 0
        guard code == SQLITE_DONE else { throw failure(code) }
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw failure(code) }
    }

    private func failure(_ code: Int32) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errstr(code)),
            sql: sqlite3_sql(statement).map { String(cString: $0) })
    }
}
