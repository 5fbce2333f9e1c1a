import WeirCore
import WeirTable

/// The signals a recommendation is made of, per user: what they bought again (repeat), what
/// is bought with it (item-kNN), what is popular (in their segment), and ALS factors.
struct Recommender: Sendable {
    let data: Interactions
    let neighbours: ItemNeighbours
    /// Items by popularity (distinct users) per segment code, best first; one list when no segments.
    let popular: [[(score: Float, item: Int32)]]
    /// Each user's segment code (0 without segments).
    let segmentOf: [Int]

    /// How much each signal counts in a hybrid score; each signal is scaled to [0, 1] per user.
    struct Blend: Sendable, Equatable {
        var repeatWeight: Float
        var neighbourWeight: Float
        var popularWeight: Float
    }

    /// One candidate and its signals.
    struct Candidate {
        var item: Int32
        var repeated: Float = 0
        var neighbour: Float = 0
        /// The bought item that contributes most to `neighbour`.
        var via: Int32 = -1
        var popular: Float = 0
    }

    init(data: Interactions, segments: KeyCodes?, neighbours options: ItemNeighbours.Options, popularCount: Int) {
        self.data = data
        neighbours = ItemNeighbours(data, options)
        // A user's first line decides their segment.
        var segmentOf = [Int](repeating: -1, count: data.userCount)
        if let segments {
            for row in segments.codes.indices where segmentOf[Int(data.users.codes[row])] < 0 {
                segmentOf[Int(data.users.codes[row])] = Int(segments.codes[row])
            }
        }
        for u in segmentOf.indices where segmentOf[u] < 0 { segmentOf[u] = 0 }
        self.segmentOf = segmentOf
        let groups = segments?.count ?? 1
        var counts = [[Float]](repeating: [Float](repeating: 0, count: data.itemCount), count: groups)
        for u in 0..<data.userCount {
            for e in data.itemsOf(user: u) { counts[segmentOf[u]][Int(data.userItems[e])] += 1 }
        }
        popular = counts.map { row in
            var best = TopK(popularCount)
            for (i, c) in row.enumerated() where c > 0 { best.offer(c, Int32(i)) }
            return best.entries
        }
    }

    /// The candidates of user `u` by item, with every signal, each scaled to [0, 1] for this user.
    func candidates(user u: Int) -> [Int32: Candidate] {
        var byItem: [Int32: Candidate] = [:]
        let own = data.itemsOf(user: u)
        for e in own {
            byItem[data.userItems[e], default: Candidate(item: data.userItems[e])].repeated = data.userWeights[e]
        }
        var strongest: [Int32: Float] = [:]
        for e in own {
            let bought = data.userItems[e]
            let weight = data.userWeights[e]
            for (similarity, item) in neighbours.lists[Int(bought)] {
                let contribution = weight * similarity
                byItem[item, default: Candidate(item: item)].neighbour += contribution
                if contribution > strongest[item] ?? 0 {
                    strongest[item] = contribution
                    byItem[item]?.via = bought
                }
            }
        }
        for (count, item) in popular[segmentOf[u]] { byItem[item, default: Candidate(item: item)].popular = count }
        let values = byItem.values
        let top = (
            values.map(\.repeated).max() ?? 0, values.map(\.neighbour).max() ?? 0, values.map(\.popular).max() ?? 0
        )
        return byItem.mapValues { c in
            var c = c
            if top.0 > 0 { c.repeated /= top.0 }
            if top.1 > 0 { c.neighbour /= top.1 }
            if top.2 > 0 { c.popular /= top.2 }
            return c
        }
    }

    static func score(_ c: Candidate, _ blend: Blend) -> Float {
        blend.repeatWeight * c.repeated + blend.neighbourWeight * c.neighbour + blend.popularWeight * c.popular
    }

    /// The signal that contributes most to a hybrid score: what its reason names.
    static func strongest(_ c: Candidate, _ blend: Blend) -> Method {
        let parts: [(Float, Method)] = [
            (blend.repeatWeight * c.repeated, .repeat), (blend.neighbourWeight * c.neighbour, .itemKNN),
            (blend.popularWeight * c.popular, .popular),
        ]
        return parts.max { $0.0 < $1.0 }?.1 ?? .popular
    }

    enum Method: String, ParamChoice {
        case hybrid, als, itemKNN = "item_knn", popular, `repeat`
    }
}
