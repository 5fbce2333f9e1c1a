import Foundation
import WeirCore
import WeirTable

/// `quality`: a data-quality profile of a table (seed 003) and declared checks.
/// - `profile`: per column its type, nulls, distinct values, zeros and negatives (numbers),
///   min and max, dates after `as_of`, and the most frequent values.
/// - `anomalies`: rows worth a look: values beyond the IQR fences or above a column's
///   `outlier_threshold` (the `top` most extreme per column), dates after `as_of`, and the rows
///   failing each check (up to `max_rows` per check).
/// - `checks`: each declared check with ok, warn or fail. With `severity: error` a failing
///   check fails the stage after the report is written to the run folder.
public struct Quality: StageType {
    public let name = "quality"
    public let version = "1"
    public let summary = "Profile a table, find outliers and future dates, and run declared checks."
    public let inputs = InputArity.one
    public let outputs = ["profile", "anomalies", "checks"]
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        enum Severity: String, ParamChoice { case warn, error }
        var asOf: String?
        var outlierThreshold: ParamValue?
        var top = 5
        var maxRows = 100
        var checks: ParamValue?
        var severity = Severity.warn

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "as_of", \.asOf, help: "dates after this day are future dates (default: the day the stage runs)"),
            .param("outlier_threshold", \.outlierThreshold, help: "column: value; values above it are anomalies"),
            .param("top", \.top, help: "most extreme outliers and most frequent values shown per column"),
            .param("max_rows", \.maxRows, help: "failing rows listed per check"),
            .param(
                "checks", \.checks,
                help:
                    "not_null: [cols], unique: [cols], max_share_zero: {col: share}, range: {col: [low, high]}, not_contains: {col: text}"
            ),
            .param("severity", \.severity, help: "what a failing check is: warn, or error (fails the stage)"),
        ]

        /// `outlier_threshold` by column; a value that is not a number is an error.
        func thresholds() throws -> [String: Double] {
            guard let outlierThreshold else { return [:] }
            guard case .map(let map) = outlierThreshold else {
                throw StageError(
                    "outlier_threshold must be a mapping of column: number, got \(outlierThreshold)",
                    param: "outlier_threshold")
            }
            var thresholds: [String: Double] = [:]
            for (column, value) in map {
                guard let number = value.double else {
                    throw StageError(
                        "outlier_threshold of column '\(column)' must be a number, got \(value)",
                        param: "outlier_threshold")
                }
                thresholds[column] = number
            }
            return thresholds
        }

        func problems(stage id: String) -> [StageError] {
            var found: [StageError] = []
            do { _ = try thresholds() } catch let error as StageError { found.append(error) } catch {}
            if let asOf, Temporal.parseDate(asOf) == nil {
                found.append(StageError("\(id).as_of is '\(asOf)', not a date like 2025-10-31", param: "as_of"))
            }
            return found
        }
    }

    public init() {}

    static let profileSchema = Schema([
        Field("column", .string), Field("type", .string), Field("rows", .int64), Field("nulls", .int64),
        Field("distinct", .int64), Field("zeros", .int64), Field("negatives", .int64),
        Field("min", .string), Field("max", .string), Field("future", .int64), Field("top_values", .string),
    ])
    static let anomalySchema = Schema([
        Field("column", .string), Field("row", .int64), Field("value", .string), Field("reason", .string),
    ])
    static let checkSchema = Schema([
        Field("check", .string), Field("column", .string), Field("status", .string),
        Field("failing", .int64), Field("detail", .string),
    ])

    /// A declared check, parsed from YAML.
    enum Check {
        case notNull(String)
        case unique(String)
        case maxShareZero(String, Double)
        case range(String, Double, Double)
        case notContains(String, String)

        var column: String {
            switch self {
            case .notNull(let c), .unique(let c), .maxShareZero(let c, _), .range(let c, _, _), .notContains(let c, _):
                c
            }
        }

        var name: String {
            switch self {
            case .notNull(let c): "not_null(\(c))"
            case .unique(let c): "unique(\(c))"
            case .maxShareZero(let c, let share): "max_share_zero(\(c) ≤ \(FloatFormat.shortest(share)))"
            case .range(let c, let low, let high):
                "range(\(c) in [\(FloatFormat.shortest(low)), \(FloatFormat.shortest(high))])"
            case .notContains(let c, let text): "not_contains(\(c), \"\(text)\")"
            }
        }
    }

    static func checks(_ value: ParamValue?) throws -> [Check] {
        guard let value else { return [] }
        guard case .map(let kinds) = value else {
            throw StageError("checks must be a mapping of check kind to columns", param: "checks")
        }
        var checks: [Check] = []
        for kind in kinds.keys.sorted() {
            let spec = kinds[kind]!
            func columns() throws -> [String] {
                if let names = spec.strings { return names }
                if let name = spec.string { return [name] }
                throw StageError("checks.\(kind) must list columns, e.g. [order_id]", param: "checks")
            }
            func mapping() throws -> [(String, ParamValue)] {
                guard case .map(let map) = spec else {
                    throw StageError("checks.\(kind) must map columns to values", param: "checks")
                }
                return map.keys.sorted().map { ($0, map[$0]!) }
            }
            switch kind {
            case "not_null": checks += try columns().map(Check.notNull)
            case "unique": checks += try columns().map(Check.unique)
            case "max_share_zero":
                for (column, share) in try mapping() {
                    guard let share = share.double, share >= 0, share <= 1 else {
                        throw StageError(
                            "checks.max_share_zero.\(column) must be a share between 0 and 1", param: "checks")
                    }
                    checks.append(.maxShareZero(column, share))
                }
            case "range":
                for (column, bounds) in try mapping() {
                    guard case .list(let pair) = bounds, pair.count == 2,
                        let low = pair[0].double ?? pair[0].string.flatMap(Double.init),
                        let high = pair[1].double ?? pair[1].string.flatMap(Double.init), low <= high
                    else {
                        throw StageError("checks.range.\(column) must be [low, high]", param: "checks")
                    }
                    checks.append(.range(column, low, high))
                }
            case "not_contains":
                for (column, text) in try mapping() {
                    guard let text = text.string ?? text.description.nilIfEmpty else {
                        throw StageError("checks.not_contains.\(column) must be text", param: "checks")
                    }
                    checks.append(.notContains(column, text))
                }
            default:
                throw StageError(
                    "unknown check '\(kind)'", param: "checks",
                    hint: Suggest.didYouMean(
                        kind, in: ["not_null", "unique", "max_share_zero", "range", "not_contains"])
                        ?? "checks: not_null, unique, max_share_zero, range, not_contains")
            }
        }
        return checks
    }

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let params = context.parameters(Params.self)
        do {
            for check in try Self.checks(params.checks) {
                let numeric: Set<DataType> = {
                    if case .maxShareZero = check { return [.int64, .float64] }
                    if case .range = check { return [.int64, .float64] }
                    return []
                }()
                context.column(named: check.column, param: "checks", types: numeric)
            }
        } catch { context.report(error) }
        for name in ((try? params.thresholds()) ?? [:]).keys.sorted() {
            context.column(named: name, param: "outlier_threshold", types: [.int64, .float64])
        }
        return ["profile": Self.profileSchema, "anomalies": Self.anomalySchema, "checks": Self.checkSchema]
    }

    /// An anomaly: column, row (1-based), value, why.
    typealias Anomaly = (column: String, row: Int, value: String, why: String)

    public func run(_ context: RunContext) throws -> [String: Table] {
        let table = context.inputs[0]
        let params = try context.parameters(Params.self)
        let top = Swift.max(1, params.top)
        let maxRows = Swift.max(1, params.maxRows)
        let today = Int32(Temporal.day(ofMicros: Int64(Date().timeIntervalSince1970 * 1e6)))
        let asOf = params.asOf.flatMap(Temporal.parseDate) ?? today
        let thresholds = try params.thresholds()

        var profile: [[Value]] = []
        var anomalies: [Anomaly] = []
        for (field, column) in zip(table.schema.fields, table.columns) {
            profile.append(
                Self.profile(
                    field, column, top: top, maxRows: maxRows, asOf: asOf, threshold: thresholds[field.name],
                    anomalies: &anomalies))
        }
        let severity = params.severity.rawValue
        let (checkRows, failed) = try Self.runChecks(
            try Self.checks(params.checks), on: table, severity: severity, maxRows: maxRows,
            anomalies: &anomalies)
        let outputs = [
            "profile": try Self.table(Self.profileSchema, profile),
            "anomalies": try Self.table(
                Self.anomalySchema,
                anomalies.map { [.string($0.column), .int64(Int64($0.row)), .string($0.value), .string($0.why)] }),
            "checks": try Self.table(Self.checkSchema, checkRows),
        ]
        if !failed.isEmpty { try Self.report(failed, outputs: outputs, severity: severity, context: context) }
        return outputs
    }

    /// One column's profile row; its outliers and future dates go to `anomalies`.
    static func profile(
        _ field: Field, _ column: Column, top: Int, maxRows: Int, asOf: Int32, threshold: Double?,
        anomalies: inout [Anomaly]
    ) -> [Value] {
        let valid = (0..<column.count).filter(column.isValid)
        var counts: [Value: Int] = [:]
        for row in valid { counts[column[row], default: 0] += 1 }
        let topValues = counts.sorted {
            $0.value != $1.value ? $0.value > $1.value : $0.key.description < $1.key.description
        }
        .prefix(top).map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
        var zeros: Value = .null
        var negatives: Value = .null
        var future: Value = .null
        // NaN is left out of the range, as pandas' min and max leave it out.
        let ranged = field.type == .float64 ? valid.filter { !column.float64s[$0].isNaN } : valid
        let lowest = ranged.min { Value.precedes(column[$0], column[$1]) }
        let highest = ranged.max { Value.precedes(column[$0], column[$1]) }
        if field.type.isNumeric {
            let values = valid.map { column.double(at: $0)! }
            zeros = .int64(Int64(values.filter { $0 == 0 }.count))
            negatives = .int64(Int64(values.filter { $0 < 0 }.count))
            anomalies += outliers(field.name, column, valid: valid, values: values, threshold: threshold, top: top)
        }
        if field.type == .date || field.type == .timestamp {
            let late = valid.filter { row in
                field.type == .date
                    ? column.dates[row] > asOf : Temporal.day(ofMicros: column.int64s[row]) > Int64(asOf)
            }
            future = .int64(Int64(late.count))
            anomalies += late.prefix(maxRows).map {
                (field.name, $0 + 1, column[$0].description, "after \(Temporal.formatDate(asOf))")
            }
        }
        return [
            .string(field.name), .string(field.type.rawValue), .int64(Int64(column.count)),
            .int64(Int64(column.nullCount)), .int64(Int64(counts.count)), zeros, negatives,
            lowest.map { .string(column[$0].description) } ?? .null,
            highest.map { .string(column[$0].description) } ?? .null, future, .string(topValues),
        ]
    }

    /// The `checks:` rows, and the names of those that failed; failing rows go to `anomalies`.
    static func runChecks(
        _ checks: [Check], on table: Table, severity: String, maxRows: Int, anomalies: inout [Anomaly]
    ) throws -> (rows: [[Value]], failed: [String]) {
        var rows: [[Value]] = []
        var failed: [String] = []
        for check in checks {
            guard let column = table.column(check.column) else {
                throw StageError("no column '\(check.column)'", param: "checks")
            }
            let (failing, detail) = evaluate(check, column)
            let ok: Bool
            if case .maxShareZero(_, let share) = check {
                ok = table.rowCount == 0 || Double(failing.count) / Double(table.rowCount) <= share
            } else {
                ok = failing.isEmpty
            }
            if !ok {
                failed.append(check.name)
                anomalies += failing.prefix(maxRows).map { (check.column, $0 + 1, column[$0].description, check.name) }
            }
            let status = ok ? "ok" : (severity == "error" ? "fail" : "warn")
            rows.append([
                .string(check.name), .string(check.column), .string(status), .int64(Int64(failing.count)),
                .string(detail),
            ])
        }
        return (rows, failed)
    }

    /// Failed checks: the outputs written to the run folder, then an error or a warning.
    static func report(_ failed: [String], outputs: [String: Table], severity: String, context: RunContext) throws {
        for (port, output) in outputs {
            try CSVWriter().write(output, toFile: try context.runFile("quality.\(port).csv"))
        }
        let report = context.runDirectory + "/\(context.stage.id).quality"
        if severity == "error" {
            throw StageError(
                "\(Wording.count(failed.count, "check")) failed: \(failed.joined(separator: ", "))",
                hint: "the report is in \(report).*.csv")
        }
        context.log.note("\(failed.count) check(s) warn: \(failed.joined(separator: ", ")); report in \(report).*.csv")
    }

    static func table(_ schema: Schema, _ rows: [[Value]]) throws -> Table {
        let builder = TableBuilder(schema, capacity: rows.count)
        for row in rows { try builder.append(row: row) }
        return builder.finish()
    }

    /// Values beyond the IQR fences (pandas linear quantiles) or above `threshold`, the `top`
    /// farthest out first.
    static func outliers(_ name: String, _ column: Column, valid: [Int], values: [Double], threshold: Double?, top: Int)
        -> [(String, Int, String, String)]
    {
        guard !values.isEmpty else { return [] }
        let sorted = values.sorted()
        let q1 = pandasQuantile(0.25, count: sorted.count) { sorted[$0] }
        let q3 = pandasQuantile(0.75, count: sorted.count) { sorted[$0] }
        let iqr = q3 - q1
        let lowFence = q1 - 1.5 * iqr
        let highFence = q3 + 1.5 * iqr
        var found: [(row: Int, value: Double, reason: String, distance: Double)] = []
        for (i, row) in valid.enumerated() {
            let x = values[i]
            if let threshold, x > threshold {
                found.append((row, x, "above \(FloatFormat.shortest(threshold))", .infinity))
            } else if iqr > 0 && (x > highFence || x < lowFence) {
                found.append(
                    (
                        row, x,
                        x > highFence
                            ? "above the IQR fence \(FloatFormat.shortest(highFence))"
                            : "below the IQR fence \(FloatFormat.shortest(lowFence))",
                        Swift.max(x - highFence, lowFence - x) / iqr
                    ))
            }
        }
        found.sort {
            $0.distance != $1.distance
                ? $0.distance > $1.distance
                : (abs($0.value) != abs($1.value) ? abs($0.value) > abs($1.value) : $0.row < $1.row)
        }
        return found.prefix(top).map { (name, $0.row + 1, column[$0.row].description, $0.reason) }
    }

    /// The rows failing a check (0-based) and a one-line detail.
    static func evaluate(_ check: Check, _ column: Column) -> ([Int], String) {
        let rows = 0..<column.count
        switch check {
        case .notNull:
            let failing = rows.filter(column.isNull)
            return (failing, "\(failing.count) null value(s)")
        case .unique:
            var first: [Value: Int] = [:]
            var failing: [Int] = []
            for row in rows where column.isValid(row) {
                if first[column[row]] != nil { failing.append(row) } else { first[column[row]] = row }
            }
            return (failing, "\(failing.count) repeated value(s)")
        case .maxShareZero(_, let share):
            let failing = rows.filter { column.double(at: $0) == 0 }
            let actual = column.count == 0 ? 0 : Double(failing.count) / Double(column.count)
            return (
                failing,
                String(format: "%d zero(s), %.2f%% of rows (allowed %.2f%%)", failing.count, actual * 100, share * 100)
            )
        case .range(_, let low, let high):
            let failing = rows.filter { row in column.double(at: row).map { $0 < low || $0 > high } ?? false }
            return (
                failing,
                "\(failing.count) value(s) outside [\(FloatFormat.shortest(low)), \(FloatFormat.shortest(high))]"
            )
        case .notContains(_, let text):
            let needle = text.lowercased()
            let failing = rows.filter { column.isValid($0) && column[$0].description.lowercased().contains(needle) }
            return (failing, "\(failing.count) value(s) containing \"\(text)\"")
        }
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
