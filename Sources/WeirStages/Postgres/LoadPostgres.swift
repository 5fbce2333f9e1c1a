import Foundation
import WeirCore
import WeirPostgres
import WeirSystem
import WeirTable

/// `load.postgres`: the input into a PostgreSQL table in one transaction with binary COPY.
/// `replace` loads a new table and swaps names in the same transaction (a reader sees the old
/// table or the new one, never half of either); `append` adds rows; `upsert` merges on `key`.
/// A missing table is created with mapped types (a primary key on `key` for upsert). Any
/// failure rolls back: the target is untouched. Done only while the table holds what was
/// written: the count of rows the load's transaction wrote, and that transaction's id (the
/// stamp PostgreSQL puts on every row version it writes) are kept and compared on plan.
public struct LoadPostgres: StageType {
    public let name = "load.postgres"
    public let version = "1"
    public let summary =
        "Write the input into a PostgreSQL table (binary COPY, one transaction): replace, append or upsert."
    public let inputs = InputArity.one
    public let outputs: [String] = []
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        enum Mode: String, ParamChoice { case replace, append, upsert }
        var dsn = ""
        var table = ""
        var mode = Mode.replace
        var key: [String] = []

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "dsn", \.dsn, required: true, help: "libpq connection string or URI, e.g. ${env.DATABASE_URL}"),
            .param("table", \.table, required: true, help: "the table (schema.table) to write"),
            .param("mode", \.mode, help: "how the rows go in"),
            .param("key", \.key, .columns(types: []), help: "the columns that identify a row (upsert)"),
        ]

        func problems(stage id: String) -> [StageError] {
            guard mode == .upsert && key.isEmpty else { return [] }
            return [StageError("\(id): mode upsert needs `key:` (the columns that identify a row)", param: "key")]
        }
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        _ = context.parameters(Params.self)
        return [:]
    }

    struct Target {
        let connection: PGConnection
        let table: String
        let quoted: String

        /// `schema.table` quoted part by part; a new name beside it (same schema).
        func sibling(_ suffix: String) -> String {
            var parts = table.split(separator: ".").map(String.init)
            parts[parts.count - 1] += suffix
            return parts.map(connection.quote).joined(separator: ".")
        }

        var bareName: String { String(table.split(separator: ".").last ?? "") }

        func exists() throws -> Bool {
            try connection.rows("SELECT to_regclass($1) IS NOT NULL", [quoted])[0][0] == "t"
        }

        /// The rows the transaction `xid` wrote and the rows anything else wrote, as the table is
        /// now. PostgreSQL stamps each row version with the transaction that wrote it, so a later
        /// UPDATE, INSERT, DELETE or TRUNCATE changes one count or the other (a scan without
        /// turning rows into text: about 0.2 s for 5 million rows).
        func receipt(xid: String) throws -> (ours: String, others: String) {
            let row = try connection.rows(
                "SELECT count(*) FILTER (WHERE xmin = $1::xid)::text, count(*) FILTER (WHERE xmin <> $1::xid)::text "
                    + "FROM \(quoted)", [xid])[0]
            return (row[0] ?? "0", row[1] ?? "0")
        }

        func columns() throws -> [(name: String, type: String)] {
            try connection.rows(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass "
                    + "AND attnum > 0 AND NOT attisdropped ORDER BY attnum", [quoted]
            ).map { ($0[0] ?? "", $0[1] ?? "") }
        }
    }

    func target(_ stage: StageSpec) throws -> Target {
        let params = try Params.decode(stage)
        let (dsn, table) = (params.dsn, params.table)
        guard !table.isEmpty else { throw StageError("`table` is required", param: "table") }
        do {
            let connection = try PGConnection(dsn: dsn)
            return Target(
                connection: connection, table: table,
                quoted: table.split(separator: ".").map { connection.quote(String($0)) }.joined(separator: "."))
        } catch {
            throw StageError("postgres \(error.server): \(error.message)", param: "dsn")
        }
    }

    /// Append is done while the table exists; replace while it holds exactly the rows it wrote
    /// and no other; upsert while the rows it wrote are all still as it wrote them.
    public func sideEffectsIntact(_ context: SourceContext, written: [WrittenFile]) -> Bool {
        guard let target = try? target(context.stage), (try? target.exists()) == true,
            let mode = try? context.parameters(Params.self).mode
        else { return false }
        if mode == .append { return true }
        guard let receipt = written.first, receipt.sha256.hasPrefix("xid:"),
            let now = try? target.receipt(xid: String(receipt.sha256.dropFirst(4)))
        else {
            return false
        }
        return now.ours == receipt.content && (mode == .upsert || now.others == "0")
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let input = context.inputs[0]
        let target = try target(context.stage)
        let params = try context.parameters(Params.self)
        let mode = params.mode
        let server = target.connection.server
        do {
            try target.connection.execute("BEGIN")
            switch mode {
            case .append: try append(input, target)
            case .upsert: try upsert(input, target, keys: params.key)
            case .replace: try replace(input, target)
            }
            let xid = try target.connection.rows("SELECT pg_current_xact_id()::xid::text")[0][0] ?? ""
            let receipt = try target.receipt(xid: xid)
            try target.connection.execute("COMMIT")
            context.log.wrote(
                WrittenFile(path: "postgres://\(server)/\(target.table)", sha256: "xid:" + xid, content: receipt.ours))
            context.log.info(
                "\(mode == .replace ? "wrote" : mode == .append ? "appended" : "upserted") \(Wording.count(input.rowCount, "row")) "
                    + "into \(target.table) on \(server)\(target.connection.usesTLS ? " over TLS" : "")")
            return [:]
        } catch let error as PGError {
            try? target.connection.execute("ROLLBACK")
            throw StageError(
                "postgres \(error.server): \(error.message) (table \(target.table) is untouched)", param: "table")
        } catch {
            try? target.connection.execute("ROLLBACK")
            throw error
        }
    }

    func definition(_ schema: Schema, _ connection: PGConnection, key: [String] = []) -> String {
        let columns = schema.fields.map { "\(connection.quote($0.name)) \(PGType.sqlName($0.type))" }
        let primary = key.isEmpty ? [] : ["PRIMARY KEY (\(key.map(connection.quote).joined(separator: ", ")))"]
        return "(" + (columns + primary).joined(separator: ", ") + ")"
    }

    func copy(_ table: Table, into name: String, _ connection: PGConnection) throws {
        let columns = table.schema.names.map(connection.quote).joined(separator: ", ")
        try connection.copyIn("COPY \(name) (\(columns)) FROM STDIN (FORMAT binary)") { send in
            try PGBinaryWriter.write(table, send)
        }
    }

    /// Loads a new table and puts it in the old one's place in the same transaction.
    func replace(_ input: Table, _ target: Target) throws {
        let fresh = target.sibling("__weir_new")
        try target.connection.execute("DROP TABLE IF EXISTS \(fresh)")
        try target.connection.execute("CREATE TABLE \(fresh) \(definition(input.schema, target.connection))")
        try copy(input, into: fresh, target.connection)
        try target.connection.execute("DROP TABLE IF EXISTS \(target.quoted)")
        try target.connection.execute("ALTER TABLE \(fresh) RENAME TO \(target.connection.quote(target.bareName))")
    }

    /// The input's columns must be the table's, by name (in any order), with types that convert.
    func checkColumns(_ input: Table, _ target: Target) throws {
        let existing = try target.columns()
        let names = Set(existing.map(\.name))
        let missing = input.schema.names.filter { !names.contains($0) }
        if !missing.isEmpty {
            throw StageError(
                "table \(target.table) has no column \(missing.map { "'\($0)'" }.joined(separator: ", ")) "
                    + "(it has: \(existing.map { "\($0.name) \($0.type)" }.joined(separator: ", "))); the table is untouched",
                param: "table", hint: "select the table's columns first, or use mode: replace")
        }
    }

    func append(_ input: Table, _ target: Target) throws {
        if try target.exists() {
            try checkColumns(input, target)
        } else {
            try target.connection.execute(
                "CREATE TABLE \(target.quoted) \(definition(input.schema, target.connection))")
        }
        try copy(input, into: target.quoted, target.connection)
    }

    /// Rows go to a temporary table, then INSERT ... ON CONFLICT (key) DO UPDATE.
    func upsert(_ input: Table, _ target: Target, keys: [String]) throws {
        let connection = target.connection
        if try target.exists() {
            try checkColumns(input, target)
        } else {
            try connection.execute("CREATE TABLE \(target.quoted) \(definition(input.schema, connection, key: keys))")
        }
        let staging = connection.quote("weir_upsert_\(Syscall.processID)")
        try connection.execute("CREATE TEMP TABLE \(staging) \(definition(input.schema, connection)) ON COMMIT DROP")
        try copy(input, into: staging, connection)
        let columns = input.schema.names.map(connection.quote)
        let updates = input.schema.names.filter { !keys.contains($0) }.map {
            "\(connection.quote($0)) = EXCLUDED.\(connection.quote($0))"
        }
        try connection.execute(
            "INSERT INTO \(target.quoted) (\(columns.joined(separator: ", "))) SELECT \(columns.joined(separator: ", ")) FROM \(staging) "
                + "ON CONFLICT (\(keys.map(connection.quote).joined(separator: ", "))) "
                + (updates.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + updates.joined(separator: ", ")))
    }
}
