import Foundation
import WeirCore
import WeirSystem
import WeirTable

#if canImport(Glibc)
    import Glibc
#endif

/// `load.sqlite`: writes the input table into a table of a SQLite file that dashboards read.
/// The whole load is one transaction with one prepared INSERT: a reader sees the old table or
/// the new one, never half of it. Other tables in the file are left alone.
public struct LoadSQLite: StageType {
    public let name = "load.sqlite"
    public let version = "1"
    public let summary =
        "Write the input table into a table of a SQLite database file (replace or append), in one transaction."
    public let inputs = InputArity.one
    public let outputs: [String] = []
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        enum Mode: String, ParamChoice { case replace, append }
        var path = ""
        var table = ""
        var mode = Mode.replace

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "path", \.path, required: true,
                help: "the database file, relative to the pipeline file; created if missing"),
            .param("table", \.table, required: true, help: "the table to write"),
            .param("mode", \.mode, help: "replace the table, or append rows to it (its columns must match)"),
        ]

        func problems(stage id: String) -> [StageError] {
            guard table.isEmpty || table.hasPrefix("sqlite_") else { return [] }
            return [
                StageError(
                    "`table` must be a name that is not empty and does not start with 'sqlite_' (SQLite reserves those)",
                    param: "table")
            ]
        }
    }

    public init() {}

    /// SQLite's own type names, so other tools read the affinities they expect. Timestamps are
    /// stored as `YYYY-MM-DD HH:MM:SS.ffffff` UTC text and dates as `YYYY-MM-DD`, the forms
    /// SQLite's date functions read; booleans as 0 and 1.
    static func columnType(_ type: DataType) -> String {
        switch type {
        case .int64: "INTEGER"
        case .float64: "REAL"
        case .string: "TEXT"
        case .bool: "BOOLEAN"
        case .timestamp: "TIMESTAMP"
        case .date: "DATE"
        }
    }

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        _ = context.parameters(Params.self)
        return [:]
    }

    /// `replace`: done while the table holds what this run wrote (a `stat` when the database
    /// file is as it was left; else the table's rows are digested). `append`: done while the
    /// table exists, since appending the same rows again would duplicate them.
    public func sideEffectsIntact(_ context: SourceContext, written: [WrittenFile]) -> Bool {
        guard let params = try? context.parameters(Params.self) else { return true }
        let (file, table) = (context.resolvePath(params.path), params.table)
        guard Syscall.exists(file), let database = try? SQLDatabase(path: file) else { return false }
        if params.mode == .append { return (try? database.columns(of: table)) != nil }
        guard let receipt = written.first(where: { $0.path == file }) else { return false }
        if (try? context.digest(file: file)) == receipt.sha256 { return true }
        return (try? database.contentDigest(of: table)) == receipt.content
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let params = try context.parameters(Params.self)
        let (path, table) = (params.path, params.table)
        let input = context.inputs[0]
        guard input.columnCount > 0 else {
            throw StageError("the input has no columns; a SQLite table needs at least one")
        }
        let file = context.resolvePath(path)
        let folder = (file as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let database = try SQLDatabase(path: file)
        let append = params.mode == .append
        try database.execute("BEGIN IMMEDIATE")
        do {
            if append, let existing = try database.columns(of: table) {
                let wanted = input.schema.fields.map { ($0.name, Self.columnType($0.type)) }
                guard existing.map(\.name) == wanted.map(\.0), existing.map({ $0.type.uppercased() }) == wanted.map(\.1)
                else {
                    throw StageError(
                        "cannot append to table '\(table)' in \(path): it has columns ("
                            + existing.map { "\($0.name) \($0.type)" }.joined(separator: ", ") + ") but the input has ("
                            + wanted.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
                            + "); use `mode: replace` or another table",
                        param: "table")
                }
            } else {
                try database.execute("DROP TABLE IF EXISTS \(SQLDatabase.quote(table))")
                try database.createTable(table, schema: input.schema, typeName: Self.columnType)
            }
            try database.insert(input, into: table)
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
        let content = try database.contentDigest(of: table)
        context.log.wrote(WrittenFile(path: file, sha256: try ContentHash.sha256(file: file), content: content))
        context.log.info(
            "\(append ? "appended" : "wrote") \(Wording.count(input.rowCount, "row")) to table '\(table)' in \(file)")
        return [:]
    }
}
