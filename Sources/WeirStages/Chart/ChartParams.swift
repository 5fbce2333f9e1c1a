import WeirCore
import WeirReport
import WeirTable

extension PlotMark: ParamChoice {}

/// A `chart` stage's parameters, decoded once from the YAML and checked.
struct ChartParams: StageParameters {
    enum Aggregate: String, ParamChoice { case none, count, sum, mean, median, min, max }
    enum Sort: String, ParamChoice { case x, value, descending = "-value", none }
    enum Format: String, ParamChoice { case svg, png }
    /// A reference line: a fixed value, or a statistic of the drawn values.
    enum Rule: Equatable {
        case value(Double, label: String)
        case statistic(String)
    }

    var mark = PlotMark.bar
    var x: String?
    var y: String?
    var color: String?
    /// As written; `aggregate` fills in the mark's default.
    var aggregateChoice: Aggregate?
    var groupBy: [String]?
    var bins = 10
    var sort: Sort?
    var top: Int?
    var logScale = false
    var title: String?
    var width = 720
    var height = 360
    var highlight: String?
    var rule: ParamValue?
    var format = Format.svg

    static let statistics = ["mean", "median", "min", "max"]

    static let declarations: [ParamDeclaration<Self>] = [
        .param("mark", \.mark, required: true, help: "what is drawn"),
        .param(
            "x", \.x, .column(types: []),
            help: "the column along the x axis (the category of a pie, the values of a histogram)"),
        .param("y", \.y, .column(types: []), help: "the value column (numbers); for a heatmap, the row category"),
        .param("color", \.color, .column(types: []), help: "series (one colour each); for a heatmap, the cell value"),
        .param(
            "aggregate", \.aggregateChoice,
            help:
                "how rows sharing x (and color) are combined; default: sum of the value, count without one; none for line, area, point with y"
        ),
        .param(
            "group_by", \.groupBy, .columns(types: []),
            help: "the columns rows are grouped by (default: x, and color or the heatmap's y); each must be drawn"),
        .param(
            "bins", \.bins,
            help: "histogram bins of equal width between the smallest and largest x (as numpy.histogram)"
        ),
        .param(
            "sort", \.sort,
            help: "order of x: x, value, -value (largest first) or none; default: -value for text bars and pies, else x"
        ),
        .param("top", \.top, help: "keep the N x values with the largest values (a pie's rest becomes '(other)')"),
        .param("log_scale", \.logScale, help: "logarithmic value axis (values must be positive)"),
        .param("title", \.title, help: "the chart's title (default: the stage id)"),
        .param("width", \.width, help: "width in pixels"),
        .param("height", \.height, help: "height in pixels"),
        .param(
            "highlight", \.highlight,
            help: "a SQL predicate over the chart's data table; matching marks are highlighted"
        ),
        .param(
            "rule", \.rule,
            help: "reference lines: mean, median, min, max or a number, or a list of them, or {value: N, label: text}"),
        .param("format", \.format, help: "png also writes <stage>.png (needs rsvg-convert)"),
    ]

    /// Reads the parameters, reporting every problem at its key; nil when any is wrong.
    static func decode(_ stage: StageSpec, _ problems: inout [StageError]) -> ChartParams? {
        do {
            let params = try decode(stage)
            problems += params.problems(stage: stage.id)
            return problems.isEmpty ? params : nil
        } catch let error as StageError {
            problems.append(error)
        } catch {
            problems.append(StageError("\(error)"))
        }
        return nil
    }

    /// How rows are combined: as written, else the mark's default.
    var aggregate: Aggregate { aggregateChoice ?? defaultAggregate }

    /// The reference lines `rule` asks for.
    var rules: [Rule] { Self.rules(rule).rules }

    func problems(stage id: String) -> [StageError] {
        var problems = Self.rules(rule).problems
        check(&problems)
        return problems
    }

    /// Sum of the value when there is one, a count of rows when not; lines and points draw rows as they are.
    var defaultAggregate: Aggregate {
        switch mark {
        case .line, .area, .point: y == nil ? .count : .none
        case .heatmap: color == nil ? .count : .sum
        case .histogram: .count
        case .bar, .pie: y == nil ? .count : .sum
        }
    }

    /// The column holding each mark's size, before aggregation.
    var valueColumn: String? { mark == .heatmap ? color : (mark == .histogram ? nil : y) }
    /// The column that splits marks into coloured series.
    var seriesColumn: String? { mark == .heatmap || mark == .pie || mark == .histogram ? nil : color }

    /// Whether `highlight` reads the aggregated data table (else the input rows, drawn as they are).
    var highlightsAggregates: Bool { aggregate != .none || mark == .histogram }

    /// What the data table calls the value it draws.
    var valueName: String {
        switch (aggregate, valueColumn) {
        case (.count, _): "count"
        case (.none, let column?): column
        case (let aggregate, let column?): "\(aggregate.rawValue)_\(column)"
        case (_, nil): "count"
        }
    }

    private static func rules(_ value: ParamValue?) -> (rules: [Rule], problems: [StageError]) {
        var problems: [StageError] = []
        guard let value else { return ([], []) }
        let items: [ParamValue] = if case .list(let list) = value { list } else { [value] }
        var rules: [Rule] = []
        for item in items {
            switch item {
            case .string(let s) where statistics.contains(s): rules.append(.statistic(s))
            case .int, .double: rules.append(.value(item.double ?? 0, label: NumberText.value(item.double ?? 0)))
            case .map(let map) where map["value"]?.double != nil:
                rules.append(
                    .value(
                        map["value"]?.double ?? 0,
                        label: map["label"]?.string ?? NumberText.value(map["value"]?.double ?? 0)))
            default:
                problems.append(
                    StageError(
                        "rule '\(item)' is not mean, median, min, max, a number or {value: N, label: text}",
                        param: "rule"))
            }
        }
        return (rules, problems)
    }

    private func check(_ problems: inout [StageError]) {
        func need(_ ok: Bool, _ param: String, _ message: String) {
            if !ok { problems.append(StageError(message, param: param)) }
        }
        need(x != nil, "x", "a \(mark.rawValue) chart needs `x:` (a column)")
        need(mark != .heatmap || y != nil, "y", "a heatmap needs `y:`, the column of its rows")
        need(!(mark == .histogram && y != nil), "y", "a histogram counts x values; it takes no `y:`")
        need(
            !((mark == .pie || mark == .histogram) && color != nil), "color",
            "a \(mark.rawValue) has no series; drop `color:`")
        need(
            aggregate != .none || valueColumn != nil || mark == .histogram, "aggregate",
            "aggregate: none draws a value column, and this chart has none (give `\(mark == .heatmap ? "color" : "y")`)"
        )
        need(!(mark == .histogram && aggregate != .count), "aggregate", "a histogram counts; drop `aggregate:`")
        need(bins >= 1 && bins <= 1000, "bins", "bins must be between 1 and 1,000, got \(bins)")
        need(top.map { $0 >= 1 } ?? true, "top", "top must be at least 1")
        need(width >= 120 && width <= 4000, "width", "width must be between 120 and 4,000 pixels, got \(width)")
        need(height >= 100 && height <= 4000, "height", "height must be between 100 and 4,000 pixels, got \(height)")
        need(!(mark == .pie && logScale), "log_scale", "a pie has no value axis; drop `log_scale:`")
        if let groupBy {
            let drawn = Set([x, seriesColumn, mark == .heatmap ? y : nil].compactMap { $0 })
            for column in groupBy where !drawn.contains(column) {
                problems.append(
                    StageError(
                        "group_by names '\(column)', which the chart does not draw (it draws \(drawn.sorted().joined(separator: ", ")))",
                        param: "group_by",
                        hint: mark == .heatmap || mark == .pie ? nil : "to split by it, set color: \(column)"))
            }
        }
    }
}
