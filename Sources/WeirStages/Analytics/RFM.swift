import WeirCore
import WeirTable

/// `rfm`: recency, frequency and monetary value per customer from purchase lines, scored 1..5
/// by quintile of rank as pandas `qcut(x.rank(method='first'), 5)` does (or min-max scaled to
/// 0..5), with the named segment of the R and F scores (`RFMSegment`).
public struct RFM: StageType {
    public let name = "rfm"
    public let version = "1"
    public let summary = "Recency, frequency, monetary value and their 1-5 scores and segment, per customer."
    public let inputs = InputArity.one
    public let params: [ParamSpec] = [
        ParamSpec("customer", .column(types: KeyCodes.keyTypes), default: .string("customer_id"), help: "the customer column"),
        ParamSpec("order", .column(types: KeyCodes.keyTypes), help: "the order column; without it, frequency counts distinct purchase days"),
        ParamSpec("timestamp", .column(types: [.timestamp, .date]), default: .string("timestamp"), help: "when the purchase was made"),
        ParamSpec("amount", .column(types: [.int64, .float64]), default: .string("amount"), help: "the purchase amount"),
        ParamSpec("as_of", .string, help: "the reference time for recency (ISO 8601); default: the latest purchase + 1 day"),
        ParamSpec("monetary", .choice(["sum", "mean"]), default: .string("sum"), help: "monetary value: total or mean amount"),
        ParamSpec("scoring", .choice(["quintile", "minmax"]), default: .string("quintile"),
                  help: "quintile: 1..5 by quintile of rank; minmax: each of R, F, M scaled to 0..5"),
    ]

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let customer = context.column("customer", types: KeyCodes.keyTypes)
        context.column("order", types: KeyCodes.keyTypes)
        context.column("timestamp", types: [.timestamp, .date])
        context.column("amount", types: [.int64, .float64])
        if let asOf = context.param("as_of")?.string, Temporal.parseTimestamp(asOf) == nil, Temporal.parseDate(asOf) == nil {
            context.error("as_of", "\(context.stage.id).as_of is '\(asOf)', not an ISO 8601 date or timestamp",
                          hint: "e.g. 2018-10-01 or 2018-10-01T00:00:00Z")
        }
        let scoreType: DataType = context.param("scoring")?.string == "minmax" ? .float64 : .int64
        return ["out": Schema([
            Field(customer?.name ?? "customer", customer?.type ?? .string),
            Field("recency_days", .int64), Field("frequency", .int64), Field("monetary", .float64),
            Field("r_score", scoreType), Field("f_score", scoreType), Field("m_score", scoreType),
            Field("rfm_score", .string), Field("segment", .string),
        ])]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let table = context.inputs[0]
        guard let customerName = context.param("customer")?.string, let customerColumn = table.column(customerName) else {
            throw StageError("no customer column", param: "customer")
        }
        let timeColumn = try context.requiredColumn("timestamp").column
        let (amountName, amountColumn) = try context.requiredColumn("amount")
        let customers = try KeyCodes(customerColumn, name: customerName, param: "customer")
        let n = customers.count
        guard n >= 2 || table.rowCount == 0 else {
            throw StageError("rfm scores customers by quintile of rank and needs at least 2 customers; the input has 1",
                             param: "customer", hint: "pandas qcut fails the same way (bin edges must be unique)")
        }

        let micros: [Int64] = timeColumn.type == .date
            ? timeColumn.dates.map { Int64($0) * Temporal.microsPerDay } : Array(timeColumn.int64s)
        var last = [Int64](repeating: .min, count: n)
        for (row, code) in customers.codes.enumerated() { last[Int(code)] = max(last[Int(code)], micros[row]) }
        let asOf: Int64
        if let text = context.param("as_of")?.string {
            asOf = Temporal.parseTimestamp(text) ?? Int64(Temporal.parseDate(text) ?? 0) * Temporal.microsPerDay
        } else {
            asOf = (micros.max() ?? 0) + Temporal.microsPerDay
        }
        let recency = last.map { Temporal.floorDiv(asOf - $0, Temporal.microsPerDay) }

        // Frequency: distinct (customer, order) pairs, or (customer, day) pairs without an order column.
        let second: [Int64]
        if let orderName = context.param("order")?.string {
            guard let orderColumn = table.column(orderName) else { throw StageError("no column '\(orderName)'", param: "order") }
            second = try KeyCodes(orderColumn, name: orderName, param: "order").codes.map(Int64.init)
        } else {
            second = micros.map(Temporal.day(ofMicros:))
        }
        let frequency = Self.distinctPerGroup(customers.codes, second, groups: n)

        let amounts = amountColumn.doubleValues
        let monetary = Self.groupAmounts(amounts, codes: customers.codes, groups: n, mean: context.param("monetary")?.string == "mean")
        let negative = amounts.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
        if negative > 0 { context.log.note("\(negative) line(s) with a negative \(amountName) (refunds) lower their customer's monetary value") }

        let minmax = context.param("scoring")?.string == "minmax"
        let recencyValues = recency.map(Double.init), frequencyValues = frequency.map(Double.init)
        var columns: [Column] = [customerColumn.take(customers.firstRow),
                                 Column(int64Values: recency), Column(int64Values: frequency), Column(float64Values: monetary)]
        let buckets: [[Int]]
        if minmax {
            let r = Self.minmax(recencyValues, inverted: true), f = Self.minmax(frequencyValues), m = Self.minmax(monetary)
            columns += [Column(float64Values: r), Column(float64Values: f), Column(float64Values: m)]
            buckets = [r, f, m].map { $0.map { Swift.max(1, Int($0.rounded(.up))) } }
        } else {
            let r = Self.quintiles(recencyValues).map { 6 - $0 }, f = Self.quintiles(frequencyValues), m = Self.quintiles(monetary)
            columns += [r, f, m].map { Column(int64Values: $0.map(Int64.init)) }
            buckets = [r, f, m]
        }
        let digits = (0...9).map { String($0) }
        columns.append(Column(string: (0..<n).map { digits[Swift.min(9, buckets[0][$0])] + digits[Swift.min(9, buckets[1][$0])] + digits[Swift.min(9, buckets[2][$0])] }))
        columns.append(Column(string: (0..<n).map { RFMSegment(r: buckets[0][$0], f: buckets[1][$0]).rawValue }))
        return ["out": try Table(schema: context.announcedSchema("out"), columns: columns)]
    }

    /// The number of distinct `values` per group: lines bucketed by group, then each group's
    /// few values sorted.
    static func distinctPerGroup(_ codes: [Int32], _ values: [Int64], groups: Int) -> [Int64] {
        var (start, bucketed) = WeirStages.bucketed(values, by: codes, groups: groups)
        var distinct = [Int64](repeating: 0, count: groups)
        bucketed.withUnsafeMutableBufferPointer { all in
            for g in 0..<groups where start[g + 1] > start[g] {
                var slice = UnsafeMutableBufferPointer(rebasing: all[start[g]..<start[g + 1]])
                slice.sort()
                var count: Int64 = 1
                for i in 1..<slice.count where slice[i] != slice[i - 1] { count += 1 }
                distinct[g] = count
            }
        }
        return distinct
    }

    /// Per-group sums (or means) computed exactly as pandas (≥ 3.0) computes them, so that
    /// equal-looking totals rank as they do there: when the rows are already grouped in key
    /// order pandas uses numpy's `add.reduceat` (first value + pairwise sum of the rest), else
    /// its Kahan-compensated Cython loop in row order.
    static func groupAmounts(_ values: [Double], codes: [Int32], groups: Int, mean: Bool) -> [Double] {
        var sum = [Double](repeating: 0, count: groups)
        var count = [Int](repeating: 0, count: groups)
        if zip(codes, codes.dropFirst()).allSatisfy({ $0 <= $1 }) {
            values.withUnsafeBufferPointer { values in
                var start = 0
                while start < codes.count {
                    var end = start + 1
                    while end < codes.count && codes[end] == codes[start] { end += 1 }
                    let g = Int(codes[start])
                    sum[g] = values[start] + pairwiseSum(UnsafeBufferPointer(rebasing: values[(start + 1)..<end]))
                    count[g] = end - start
                    start = end
                }
            }
        } else {
            var compensation = sum
            for (row, code) in codes.enumerated() {
                let g = Int(code)
                let y = values[row] - compensation[g]
                let t = sum[g] + y
                compensation[g] = t - sum[g] - y
                sum[g] = t
                count[g] += 1
            }
        }
        return mean ? zip(sum, count).map { $0 / Double($1) } : sum
    }

    /// numpy's pairwise summation (`pairwise_sum` in loops_utils.h): sequential under 8 values,
    /// eight interleaved partial sums up to 128, halves (at a multiple of 8) beyond.
    static func pairwiseSum(_ a: UnsafeBufferPointer<Double>) -> Double {
        let n = a.count
        if n < 8 {
            var result = 0.0
            for x in a { result += x }
            return result
        }
        if n <= 128 {
            var r = (0..<8).map { a[$0] }
            var i = 8
            while i < n - n % 8 {
                for j in 0..<8 { r[j] += a[i + j] }
                i += 8
            }
            var result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n {
                result += a[i]
                i += 1
            }
            return result
        }
        var half = n / 2
        half -= half % 8
        return pairwiseSum(UnsafeBufferPointer(rebasing: a[0..<half])) + pairwiseSum(UnsafeBufferPointer(rebasing: a[half...]))
    }

    /// pandas `qcut(values.rank(method='first'), 5, labels=[1, 2, 3, 4, 5])`: ranks break ties by
    /// position; bin edges are numpy's linear quantiles of the ranks, computed with the same
    /// floating-point steps, and a rank goes to the first bin whose right edge it does not exceed.
    static func quintiles(_ values: [Double]) -> [Int] {
        let n = values.count
        guard n > 0 else { return [] }
        var keyed = values.enumerated().map { (value: $0.element, index: $0.offset) }
        keyed.sort { $0.value != $1.value ? $0.value < $1.value : $0.index < $1.index }
        var rank = [Double](repeating: 0, count: n)
        for (position, entry) in keyed.enumerated() { rank[entry.index] = Double(position + 1) }
        // Quantiles at numpy.linspace(0, 1, 6) of the ranks 1...n.
        let edges = (0...5).map { k in pandasQuantile(k == 5 ? 1.0 : Double(k) * 0.2, count: n) { Double($0 + 1) } }
        return rank.map { r in
            var below = 0
            for edge in edges where edge < r { below += 1 }
            return Swift.max(1, below)
        }
    }

    /// Seed 001's scaling: (x - min) / (max - min) * 5, inverted for recency; all 0 when constant.
    static func minmax(_ values: [Double], inverted: Bool = false) -> [Double] {
        guard let low = values.min(), let high = values.max(), high > low else { return values.map { _ in 0 } }
        return values.map { inverted ? (high - $0) / (high - low) * 5 : ($0 - low) / (high - low) * 5 }
    }
}

/// The named grid of R and F scores (first matching rule wins; documented in the README).
enum RFMSegment: String, CaseIterable {
    case champions = "Champions"
    case loyal = "Loyal"
    case new = "New"
    case potentialLoyalist = "Potential Loyalist"
    case cantLoseThem = "Can't Lose Them"
    case atRisk = "At Risk"
    case hibernating = "Hibernating"
    case lost = "Lost"

    init(r: Int, f: Int) {
        switch (r, f) {
        case (4...5, 4...5): self = .champions
        case (3...5, 3...5): self = .loyal
        case (4...5, 1): self = .new
        case (3...5, _): self = .potentialLoyalist
        case (_, 4...5): self = .cantLoseThem
        case (_, 3): self = .atRisk
        case (2, _): self = .hibernating
        default: self = .lost
        }
    }
}
