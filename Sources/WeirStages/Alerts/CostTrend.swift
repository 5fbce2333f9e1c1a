import WeirCore
import WeirTable

/// `cost.trend`: MACD per group. Fast and slow EMAs of the daily value (pandas
/// `ewm(span=n, adjust=False).mean()`), macd = fast - slow, signal = EMA of macd; a crossover
/// on a day where the sign of macd - signal differs from the day before (up when macd rises
/// above the signal). Alerts are the latest day's crossovers.
public struct CostTrend: StageType {
    public let name = "cost.trend"
    public let version = "1"
    public let summary = "MACD of each group's daily value; crossovers mark trend reversals."
    public let inputs = InputArity.one
    public let outputs = ["series", "crossovers", "alerts"]
    public var params: [ParamSpec] { DailySeries.Params.specs + Params.specs }

    struct Params: StageParameters {
        var fast = 12
        var slow = 26
        var signal = 9

        static let declarations: [ParamDeclaration<Self>] = [
            .param("fast", \.fast, help: "span of the fast EMA, in days"),
            .param("slow", \.slow, help: "span of the slow EMA, in days"),
            .param("signal", \.signal, help: "span of the signal line's EMA of macd"),
        ]

        func problems(stage id: String) -> [StageError] {
            var found = [("fast", fast), ("slow", slow), ("signal", signal)].filter { $0.1 < 1 }.map {
                StageError("\(id).\($0.0) must be at least 1, got \($0.1)", param: $0.0)
            }
            if fast >= slow {
                found.append(StageError("\(id).fast (\(fast)) must be shorter than slow (\(slow))", param: "fast"))
            }
            return found
        }
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let fields = DailySeries.plan(&context)
        _ = context.parameters(Params.self)
        let crossings = Schema([fields.date, fields.group, Field("direction", .string)])
        return [
            "series": Schema(
                [fields.date, fields.group, fields.value]
                    + ["ema_fast", "ema_slow", "macd", "signal"].map { Field($0, .float64) }),
            "crossovers": crossings, "alerts": crossings,
        ]
    }

    /// pandas' exponentially weighted mean with adjust=False, step for step (aggregations.pyx
    /// `ewm`): alpha from the centre of mass, the division by the weights' sum, and no update
    /// when the value equals the running mean.
    static func ema(_ x: [Double], span: Int) -> [Double] {
        guard let first = x.first else { return [] }
        let com = (Double(span) - 1) / 2
        let alpha = 1 / (1 + com)
        let oldFactor = 1 - alpha
        var weighted = first
        var out = [first]
        out.reserveCapacity(x.count)
        for cur in x.dropFirst() {
            let oldWeight = 1.0 * oldFactor
            if weighted != cur {
                weighted = oldWeight * weighted + alpha * cur
                weighted /= oldWeight + alpha
            }
            out.append(weighted)
        }
        return out
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let series = try DailySeries(context)
        let params = try context.parameters(Params.self)
        let (fast, slow, signalSpan) = (params.fast, params.slow, params.signal)
        var rows = DailyRows(extraColumns: 4)
        var crossDay: [Int32] = []
        var crossGroup: [Int] = []
        var direction: [String] = []
        for g in 0..<series.groups.count {
            let x = series.values[g]
            let emaFast = Self.ema(x, span: fast)
            let emaSlow = Self.ema(x, span: slow)
            let macd = zip(emaFast, emaSlow).map { $0 - $1 }
            let signal = Self.ema(macd, span: signalSpan)
            var previous: Int?
            for t in 0..<series.dayCount {
                rows.append(day: series.day(t), group: g, value: x[t], [emaFast[t], emaSlow[t], macd[t], signal[t]])
                let difference = macd[t] - signal[t]
                let sign = difference > 0 ? 1 : (difference < 0 ? -1 : 0)
                if let previous, sign != previous {
                    crossDay.append(series.day(t))
                    crossGroup.append(g)
                    direction.append(sign > previous ? "up" : "down")
                }
                previous = sign
            }
        }
        let order = rows.order
        let crossOrder = crossDay.indices.sorted {
            crossDay[$0] != crossDay[$1] ? crossDay[$0] < crossDay[$1] : crossGroup[$0] < crossGroup[$1]
        }
        func crossTable(_ picks: [Int]) throws -> Table {
            try Table(
                schema: context.announcedSchema("crossovers"),
                columns: [
                    Column(dateValues: picks.map { crossDay[$0] }), series.groupColumn(picks.map { crossGroup[$0] }),
                    Column(string: picks.map { direction[$0] }),
                ])
        }
        let lastDay = series.dayCount > 0 ? series.day(series.dayCount - 1) : 0
        let latest = crossOrder.filter { crossDay[$0] == lastDay }
        if !latest.isEmpty { context.log.note("\(latest.count) group(s) reversed trend on the latest day") }
        return [
            "series": try Table(schema: context.announcedSchema("series"), columns: rows.columns(series, rows: order)),
            "crossovers": try crossTable(crossOrder), "alerts": try crossTable(latest),
        ]
    }
}

/// `cost.totals`: month-to-date total per group for the latest month, and the daily total
/// across groups with its day-over-day and week-over-week change (percentages in percent,
/// null where the earlier day is missing or zero).
public struct CostTotals: StageType {
    public let name = "cost.totals"
    public let version = "1"
    public let summary = "Month-to-date totals per group and daily totals with day-over-day and week-over-week change."
    public let inputs = InputArity.one
    public let outputs = ["mtd", "daily"]
    public var params: [ParamSpec] { DailySeries.Params.specs }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let fields = DailySeries.plan(&context)
        return [
            "mtd": Schema([fields.group, Field("month", .string), Field("mtd_total", .float64)]),
            "daily": Schema(
                [fields.date, Field("total", .float64)]
                    + ["dod_change", "dod_pct", "wow_change", "wow_pct"].map { Field($0, .float64) }),
        ]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let series = try DailySeries(context)
        let n = series.dayCount
        var total = [Double](repeating: 0, count: n)
        for g in 0..<series.groups.count { for t in 0..<n { total[t] += series.values[g][t] } }
        func change(_ t: Int, _ lag: Int) -> (Double?, Double?) {
            guard t >= lag else { return (nil, nil) }
            let before = total[t - lag]
            let delta = total[t] - before
            return (delta, before == 0 ? nil : delta / before * 100)
        }
        let dod = (0..<n).map { change($0, 1) }
        let wow = (0..<n).map { change($0, 7) }
        let daily = try Table(
            schema: context.announcedSchema("daily"),
            columns: [
                Column(dateValues: (0..<n).map { series.day($0) }), Column(float64Values: total),
                Column(float64: dod.map(\.0)), Column(float64: dod.map(\.1)), Column(float64: wow.map(\.0)),
                Column(float64: wow.map(\.1)),
            ])
        // The latest month: from its first day (or the first day of data) to the latest day.
        var mtdGroups: [Int] = []
        var mtd: [Double] = []
        var month = ""
        if n > 0 {
            let last = Temporal.civil(days: Int64(series.day(n - 1)))
            month = String(format: "%04d-%02d", last.year, last.month)
            let monthStart = Temporal.days(year: last.year, month: last.month, day: 1)
            let from = Swift.max(0, Int(monthStart - series.firstDay))
            for g in 0..<series.groups.count {
                mtdGroups.append(g)
                mtd.append(series.values[g][from..<n].reduce(0, +))
            }
        }
        let mtdTable = try Table(
            schema: context.announcedSchema("mtd"),
            columns: [
                series.groupColumn(mtdGroups), Column(string: mtdGroups.map { _ in month }), Column(float64Values: mtd),
            ])
        return ["mtd": mtdTable, "daily": daily]
    }
}
