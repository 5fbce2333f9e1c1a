import Foundation
import WeirCore
import WeirReport
import WeirTable

/// Turns a chart's data table into marks and draws them.
struct ChartDrawing {
    let params: ChartParams
    let query: ChartQuery
    let stage: StageSpec

    func svg(_ data: ChartData) throws -> String {
        Plot.svg(spec(data), rows(data.table))
    }

    func spec(_ data: ChartData) -> PlotSpec {
        let table = data.table
        var subtitle = data.subtitle
        if let flags = table.column("highlighted") {
            subtitle.append("\((0..<flags.count).filter { flags.bool(at: $0) }.count) highlighted")
        }
        if table.rowCount == 0 { subtitle.append("no rows to draw") }
        let values = valueColumn(table).map { column in (0..<column.count).compactMap { column.double(at: $0) } } ?? []
        let rules: [PlotRule] = params.rules.compactMap { rule in
            switch rule {
            case .value(let v, let label): return PlotRule(label: label, value: v)
            case .statistic(let name): return Self.statistic(name, values).map { PlotRule(label: name, value: $0) }
            }
        }
        let x = params.x ?? "x"
        return PlotSpec(
            mark: params.mark, title: params.title ?? stage.id,
            subtitle: subtitle.isEmpty ? nil : subtitle.joined(separator: " · "),
            width: Double(params.width), height: Double(params.height),
            xTitle: x,
            yTitle: params.mark == .heatmap
                ? (params.y ?? "y") : (params.mark == .histogram ? "count" : params.valueName),
            seriesTitle: params.mark == .heatmap ? params.valueName : query.series,
            logScale: params.logScale, rules: rules, highlightLabel: params.highlight)
    }

    static func statistic(_ name: String, _ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        switch name {
        case "mean": return values.reduce(0, +) / Double(values.count)
        case "median":
            let sorted = values.sorted()
            let mid = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
        case "min": return values.min()
        default: return values.max()
        }
    }

    func valueColumn(_ table: Table) -> Column? {
        table.column(params.mark == .histogram ? "count" : params.valueName)
    }

    func rows(_ table: Table) -> [PlotRow] {
        guard table.rowCount > 0 else { return [] }
        let x = table.columns[0]
        let value = valueColumn(table)
        let series = query.series.flatMap { table.column($0) }
        let category = params.mark == .heatmap ? params.y.flatMap { table.column($0) } : nil
        let end = params.mark == .histogram ? table.column("bin_end") : nil
        let highlighted = table.column("highlighted")
        let shown = table.schema.fields.filter { $0.name != "highlighted" }
        return (0..<table.rowCount).map { row in
            let tooltip = shown.map { field in "\(field.name): \(Self.text(table.column(field.name)!, row))" }.joined(
                separator: " · ")
            return PlotRow(
                x: Self.plotValue(x, row), xEnd: end?.double(at: row),
                category: category.map { Self.plotValue($0, row) },
                value: value?.double(at: row), series: series.map { Self.text($0, row) },
                highlighted: highlighted?.bool(at: row) ?? false, tooltip: tooltip)
        }
    }

    static func text(_ column: Column, _ row: Int) -> String {
        let value = column[row]
        if case .float64(let v) = value { return NumberText.value(v) }
        if case .int64(let v) = value { return NumberText.grouped(Double(v), decimals: 0) }
        return CellText.text(value)
    }

    static func plotValue(_ column: Column, _ row: Int) -> PlotValue {
        guard column.isValid(row) else { return .text(nil) }
        switch column.type {
        case .int64, .float64: return .number(column.double(at: row) ?? 0)
        case .date: return .day(Double(column.dates[row]))
        case .timestamp: return .time(Double(column.int64s[row]) / Double(Temporal.microsPerDay))
        case .string, .bool: return .text(CellText.text(column[row]))
        }
    }
}
