import Foundation
import WeirCore
import WeirTable

/// How items and segments read in reasons: an item's name (from `names`) or its value.
struct ItemLabels: Sendable {
    let items: [String]
    let segments: [String]
    let weighted: Bool

    init(
        _ context: RunContext, _ params: Recommend.Params, items: KeyCodes, itemColumn: Column, segments: KeyCodes?,
        segmentColumn: Column?
    ) throws {
        let names = try params.names.map { try context.requiredColumn($0, param: "names").column }
        self.items = items.firstRow.map { row in
            if let names, names.isValid(row) { return names.strings[row] }
            return Self.text(itemColumn[row])
        }
        self.segments = segments.map { codes in codes.firstRow.map { Self.text(segmentColumn?[$0] ?? .null) } } ?? []
        weighted = params.weight != nil
    }

    static func text(_ value: Value) -> String {
        switch value {
        case .string(let s): s
        case .int64(let v): String(v)
        default: "\(value)"
        }
    }
}

/// Every user's top-k list for one method, with reasons, and each item's similar items.
struct RecommendationLists: Sendable {
    let recommender: Recommender
    let labels: ItemLabels
    /// Per user code: (item, score, reason), best first.
    let lists: [[(item: Int32, score: Float, reason: String)]]
    let blend: Recommender.Blend?
    let validationUsers: Int

    init(data: Interactions, weights: [Double]?, segments: KeyCodes?, options: Recommend.Options, labels: ItemLabels)
        throws
    {
        let k = options.k
        let largestBasket = (0..<data.userCount).map { data.itemsOf(user: $0).count }.max() ?? 0
        let recommender = Recommender(
            data: data, segments: segments, neighbours: options.neighbours,
            popularCount: options.excludeSeen ? k + largestBasket : k * 5)
        var blend: Recommender.Blend?
        var validationUsers = 0
        if options.method == .hybrid {
            (blend, validationUsers) = BlendSearch.choose(
                data, weights: weights, segments: segments, k: k, seed: options.seed,
                neighbours: options.neighbours)
        }
        let model = options.method == .als ? options.als.fit(data) : nil
        let chosen = blend
        lists = Parallel.map(data.userCount) { u in
            Self.list(user: u, recommender: recommender, model: model, blend: chosen, options: options, labels: labels)
        }
        self.recommender = recommender
        self.labels = labels
        self.blend = blend
        self.validationUsers = validationUsers
    }

    private static func list(
        user u: Int, recommender: Recommender, model: ALS.Model?, blend: Recommender.Blend?,
        options: Recommend.Options, labels: ItemLabels
    ) -> [(item: Int32, score: Float, reason: String)] {
        let data = recommender.data
        let own = Dictionary(
            uniqueKeysWithValues: data.itemsOf(user: u).map { (data.userItems[$0], data.userWeights[$0]) })
        var top = TopK(options.k)
        if let model {
            for i in 0..<data.itemCount where !(options.excludeSeen && own[Int32(i)] != nil) {
                top.offer(model.score(user: u, item: i), Int32(i))
            }
            return top.entries.map { ($0.item, $0.score, "matches what similar shoppers buy (ALS)") }
        }
        let byItem = recommender.candidates(user: u)
        let weights = blend ?? Self.single(options.method)
        for c in byItem.values where !(options.excludeSeen && own[c.item] != nil) {
            let score = Recommender.score(c, weights)
            if score > 0 { top.offer(score, c.item) }
        }
        return top.entries.map { entry in
            let c = byItem[entry.item] ?? Recommender.Candidate(item: entry.item)
            let reason = Self.reason(
                c, method: Recommender.strongest(c, weights), own: own[entry.item] ?? 0,
                segment: recommender.segmentOf[u], labels: labels)
            return (entry.item, entry.score, reason)
        }
    }

    /// The blend a single-signal method is.
    static func single(_ method: Recommender.Method) -> Recommender.Blend {
        switch method {
        case .repeat: Recommender.Blend(repeatWeight: 1, neighbourWeight: 0, popularWeight: 0)
        case .itemKNN: Recommender.Blend(repeatWeight: 0, neighbourWeight: 1, popularWeight: 0)
        default: Recommender.Blend(repeatWeight: 0, neighbourWeight: 0, popularWeight: 1)
        }
    }

    private static func reason(
        _ c: Recommender.Candidate, method: Recommender.Method, own: Float, segment: Int,
        labels: ItemLabels
    ) -> String {
        switch method {
        case .repeat:
            if labels.weighted { return "bought before (weight \(FloatFormat.shortest(Double(own))))" }
            return own == 1 ? "bought once" : "bought \(Int(own)) times"
        case .itemKNN:
            return c.via >= 0 ? "bought with \(labels.items[Int(c.via)])" : "bought with what you bought"
        default:
            return labels.segments.isEmpty ? "popular" : "popular in segment \(labels.segments[segment])"
        }
    }

    func table(userColumn: Column, itemColumn: Column, schema: Schema) throws -> Table {
        var userRows: [Int] = []
        var itemRows: [Int] = []
        var ranks: [Int64] = []
        var scores: [Double] = []
        var reasons: [String?] = []
        let data = recommender.data
        for (u, list) in lists.enumerated() {
            for (rank, entry) in list.enumerated() {
                userRows.append(data.users.firstRow[u])
                itemRows.append(data.items.firstRow[Int(entry.item)])
                ranks.append(Int64(rank + 1))
                scores.append(Double(entry.score))
                reasons.append(entry.reason)
            }
        }
        return try Table(
            schema: schema,
            columns: [
                userColumn.take(userRows), itemColumn.take(itemRows), Column(int64Values: ranks),
                Column(float64Values: scores), Column(string: reasons),
            ])
    }

    func similarTable(itemColumn: Column, k: Int, schema: Schema) throws -> Table {
        var itemRows: [Int] = []
        var similarRows: [Int] = []
        var ranks: [Int64] = []
        var scores: [Double] = []
        let first = recommender.data.items.firstRow
        for (i, neighbours) in recommender.neighbours.lists.enumerated() {
            for (rank, entry) in neighbours.prefix(k).enumerated() {
                itemRows.append(first[i])
                similarRows.append(first[Int(entry.item)])
                ranks.append(Int64(rank + 1))
                scores.append(Double(entry.score))
            }
        }
        return try Table(
            schema: schema,
            columns: [
                itemColumn.take(itemRows), itemColumn.take(similarRows),
                Column(int64Values: ranks), Column(float64Values: scores),
            ])
    }
}
