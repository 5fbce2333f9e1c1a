import Foundation
import WeirCore
import WeirPostgres
import WeirTable

/// `extract.postgres`: a query's rows (or a whole table) streamed with binary COPY, typed from
/// PostgreSQL's own column types. The DSN is usually `${env.DATABASE_URL}` (a secret: only its
/// host, port and database are ever shown). Cached by the query text and parameters plus what
/// the user says identifies the data: a `version:`, or a `freshness:` query whose answer
/// changes when the data does; with neither it reads again every run.
public struct ExtractPostgres: StageType {
    public let name = "extract.postgres"
    public let version = "1"
    public let summary = "Read a PostgreSQL query or table (binary COPY), typed from PostgreSQL's column types."
    public let inputs = InputArity.none
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        enum Numeric: String, ParamChoice { case float64, text }
        var dsn = ""
        var query: String?
        var table: String?
        var numeric = Numeric.float64
        var version: String?
        var freshness: String?

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "dsn", \.dsn, required: true,
                help: "libpq connection string or URI, e.g. ${env.DATABASE_URL}; sslmode=require for TLS"),
            .param("query", \.query, help: "one SELECT (or give table)"),
            .param("table", \.table, help: "a table (schema.table) to read whole"),
            .param("numeric", \.numeric, help: "numeric columns as float64 or as exact text"),
            .param("version", \.version, help: "part of the cache key: change it when the data changes"),
            .param(
                "freshness", \.freshness,
                help: "a cheap query whose answer changes with the data, e.g. SELECT max(updated_at) FROM orders"),
        ]

        /// The parameter a server's complaint about the query is reported at.
        var selectParam: String { query == nil ? "table" : "query" }
    }

    public init() {}

    struct Settings {
        var dsn: String
        var select: String
        var numericAsText: Bool
    }

    func settings(_ stage: StageSpec) throws -> Settings {
        let params = try Params.decode(stage)
        let dsn = params.dsn
        guard !dsn.isEmpty else {
            throw StageError("`dsn` is empty", param: "dsn", hint: "set it, e.g. dsn: ${env.DATABASE_URL}")
        }
        let (query, table) = (params.query, params.table)
        var select: String
        switch (query, table) {
        case (let query?, nil):
            select = query.trimmingCharacters(in: .whitespacesAndNewlines)
            while select.hasSuffix(";") {
                select = String(select.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        case (nil, let table?):
            select =
                "SELECT * FROM "
                + table.split(separator: ".").map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
                .joined(separator: ".")
        case (nil, nil): throw StageError("give `query:` (a SELECT) or `table:`", param: nil)
        default: throw StageError("give `query:` or `table:`, not both", param: "table")
        }
        return Settings(dsn: dsn, select: select, numericAsText: params.numeric == .text)
    }

    /// The columns of the query, asked of the server without running it (once per process).
    func describe(_ stage: StageSpec, memo: StageMemo) throws -> (
        columns: [(name: String, oid: UInt32)], schema: Schema
    ) {
        let settings = try settings(stage)
        let key =
            "extract.postgres:"
            + ContentHash.sha256(settings.dsn + "\u{0}" + settings.select + "\u{0}\(settings.numericAsText)")
        if let known = memo.value(key, as: DescribedQuery.self) { return (known.columns, known.schema) }
        let described: [(name: String, type: UInt32, modifier: Int32)]
        do {
            described = try PGConnection(dsn: settings.dsn).describe(query: settings.select)
        } catch {
            throw StageError(
                "postgres \(error.server): \(error.message)",
                param: error.code == nil || error.code == "28P01" ? "dsn" : "query")
        }
        var fields: [Field] = []
        for column in described {
            guard let type = PGType.dataType(column.type, numericAsText: settings.numericAsText) else {
                throw StageError(
                    "column '\(column.name)' is \(PGType.describe(column.type)), which Weir cannot hold",
                    param: try Params.decode(stage).selectParam,
                    hint: "cast it in the query, e.g. \(column.name)::text")
            }
            fields.append(Field(column.name, type))
        }
        let result = DescribedQuery(columns: described.map { ($0.name, $0.type) }, schema: Schema(fields))
        memo.set(key, result)
        return (result.columns, result.schema)
    }

    struct DescribedQuery: Sendable {
        var columns: [(name: String, oid: UInt32)]
        var schema: Schema
    }

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        do {
            return ["out": try describe(context.stage, memo: context.memo).schema]
        } catch {
            context.report(error)
            return [:]
        }
    }

    /// The server (never the password) and what identifies the data: the version, the
    /// freshness probe's answer, or, with neither, this moment (so it reads every run).
    public func sources(_ context: SourceContext) throws -> [SourceInput] {
        // Without a DSN planning has already said so; there is no server to ask.
        guard let settings = try? settings(context.stage) else {
            return [SourceInput(name: "postgres", digest: "no-dsn")]
        }
        let server = "postgres://" + PGConnection.describe(settings.dsn)
        let params = try context.parameters(Params.self)
        if let version = params.version {
            return [SourceInput(name: server, digest: "version:" + version)]
        }
        guard let probe = params.freshness else {
            return [SourceInput(name: server, digest: "read-every-run:" + UUID().uuidString)]
        }
        do {
            let answer = try PGConnection(dsn: settings.dsn).rows(probe)
            let text = answer.map { $0.map { $0 ?? "\u{0}NULL" }.joined(separator: "\u{1f}") }.joined(
                separator: "\u{1e}")
            return [SourceInput(name: server, digest: "freshness:" + ContentHash.sha256(text))]
        } catch {
            throw StageError("postgres \(error.server): freshness: \(error.message)", param: "freshness")
        }
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let settings = try settings(context.stage)
        let (columns, schema) = try describe(context.stage, memo: context.memo)
        var reader = PGBinaryReader(columns: columns, schema: schema, numericAsText: settings.numericAsText)
        let connection: PGConnection
        do { connection = try PGConnection(dsn: settings.dsn) } catch {
            throw StageError("postgres \(error.server): \(error.message)", param: "dsn")
        }
        do {
            try connection.copyOut("COPY (\(settings.select)) TO STDOUT (FORMAT binary)") { try reader.consume($0) }
        } catch let error as PGError {
            throw StageError(
                "postgres \(error.server): \(error.message)", param: try context.parameters(Params.self).selectParam)
        } catch {
            throw StageError("postgres \(connection.server): \(error)")
        }
        context.log.info(
            "read \(Wording.count(reader.rows, "row")) from \(connection.server)\(connection.usesTLS ? " over TLS" : "")"
        )
        return ["out": try reader.finish(schema: schema)]
    }
}
