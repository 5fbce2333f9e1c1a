import WeirCore
import WeirTable

/// `select`: keep (and order) some columns of the input, optionally renaming them.
public struct SelectColumns: StageType {
    public let name = "select"
    public let version = "1"
    public let summary = "Keep the named columns of the input, in that order, optionally renamed."
    public let inputs = InputArity.one
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        var columns: [String] = []
        var rename: [String: String] = [:]

        static let declarations: [ParamDeclaration<Self>] = [
            .param("columns", \.columns, .columns(types: []), required: true, help: "the columns to keep, in order"),
            .param("rename", \.rename, help: "a mapping of old name: new name"),
        ]
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let params = context.parameters(Params.self)
        let names = params.columns
        var fields: [Field] = []
        for name in names {
            if let field = context.column(named: name, param: "columns") { fields.append(field) }
        }
        let renames = params.rename
        for old in renames.keys where !names.contains(old) {
            context.error(
                "rename", "\(context.stage.id).rename names column '\(old)', which `columns` does not keep",
                hint: Suggest.didYouMean(old, in: names))
        }
        fields = fields.map { Field(renames[$0.name] ?? $0.name, $0.type) }
        let finalNames = fields.map(\.name)
        if let duplicate = finalNames.first(where: { name in finalNames.filter { $0 == name }.count > 1 }) {
            context.error("columns", "\(context.stage.id) would produce two columns named '\(duplicate)'")
        }
        return ["out": Schema(fields)]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let params = try context.parameters(Params.self)
        let selected = try context.inputs[0].select(params.columns)
        let renames = params.rename
        let fields = selected.schema.fields.map { Field(renames[$0.name] ?? $0.name, $0.type) }
        return ["out": try Table(schema: Schema(fields), columns: selected.columns, rowCount: selected.rowCount)]
    }
}

/// `top`: the first `n` rows by a numeric column (largest first unless `ascending`); ties keep
/// input order, as pandas' `nlargest(keep='first')` does; nulls never rank.
public struct TopRows: StageType {
    public let name = "top"
    public let version = "1"
    public let summary = "The n rows with the largest (or smallest) values of a numeric column."
    public let inputs = InputArity.one
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        var by = ""
        var n = 10
        var ascending = false

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "by", \.by, .column(types: [.int64, .float64]), required: true, help: "the numeric column to rank by"),
            .param("n", \.n, help: "how many rows to keep"),
            .param("ascending", \.ascending, help: "smallest first instead of largest"),
        ]

        func problems(stage id: String) -> [StageError] {
            n < 0 ? [StageError("\(id).n must be ≥ 0, got \(n)", param: "n")] : []
        }
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        _ = context.parameters(Params.self)
        return ["out": context.inputSchemas.first ?? Schema([])]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let table = context.inputs[0]
        let params = try context.parameters(Params.self)
        guard let column = table.column(params.by) else { throw StageError("no column to rank by", param: "by") }
        let (n, ascending) = (params.n, params.ascending)
        var rows = (0..<table.rowCount).filter {
            !column.isNull($0) && !(column.type == .float64 && column.float64s[$0].isNaN)
        }
        var order = Array(rows.indices)
        // Stable: equal values keep input order. int64 compares as integers, exactly.
        func before<T: Comparable>(_ values: [T]) -> (Int, Int) -> Bool {
            { a, b in
                ascending
                    ? (values[a], a) < (values[b], b) : (values[a] > values[b] || (values[a] == values[b] && a < b))
            }
        }
        if column.type == .int64 {
            order.sort(by: before(rows.map { column.int64s[$0] }))
        } else {
            order.sort(by: before(rows.map { column.float64s[$0] }))
        }
        rows = order.prefix(n).map { rows[$0] }
        let columns = table.columns.map { $0.take(rows) }
        return ["out": try Table(schema: table.schema, columns: columns, rowCount: rows.count)]
    }
}
