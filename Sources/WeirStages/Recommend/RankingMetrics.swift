import Foundation

/// Top-k ranking metrics of one user's list against the items they did take (binary
/// relevance), as recommender papers and `scripts/reference/ranking_metrics.py` define them:
/// precision = hits / k, recall = hits / |truth|, DCG with log2(rank + 1) discounts over the
/// ideal DCG of min(k, |truth|) hits, AP = Σ precision@i at each hit / min(k, |truth|), hit = any.
enum RankingMetrics {
    struct Scores: Sendable {
        var precision = 0.0, recall = 0.0, ndcg = 0.0, averagePrecision = 0.0, hit = 0.0
    }

    static func scores<T: Hashable>(_ list: [T], truth: Set<T>, k: Int) -> Scores {
        guard !truth.isEmpty, k > 0 else { return Scores() }
        var hits = 0
        var dcg = 0.0
        var precisionSum = 0.0
        for (rank, item) in list.prefix(k).enumerated() where truth.contains(item) {
            hits += 1
            dcg += 1 / log2(Double(rank + 2))
            precisionSum += Double(hits) / Double(rank + 1)
        }
        let ideal = (0..<min(k, truth.count)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
        return Scores(
            precision: Double(hits) / Double(k), recall: Double(hits) / Double(truth.count), ndcg: dcg / ideal,
            averagePrecision: precisionSum / Double(min(k, truth.count)), hit: hits > 0 ? 1 : 0)
    }

    static func ndcg<T: Hashable>(_ list: [T], truth: Set<T>, k: Int) -> Double {
        scores(list, truth: truth, k: k).ndcg
    }
}
