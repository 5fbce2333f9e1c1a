import GRDBSQLite
import WeirCore
import WeirTable

/// `sql`: a query over the input tables, each registered under its stage id (or its `as:`
/// alias) in a private in-memory SQLite database.
///
/// Result types, decided at planning without data: a `schema:` entry; else the Weir type of
/// the input column a result column passes through (SQLite's declared type); else the type
/// SQLite gives the expression on one row of placeholder values per input (so `count(*)` is
/// int64 and `avg(x)` float64). When even that cannot tell, planning asks for a `schema:`.
/// Timestamps and dates are ISO text inside SQLite, so its date functions and comparisons with
/// '2018-01-01' work.
public struct SQLStage: StageType {
    public let name = "sql"
    public let version = "1"
    public let summary = "Run a SQL query (SQLite) over the input tables, each registered under its stage id or `as:` alias."
    public let inputs = InputArity.many
    public let params: [ParamSpec] = [
        ParamSpec("query", .query, required: true, help: "one SELECT statement; $name is the pipeline param name, bound as a typed value"),
        ParamSpec("as", .stringList, help: "table names for the inputs, in order (default: the input stage ids)"),
        ParamSpec("schema", .columnTypes, help: "types for result columns, where the query computes them"),
    ]

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        guard let query = context.param("query")?.string else { return [:] }
        let names: [String]
        do { names = try tableNames(context.stage) } catch { context.report(error); return [:] }
        for (ref, schema) in zip(context.inputNames, context.inputSchemas) where schema.dataColumns != nil {
            context.error("inputs", "\(context.stage.id) cannot type its query: the columns of '\(ref)' after "
                          + "\(schema.names.joined(separator: ", ")) are decided by the data",
                          hint: "give '\(ref)' a `columns:` list so its columns are known before it runs")
            return [:]
        }
        do {
            let database = try SQLDatabase()
            for (name, schema) in zip(names, context.inputSchemas) { try database.createTable(name, schema: schema) }
            let statement: SQLDatabase.Statement
            do {
                statement = try database.prepare(query)
            } catch {
                let tables = zip(names, context.inputSchemas).map { "\($0)(\($1.names.joined(separator: ", ")))" }.joined(separator: "; ")
                context.error("query", "\(context.stage.id).query: SQLite: \(error)", hint: "tables: \(tables)")
                return [:]
            }
            defer { sqlite3_finalize(statement.pointer) }
            do { try Self.bind(statement.pointer, stage: context.stage) } catch {
                context.report(error)
                return [:]
            }
            if !statement.tail.allSatisfy({ $0.isWhitespace || $0 == ";" }) {
                context.error("query", "\(context.stage.id).query holds more than one statement; a sql stage runs one SELECT")
                return [:]
            }
            let count = Int(sqlite3_column_count(statement.pointer))
            guard count > 0 else {
                context.error("query", "\(context.stage.id).query returns no columns; a sql stage runs one SELECT")
                return [:]
            }
            var declared: [String: DataType] = [:]
            if case .map(let map)? = context.param("schema") {
                for (column, type) in map { if let text = type.string, let dataType = DataType(name: text) { declared[column] = dataType } }
            }
            var fields: [Field] = []
            var unknown: [Int] = []
            for i in 0..<count {
                let name = String(cString: sqlite3_column_name(statement.pointer, Int32(i)))
                if fields.contains(where: { $0.name == name }) {
                    context.error("query", "\(context.stage.id).query returns two columns named '\(name)'; name them apart with AS")
                    return [:]
                }
                var type = declared[name]
                if type == nil, let decl = sqlite3_column_decltype(statement.pointer, Int32(i)) {
                    type = SQLDatabase.dataType(declared: String(cString: decl))
                }
                if type == nil { unknown.append(i) }
                fields.append(Field(name, type ?? .string))
            }
            for column in declared.keys where !fields.contains(where: { $0.name == column }) {
                context.error("schema", "\(context.stage.id).schema names column '\(column)' but the query returns no such column "
                              + "(it returns: \(fields.map(\.name).joined(separator: ", ")))",
                              hint: Suggest.didYouMean(column, in: fields.map(\.name)))
            }
            if !unknown.isEmpty {
                let guessed = try guessTypes(query: query, stage: context.stage, names: names, schemas: context.inputSchemas, columns: unknown)
                for i in unknown {
                    if let type = guessed[i] {
                        fields[i].type = type
                    } else {
                        context.error("query", "\(context.stage.id): cannot tell the type of result column '\(fields[i].name)' before running",
                                      hint: "declare it: schema: { \(fields[i].name): float64 } (or int64, string, bool, timestamp, date)")
                    }
                }
            }
            return ["out": Schema(fields)]
        } catch {
            context.error("query", "\(context.stage.id): \(error)")
            return [:]
        }
    }

    func tableNames(_ stage: StageSpec) throws -> [String] {
        let names: [String]
        if let aliases = stage.param("as")?.strings {
            guard aliases.count == stage.inputs.count else {
                throw StageError("`as` gives \(aliases.count) names for \(stage.inputs.count) inputs; give one per input, in order", param: "as")
            }
            names = aliases
        } else {
            names = stage.inputs.map { ref in ref.port.map { "\(ref.stage)_\($0)" } ?? ref.stage }
        }
        if let duplicate = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw StageError("two inputs would both be table '\(duplicate)'; name them apart with `as: [...]`", param: "as")
        }
        return names
    }

    /// Runs the query on placeholder rows (three identical rows per input, so joins match and
    /// `HAVING count(*) > 1` passes; small values first, then large ones for `WHERE x > 100`)
    /// and reads the types SQLite gives each column.
    private func guessTypes(query: String, stage: StageSpec, names: [String], schemas: [Schema], columns: [Int]) throws -> [Int: DataType] {
        var types: [Int: DataType] = [:]
        for large in [false, true] {
            let database = try SQLDatabase()
            database.limitWork(thousandsOfSteps: 5_000)
            for (name, schema) in zip(names, schemas) {
                try database.createTable(name, schema: schema)
                guard schema.count > 0 else { continue }
                let values = schema.fields.map { field -> String in
                    switch field.type {
                    case .int64: large ? "1000000000" : "1"
                    case .bool: "1"
                    case .float64: large ? "1000000000.5" : "1.5"
                    case .string: large ? "'zzzz'" : "'x'"
                    case .timestamp: large ? "'2999-12-31 00:00:00'" : "'2000-01-01 00:00:00'"
                    case .date: large ? "'2999-12-31'" : "'2000-01-01'"
                    }
                }
                let row = "(" + values.joined(separator: ", ") + ")"
                try database.execute("INSERT INTO \(SQLDatabase.quote(name)) VALUES \(row), \(row), \(row)")
            }
            guard let statement = try? database.prepare(query) else { return types }
            defer { sqlite3_finalize(statement.pointer) }
            try Self.bind(statement.pointer, stage: stage)
            while sqlite3_step(statement.pointer) == SQLITE_ROW {
                for i in columns where types[i] == nil {
                    switch sqlite3_column_type(statement.pointer, Int32(i)) {
                    case SQLITE_INTEGER: types[i] = .int64
                    case SQLITE_FLOAT: types[i] = .float64
                    case SQLITE_TEXT: types[i] = .string
                    default: break
                    }
                }
                if types.count == columns.count { return types }
            }
        }
        return types
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        guard let query = context.param("query")?.string, let schema = context.outputSchemas["out"] else {
            throw StageError("the sql stage was not planned")
        }
        let names = try tableNames(context.stage)
        let database = try SQLDatabase()
        try database.execute("BEGIN")
        for (name, table) in zip(names, context.inputs) {
            try database.createTable(name, schema: table.schema)
            try database.insert(table, into: name)
        }
        try database.execute("COMMIT")
        let statement = try database.prepare(query)
        defer { sqlite3_finalize(statement.pointer) }
        try Self.bind(statement.pointer, stage: context.stage)
        let builders = schema.fields.map { ColumnBuilder($0.type) }
        var row = 0
        while true {
            let status = sqlite3_step(statement.pointer)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw StageError("SQLite: \(database.errorMessage)", param: "query") }
            row += 1
            for (i, builder) in builders.enumerated() {
                try append(statement.pointer, Int32(i), to: builder, field: schema.fields[i], row: row)
            }
        }
        return ["out": try Table(schema: schema, columns: builders.map { $0.finish() }, rowCount: row)]
    }

    /// Binds each `$name` of the statement to the pipeline param the loader resolved for it
    /// (the stage param `$name`), with its type: integers and floats as numbers, booleans as
    /// 0/1, text as text. Any other placeholder form is refused: values go in only by name.
    static func bind(_ statement: OpaquePointer, stage: StageSpec) throws {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let count = sqlite3_bind_parameter_count(statement)
        guard count > 0 else { return }
        for index in 1...count {
            guard let cName = sqlite3_bind_parameter_name(statement, index), String(cString: cName).hasPrefix("$") else {
                throw StageError("\(stage.id).query has a `?`, `:name` or `@name` placeholder; write $name to bind the pipeline param name",
                                 param: "query")
            }
            let name = String(cString: cName)
            guard let value = stage.params[name]?.value else {
                throw StageError("\(stage.id).query binds \(name), but the pipeline has no param '\(name.dropFirst())'", param: "query")
            }
            let status: Int32
            switch value {
            case .int(let v): status = sqlite3_bind_int64(statement, index, Int64(v))
            case .double(let v): status = sqlite3_bind_double(statement, index, v)
            case .bool(let v): status = sqlite3_bind_int64(statement, index, v ? 1 : 0)
            case .string(let v): status = sqlite3_bind_text(statement, index, v, -1, transient)
            case .null: status = sqlite3_bind_null(statement, index)
            case .list, .map:
                throw StageError("\(stage.id).query binds \(name), which is \(value.description); only a number, text or boolean binds", param: "query")
            }
            guard status == SQLITE_OK else { throw StageError("cannot bind \(name): SQLite status \(status)", param: "query") }
        }
    }

    private func append(_ statement: OpaquePointer, _ i: Int32, to builder: ColumnBuilder, field: Field, row: Int) throws {
        let kind = sqlite3_column_type(statement, i)
        if kind == SQLITE_NULL { builder.appendNull(); return }
        func mismatch(_ shown: String) -> StageError {
            StageError("result column '\(field.name)' is \(field.type) but row \(row) holds \(shown)",
                       param: "query", hint: "declare its type with schema: { \(field.name): <type> } or CAST it in the query")
        }
        func text() -> String {
            guard let bytes = sqlite3_column_text(statement, i) else { return "" }
            return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, i))), as: UTF8.self)
        }
        switch field.type {
        case .int64:
            if kind == SQLITE_INTEGER { builder.append(sqlite3_column_int64(statement, i)); return }
            let value = sqlite3_column_double(statement, i)
            guard kind == SQLITE_FLOAT, value.rounded() == value, let exact = Int64(exactly: value) else {
                throw mismatch(kind == SQLITE_FLOAT ? FloatFormat.shortest(value) : "'\(text())'")
            }
            builder.append(exact)
        case .float64:
            guard kind == SQLITE_INTEGER || kind == SQLITE_FLOAT else { throw mismatch("'\(text())'") }
            builder.append(sqlite3_column_double(statement, i))
        case .bool:
            guard kind == SQLITE_INTEGER else { throw mismatch("'\(text())'") }
            let value = sqlite3_column_int64(statement, i)
            guard value == 0 || value == 1 else { throw mismatch(String(value)) }
            builder.append(value == 1)
        case .string:
            switch kind {
            case SQLITE_INTEGER: builder.append(String(sqlite3_column_int64(statement, i)))
            case SQLITE_FLOAT: builder.append(FloatFormat.shortest(sqlite3_column_double(statement, i)))
            default:
                let bytes = sqlite3_column_blob(statement, i)
                builder.append(utf8: UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, i))))
            }
        case .timestamp:
            let value = text()
            guard kind == SQLITE_TEXT, let micros = Temporal.parseTimestamp(value) else { throw mismatch("'\(value)'") }
            builder.append(micros)
        case .date:
            let value = text()
            guard kind == SQLITE_TEXT, let days = Temporal.parseDate(value) else { throw mismatch("'\(value)'") }
            builder.append(date: days)
        }
    }
}
