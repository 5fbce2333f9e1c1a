import WeirCore
import WeirTable

/// Chooses the hybrid's weights the way one would by hand: hold out a fifth of some users'
/// lines (seeded), score every blend on a 0.1 grid by NDCG@k of the held-out items, keep the
/// best (ties: the earlier blend in grid order, which favours repeat purchases).
enum BlendSearch {
    static let fallback = Recommender.Blend(repeatWeight: 0.6, neighbourWeight: 0.3, popularWeight: 0.1)

    static func choose(
        _ data: Interactions, weights: [Double]?, segments: KeyCodes?, k: Int, seed: UInt64,
        neighbours: ItemNeighbours.Options
    ) -> (blend: Recommender.Blend, users: Int) {
        var random = RandomStream(seed: seed ^ 0x5EED_B1E4D)
        var kept: [Int] = []
        var heldOut: [Int: Set<Int32>] = [:]
        let lines = data.users.codes.count
        for row in 0..<lines {
            let u = Int(data.users.codes[row])
            // About 2,000 users, chosen by a hash of their code so every line of a user agrees.
            let chosen =
                data.userCount <= 2000 || ((UInt64(u) &* 0x9E37_79B9_7F4A_7C15) ^ seed) % UInt64(data.userCount) < 2000
            if chosen && random.uniform() < 0.2 {
                heldOut[u, default: []].insert(data.items.codes[row])
            } else {
                kept.append(row)
            }
        }
        guard !heldOut.isEmpty else { return (fallback, 0) }
        let train = data.keeping(rows: kept, weights: weights)
        let recommender = Recommender(data: train, segments: segments, neighbours: neighbours, popularCount: k * 5)
        let users = heldOut.keys.sorted()
        let candidates = Parallel.map(users.count) { recommender.candidates(user: users[$0]) }
        var best = (blend: fallback, ndcg: -1.0)
        for blend in grid() {
            var total = 0.0
            for (n, u) in users.enumerated() {
                var top = TopK(k)
                for c in candidates[n].values { top.offer(Recommender.score(c, blend), c.item) }
                total += RankingMetrics.ndcg(top.entries.map(\.item), truth: heldOut[u] ?? [], k: k)
            }
            if total / Double(users.count) > best.ndcg { best = (blend, total / Double(users.count)) }
        }
        return (best.blend, users.count)
    }

    /// Weights on the simplex in steps of 0.1, repeat-heavy first.
    static func grid() -> [Recommender.Blend] {
        var blends: [Recommender.Blend] = []
        for r in stride(from: 10, through: 0, by: -1) {
            for n in stride(from: 10 - r, through: 0, by: -1) {
                blends.append(
                    Recommender.Blend(
                        repeatWeight: Float(r) / 10, neighbourWeight: Float(n) / 10,
                        popularWeight: Float(10 - r - n) / 10))
            }
        }
        return blends
    }
}
