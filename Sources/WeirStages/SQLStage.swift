import Foundation
import Synchronization
import WeirCore
import WeirSQL
import WeirSystem
import WeirTable

/// `sql`: a query over the input tables, each registered under its stage id (or its `as:`
/// alias), run by DuckDB over the tables' own column buffers, vectorised and on every core.
///
/// Result types are decided at planning without data: DuckDB types the query against empty
/// tables of the input schemas; a `schema:` entry overrides (with a checked conversion).
/// Integers are int64 (a wider `sum` is checked as it is read), decimals float64, timestamps
/// and dates stay timestamps and dates.
public struct SQLStage: StageType {
    public let name = "sql"
    public let version = "2"
    public let summary =
        "Run a SQL query (DuckDB) over the input tables, each registered under its stage id or `as:` alias."
    public let inputs = InputArity.many
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        var query = ""
        var `as`: [String]?
        var schema = ColumnTypes()
        var memoryLimit: String?

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "query", \.query, .query, required: true,
                help:
                    "one SELECT statement (DuckDB's dialect); $name is the pipeline param name, bound as a typed value"
            ),
            .param("as", \.as, help: "table names for the inputs, in order (default: the input stage ids)"),
            .param("schema", \.schema, help: "types for result columns, where the query computes them"),
            .param(
                "memory_limit", \.memoryLimit,
                help:
                    "most memory the query may use, e.g. 2GB (default: 80% of RAM); beyond it, operators spill to disk"
            ),
        ]
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let params = context.parameters(Params.self)
        let query = params.query
        guard !query.isEmpty else { return [:] }
        // Typing a query costs a DuckDB prepare (about a millisecond): a query typed before in
        // this process against the same inputs (an editor re-planning after each keystroke,
        // the same query in many stages) is not typed again.
        let memoKey = typingKey(query, context)
        if let known = context.memo.value(memoKey, as: Schema.self) { return ["out": known] }
        let typed = typedSchemas(query, declared: params.schema.types, &context)
        if let schema = typed["out"], !context.diagnostics.hasErrors { context.memo.set(memoKey, schema) }
        return typed
    }

    /// What a query's result types depend on: the query, the input names and schemas, and the
    /// parameters that change typing (`as`, `schema`, bound `$name` values).
    private func typingKey(_ query: String, _ context: PlanContext) -> String {
        var parts: [String] = [query]
        parts += context.stage.inputs.map(\.description)
        for schema in context.inputSchemas {
            parts.append(schema.fields.map { "\($0.name) \($0.type.rawValue)" }.joined(separator: ","))
        }
        let typing = context.stage.params.filter { $0.key == "as" || $0.key == "schema" || $0.key.hasPrefix("$") }
        for (name, param) in typing.sorted(by: { $0.key < $1.key }) {
            parts.append(name + "=" + CanonicalJSON.encode(param.value))
        }
        return "sql-schema:" + ContentHash.sha256(parts.joined(separator: "\u{0}"))
    }

    private func typedSchemas(_ query: String, declared: [String: DataType], _ context: inout PlanContext)
        -> [String: Schema]
    {
        let names: [String]
        do { names = try tableNames(context.stage) } catch {
            context.report(error)
            return [:]
        }
        for (ref, schema) in zip(context.inputNames, context.inputSchemas) where schema.dataColumns != nil {
            context.error(
                "inputs",
                "\(context.stage.id) cannot type its query: the columns of '\(ref)' after "
                    + "\(schema.names.joined(separator: ", ")) are decided by the data",
                hint: "give '\(ref)' a `columns:` list so its columns are known before it runs")
            return [:]
        }
        let statement: SQLStatement
        do {
            let engine = try SQLEngine.planning.get()
            let tables = zip(names, context.inputSchemas).map { (name: $0, table: Table(empty: $1)) }
            statement = try prepare(query, in: SQLSession(engine: engine, tables: tables), stage: context.stage)
        } catch let error as SQLEngineError {
            let tables = zip(names, context.inputSchemas).map { "\($0)(\($1.names.joined(separator: ", ")))" }.joined(
                separator: "; ")
            let location = context.stage.params["query"].flatMap { param in
                param.location.map { QueryLocation.locate(error.position, in: query, at: $0) }
            }
            context.diagnostics.error(
                location ?? context.stage.location, "\(context.stage.id).query: \(error.message)",
                hint: "tables: \(tables)")
            return [:]
        } catch {
            context.report(error)
            return [:]
        }
        return resultSchema(statement.columns, declared: declared, &context).map { ["out": $0] } ?? [:]
    }

    /// The Weir schema of DuckDB's result columns: declared types first, then each type's natural one.
    private func resultSchema(
        _ columns: [(name: String, type: SQLColumnType)], declared: [String: DataType], _ context: inout PlanContext
    ) -> Schema? {
        let id = context.stage.id
        var fields: [Field] = []
        for (name, type) in columns {
            if fields.contains(where: { $0.name == name }) {
                context.error("query", "\(id).query returns two columns named '\(name)'; name them apart with AS")
                return nil
            }
            if let wanted = declared[name] {
                guard type.converts(to: wanted) else {
                    context.error(
                        "schema",
                        "\(id).schema declares '\(name)' \(wanted), but the query gives it \(type), which does not convert",
                        hint: "CAST it in the query, or declare a type it converts to")
                    return nil
                }
                fields.append(Field(name, wanted))
            } else if let natural = type.naturalType {
                fields.append(Field(name, natural))
            } else {
                context.error(
                    "query", "\(id): result column '\(name)' is \(type), which Weir does not store",
                    hint: type == .null
                        ? "declare it: schema: { \(name): string } (or int64, float64, bool, timestamp, date)"
                        : "CAST it in the query (to VARCHAR, BIGINT, DOUBLE, TIMESTAMP, ...)")
                return nil
            }
        }
        for column in declared.keys where !fields.contains(where: { $0.name == column }) {
            context.error(
                "schema",
                "\(id).schema names column '\(column)' but the query returns no such column "
                    + "(it returns: \(fields.map(\.name).joined(separator: ", ")))",
                hint: Suggest.didYouMean(column, in: fields.map(\.name)))
        }
        return context.diagnostics.hasErrors ? nil : Schema(fields)
    }

    func tableNames(_ stage: StageSpec) throws -> [String] {
        let names: [String]
        if let aliases = try Params.decode(stage).as {
            guard aliases.count == stage.inputs.count else {
                throw StageError(
                    "`as` gives \(aliases.count) names for \(stage.inputs.count) inputs; give one per input, in order",
                    param: "as")
            }
            names = aliases
        } else {
            names = stage.inputs.map { ref in ref.port.map { "\(ref.stage)_\($0)" } ?? ref.stage }
        }
        if let duplicate = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw StageError(
                "two inputs would both be table '\(duplicate)'; name them apart with `as: [...]`", param: "as")
        }
        return names
    }

    /// Prepares the stage's one SELECT and binds its `$name` parameters.
    private func prepare(_ query: String, in session: SQLSession, stage: StageSpec) throws -> SQLStatement {
        let statement: SQLStatement
        do {
            statement = try session.prepare(query)
        } catch  where error.message.contains("multiple statements") {
            throw SQLEngineError(.compile, "holds more than one statement; a sql stage runs one SELECT")
        }
        guard statement.isSelect else {
            throw SQLEngineError(.compile, "is not a SELECT; a sql stage runs one query and returns its rows")
        }
        try Self.bind(statement, stage: stage)
        return statement
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let params = try context.parameters(Params.self)
        guard let schema = context.outputSchemas["out"] else { throw StageError("the sql stage was not planned") }
        let (query, memoryLimit) = (params.query, params.memoryLimit)
        let names = try tableNames(context.stage)
        // A stage with its own memory limit gets its own engine (and spill folder, removed after);
        // the others share this process's.
        let spill = SpillDirectory(
            stateDirectory: context.stateDirectory, stage: memoryLimit == nil ? nil : context.stage.id)
        defer { if memoryLimit != nil { spill.remove() } }
        do {
            let engine =
                try memoryLimit == nil
                ? SQLEngine.shared(spillDirectory: spill.path)
                : SQLEngine(SQLEngine.Options(memoryLimit: memoryLimit, spillDirectory: spill.path))
            let session = try SQLSession(
                engine: engine, tables: Array(zip(names, context.inputs)).map { (name: $0, table: $1) })
            let statement = try prepare(query, in: session, stage: context.stage)
            // A timeout or Ctrl-C stops the query rather than leaving it to run on every core.
            let token = StageCancellation.register(owner: context.stage.id) { session.interrupt() }
            defer { StageCancellation.unregister(token) }
            return ["out": try statement.run(into: schema)]
        } catch let error as SQLEngineError {
            switch error.kind {
            case .memory:
                throw StageError(
                    "DuckDB: \(error.message)", param: "query",
                    hint: memoryLimit.map { "memory_limit is \($0); raise it" }
                        ?? "set memory_limit: (e.g. 8GB) or select fewer rows")
            case .setup where memoryLimit != nil && error.message.contains("memory_limit"):
                throw StageError(
                    "memory_limit '\(memoryLimit!)': \(error.message)", param: "memory_limit",
                    hint: "write a size DuckDB reads, e.g. 512MB or 4GB")
            case .result:
                throw StageError(error.message, param: "query", hint: error.hint)
            default:
                throw StageError("DuckDB: \(error.message)", param: "query")
            }
        }
    }

    /// Binds each `$name` of the statement to the pipeline param the loader resolved for it
    /// (the stage param `$name`), with its type. Positional placeholders (`?`, `$1`) are
    /// refused: values go in only by name.
    static func bind(_ statement: SQLStatement, stage: StageSpec) throws {
        for name in statement.parameterNames {
            guard name.first.map({ !$0.isNumber }) ?? false else {
                throw SQLEngineError(
                    .compile, "has a `?` or `$1` placeholder; write $name to bind the pipeline param name")
            }
            guard let value = stage.params["$" + name]?.value else {
                throw SQLEngineError(.compile, "binds $\(name), but the pipeline has no param '\(name)'")
            }
            switch value {
            case .int(let v): try statement.bind(name, .int(Int64(v)))
            case .double(let v): try statement.bind(name, .double(v))
            case .bool(let v): try statement.bind(name, .bool(v))
            case .string(let v): try statement.bind(name, .text(v))
            case .null: try statement.bind(name, .null)
            case .list, .map:
                throw SQLEngineError(
                    .compile, "binds $\(name), which is \(value.description); only a number, text or boolean binds")
            }
        }
    }
}

/// A folder for what a query spills to disk, inside the state directory (else the system's
/// temporary folder; never the working directory): one per stage with its own memory limit
/// (removed when the stage ends), else one per process (removed when it exits).
struct SpillDirectory {
    let path: String

    init(stateDirectory: String?, stage: String?) {
        let base = stateDirectory.map { "\($0)/tmp" } ?? NSTemporaryDirectory()
        if let stage {
            path = "\(base)/sql-\(Syscall.processID)-" + String(stage.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        } else {
            path = "\(base)/sql-\(Syscall.processID)"
            Self.removeAtExit(path)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    private static let atExit = Mutex<Set<String>>([])

    /// The shared engine lives as long as the process: its folder goes when the process ends.
    private static func removeAtExit(_ path: String) {
        let first = atExit.withLock { paths in
            defer { paths.insert(path) }
            return paths.isEmpty
        }
        guard first else { return }
        atexit {
            for path in SpillDirectory.atExit.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
        }
    }
}
