import Foundation
import WeirCore
import WeirReport
import WeirSQL
import WeirTable

/// `chart`: a chart of any table, declared in YAML. Its `data` port is what was drawn (one row
/// per mark: grouped, aggregated, cut to `top`, annotated), so it is cached, testable and
/// downloadable; its `chart` port is one row holding the SVG, which the run report shows, the
/// run folder receives as `<stage>.svg` (and `.png` with `format: png`) and `load.svg` writes.
public struct ChartStage: StageType {
    public let name = "chart"
    public var version: String { "1-plot" + Plot.version }
    public let summary =
        "Draw a bar, line, area, point, histogram, heatmap or pie chart of a table (SVG, PNG with rsvg-convert)."
    public let inputs = InputArity.many
    public let outputs = ["chart", "data"]
    public var params: [ParamSpec] { ChartParams.specs }

    public static let chartSchema = Schema([
        Field("title", .string), Field("format", .string), Field("width", .int64),
        Field("height", .int64), Field("svg", .string),
    ])

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        var problems: [StageError] = []
        guard let params = ChartParams.decode(context.stage, &problems) else {
            for problem in problems { context.report(problem) }
            return [:]
        }
        guard checkColumns(params, &context) else { return [:] }
        let tables = tableNames(context.stage)
        let first = context.inputSchemas.first ?? Schema([])
        let query = ChartQuery(params: params, tables: tables, xType: params.x.flatMap { first[$0]?.type })
        guard let data = plannedData(query, &context) else { return [:] }
        if let predicate = params.highlight, params.highlightsAggregates {
            do { _ = try Highlight.prepare(predicate, data: data) } catch {
                context.error(
                    "highlight", "\(context.stage.id).highlight: \(error.message)",
                    hint: "the predicate reads the chart's data table: \(data.names.joined(separator: ", "))")
                return [:]
            }
        }
        let flagged = params.highlight != nil && params.highlightsAggregates
        return [
            "chart": Self.chartSchema, "data": flagged ? Schema(data.fields + [Field("highlighted", .bool)]) : data,
        ]
    }

    /// Each column parameter names a column of every input, of a type its role can draw.
    private func checkColumns(_ params: ChartParams, _ context: inout PlanContext) -> Bool {
        let numbers: Set<DataType> = [.int64, .float64]
        let numericValue = params.aggregate != .count && params.aggregate != .none || params.mark == .pie
        let values = numericValue || params.aggregate == .none ? numbers : []
        for input in context.inputSchemas.indices {
            func check(_ name: String?, _ param: String, _ types: Set<DataType> = []) {
                if let name { context.column(named: name, param: param, input: input, types: types) }
            }
            check(params.x, "x", params.mark == .histogram ? numbers : [])
            switch params.mark {
            case .heatmap:
                check(params.y, "y")
                check(params.color, "color", values)
            case .histogram: break
            default:
                check(params.y, "y", values)
                if context.inputSchemas.count > 1, params.color != nil {
                    context.error(
                        "color",
                        "\(context.stage.id) layers \(context.inputSchemas.count) inputs as series; drop `color:`")
                } else {
                    check(params.color, "color")
                }
            }
        }
        return !context.diagnostics.hasErrors
    }

    func tableNames(_ stage: StageSpec) -> [String] {
        stage.inputs.count == 1 ? ["input"] : stage.inputs.map(\.description)
    }

    /// The data table's schema: DuckDB types the query against empty inputs.
    private func plannedData(_ query: ChartQuery, _ context: inout PlanContext) -> Schema? {
        if query.params.mark == .histogram { return ChartData.histogramSchema }
        do {
            let engine = try SQLEngine.planning.get()
            let tables = zip(query.tables, context.inputSchemas).map { (name: $0, table: Table(empty: $1)) }
            let valueType = query.params.valueColumn.flatMap { context.inputSchemas.first?[$0]?.type }
            let statement = try SQLSession(engine: engine, tables: tables).prepare(query.sql(valueType: valueType))
            var fields: [Field] = []
            for (name, type) in statement.columns {
                guard let natural = type.naturalType else {
                    context.error(nil, "\(context.stage.id): column '\(name)' is \(type), which a chart cannot draw")
                    return nil
                }
                fields.append(Field(name, query.params.mark == .pie && name == query.params.x ? .string : natural))
            }
            if query.params.mark == .pie { fields.append(Field("share", .float64)) }
            return Schema(fields)
        } catch {
            // Drawn as they are, rows are highlighted by the same query: its errors are most likely the predicate's.
            let param = query.params.highlight != nil && !query.params.highlightsAggregates ? "highlight" : nil
            context.error(
                param, "\(context.stage.id)\(param.map { ".\($0)" } ?? ""): \(error.message)",
                hint: "the chart reads: \(context.inputSchemas.first?.names.joined(separator: ", ") ?? "")")
            return nil
        }
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        var problems: [StageError] = []
        guard let params = ChartParams.decode(context.stage, &problems) else {
            throw problems.first ?? StageError("bad chart parameters")
        }
        let tables = tableNames(context.stage)
        let first = context.inputs.first?.schema ?? Schema([])
        let query = ChartQuery(params: params, tables: tables, xType: params.x.flatMap { first[$0]?.type })
        let spill = SpillDirectory(stateDirectory: context.stateDirectory, stage: nil)
        let data = try ChartData.compute(
            query, inputs: Array(zip(tables, context.inputs)), schema: try context.announcedSchema("data"),
            spill: spill.path)
        for note in data.notes { context.log.note(note) }
        if data.table.rowCount == 0 { context.log.note("nothing to draw: the data table has no rows") }
        try data.checkLimits(params)
        let svg = try ChartDrawing(params: params, query: query, stage: context.stage).svg(data)
        context.log.info("drew \(data.table.rowCount) marks")
        let chart = try Table(
            schema: Self.chartSchema,
            columns: [
                Column(string: [params.title ?? context.stage.id]), Column(string: [params.format.rawValue]),
                Column(int64: [Int64(params.width)]), Column(int64: [Int64(params.height)]), Column(string: [svg]),
            ])
        return ["chart": chart, "data": data.table]
    }
}

extension ChartStage: ChartSource {
    public func charts(_ outputs: [String: Table], stage: StageSpec) -> [Chart] {
        guard let table = outputs["chart"], table.rowCount == 1, let svg = table.column("svg"),
            let title = table.column("title")
        else { return [] }
        return [Chart(title: title[0].description, svg: svg[0].description)]
    }
}
