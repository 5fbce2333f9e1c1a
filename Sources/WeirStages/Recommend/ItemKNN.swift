import WeirCore
import WeirTable

/// Item-to-item cosine similarity over who bought what: sim(i, j) = |U(i) ∩ U(j)| / sqrt(|U(i)| |U(j)|),
/// the `neighbours` most similar items kept per item (ties: smaller item code). Items are
/// spread over every core; each builds its own row of co-occurrence counts.
struct ItemNeighbours: Sendable {
    /// For each item, its neighbours best first.
    let lists: [[(score: Float, item: Int32)]]

    init(_ data: Interactions, neighbours: Int) {
        let popularity = data.itemPopularity
        let n = data.itemCount
        let chunks = Swift.max(1, Swift.min(Parallel.coreCount * 4, n / 256))
        let parts = Parallel.map(chunks) { c -> [[(score: Float, item: Int32)]] in
            var counts = [Float](repeating: 0, count: n)
            var touched: [Int32] = []
            var out: [[(score: Float, item: Int32)]] = []
            for i in (n * c / chunks)..<(n * (c + 1) / chunks) {
                for e in data.usersOf(item: i) {
                    for f in data.itemsOf(user: Int(data.itemUsers[e])) {
                        let j = data.userItems[f]
                        if Int(j) == i { continue }
                        if counts[Int(j)] == 0 { touched.append(j) }
                        counts[Int(j)] += 1
                    }
                }
                var best = TopK(neighbours)
                for j in touched {
                    let norm = (Float(popularity[i]) * Float(popularity[Int(j)])).squareRoot()
                    best.offer(counts[Int(j)] / norm, j)
                    counts[Int(j)] = 0
                }
                touched.removeAll(keepingCapacity: true)
                out.append(best.entries)
            }
            return out
        }
        lists = parts.flatMap { $0 }
    }
}
