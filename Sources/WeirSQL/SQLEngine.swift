import CDuckDB
import Foundation
import Synchronization

/// An in-memory DuckDB database: where one `sql` stage's query runs (or, shared, where every
/// query is typed at planning). Queries see only the tables handed to a session: reading
/// files, installing extensions and changing settings from SQL are off, so a cached result can
/// depend on nothing Weir does not track.
public final class SQLEngine: @unchecked Sendable {
    public struct Options: Sendable {
        /// Worker threads (default: every core).
        public var threads: Int
        /// DuckDB's memory limit, as DuckDB reads it ("2GB", "500MiB"); nil: DuckDB's default (80% of RAM).
        public var memoryLimit: String?
        /// Where operators that outgrow memory spill (created when needed); nil: DuckDB's default.
        public var spillDirectory: String?

        public init(
            threads: Int = ProcessInfo.processInfo.activeProcessorCount, memoryLimit: String? = nil,
            spillDirectory: String? = nil
        ) {
            self.threads = threads
            self.memoryLimit = memoryLimit
            self.spillDirectory = spillDirectory
        }
    }

    let database: duckdb_database

    /// Engines shared by the queries of this process that set no memory limit, by spill folder:
    /// opening a database costs about 15 ms, and one engine's thread pool serves stages that
    /// run at once without oversubscribing the cores.
    private static let shared = Mutex<[String: SQLEngine]>([:])

    /// The shared engine that spills into `spillDirectory` (created on first use).
    public static func shared(spillDirectory: String) throws(SQLEngineError) -> SQLEngine {
        let result: Result<SQLEngine, SQLEngineError> = shared.withLock { engines in
            if let engine = engines[spillDirectory] { return .success(engine) }
            do throws(SQLEngineError) {
                let engine = try SQLEngine(Options(spillDirectory: spillDirectory))
                engines[spillDirectory] = engine
                return .success(engine)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The engine every query is typed in at planning: one per process, one thread.
    public static let planning: Result<SQLEngine, SQLEngineError> = {
        do throws(SQLEngineError) { return .success(try SQLEngine(Options(threads: 1, memoryLimit: "256MB"))) } catch {
            return .failure(error)
        }
    }()

    public init(_ options: Options) throws(SQLEngineError) {
        var reason = [CChar](repeating: 0, count: 600)
        guard weir_duckdb_load(&reason, reason.count) == 0 else {
            throw SQLEngineError(
                .setup, String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        var config: duckdb_config?
        guard duckdb_create_config(&config) == DuckDBSuccess, let config else {
            throw SQLEngineError(.setup, "cannot create a DuckDB configuration")
        }
        defer {
            var owned: duckdb_config? = config
            duckdb_destroy_config(&owned)
        }
        // Where to spill comes before closing external access, which freezes file settings.
        var settings: [(String, String)] = options.spillDirectory.map { [("temp_directory", $0)] } ?? []
        settings += [
            ("threads", String(max(1, options.threads))),
            ("autoinstall_known_extensions", "false"),
            ("autoload_known_extensions", "false"),
            ("errors_as_json", "true"),
        ]
        if let limit = options.memoryLimit { settings.append(("memory_limit", limit)) }
        for (name, value) in settings where duckdb_set_config(config, name, value) != DuckDBSuccess {
            throw SQLEngineError(.setup, "DuckDB refuses setting \(name) = '\(value)'")
        }
        var opened: duckdb_database?
        var error: UnsafeMutablePointer<CChar>?
        guard duckdb_open_ext(nil, &opened, config, &error) == DuckDBSuccess, let opened else {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            duckdb_free(error)
            throw SQLEngineError.fromDuckDB(message, kind: .setup)
        }
        database = opened
        let setup = try connect()
        defer {
            var owned: duckdb_connection? = setup
            duckdb_disconnect(&owned)
        }
        try TableScan.register(on: setup)
        try Self.closeExternalAccess(on: setup, except: options.spillDirectory)
    }

    deinit {
        var owned: duckdb_database? = database
        duckdb_close(&owned)
    }

    /// From here on no file outside the spill folder can be read or written, and a query
    /// cannot `SET` anything back. (Allowed folders can only be named once the database runs,
    /// and before external access closes.)
    private static func closeExternalAccess(on connection: duckdb_connection, except spill: String?)
        throws(SQLEngineError)
    {
        if let spill {
            let folder = spill.hasSuffix("/") ? spill : spill + "/"
            try Self.execute(
                "SET allowed_directories = ['\(folder.replacingOccurrences(of: "'", with: "''"))']", on: connection)
        }
        try Self.execute("SET enable_external_access = false", on: connection)
        try Self.execute("SET lock_configuration = true", on: connection)
    }

    func connect() throws(SQLEngineError) -> duckdb_connection {
        var connection: duckdb_connection?
        guard duckdb_connect(database, &connection) == DuckDBSuccess, let connection else {
            throw SQLEngineError(.setup, "cannot connect to the DuckDB database")
        }
        return connection
    }

    /// Runs a statement that returns nothing Weir reads.
    static func execute(_ sql: String, on connection: duckdb_connection) throws(SQLEngineError) {
        var result = duckdb_result()
        defer { duckdb_destroy_result(&result) }
        guard duckdb_query(connection, sql, &result) == DuckDBSuccess else {
            let message = duckdb_result_error(&result).map { String(cString: $0) } ?? "unknown error"
            throw SQLEngineError.fromDuckDB(message, kind: .setup)
        }
    }

    /// A SQL identifier, quoted.
    /// A SQL string literal.
    public static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    public static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
