import Foundation
import WeirCore
import WeirTable

/// Item-to-item similarity over who bought what, the `count` most similar items kept per item
/// (ties: smaller item code). `cosine`: |U(i) ∩ U(j)| / sqrt(|U(i)| |U(j)|) over buyers.
/// `bm25`: as `implicit`'s BM25Recommender, the dot product of the items' BM25-weighted
/// columns, w(i, u) = c (k1 + 1) / (k1 ((1 - b) + b |i| / avg) + c) x (log N - log(1 + |u|)),
/// with c the pair's weight, |i| the item's total weight, |u| the user's distinct items, N the
/// items. Items are spread over every core; each builds its own row of sums.
struct ItemNeighbours: Sendable {
    enum Similarity: String, ParamChoice { case cosine, bm25 }

    struct Options: Sendable {
        var count = 50
        var similarity = Similarity.cosine
        var k1 = 1.2
        var b = 0.75
    }

    /// For each item, its neighbours best first.
    let lists: [[(score: Float, item: Int32)]]

    init(_ data: Interactions, _ options: Options) {
        let (byItem, byUser) = Self.weights(data, options)
        let popularity = data.itemPopularity
        let n = data.itemCount
        let chunks = Swift.max(1, Swift.min(Parallel.coreCount * 4, n / 256))
        let parts = Parallel.map(chunks) { c -> [[(score: Float, item: Int32)]] in
            var sums = [Float](repeating: 0, count: n)
            var seen = [Bool](repeating: false, count: n)
            var touched: [Int32] = []
            var out: [[(score: Float, item: Int32)]] = []
            for i in (n * c / chunks)..<(n * (c + 1) / chunks) {
                for e in data.usersOf(item: i) {
                    let u = Int(data.itemUsers[e])
                    let wi = byItem[e]
                    for f in data.itemsOf(user: u) where Int(data.userItems[f]) != i {
                        let j = Int(data.userItems[f])
                        if !seen[j] {
                            seen[j] = true
                            touched.append(Int32(j))
                        }
                        sums[j] += wi * byUser[f]
                    }
                }
                var best = TopK(options.count)
                for j in touched.map(Int.init) {
                    let norm =
                        options.similarity == .cosine ? (Float(popularity[i]) * Float(popularity[j])).squareRoot() : 1
                    best.offer(sums[j] / norm, Int32(j))
                    sums[j] = 0
                    seen[j] = false
                }
                touched.removeAll(keepingCapacity: true)
                out.append(best.entries)
            }
            return out
        }
        lists = parts.flatMap { $0 }
    }

    /// Each entry's weight in the dot products, for the item-major and the user-major matrix.
    private static func weights(_ data: Interactions, _ options: Options) -> (byItem: [Float], byUser: [Float]) {
        guard options.similarity == .bm25 else {
            return (
                [Float](repeating: 1, count: data.itemUsers.count), [Float](repeating: 1, count: data.userItems.count)
            )
        }
        let items = Double(data.itemCount)
        let idf = (0..<data.userCount).map { Float(log(items) - log1p(Double(data.itemsOf(user: $0).count))) }
        let totals = (0..<data.itemCount).map { i in
            data.usersOf(item: i).reduce(0.0) { $0 + Double(data.itemWeights[$1]) }
        }
        let average = Swift.max(totals.reduce(0, +) / Swift.max(1, items), .leastNonzeroMagnitude)
        let lengthNorm = totals.map { Float((1 - options.b) + options.b * $0 / average) }
        let k1 = Float(options.k1)
        func weight(_ i: Int, _ u: Int, _ c: Float) -> Float { c * (k1 + 1) / (k1 * lengthNorm[i] + c) * idf[u] }
        var byItem = [Float](repeating: 0, count: data.itemUsers.count)
        var byUser = [Float](repeating: 0, count: data.userItems.count)
        for i in 0..<data.itemCount {
            for e in data.usersOf(item: i) { byItem[e] = weight(i, Int(data.itemUsers[e]), data.itemWeights[e]) }
        }
        for u in 0..<data.userCount {
            for f in data.itemsOf(user: u) { byUser[f] = weight(Int(data.userItems[f]), u, data.userWeights[f]) }
        }
        return (byItem, byUser)
    }
}
