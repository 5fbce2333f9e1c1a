import WeirCore
import WeirTable

/// `recommend`: the top k items for every user, with a reason each, and each item's most similar
/// items, from one input of (user, item[, weight]) lines. Methods: `repeat` (what the user
/// bought most), `popular` (in the user's segment), `item_knn` (bought with what they bought),
/// `als` (implicit-feedback factors, as `implicit`), `hybrid` (repeat + item-kNN + popular,
/// weights chosen on a held-out split of the input).
public struct Recommend: StageType {
    public let name = "recommend"
    public let version = "1"
    public let summary =
        "Top-k recommendations per user (hybrid, ALS, item-kNN, popular, repeat) with reasons, and similar items."
    public let inputs = InputArity.one
    public let outputs = ["recommendations", "similar_items"]
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        var user = ""
        var item = ""
        var weight: String?
        var k = 10
        var method = Recommender.Method.hybrid
        var excludeSeen = false
        var segment: String?
        var names: String?
        var neighbours = 50
        var similarity = ItemNeighbours.Similarity.cosine
        var bm25K1 = 1.2
        var bm25B = 0.75
        var factors = 64
        var iterations = 15
        var regularization = 0.01
        var alpha = 1.0
        var seed = 0

        static let declarations: [ParamDeclaration<Self>] = [
            .param("user", \.user, .column(types: KeyCodes.keyTypes), required: true, help: "the user column"),
            .param("item", \.item, .column(types: KeyCodes.keyTypes), required: true, help: "the item column"),
            .param(
                "weight", \.weight, .column(types: [.int64, .float64]),
                help: "what a line weighs (e.g. quantity); default: 1 per line"),
            .param("k", \.k, help: "recommendations per user (fewer when the catalogue or the method has fewer)"),
            .param("method", \.method, help: "how items are scored"),
            .param(
                "exclude_seen", \.excludeSeen,
                help: "leave out items the user already has (repeat purchases are the strongest signal in grocery data)"
            ),
            .param(
                "segment", \.segment, .column(types: KeyCodes.keyTypes),
                help: "each user's segment, for popular-in-segment (the user's first line decides)"),
            .param("names", \.names, .column(types: [.string]), help: "a column naming each item, used in reasons"),
            .param("neighbours", \.neighbours, help: "similar items kept per item (item_knn, hybrid)"),
            .param(
                "similarity", \.similarity,
                help: "item-kNN's similarity: cosine over buyers, or bm25 (as implicit's BM25Recommender)"),
            .param("bm25_k1", \.bm25K1, help: "BM25's k1 (similarity: bm25)"),
            .param("bm25_b", \.bm25B, help: "BM25's b (similarity: bm25)"),
            .param("factors", \.factors, help: "ALS factors"),
            .param("iterations", \.iterations, help: "ALS iterations"),
            .param("regularization", \.regularization, help: "ALS regularization"),
            .param("alpha", \.alpha, help: "ALS confidence per unit of weight"),
            .param("seed", \.seed, help: "seeds ALS's start and the hybrid's validation split"),
        ]

        func problems(stage id: String) -> [StageError] {
            [("k", k), ("neighbours", neighbours), ("factors", factors), ("iterations", iterations)]
                .filter { $0.1 < 1 }
                .map { StageError("\(id).\($0.0) must be at least 1, got \($0.1)", param: $0.0) }
        }
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let params = context.parameters(Params.self)
        let user = context.column(named: params.user, param: "user", types: KeyCodes.keyTypes)
        let item = context.column(named: params.item, param: "item", types: KeyCodes.keyTypes)
        let userField = Field(user?.name ?? "user", user?.type ?? .string)
        let itemType = item?.type ?? .string
        return [
            "recommendations": Schema([
                userField, Field(item?.name ?? "item", itemType), Field("rank", .int64),
                Field("score", .float64), Field("reason", .string),
            ]),
            "similar_items": Schema([
                Field(item?.name ?? "item", itemType), Field("similar", itemType),
                Field("rank", .int64), Field("score", .float64),
            ]),
        ]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let params = try context.parameters(Params.self)
        let options = Options(params)
        let (userName, userColumn) = try context.requiredColumn(params.user, param: "user")
        let (itemName, itemColumn) = try context.requiredColumn(params.item, param: "item")
        let users = try KeyCodes(userColumn, name: userName, param: "user")
        let items = try KeyCodes(itemColumn, name: itemName, param: "item")
        let weights = try params.weight.map { try context.requiredColumn($0, param: "weight").column.doubleValues }
        let segmentColumn = try params.segment.map { try context.requiredColumn($0, param: "segment") }
        let segments = try segmentColumn.map { try KeyCodes($0.column, name: $0.name, param: "segment") }
        let data = try Interactions(users: users, items: items, weights: weights)
        let labels = try ItemLabels(
            context, params, items: items, itemColumn: itemColumn, segments: segments,
            segmentColumn: segmentColumn?.column)
        let lists = try RecommendationLists(
            data: data, weights: weights, segments: segments, options: options, labels: labels)
        if let blend = lists.blend {
            context.log.info(
                String(
                    format: "hybrid weights (chosen on %d validation users): repeat %.1f, item-kNN %.1f, popular %.1f",
                    lists.validationUsers, blend.repeatWeight, blend.neighbourWeight, blend.popularWeight))
        }
        let recommendations = try lists.table(
            userColumn: userColumn, itemColumn: itemColumn,
            schema: context.announcedSchema("recommendations"))
        let similar = try lists.similarTable(
            itemColumn: itemColumn, k: options.k, schema: context.announcedSchema("similar_items"))
        return ["recommendations": recommendations, "similar_items": similar]
    }

    /// The parameters the recommenders take.
    struct Options: Sendable {
        var k: Int
        var method: Recommender.Method
        var excludeSeen: Bool
        var neighbours: ItemNeighbours.Options
        var als: ALS
        var seed: UInt64

        init(_ params: Params) {
            k = params.k
            method = params.method
            excludeSeen = params.excludeSeen
            neighbours = ItemNeighbours.Options(
                count: params.neighbours, similarity: params.similarity, k1: params.bm25K1, b: params.bm25B)
            seed = UInt64(bitPattern: Int64(params.seed))
            als = ALS(
                factors: params.factors, iterations: params.iterations, regularization: Float(params.regularization),
                alpha: Float(params.alpha), seed: seed)
        }
    }
}
