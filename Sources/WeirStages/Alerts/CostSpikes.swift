import WeirCore
import WeirTable

/// `cost.spikes`: each group's daily value against the mean and sample standard deviation of
/// the `window` days before it (pandas `rolling(window, min_periods).mean().shift(1)` and
/// `.std().shift(1)`); a day is flagged when its z-score exceeds `threshold`. Alerts are the
/// groups whose latest day is flagged.
public struct CostSpikes: StageType {
    public let name = "cost.spikes"
    public let version = "1"
    public let summary = "Daily z-scores against the trailing window; flags spikes, alerts on the latest day."
    public let inputs = InputArity.one
    public let outputs = ["scores", "alerts"]
    public var params: [ParamSpec] { DailySeries.Params.specs + Params.specs }

    struct Params: StageParameters {
        var window = 365
        var minHistory = 14
        var threshold = 1.0

        static let declarations: [ParamDeclaration<Self>] = [
            .param("window", \.window, help: "days of history each day is compared with"),
            .param("min_history", \.minHistory, help: "fewest days of history for a z-score"),
            .param("threshold", \.threshold, help: "flag days whose z-score is above this"),
        ]

        func problems(stage id: String) -> [StageError] {
            var found: [StageError] = []
            if window < 2 {
                found.append(StageError("\(id).window must be at least 2 days, got \(window)", param: "window"))
            }
            if minHistory < 2 || minHistory > window {
                found.append(
                    StageError(
                        "\(id).min_history must be between 2 and window (\(window)), got \(minHistory)",
                        param: "min_history"))
            }
            return found
        }
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let fields = DailySeries.plan(&context)
        _ = context.parameters(Params.self)
        let schema = Schema([
            fields.date, fields.group, fields.value, Field("mean", .float64), Field("std", .float64),
            Field("z", .float64), Field("flagged", .bool),
        ])
        return ["scores": schema, "alerts": schema]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let series = try DailySeries(context)
        let params = try context.parameters(Params.self)
        let (window, history, threshold) = (params.window, params.minHistory, params.threshold)
        var rows = DailyRows(extraColumns: 3)
        var flagged: [Bool] = []
        for g in 0..<series.groups.count {
            let x = series.values[g]
            for t in 0..<series.dayCount {
                let from = Swift.max(0, t - window)
                let n = t - from
                var mean: Double?
                var std: Double?
                var z: Double?
                if n >= history {
                    var sum = 0.0
                    for i in from..<t { sum += x[i] }
                    let m = sum / Double(n)
                    var squares = 0.0
                    for i in from..<t { squares += (x[i] - m) * (x[i] - m) }
                    let s = (squares / Double(n - 1)).squareRoot()
                    mean = m
                    std = s
                    if s > 0 { z = (x[t] - m) / s }
                }
                rows.append(day: series.day(t), group: g, value: x[t], [mean, std, z])
                flagged.append((z ?? -.infinity) > threshold)
            }
        }
        let order = rows.order
        let schema = try context.announcedSchema("scores")
        let scores = try Table(
            schema: schema, columns: rows.columns(series, rows: order) + [Column(bool: order.map { flagged[$0] })])
        let lastDay = series.dayCount > 0 ? series.day(series.dayCount - 1) : 0
        let alertRows = order.filter { rows.day[$0] == lastDay && flagged[$0] }
        let alerts = try Table(
            schema: schema, columns: rows.columns(series, rows: alertRows) + [Column(bool: alertRows.map { _ in true })]
        )
        if !alertRows.isEmpty { context.log.note("\(alertRows.count) group(s) spiked on the latest day") }
        return ["scores": scores, "alerts": alerts]
    }
}
