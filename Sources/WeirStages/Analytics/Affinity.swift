import WeirCore
import WeirTable

/// `affinity`: how much of each segment's purchases fall in each category, against the
/// category's share of all purchases (seed 004's affinity matrix and category lift). One row
/// per segment x category, in long form, sorted; a pair that never occurs has 0 purchases.
public struct Affinity: StageType {
    public let name = "affinity"
    public let version = "1"
    public let summary = "Segment x category share of purchases and lift against the overall share."
    public let inputs = InputArity.one
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        var segment = "segment"
        var category = "category"
        var value: String?

        static let declarations: [ParamDeclaration<Self>] = [
            .param("segment", \.segment, .column(types: KeyCodes.keyTypes), help: "the segment column"),
            .param("category", \.category, .column(types: KeyCodes.keyTypes), help: "the category column"),
            .param(
                "value", \.value, .column(types: [.int64, .float64]),
                help: "what a purchase weighs (e.g. amount); default: 1 per row"),
        ]
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let params = context.parameters(Params.self)
        let schema = context.inputSchemas.first ?? Schema([])
        let (segment, category) = (schema[params.segment], schema[params.category])
        let weight: DataType = params.value == nil ? .int64 : .float64
        return [
            "out": Schema([
                Field(segment?.name ?? "segment", segment?.type ?? .string),
                Field(category?.name ?? "category", category?.type ?? .string),
                Field("purchases", weight), Field("share", .float64),
                Field("overall_share", .float64), Field("lift", .float64),
            ])
        ]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let table = context.inputs[0]
        let params = try context.parameters(Params.self)
        let (segmentName, categoryName) = (params.segment, params.category)
        guard let segmentColumn = table.column(segmentName), let categoryColumn = table.column(categoryName) else {
            throw StageError("the input lacks the segment or category column")
        }
        let segments = try KeyCodes(segmentColumn, name: segmentName, param: "segment")
        let categories = try KeyCodes(categoryColumn, name: categoryName, param: "category")
        let weights = try params.value.map { try context.requiredColumn($0, param: "value").column.doubleValues }
        let s = segments.count
        let c = categories.count
        var cells = [Double](repeating: 0, count: s * c)
        for row in 0..<table.rowCount {
            cells[Int(segments.codes[row]) * c + Int(categories.codes[row])] += weights?[row] ?? 1
        }
        let segmentTotals = (0..<s).map { g in (0..<c).reduce(0.0) { $0 + cells[g * c + $1] } }
        let categoryTotals = (0..<c).map { k in (0..<s).reduce(0.0) { $0 + cells[$1 * c + k] } }
        let total = segmentTotals.reduce(0, +)
        var segmentRows: [Int] = []
        var categoryRows: [Int] = []
        var purchases: [Double] = []
        var share: [Double] = []
        var overall: [Double] = []
        var lift: [Double] = []
        for g in 0..<s {
            for k in 0..<c {
                segmentRows.append(segments.firstRow[g])
                categoryRows.append(categories.firstRow[k])
                let x = cells[g * c + k]
                let sh = segmentTotals[g] == 0 ? 0 : x / segmentTotals[g]
                let ov = total == 0 ? 0 : categoryTotals[k] / total
                purchases.append(x)
                share.append(sh)
                overall.append(ov)
                lift.append(ov == 0 ? 0 : sh / ov)
            }
        }
        let purchaseColumn =
            weights == nil ? Column(int64Values: purchases.map { Int64($0) }) : Column(float64Values: purchases)
        return [
            "out": try Table(
                schema: context.announcedSchema("out"),
                columns: [
                    segmentColumn.take(segmentRows), categoryColumn.take(categoryRows),
                    purchaseColumn, Column(float64Values: share), Column(float64Values: overall),
                    Column(float64Values: lift),
                ])
        ]
    }
}

/// `cohort`: customers grouped by the month of their first purchase, and how many of them buy
/// again 0, 1, 2 ... months later (retention counts and rates), one row per cohort and month
/// offset that has buyers, sorted.
public struct Cohort: StageType {
    public let name = "cohort"
    public let version = "1"
    public let summary = "Monthly cohorts by first purchase: active customers and retention per month since."
    public let inputs = InputArity.one
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        var customer = "customer_id"
        var timestamp = "timestamp"

        static let declarations: [ParamDeclaration<Self>] = [
            .param("customer", \.customer, .column(types: KeyCodes.keyTypes), help: "the customer column"),
            .param("timestamp", \.timestamp, .column(types: [.timestamp, .date]), help: "when the purchase was made"),
        ]
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        _ = context.parameters(Params.self)
        return [
            "out": Schema([
                Field("cohort", .date), Field("months_since", .int64), Field("customers", .int64),
                Field("cohort_size", .int64), Field("retention", .float64),
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
        let days = try context.requiredColumn(params.timestamp, param: "timestamp").column.dayValues
        let customers = try KeyCodes(customerColumn, name: customerName, param: "customer")
        let months = days.map { d -> Int64 in
            let civil = Temporal.civil(days: d)
            return Int64(civil.year) * 12 + Int64(civil.month - 1)
        }
        var first = [Int64](repeating: .max, count: customers.count)
        for (row, code) in customers.codes.enumerated() { first[Int(code)] = Swift.min(first[Int(code)], months[row]) }
        // Distinct (cohort, offset, customer) triples, counted per (cohort, offset).
        var triples = customers.codes.indices.map { row -> (Int64, Int64, Int32) in
            let code = customers.codes[row]
            return (first[Int(code)], months[row] - first[Int(code)], code)
        }
        triples.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        var cohort: [Int64] = []
        var offset: [Int64] = []
        var active: [Int64] = []
        for (i, t) in triples.enumerated() where i == 0 || t != triples[i - 1] {
            if let last = cohort.last, last == t.0, offset.last == t.1 {
                active[active.count - 1] += 1
            } else {
                cohort.append(t.0)
                offset.append(t.1)
                active.append(1)
            }
        }
        var size: [Int64: Int64] = [:]
        for code in 0..<customers.count { size[first[code], default: 0] += 1 }
        let cohortDays = cohort.map { m in Int32(Temporal.days(year: Int(m / 12), month: Int(m % 12) + 1, day: 1)) }
        return [
            "out": try Table(
                schema: context.announcedSchema("out"),
                columns: [
                    Column(.date, cohortDays.map { .date($0) }), Column(int64Values: offset),
                    Column(int64Values: active),
                    Column(int64Values: cohort.map { size[$0] ?? 0 }),
                    Column(float64Values: zip(active, cohort).map { Double($0) / Double(size[$1] ?? 1) }),
                ])
        ]
    }
}
