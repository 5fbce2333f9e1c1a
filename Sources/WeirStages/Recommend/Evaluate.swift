import WeirCore
import WeirTable

/// `evaluate`: how good ranked recommendations are against what users then took. Inputs:
/// the recommendations (user, item, rank) and the held-out truth (user, item). Every user in
/// the truth counts (one without recommendations scores 0); per user the top k by rank are
/// scored with `RankingMetrics`, then averaged overall ("all") and per `segment` of the truth.
/// `coverage@k` is the share of items in either input that some evaluated list recommends.
public struct Evaluate: StageType {
    public let name = "evaluate"
    public let version = "1"
    public let summary =
        "Precision, recall, NDCG, MAP, hit rate and coverage at k of recommendations against held-out truth."
    public let inputs = InputArity.many
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        var user = ""
        var item = ""
        var rank = "rank"
        var k = 10
        var segment: String?

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "user", \.user, .column(types: KeyCodes.keyTypes), required: true,
                help: "the user column, in both inputs"),
            .param(
                "item", \.item, .column(types: KeyCodes.keyTypes), required: true,
                help: "the item column, in both inputs"),
            .param(
                "rank", \.rank, .column(types: [.int64, .float64]),
                help: "the recommendations' rank column (1 = best)"),
            .param("k", \.k, help: "how many of each list count"),
            .param(
                "segment", \.segment, .column(types: KeyCodes.keyTypes), input: 1,
                help: "a column of the truth: metrics per segment too"),
        ]

        func problems(stage id: String) -> [StageError] {
            k < 1 ? [StageError("\(id).k must be at least 1, got \(k)", param: "k")] : []
        }
    }

    public init() {}

    static let metrics = ["precision", "recall", "ndcg", "map", "hit_rate", "coverage"]

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        if context.inputSchemas.count != 2 {
            context.error(
                nil,
                "\(context.stage.id) takes two inputs, the recommendations then the truth; got \(context.inputSchemas.count)"
            )
            return ["out": Self.schema]
        }
        let params = context.parameters(Params.self)
        context.column(named: params.user, param: "user", input: 1, types: KeyCodes.keyTypes)
        context.column(named: params.item, param: "item", input: 1, types: KeyCodes.keyTypes)
        return ["out": Self.schema]
    }

    static let schema = Schema([
        Field("segment", .string), Field("metric", .string), Field("value", .float64), Field("users", .int64),
    ])

    public func run(_ context: RunContext) throws -> [String: Table] {
        let (recommendations, truth) = (context.inputs[0], context.inputs[1])
        let params = try context.parameters(Params.self)
        let (k, userName, itemName) = (params.k, params.user, params.item)
        guard truth.rowCount > 0 else {
            throw StageError("the truth (second input) has no rows: there is nothing to evaluate against")
        }
        let column = { (table: Table, name: String, param: String) throws -> Column in
            guard let c = table.column(name) else { throw StageError("an input lacks column '\(name)'", param: param) }
            try c.requireValues(name: name, param: param, why: "every line must name its \(param)")
            return c
        }
        let truthUsers = try column(truth, userName, "user")
        let truthItems = try column(truth, itemName, "item")
        var wanted: [Value: Set<Value>] = [:]
        var segmentOf: [Value: String] = [:]
        let segments = try params.segment.map { try column(truth, $0, "segment") }
        for row in 0..<truth.rowCount {
            wanted[truthUsers[row], default: []].insert(truthItems[row])
            if let segments, segmentOf[truthUsers[row]] == nil {
                segmentOf[truthUsers[row]] = ItemLabels.text(segments[row])
            }
        }
        let lists = try rankedLists(
            recommendations, users: column(recommendations, userName, "user"),
            items: column(recommendations, itemName, "item"), k: k, rankName: params.rank)
        var catalogue = Set(wanted.values.flatMap { $0 })
        for list in lists.values { catalogue.formUnion(list) }
        // Users in value order, so sums (and the output's digest) do not depend on hashing.
        let everyone = wanted.keys.sorted(by: Value.precedes)
        var groups: [(String, [Value])] = [("all", everyone)]
        if segments != nil {
            let bySegment = Dictionary(grouping: everyone, by: { segmentOf[$0] ?? "" })
            groups += bySegment.keys.sorted().map { ($0, bySegment[$0] ?? []) }
        }
        var rows: [(String, String, Double, Int64)] = []
        for (segment, users) in groups {
            let scores = users.map { RankingMetrics.scores(lists[$0] ?? [], truth: wanted[$0] ?? [], k: k) }
            let n = Double(users.count)
            let recommended = Set(users.flatMap { lists[$0] ?? [] })
            let values = [
                scores.reduce(0) { $0 + $1.precision } / n, scores.reduce(0) { $0 + $1.recall } / n,
                scores.reduce(0) { $0 + $1.ndcg } / n, scores.reduce(0) { $0 + $1.averagePrecision } / n,
                scores.reduce(0) { $0 + $1.hit } / n, Double(recommended.count) / Double(max(1, catalogue.count)),
            ]
            for (metric, value) in zip(Self.metrics, values) {
                rows.append((segment, "\(metric)@\(k)", value, Int64(users.count)))
            }
        }
        return [
            "out": try Table(
                schema: Self.schema,
                columns: [
                    Column(string: rows.map(\.0)), Column(string: rows.map(\.1)), Column(float64Values: rows.map(\.2)),
                    Column(int64Values: rows.map(\.3)),
                ])
        ]
    }

    /// Each user's items in rank order (ties: input order), the first k.
    private func rankedLists(
        _ table: Table, users: Column, items: Column, k: Int, rankName: String
    ) throws -> [Value: [Value]] {
        guard let rank = table.column(rankName) else {
            throw StageError("the recommendations lack column '\(rankName)'", param: "rank")
        }
        try rank.requireValues(name: rankName, param: "rank", why: "every recommendation needs a rank")
        let ranks = rank.doubleValues
        var byUser: [Value: [(Double, Int)]] = [:]
        for row in 0..<table.rowCount { byUser[users[row], default: []].append((ranks[row], row)) }
        return byUser.mapValues { entries in entries.sorted { $0 < $1 }.prefix(k).map { items[$0.1] } }
    }
}
