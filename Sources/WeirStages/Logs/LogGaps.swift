import WeirCore
import WeirTable

/// `logs.gaps` (seed 002's timestamp anomalies): the time between consecutive log entries, and
/// the gaps longer than `factor` × the median gap or than `max_gap`: periods when nothing was
/// logged, a sign of an outage or of lost logs. With `group`, each group (a log stream, a
/// function) is measured on its own.
public struct LogGaps: StageType {
    public let name = "logs.gaps"
    public let version = "1"
    public let summary =
        "Gaps between consecutive log entries; flags those over factor x the median gap or over max_gap."
    public let inputs = InputArity.one
    public let outputs = ["gaps", "anomalies"]
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        var timestamp = "started_at"
        var group: String?
        var factor = 10.0
        var maxGap: ParamValue?

        static let declarations: [ParamDeclaration<Self>] = [
            .param("timestamp", \.timestamp, .column(types: [.timestamp]), help: "when each entry was logged"),
            .param(
                "group", \.group, .column(types: KeyCodes.keyTypes),
                help: "measure gaps within each value of this column"
            ),
            .param("factor", \.factor, help: "a gap over factor x the median gap is an anomaly"),
            .param(
                "max_gap", \.maxGap,
                help: "a gap over this is an anomaly whatever the median (90s, 30m, 2h, 1d; a number is seconds)"),
        ]

        /// `max_gap` in seconds.
        var maxGapSeconds: Double? { maxGap.flatMap(LogGaps.seconds) }

        func problems(stage id: String) -> [StageError] {
            var found: [StageError] = []
            if !(factor > 0) {
                found.append(
                    StageError("\(id).factor must be above 0, got \(FloatFormat.shortest(factor))", param: "factor"))
            }
            if let maxGap, maxGapSeconds == nil {
                found.append(
                    StageError(
                        "\(id).max_gap must be a positive duration such as 90s, 30m, 2h or 1d, got '\(maxGap)'",
                        param: "max_gap"))
            }
            return found
        }
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let params = context.parameters(Params.self)
        var groupFields: [Field] = []
        if let groupName = params.group {
            guard let group = context.column(named: groupName, param: "group", types: KeyCodes.keyTypes) else {
                return [:]
            }
            groupFields = [group]
        }
        let span = [Field("from", .timestamp), Field("to", .timestamp), Field("gap_seconds", .float64)]
        return [
            "gaps": Schema(groupFields + span + [Field("anomaly", .bool)]),
            "anomalies": Schema(
                groupFields + span + [
                    Field("median_gap_seconds", .float64), Field("times_median", .float64), Field("reason", .string),
                ]),
        ]
    }

    static func seconds(_ value: ParamValue) -> Double? {
        switch value {
        case .int(let n): n > 0 ? Double(n) : nil
        case .double(let d): d > 0 ? d : nil
        case .string(let text): DurationText.seconds(text)
        default: nil
        }
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let input = context.inputs[0]
        let params = try context.parameters(Params.self)
        let (_, time) = try context.requiredColumn(params.timestamp, param: "timestamp")
        let (factor, maxGap) = (params.factor, params.maxGapSeconds)
        var groups: [[Int]]
        var groupColumn: Column?
        var firstRows: [Int] = []
        if let groupName = params.group {
            let (name, column) = try context.requiredColumn(groupName, param: "group")
            let keys = try KeyCodes(column, name: name, param: "group")
            groups = [[Int]](repeating: [], count: keys.count)
            for row in 0..<input.rowCount { groups[Int(keys.codes[row])].append(row) }
            groupColumn = column
            firstRows = keys.firstRow
        } else {
            groups = [Array(0..<input.rowCount)]
        }
        let gapSchema = try context.announcedSchema("gaps")
        let anomalySchema = try context.announcedSchema("anomalies")
        let gaps = gapSchema.fields.map { ColumnBuilder($0.type) }
        let anomalies = anomalySchema.fields.map { ColumnBuilder($0.type) }
        let offset = groupColumn == nil ? 0 : 1
        let micros = time.int64s
        for (g, rows) in groups.enumerated() {
            let times = rows.map { micros[$0] }.sorted()
            guard times.count >= 2 else { continue }
            let seconds = (1..<times.count).map { Double(times[$0] - times[$0 - 1]) / 1_000_000 }
            let sorted = seconds.sorted()
            let median = pandasQuantile(0.5, count: sorted.count) { sorted[$0] }
            for (k, gap) in seconds.enumerated() {
                let overMedian = median > 0 && gap > factor * median
                let overMax = maxGap.map { gap > $0 } ?? false
                if let groupColumn { gaps[0].append(from: groupColumn, at: firstRows[g]) }
                gaps[offset].append(times[k])
                gaps[offset + 1].append(times[k + 1])
                gaps[offset + 2].append(gap)
                gaps[offset + 3].append(overMedian || overMax)
                guard overMedian || overMax else { continue }
                if let groupColumn { anomalies[0].append(from: groupColumn, at: firstRows[g]) }
                anomalies[offset].append(times[k])
                anomalies[offset + 1].append(times[k + 1])
                anomalies[offset + 2].append(gap)
                anomalies[offset + 3].append(median)
                if median > 0 { anomalies[offset + 4].append(gap / median) } else { anomalies[offset + 4].appendNull() }
                var reasons: [String] = []
                if overMedian {
                    reasons.append("\(Self.tenths(gap / median)) x the median gap of \(Self.describe(median))")
                }
                if overMax, let maxGap { reasons.append("over max_gap \(Self.describe(maxGap))") }
                anomalies[offset + 5].append(
                    Self.describe(gap) + " without a log entry: " + reasons.joined(separator: "; "))
            }
        }
        return [
            "gaps": try Table(schema: gapSchema, columns: gaps.map { $0.finish() }),
            "anomalies": try Table(schema: anomalySchema, columns: anomalies.map { $0.finish() }),
        ]
    }

    /// `47`, `14.7`: a ratio to one decimal, without a trailing `.0`.
    static func tenths(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : FloatFormat.shortest(rounded)
    }

    /// `42s`, `12.5m`, `3.2h`, `2.1d`: a duration as a person reads it.
    static func describe(_ seconds: Double) -> String {
        func short(_ value: Double) -> String { tenths(value) }
        if seconds < 120 { return short(seconds) + "s" }
        if seconds < 7200 { return short(seconds / 60) + "m" }
        if seconds < 172_800 { return short(seconds / 3600) + "h" }
        return short(seconds / 86400) + "d"
    }
}
