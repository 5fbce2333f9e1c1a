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
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        enum Monetary: String, ParamChoice { case sum, mean }
        enum Scoring: String, ParamChoice { case quintile, minmax }
        var customer = "customer_id"
        var order: String?
        var timestamp = "timestamp"
        var amount = "amount"
        var asOf: String?
        var monetary = Monetary.sum
        var scoring = Scoring.quintile

        static let declarations: [ParamDeclaration<Self>] = [
            .param("customer", \.customer, .column(types: KeyCodes.keyTypes), help: "the customer column"),
            .param(
                "order", \.order, .column(types: KeyCodes.keyTypes),
                help: "the order column; without it, frequency counts distinct purchase days"),
            .param("timestamp", \.timestamp, .column(types: [.timestamp, .date]), help: "when the purchase was made"),
            .param("amount", \.amount, .column(types: [.int64, .float64]), help: "the purchase amount"),
            .param(
                "as_of", \.asOf,
                help: "the reference time for recency (ISO 8601); default: the latest purchase + 1 day"),
            .param("monetary", \.monetary, help: "monetary value: total or mean amount"),
            .param(
                "scoring", \.scoring, help: "quintile: 1..5 by quintile of rank; minmax: each of R, F, M scaled to 0..5"
            ),
        ]

        func problems(stage id: String) -> [StageError] {
            guard let asOf, Temporal.parseTimestamp(asOf) == nil, Temporal.parseDate(asOf) == nil else { return [] }
            return [
                StageError(
                    "\(id).as_of is '\(asOf)', not an ISO 8601 date or timestamp", param: "as_of",
                    hint: "e.g. 2018-10-01 or 2018-10-01T00:00:00Z")
            ]
        }
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let params = context.parameters(Params.self)
        let customer = context.inputSchemas.first?[params.customer]
        let scoreType: DataType = params.scoring == .minmax ? .float64 : .int64
        return [
            "out": Schema([
                Field(customer?.name ?? "customer", customer?.type ?? .string),
                Field("recency_days", .int64), Field("frequency", .int64), Field("monetary", .float64),
                Field("r_score", scoreType), Field("f_score", scoreType), Field("m_score", scoreType),
                Field("rfm_score", .string), Field("segment", .string),
            ])
        ]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let table = context.inputs[0]
        let params = try context.parameters(Params.self)
        let customerName = params.customer
        guard let customerColumn = table.column(customerName) else {
            throw StageError("no customer column", param: "customer")
        }
        let timeColumn = try context.requiredColumn(params.timestamp, param: "timestamp").column
        let (amountName, amountColumn) = try context.requiredColumn(params.amount, param: "amount")
        var trace = Trace("rfm")
        let customers = try KeyCodes(customerColumn, name: customerName, param: "customer")
        trace.mark("keycodes")
        let n = customers.count
        guard n >= 2 || table.rowCount == 0 else {
            throw StageError(
                "rfm scores customers by quintile of rank and needs at least 2 customers; the input has 1",
                param: "customer", hint: "pandas qcut fails the same way (bin edges must be unique)")
        }

        // The time, order and amount columns are read in place when they already hold the type
        // the kernels take: copying three million values cost more than using them.
        let micros = timeColumn.microsView
        let orders = try Self.orderValues(params.order, table: table, micros: micros)
        let amounts = amountColumn.doubleView
        let totals = CustomerTotals(
            customers: customers.codes, groups: n, micros: micros, orders: orders, amounts: amounts,
            mean: params.monetary == .mean)
        trace.mark("totals")
        let asOf: Int64
        if let text = params.asOf {
            asOf = Temporal.parseTimestamp(text) ?? Int64(Temporal.parseDate(text) ?? 0) * Temporal.microsPerDay
        } else {
            // The latest line is some customer's latest: a hundred thousand to look at, not millions.
            asOf = (totals.last.max() ?? 0) + Temporal.microsPerDay
        }
        let recency = totals.last.map { Temporal.floorDiv(asOf - $0, Temporal.microsPerDay) }
        let frequency = totals.frequency
        let monetary = totals.monetary
        let negative = amounts.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
        if negative > 0 {
            context.log.note(
                "\(negative) line(s) with a negative \(amountName) (refunds) lower their customer's monetary value")
        }

        let minmax = params.scoring == .minmax
        let recencyValues = recency.map(Double.init)
        let frequencyValues = frequency.map(Double.init)
        let totalColumns = [
            Column(int64Values: recency), Column(int64Values: frequency), Column(float64Values: monetary),
        ]
        var columns: [Column]
        let buckets: [[Int]]
        if minmax {
            let r = Self.minmax(recencyValues, inverted: true)
            let f = Self.minmax(frequencyValues)
            let m = Self.minmax(monetary)
            columns =
                [customerColumn.take(customers.firstRow)] + totalColumns
                + [Column(float64Values: r), Column(float64Values: f), Column(float64Values: m)]
            buckets = [r, f, m].map { $0.map { Swift.max(1, Int($0.rounded(.up))) } }
        } else {
            // The customers are gathered (and two rankings run) while the monetary ranking, on
            // floats and the longest, runs on the other core.
            let ((names, recencyBins, f), m) = Parallel.both(
                {
                    (
                        customerColumn.take(customers.firstRow), Self.quintiles(recencyValues),
                        Self.quintiles(frequencyValues)
                    )
                }, { Self.quintiles(monetary) })
            let r = recencyBins.map { 6 - $0 }
            columns = [names] + totalColumns + [r, f, m].map { Column(int64Values: $0.map(Int64.init)) }
            buckets = [r, f, m]
        }
        columns += try Self.labels(buckets)
        trace.mark("scores and labels")
        return ["out": try Table(schema: context.announcedSchema("out"), columns: columns)]
    }

    /// What frequency counts distinct values of, per customer: the order column's values (an
    /// integer column as it is, a string column by its codes), or each line's day without one.
    static func orderValues(_ orderName: String?, table: Table, micros: FixedWidthView<Int64>) throws
        -> FixedWidthView<Int64>
    {
        guard let orderName else {
            return Column(int64Values: micros.map(Temporal.day(ofMicros:))).int64s
        }
        guard let orderColumn = table.column(orderName) else {
            throw StageError("no column '\(orderName)'", param: "order")
        }
        switch orderColumn.type {
        case .int64, .timestamp:
            try orderColumn.requireValues(name: orderName, param: "order", why: "a key cannot be null")
            return orderColumn.int64s
        case .date:
            try orderColumn.requireValues(name: orderName, param: "order", why: "a key cannot be null")
            return Column(int64Values: orderColumn.dates.map(Int64.init)).int64s
        default:
            return Column(int64Values: try KeyCodes(orderColumn, name: orderName, param: "order").codes.map(Int64.init))
                .int64s
        }
    }

    /// The `rfm_score` ("545") and `segment` columns, written in place by both cores: a
    /// `String` per customer, or even appending value by value, cost more than the scoring.
    static func labels(_ buckets: [[Int]]) throws -> [Column] {
        let n = buckets[0].count
        let r = buckets[0]
        let f = buckets[1]
        let m = buckets[2]
        // Both scorings give 1...5; each (r, f) pair's segment name is looked up, not hashed per customer.
        let names = (0..<36).map { Array(RFMSegment(r: $0 / 6, f: $0 % 6).rawValue.utf8) }
        let name = (0..<n).map { Swift.min(5, r[$0]) * 6 + Swift.min(5, f[$0]) }
        var nameStart = [0]
        nameStart.reserveCapacity(n + 1)
        for i in 0..<n { nameStart.append(nameStart[i] + names[name[i]].count) }
        let scores = try StringColumnFill(rows: n, bytes: 3 * n)
        let segments = try StringColumnFill(rows: n, bytes: nameStart[n])
        let chunks = n >= 20_000 ? Parallel.coreCount : 1
        Parallel.forEach(chunks) { c in
            let rows = (n * c / chunks)..<(n * (c + 1) / chunks)
            var score = scores.writer(firstRow: rows.lowerBound, firstByte: 3 * rows.lowerBound)
            var segment = segments.writer(firstRow: rows.lowerBound, firstByte: nameStart[rows.lowerBound])
            for i in rows {
                score.write(byte: UInt8(48 + Swift.min(9, r[i])))
                score.write(byte: UInt8(48 + Swift.min(9, f[i])))
                score.write(byte: UInt8(48 + Swift.min(9, m[i])))
                score.endValue()
                names[name[i]].withUnsafeBytes { segment.write($0) }
                segment.endValue()
            }
        }
        return [scores.finish(), segments.finish()]
    }

    /// pandas `qcut(values.rank(method='first'), 5, labels=[1, 2, 3, 4, 5])`: ranks break ties by
    /// position (a stable sort); bin edges are numpy's linear quantiles of the ranks, computed
    /// with the same floating-point steps, and a rank goes to the first bin whose right edge it
    /// does not exceed.
    static func quintiles(_ values: [Double]) -> [Int] {
        let n = values.count
        guard n > 0 else { return [] }
        let order = RadixSort.order(values.map(RadixSort.key))
        // Quantiles at numpy.linspace(0, 1, 6) of the ranks 1...n.
        let edges = (0...5).map { k in pandasQuantile(k == 5 ? 1.0 : Double(k) * 0.2, count: n) { Double($0 + 1) } }
        var bins = [Int](repeating: 0, count: n)
        for (position, row) in order.enumerated() {
            let rank = Double(position + 1)
            var below = 0
            for edge in edges where edge < rank { below += 1 }
            bins[Int(row)] = Swift.max(1, below)
        }
        return bins
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
