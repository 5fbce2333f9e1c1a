import Foundation
import WeirTable

/// K-means as scikit-learn's `KMeans(n_clusters, n_init, max_iter, tol)` runs it: greedy
/// k-means++ seeding (2 + ln k local trials per centre), Lloyd iterations until the labels stop
/// changing or the centres move less than `tol` x the mean feature variance, empty clusters
/// moved to the farthest points, and the best of `n_init` runs by inertia.
///
/// Distances are skipped with Hamerly's bounds where they cannot change a label; sums are taken
/// over a fixed number of blocks in a fixed order, so a run gives the same result on any
/// number of cores.
struct KMeans: Sendable {
    var k: Int
    var runs: Int = 10
    var maxIterations: Int = 300
    var tolerance: Double = 1e-4
    var seed: UInt64 = 0

    struct Result: Sendable {
        var labels: [Int32]
        /// k x d, row-major.
        var centers: [Double]
        var inertia: Double
    }

    /// Points, row-major: `rows[i * dimensions + j]` is coordinate j of point i.
    struct Points: Sendable {
        let rows: [Double]
        let count: Int
        let dimensions: Int

        init(rowMajor x: [Double], rows n: Int, dimensions d: Int) {
            rows = x
            count = n
            dimensions = d
        }

        func point(_ i: Int) -> [Double] { Array(rows[(i * dimensions)..<((i + 1) * dimensions)]) }
    }

    static let blocks = 16

    func fit(_ points: Points) -> Result {
        let d = points.dimensions
        let n = points.count
        let variances = (0..<d).map { j -> Double in
            let mean = (0..<n).reduce(0.0) { $0 + points.rows[$1 * d + j] } / Double(n)
            return (0..<n).reduce(0.0) { $0 + (points.rows[$1 * d + j] - mean) * (points.rows[$1 * d + j] - mean) }
                / Double(n)
        }
        let threshold = variances.reduce(0, +) / Double(d) * tolerance
        var best: Result?
        for run in 0..<runs {
            var random = RandomStream(seed: seed &+ UInt64(run) &* 0x9E37_79B9_7F4A_7C15)
            let initial = seeds(points, &random)
            let result = lloyd(points, centers: initial, threshold: threshold)
            if best == nil || result.inertia < best!.inertia { best = result }
        }
        return best!
    }

    /// Greedy k-means++ (scikit-learn's `_kmeans_plusplus`).
    func seeds(_ points: Points, _ random: inout RandomStream) -> [Double] {
        let n = points.count
        let d = points.dimensions
        let trials = 2 + Int(log(Double(k)))
        var centers = [Double](repeating: 0, count: k * d)
        let first = random.int(n)
        for j in 0..<d { centers[j] = points.rows[first * d + j] }
        var closest = squaredDistances(points, to: points.point(first))
        var potential = closest.reduce(0, +)
        for c in 1..<k {
            var cumulative = closest
            for i in 1..<n { cumulative[i] += cumulative[i - 1] }
            var bestPotential = Double.infinity
            var bestCandidate = 0
            var bestDistances: [Double] = []
            for _ in 0..<trials {
                let target = random.uniform() * potential
                var low = 0
                var high = n  // numpy searchsorted, side='left'
                while low < high {
                    let mid = (low + high) / 2
                    if cumulative[mid] < target { low = mid + 1 } else { high = mid }
                }
                let candidate = Swift.min(low, n - 1)
                var distances = squaredDistances(points, to: points.point(candidate))
                for i in 0..<n where closest[i] < distances[i] { distances[i] = closest[i] }
                let candidatePotential = distances.reduce(0, +)
                if candidatePotential < bestPotential {
                    bestPotential = candidatePotential
                    bestCandidate = candidate
                    bestDistances = distances
                }
            }
            potential = bestPotential
            closest = bestDistances
            for j in 0..<d { centers[c * d + j] = points.rows[bestCandidate * d + j] }
        }
        return centers
    }

    func squaredDistances(_ points: Points, to center: [Double]) -> [Double] {
        let n = points.count
        let d = points.dimensions
        let ranges = blocks(n)
        return [Double](unsafeUninitializedCapacity: n) { out, written in
            let target = SharedBuffer(out)
            points.rows.withUnsafeBufferPointer { rows in
                center.withUnsafeBufferPointer { centre in
                    Parallel.forEach(ranges.count) { block in
                        for i in ranges[block] {
                            target[i] = distance(rows.baseAddress!, i, centre.baseAddress!, 0, d)
                        }
                    }
                }
            }
            written = n
        }
    }

    /// Labels with Hamerly's bounds: `upper` ≥ the distance to the point's own centre, `lower` ≤
    /// the distance to any other. A point whose bounds still separate it from every other
    /// centre after the centres move keeps its label without computing a distance, which after
    /// the first iterations is nearly every point. The labels are exactly Lloyd's.
    struct Labels {
        var label: [Int32]
        var upper: [Double]
        var lower: [Double]
    }

    /// Blocks of points for the parallel passes; a fixed number, so sums do not depend on cores.
    private func blocks(_ n: Int) -> [Range<Int>] {
        let count = Swift.min(Self.blocks, Swift.max(1, n / 64))
        return (0..<count).map { n * $0 / count..<n * ($0 + 1) / count }
    }

    /// Squared distance from point i to centre c.
    @inline(__always)
    private func distance(_ rows: UnsafePointer<Double>, _ i: Int, _ centers: UnsafePointer<Double>, _ c: Int, _ d: Int)
        -> Double
    {
        var s = 0.0
        let point = rows + i * d
        let centre = centers + c * d
        for j in 0..<d {
            let diff = point[j] - centre[j]
            s += diff * diff
        }
        return s
    }

    /// Assigns every point (movement == nil) or only the points the bounds cannot vouch for,
    /// given each centre's movement since the last pass. Returns the points whose label
    /// changed, with their old label, in point order.
    func assign(_ points: Points, centers: [Double], labels: inout Labels, movement: [Double]?) -> [(
        point: Int, old: Int32
    )] {
        let n = points.count
        let d = points.dimensions
        let k = self.k
        var half = [Double](repeating: .infinity, count: k)  // half the distance to the nearest other centre
        for a in 0..<k {
            for b in 0..<k where b != a {
                var s = 0.0
                for j in 0..<d {
                    s += (centers[a * d + j] - centers[b * d + j]) * (centers[a * d + j] - centers[b * d + j])
                }
                half[a] = Swift.min(half[a], s.squareRoot() / 2)
            }
        }
        let largestMove = movement?.max() ?? 0
        let ranges = blocks(n)
        let changed = labels.label.withUnsafeMutableBufferPointer { labelBuffer in
            labels.upper.withUnsafeMutableBufferPointer { upperBuffer in
                labels.lower.withUnsafeMutableBufferPointer { lowerBuffer in
                    points.rows.withUnsafeBufferPointer { rowBuffer in
                        centers.withUnsafeBufferPointer { centerBuffer in
                            let label = SharedBuffer(labelBuffer)
                            let upper = SharedBuffer(upperBuffer)
                            let lower = SharedBuffer(lowerBuffer)
                            let rows = rowBuffer.baseAddress!
                            let centre = centerBuffer.baseAddress!
                            return Parallel.map(ranges.count) { block -> [(point: Int, old: Int32)] in
                                var changed: [(point: Int, old: Int32)] = []
                                for i in ranges[block] {
                                    let a = Int(label[i])
                                    var u = upper[i]
                                    var l = lower[i]
                                    if let movement {
                                        u += movement[a]
                                        l -= largestMove
                                        let bound = Swift.max(half[a], l)
                                        if u <= bound {
                                            upper[i] = u
                                            lower[i] = l
                                            continue
                                        }
                                        u = distance(rows, i, centre, a, d).squareRoot()
                                        if u <= bound {
                                            upper[i] = u
                                            lower[i] = l
                                            continue
                                        }
                                    }
                                    var best = Double.infinity
                                    var second = Double.infinity
                                    var bestLabel = 0
                                    for c in 0..<k {
                                        let dist = distance(rows, i, centre, c, d)
                                        if dist < best {
                                            second = best
                                            best = dist
                                            bestLabel = c
                                        } else if dist < second {
                                            second = dist
                                        }
                                    }
                                    if movement != nil && bestLabel != a { changed.append((i, Int32(a))) }
                                    label[i] = Int32(bestLabel)
                                    upper[i] = best.squareRoot()
                                    lower[i] = second.squareRoot()
                                }
                                return changed
                            }.flatMap { $0 }
                        }
                    }
                }
            }
        }
        return changed
    }

    /// Per-cluster coordinate sums and counts, over fixed blocks added in order. Four
    /// interleaved sets of sums per block: neighbouring points usually share a cluster, and one
    /// running sum per cluster would make every add wait for the last.
    func clusterSums(_ points: Points, labels: [Int32]) -> (sums: [Double], counts: [Int]) {
        let n = points.count
        let d = points.dimensions
        let k = self.k
        let ranges = blocks(n)
        let parts = labels.withUnsafeBufferPointer { labels in
            Parallel.map(ranges.count) { block -> (sums: [Double], counts: [Int]) in
                let range = ranges[block]
                var counts = [Int](repeating: 0, count: k)
                for i in range { counts[Int(labels[i])] += 1 }
                var partial = [Double](repeating: 0, count: 4 * k * d)
                partial.withUnsafeMutableBufferPointer { partial in
                    points.rows.withUnsafeBufferPointer { rows in
                        // Point i adds into set (i - start) % 4, except a tail of fewer than 4, which goes to set 0.
                        let whole = range.lowerBound + (range.count / 4) * 4
                        for i in range {
                            let set = i < whole ? (i - range.lowerBound) & 3 : 0
                            let base = set * k * d &+ Int(labels[i]) &* d
                            for j in 0..<d { partial[base &+ j] += rows[i &* d &+ j] }
                        }
                    }
                }
                let sums = (0..<(k * d)).map { x in
                    (partial[x] + partial[k * d + x]) + (partial[2 * k * d + x] + partial[3 * k * d + x])
                }
                return (sums, counts)
            }
        }
        var sums = [Double](repeating: 0, count: k * d)
        var counts = [Int](repeating: 0, count: k)
        for part in parts {
            for x in 0..<(k * d) { sums[x] += part.sums[x] }
            for c in 0..<k { counts[c] += part.counts[c] }
        }
        return (sums, counts)
    }

    func lloyd(_ points: Points, centers initial: [Double], threshold: Double) -> Result {
        let n = points.count
        let d = points.dimensions
        var centers = initial
        var labels = Labels(
            label: [Int32](repeating: 0, count: n), upper: [Double](repeating: 0, count: n),
            lower: [Double](repeating: 0, count: n))
        _ = assign(points, centers: centers, labels: &labels, movement: nil)
        // Sums are computed in full, then kept up to date by the few points that change cluster.
        var (sums, counts) = clusterSums(points, labels: labels.label)
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            var next = [Double](repeating: 0, count: k * d)
            var empty: [Int] = []
            for c in 0..<k {
                if counts[c] == 0 {
                    empty.append(c)
                    continue
                }
                for j in 0..<d { next[c * d + j] = sums[c * d + j] / Double(counts[c]) }
            }
            if !empty.isEmpty {
                // As scikit-learn: empty clusters take the points farthest from their centres.
                let far = (0..<n).sorted { labels.upper[$0] > labels.upper[$1] }
                for (c, point) in zip(empty, far) { for j in 0..<d { next[c * d + j] = points.rows[point * d + j] } }
            }
            var shift = 0.0
            var movement = [Double](repeating: 0, count: k)
            for c in 0..<k {
                var moved = 0.0
                for j in 0..<d {
                    moved += (next[c * d + j] - centers[c * d + j]) * (next[c * d + j] - centers[c * d + j])
                }
                movement[c] = moved.squareRoot()
                shift += moved
            }
            centers = next
            if !empty.isEmpty {
                // After a relocation the bounds say nothing: assign and sum everything again.
                _ = assign(points, centers: centers, labels: &labels, movement: nil)
                (sums, counts) = clusterSums(points, labels: labels.label)
                if shift <= threshold { break }
                continue
            }
            let changes = assign(points, centers: centers, labels: &labels, movement: movement)
            for (point, old) in changes {
                let new = Int(labels.label[point])
                counts[Int(old)] -= 1
                counts[new] += 1
                for j in 0..<d {
                    let x = points.rows[point * d + j]
                    sums[Int(old) * d + j] -= x
                    sums[new * d + j] += x
                }
            }
            if changes.isEmpty || shift <= threshold { break }
        }
        let inertia = points.rows.withUnsafeBufferPointer { rows in
            centers.withUnsafeBufferPointer { centre in
                (0..<n).reduce(0.0) {
                    $0 + distance(rows.baseAddress!, $1, centre.baseAddress!, Int(labels.label[$1]), d)
                }
            }
        }
        return Result(labels: labels.label, centers: centers, inertia: inertia)
    }
}

/// The elbow of a decreasing, convex curve by Kneedle, as the `kneed` package finds it
/// (`KneeLocator(x, y, curve="convex", direction="decreasing", S=1.0)`, offline): the first
/// local maximum of the normalised difference curve that the curve then falls below its
/// threshold from. Nil when there is none.
enum Kneedle {
    static func knee(x: [Double], y: [Double], sensitivity: Double = 1.0) -> Int? {
        let n = x.count
        guard n >= 3, let xMin = x.min(), let xMax = x.max(), let yMin = y.min(), let yMax = y.max(), xMax > xMin,
            yMax > yMin
        else { return nil }
        let xn = x.map { ($0 - xMin) / (xMax - xMin) }
        var yn = y.map { ($0 - yMin) / (yMax - yMin) }
        let top = yn.max()!
        yn = yn.map { top - $0 }
        let difference = zip(yn, xn).map { $0 - $1 }
        func extrema(_ keep: (Double, Double) -> Bool) -> [Int] {
            (0..<n).filter { i in
                keep(difference[i], difference[Swift.max(0, i - 1)])
                    && keep(difference[i], difference[Swift.min(n - 1, i + 1)])
            }
        }
        let maxima = extrema(>=)
        let minima = extrema(<=)
        guard let firstMaximum = maxima.first else { return nil }
        let meanStep = zip(xn.dropFirst(), xn).map { $0 - $1 }.reduce(0, +) / Double(n - 1)
        let thresholds = maxima.map { difference[$0] - sensitivity * meanStep }
        var threshold = 0.0
        var thresholdIndex = 0
        var maximaSeen = 0
        for i in 0..<n {
            if i < firstMaximum { continue }
            if i == n - 1 { break }
            if maxima.contains(i) {
                threshold = thresholds[maximaSeen]
                thresholdIndex = i
                maximaSeen += 1
            }
            if minima.contains(i) { threshold = 0 }
            if difference[i + 1] < threshold { return thresholdIndex }
        }
        return nil
    }
}
