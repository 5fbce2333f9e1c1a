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
    public let params: [ParamSpec] = [
        ParamSpec("user", .column(types: KeyCodes.keyTypes), required: true, help: "the user column"),
        ParamSpec("item", .column(types: KeyCodes.keyTypes), required: true, help: "the item column"),
        ParamSpec(
            "weight", .column(types: [.int64, .float64]),
            help: "what a line weighs (e.g. quantity); default: 1 per line"),
        ParamSpec(
            "k", .int, default: .int(10),
            help: "recommendations per user (fewer when the catalogue or the method has fewer)"),
        ParamSpec(
            "method", .choice(Recommender.Method.allCases.map(\.rawValue)), default: .string("hybrid"),
            help: "how items are scored"),
        ParamSpec(
            "exclude_seen", .bool, default: .bool(false),
            help: "leave out items the user already has (repeat purchases are the strongest signal in grocery data)"),
        ParamSpec(
            "segment", .column(types: KeyCodes.keyTypes),
            help: "each user's segment, for popular-in-segment (the user's first line decides)"),
        ParamSpec("names", .column(types: [.string]), help: "a column naming each item, used in reasons"),
        ParamSpec("neighbours", .int, default: .int(50), help: "similar items kept per item (item_knn, hybrid)"),
        ParamSpec(
            "similarity", .choice(ItemNeighbours.Similarity.allCases.map(\.rawValue)), default: .string("cosine"),
            help: "item-kNN's similarity: cosine over buyers, or bm25 (as implicit's BM25Recommender)"),
        ParamSpec("bm25_k1", .double, default: .double(1.2), help: "BM25's k1 (similarity: bm25)"),
        ParamSpec("bm25_b", .double, default: .double(0.75), help: "BM25's b (similarity: bm25)"),
        ParamSpec("factors", .int, default: .int(64), help: "ALS factors"),
        ParamSpec("iterations", .int, default: .int(15), help: "ALS iterations"),
        ParamSpec("regularization", .double, default: .double(0.01), help: "ALS regularization"),
        ParamSpec("alpha", .double, default: .double(1.0), help: "ALS confidence per unit of weight"),
        ParamSpec("seed", .int, default: .int(0), help: "seeds ALS's start and the hybrid's validation split"),
    ]

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let user = context.column("user", types: KeyCodes.keyTypes)
        let item = context.column("item", types: KeyCodes.keyTypes)
        context.column("weight", types: [.int64, .float64])
        context.column("segment", types: KeyCodes.keyTypes)
        context.column("names", types: [.string])
        for param in ["k", "neighbours", "factors", "iterations"] {
            if let n = context.param(param)?.int, n < 1 {
                context.error(param, "\(context.stage.id).\(param) must be at least 1, got \(n)")
            }
        }
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
        let options = try Options(context)
        let (userName, userColumn) = try context.requiredColumn("user")
        let (itemName, itemColumn) = try context.requiredColumn("item")
        let users = try KeyCodes(userColumn, name: userName, param: "user")
        let items = try KeyCodes(itemColumn, name: itemName, param: "item")
        let weights = context.param("weight") == nil ? nil : try context.requiredColumn("weight").column.doubleValues
        let segmentColumn = context.param("segment") == nil ? nil : try context.requiredColumn("segment")
        let segments = try segmentColumn.map { try KeyCodes($0.column, name: $0.name, param: "segment") }
        let data = try Interactions(users: users, items: items, weights: weights)
        let labels = try ItemLabels(
            context, items: items, itemColumn: itemColumn, segments: segments, segmentColumn: segmentColumn?.column)
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

    /// The stage's parameters, read once.
    struct Options: Sendable {
        var k: Int
        var method: Recommender.Method
        var excludeSeen: Bool
        var neighbours: ItemNeighbours.Options
        var als: ALS
        var seed: UInt64

        init(_ context: RunContext) throws {
            k = context.param("k")?.int ?? 10
            method = Recommender.Method(rawValue: context.param("method")?.string ?? "hybrid") ?? .hybrid
            excludeSeen = context.param("exclude_seen")?.bool ?? false
            neighbours = ItemNeighbours.Options(
                count: context.param("neighbours")?.int ?? 50,
                similarity: ItemNeighbours.Similarity(rawValue: context.param("similarity")?.string ?? "cosine")
                    ?? .cosine,
                k1: context.param("bm25_k1")?.double ?? 1.2, b: context.param("bm25_b")?.double ?? 0.75)
            seed = UInt64(bitPattern: Int64(context.param("seed")?.int ?? 0))
            als = ALS(
                factors: context.param("factors")?.int ?? 64, iterations: context.param("iterations")?.int ?? 15,
                regularization: Float(context.param("regularization")?.double ?? 0.01),
                alpha: Float(context.param("alpha")?.double ?? 1.0), seed: seed)
        }
    }
}
