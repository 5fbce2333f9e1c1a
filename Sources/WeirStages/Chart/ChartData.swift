import Foundation
import WeirCore
import WeirReport
import WeirSQL
import WeirTable

/// A chart's data table, computed from its inputs: the aggregation (DuckDB), histogram bins
/// (as numpy.histogram), `top`, a pie's shares, and the highlight. Whatever is left out is
/// said in `notes`, which the chart's subtitle and the run log show.
struct ChartData {
    var table: Table
    var notes: [String] = []
    var subtitle: [String] = []

    static let histogramSchema = Schema([
        Field("bin_start", .float64), Field("bin_end", .float64), Field("count", .int64),
    ])

    static func compute(_ query: ChartQuery, inputs: [(String, Table)], schema: Schema, spill: String) throws
        -> ChartData
    {
        let params = query.params
        let engine = try SQLEngine.shared(spillDirectory: spill)
        let session = try SQLSession(engine: engine, tables: inputs.map { (name: $0.0, table: $0.1) })
        let valueType = params.valueColumn.flatMap { inputs.first?.1.schema[$0]?.type }
        let statement = try session.prepare(query.sql(valueType: valueType))
        let natural = Schema(
            statement.columns.compactMap { column in column.type.naturalType.map { Field(column.name, $0) } })
        var data = ChartData(table: try statement.run(into: natural))
        if params.mark == .histogram {
            data = try histogram(data.table, bins: params.bins, name: params.x ?? "x")
        } else {
            try data.dropUnplaced(params)
            try data.keepTop(query)
            if params.mark == .pie { try data.addShares(params) }
        }
        if let predicate = params.highlight, params.highlightsAggregates {
            let flags = try Highlight.evaluate(predicate, data: data.table)
            data.table = try Table(
                schema: Schema(data.table.schema.fields + [Field("highlighted", .bool)]),
                columns: data.table.columns + [Column(bool: flags.map { $0 })])
        }
        guard data.table.schema == schema else {
            throw StageError(
                "the data table came out as (\(data.table.schema.names.joined(separator: ", "))), not as planned (\(schema.names.joined(separator: ", ")))"
            )
        }
        return data
    }

    /// Bins of equal width between the smallest and largest value, the last closed on the
    /// right, each value placed as numpy.histogram places it (null and NaN are not counted).
    static func histogram(_ table: Table, bins: Int, name: String) throws -> ChartData {
        let column = table.columns[0]
        var values: [Double] = []
        var skipped = 0
        for row in 0..<column.count {
            guard let v = column.double(at: row), !v.isNaN else {
                skipped += 1
                continue
            }
            guard v.isFinite else {
                throw StageError(
                    "x column '\(name)' holds an infinite value at row \(row + 1); a histogram needs finite values",
                    param: "x")
            }
            values.append(v)
        }
        var lo = values.min() ?? 0
        var hi = values.max() ?? 1
        if lo == hi {
            lo -= 0.5
            hi += 0.5
        }
        let step = (hi - lo) / Double(bins)
        var edges = (0...bins).map { lo + Double($0) * step }
        edges[bins] = hi
        var counts = [Int64](repeating: 0, count: bins)
        let norm = Double(bins) / (hi - lo)
        for v in values {
            var i = Swift.min(bins - 1, Int((v - lo) * norm))
            if v < edges[i] { i -= 1 }
            if i < bins - 1 && v >= edges[i + 1] { i += 1 }
            counts[i] += 1
        }
        var data = ChartData(
            table: try Table(
                schema: histogramSchema,
                columns: [
                    Column(float64Values: Array(edges.dropLast())), Column(float64Values: Array(edges.dropFirst())),
                    Column(int64Values: counts),
                ]))
        if values.isEmpty { data.table = Table(empty: histogramSchema) }
        if skipped > 0 { data.note("\(skipped) rows with no \(name) are not counted") }
        return data
    }

    mutating func note(_ text: String) {
        notes.append(text)
        subtitle.append(text)
    }

    /// Lines and points cannot place a row without x on a number or time axis.
    mutating func dropUnplaced(_ params: ChartParams) throws {
        guard [.line, .area, .point].contains(params.mark), let x = table.columns.first, x.type != .string,
            x.type != .bool, x.hasNulls
        else { return }
        let keep = (0..<table.rowCount).filter { x.isValid($0) }
        note("\(table.rowCount - keep.count) rows with no \(table.schema.names[0]) are not drawn")
        table = try Table(schema: table.schema, columns: table.columns.map { $0.take(keep) })
    }

    /// The `top` x values by their value (summed over series); a pie of counts or sums gathers
    /// the rest into one "(other)" slice, anything else leaves it out and says so.
    mutating func keepTop(_ query: ChartQuery) throws {
        let params = query.params
        guard let top = params.top, table.rowCount > 0 else { return }
        guard let value = table.column(params.valueName) else { return }
        let x = table.columns[0]
        var totals: [Value: (first: Int, total: Double)] = [:]
        for row in 0..<table.rowCount {
            let key = x[row]
            let v = value.double(at: row) ?? -.infinity
            if let seen = totals[key] { totals[key] = (seen.first, seen.total + v) } else { totals[key] = (row, v) }
        }
        guard totals.count > top else { return }
        let ranked = totals.sorted { ($0.value.total, -$0.value.first) > ($1.value.total, -$1.value.first) }
        let kept = Set(ranked.prefix(top).map(\.key))
        let rows = (0..<table.rowCount).filter { kept.contains(x[$0]) }
        let rest = (0..<table.rowCount).filter { !kept.contains(x[$0]) }
        let xName = table.schema.names[0]
        if params.mark == .pie && (params.aggregate == .count || params.aggregate == .sum) {
            let other = rest.compactMap { value.double(at: $0) }.reduce(0, +)
            table = try Table(
                schema: Schema([Field(xName, .string), table.schema.fields[1]]),
                columns: [
                    Column(string: rows.map { CellText.text(x[$0]) } + ["(other)"]),
                    try Column(
                        value.type,
                        rows.map { value[$0] } + [value.type == .int64 ? .int64(Int64(other)) : .float64(other)]),
                ])
            subtitle.append(
                "top \(top) of \(totals.count) \(xName) values; the other \(totals.count - top) make up '(other)'")
        } else {
            table = try Table(schema: table.schema, columns: table.columns.map { $0.take(rows) })
            note("top \(top) of \(totals.count) \(xName) values by \(params.valueName); \(totals.count - top) left out")
        }
    }

    /// A pie's labels as text and each slice's share of the whole; negative slices are refused.
    mutating func addShares(_ params: ChartParams) throws {
        let x = table.columns[0]
        let value = table.columns[1]
        var total = 0.0
        for row in 0..<table.rowCount {
            guard let v = value.double(at: row) else { continue }
            guard v >= 0 else {
                throw StageError(
                    "a pie cannot draw a negative slice: '\(CellText.text(x[row]))' is \(NumberText.value(v))",
                    param: "y",
                    hint: "filter the rows first, or draw a bar chart")
            }
            total += v
        }
        let labels =
            x.type == .string ? x : Column(string: (0..<x.count).map { x.isValid($0) ? CellText.text(x[$0]) : nil })
        let shares = (0..<table.rowCount).map { row in value.double(at: row).map { total > 0 ? $0 / total : 0 } }
        table = try Table(
            schema: Schema([Field(table.schema.names[0], .string), table.schema.fields[1], Field("share", .float64)]),
            columns: [labels, value, Column(float64: shares)])
    }

    /// Past these sizes a chart stops being readable: the error says how to cut it down.
    func checkLimits(_ params: ChartParams) throws {
        let rows = table.rowCount
        let limit: Int
        let hint: String
        switch params.mark {
        case .bar: (limit, hint) = (1000, "set top: 20, or filter the rows")
        case .pie:
            (limit, hint) = (
                PlotPalette.categorical.count,
                "set top: \(PlotPalette.categorical.count - 1) (the rest become '(other)')"
            )
        case .heatmap: (limit, hint) = (10_000, "group x or y more coarsely")
        case .line, .area, .point: (limit, hint) = (50_000, "aggregate the rows (aggregate: mean) or sample them first")
        case .histogram: return
        }
        if rows > limit {
            throw StageError(
                "\(rows) \(params.mark == .pie ? "slices" : "marks") are too many for a \(params.mark.rawValue) chart (at most \(limit))",
                param: params.mark == .pie || params.mark == .bar ? "top" : "x", hint: hint)
        }
        if let series = params.seriesColumn, let column = table.column(series) {
            let distinct = Set((0..<column.count).map { column[$0] }).count
            if distinct > PlotPalette.categorical.count {
                throw StageError(
                    "color '\(series)' has \(distinct) values; a chart tells at most \(PlotPalette.categorical.count) series apart",
                    param: "color", hint: "filter to fewer series, or draw one chart per group")
            }
        }
        if params.logScale, let value = table.columns.last(where: { $0.type == .int64 || $0.type == .float64 }) {
            let bad = (0..<value.count).filter { (value.double(at: $0) ?? 1) <= 0 }
            if !bad.isEmpty {
                throw StageError(
                    "log_scale: \(bad.count) values are zero or negative and cannot be drawn on a log axis",
                    param: "log_scale")
            }
        }
    }
}

/// A value as chart text: strings as they are, dates ISO, floats shortest.
enum CellText {
    static func text(_ value: Value) -> String {
        if case .null = value { return "(null)" }
        return value.description
    }
}

/// The `highlight` predicate, run by DuckDB over the chart's data table (named `data`).
enum Highlight {
    static func expression(_ predicate: String) -> String {
        "coalesce(CAST((\(predicate)) AS BOOLEAN), false) AS highlighted"
    }

    static func query(_ predicate: String) -> String {
        "SELECT \(expression(predicate)) FROM data ORDER BY weir_row"
    }

    static func prepare(_ predicate: String, data: Schema) throws(SQLEngineError) -> SQLStatement {
        let engine = try SQLEngine.planning.get()
        let table = Table(empty: Schema(data.fields + [Field("weir_row", .int64)]))
        let statement = try SQLSession(engine: engine, tables: [(name: "data", table: table)]).prepare(query(predicate))
        guard statement.isSelect, statement.columns.count == 1 else {
            throw SQLEngineError(.compile, "is not one predicate")
        }
        return statement
    }

    static func evaluate(_ predicate: String, data: Table) throws -> [Bool] {
        let numbered = try Table(
            schema: Schema(data.schema.fields + [Field("weir_row", .int64)]),
            columns: data.columns + [Column(int64Values: (0..<Int64(data.rowCount)).map { $0 })])
        let engine = try SQLEngine.planning.get()
        let statement = try SQLSession(engine: engine, tables: [(name: "data", table: numbered)]).prepare(
            query(predicate))
        let result = try statement.run(into: Schema([Field("highlighted", .bool)]))
        return (0..<result.rowCount).map { result.columns[0].bool(at: $0) }
    }
}
