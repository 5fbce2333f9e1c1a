import Foundation
import WeirTable

/// K-means as scikit-learn's `KMeans(n_clusters, n_init, max_iter, tol)` runs it: greedy
/// k-means++ seeding (2 + ln k local trials per centre), Lloyd iterations until the labels stop
/// changing or the centres move less than `tol` x the mean feature variance, empty clusters
/// moved to the farthest points, and the best of `n_init` runs by inertia.
///
/// Points are kept column-major (one array per dimension) so distances are computed for eight
/// points at a time with SIMD; sums are taken over a fixed number of blocks in a fixed order,
/// so a run gives the same result on any number of cores.
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
        var iterations: Int
    }

    /// Points, column-major: `columns[j][i]` is coordinate j of point i.
    struct Points: Sendable {
        let columns: [[Double]]
        let count: Int
        var dimensions: Int { columns.count }

        /// The same values in one buffer, dimension after dimension.
        let flat: [Double]

        init(rowMajor x: [Double], rows n: Int, dimensions d: Int) {
            count = n
            columns = (0..<d).map { j in (0..<n).map { x[$0 * d + j] } }
            flat = columns.flatMap { $0 }
        }

        func point(_ i: Int) -> [Double] { columns.map { $0[i] } }
    }

    static let blocks = 16

    func fit(_ points: Points) -> Result {
        let d = points.dimensions, n = points.count
        let variances = points.columns.map { column -> Double in
            let mean = column.reduce(0, +) / Double(n)
            return column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
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
        let n = points.count, d = points.dimensions
        let trials = 2 + Int(log(Double(k)))
        var centers = [Double](repeating: 0, count: k * d)
        let first = random.int(n)
        for j in 0..<d { centers[j] = points.columns[j][first] }
        var closest = squaredDistances(points, to: points.point(first))
        var potential = closest.reduce(0, +)
        for c in 1..<k {
            var cumulative = closest
            for i in 1..<n { cumulative[i] += cumulative[i - 1] }
            var bestPotential = Double.infinity, bestCandidate = 0, bestDistances: [Double] = []
            for _ in 0..<trials {
                let target = random.uniform() * potential
                var low = 0, high = n   // numpy searchsorted, side='left'
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
            for j in 0..<d { centers[c * d + j] = points.columns[j][bestCandidate] }
        }
        return centers
    }

    func squaredDistances(_ points: Points, to center: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: points.count)
        for (j, column) in points.columns.enumerated() {
            let cj = center[j]
            for i in 0..<points.count {
                let diff = column[i] - cj
                out[i] += diff * diff
            }
        }
        return out
    }

    /// One assignment pass: each point's nearest centre and squared distance, plus per-block
    /// coordinate sums and counts per cluster for the next centres.
    struct Assignment {
        var labels: [Int32]
        var distances: [Double]
        var sums: [Double]
        var counts: [Int]
    }

    func assign(_ points: Points, centers: [Double]) -> Assignment {
        let n = points.count, d = points.dimensions, k = self.k
        let blocks = Swift.min(Self.blocks, Swift.max(1, n / 64))
        var labels = [Int32](repeating: 0, count: n)
        var distances = [Double](repeating: 0, count: n)
        let parts = labels.withUnsafeMutableBufferPointer { labelBuffer in
            distances.withUnsafeMutableBufferPointer { distanceBuffer in
                let labelOut = SendablePointer(labelBuffer.baseAddress), distanceOut = SendablePointer(distanceBuffer.baseAddress)
                return Parallel.map(blocks) { block -> (sums: [Double], counts: [Int]) in
                    var sums = [Double](repeating: 0, count: k * d), counts = [Int](repeating: 0, count: k)
                    let from = n * block / blocks, to = n * (block + 1) / blocks
                    var i = from
                    // Eight points at a time, straight from the contiguous column-major buffer.
                    let splats = centers.map { SIMD8<Double>(repeating: $0) }
                    points.flat.withUnsafeBufferPointer { flat in
                        let base = UnsafeRawPointer(flat.baseAddress!)
                        while i + 8 <= to {
                            var bestDistance = SIMD8<Double>(repeating: .infinity)
                            var bestLabel = SIMD8<Int64>(repeating: 0)
                            for c in 0..<k {
                                var distance = SIMD8<Double>(repeating: 0)
                                for j in 0..<d {
                                    let x = base.loadUnaligned(fromByteOffset: (j * n + i) * 8, as: SIMD8<Double>.self)
                                    let diff = x - splats[c * d + j]
                                    distance += diff * diff
                                }
                                let closer = distance .< bestDistance
                                bestDistance.replace(with: distance, where: closer)
                                bestLabel.replace(with: Int64(c), where: closer)
                            }
                            for lane in 0..<8 {
                                labelOut.pointer![i + lane] = Int32(bestLabel[lane])
                                distanceOut.pointer![i + lane] = bestDistance[lane]
                            }
                            i += 8
                        }
                    }
                    while i < to {
                        var bestDistance = Double.infinity, bestLabel = 0
                        for c in 0..<k {
                            var distance = 0.0
                            for j in 0..<d {
                                let diff = points.columns[j][i] - centers[c * d + j]
                                distance += diff * diff
                            }
                            if distance < bestDistance { bestDistance = distance; bestLabel = c }
                        }
                        labelOut.pointer![i] = Int32(bestLabel)
                        distanceOut.pointer![i] = bestDistance
                        i += 1
                    }
                    for i in from..<to { counts[Int(labelOut.pointer![i])] += 1 }
                    for j in 0..<d {
                        points.columns[j].withUnsafeBufferPointer { column in
                            for i in from..<to { sums[Int(labelOut.pointer![i]) * d + j] += column[i] }
                        }
                    }
                    return (sums, counts)
                }
            }
        }
        var sums = [Double](repeating: 0, count: k * d), counts = [Int](repeating: 0, count: k)
        for part in parts {
            for x in 0..<(k * d) { sums[x] += part.sums[x] }
            for c in 0..<k { counts[c] += part.counts[c] }
        }
        return Assignment(labels: labels, distances: distances, sums: sums, counts: counts)
    }

    func lloyd(_ points: Points, centers initial: [Double], threshold: Double) -> Result {
        let d = points.dimensions
        var centers = initial
        var assignment = assign(points, centers: centers)
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            var next = [Double](repeating: 0, count: k * d)
            var empty: [Int] = []
            for c in 0..<k {
                if assignment.counts[c] == 0 { empty.append(c); continue }
                for j in 0..<d { next[c * d + j] = assignment.sums[c * d + j] / Double(assignment.counts[c]) }
            }
            if !empty.isEmpty {
                // As scikit-learn: empty clusters take the points farthest from their centres.
                let far = assignment.distances.indices.sorted { assignment.distances[$0] > assignment.distances[$1] }
                for (c, point) in zip(empty, far) { for j in 0..<d { next[c * d + j] = points.columns[j][point] } }
            }
            var shift = 0.0
            for x in 0..<(k * d) { shift += (next[x] - centers[x]) * (next[x] - centers[x]) }
            centers = next
            let updated = assign(points, centers: centers)
            let same = updated.labels == assignment.labels
            assignment = updated
            if same || shift <= threshold { break }
        }
        return Result(labels: assignment.labels, centers: centers, inertia: assignment.distances.reduce(0, +), iterations: iterations)
    }
}

/// SplitMix64: small, fast, and the same sequence on every platform.
struct RandomStream: Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
    mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// The elbow of a decreasing, convex curve by Kneedle, as the `kneed` package finds it
/// (`KneeLocator(x, y, curve="convex", direction="decreasing", S=1.0)`, offline): the first
/// local maximum of the normalised difference curve that the curve then falls below its
/// threshold from. Nil when there is none.
enum Kneedle {
    static func knee(x: [Double], y: [Double], sensitivity: Double = 1.0) -> Int? {
        let n = x.count
        guard n >= 3, let xMin = x.min(), let xMax = x.max(), let yMin = y.min(), let yMax = y.max(), xMax > xMin, yMax > yMin else { return nil }
        let xn = x.map { ($0 - xMin) / (xMax - xMin) }
        var yn = y.map { ($0 - yMin) / (yMax - yMin) }
        let top = yn.max()!
        yn = yn.map { top - $0 }
        let difference = zip(yn, xn).map { $0 - $1 }
        func extrema(_ keep: (Double, Double) -> Bool) -> [Int] {
            (0..<n).filter { i in keep(difference[i], difference[Swift.max(0, i - 1)]) && keep(difference[i], difference[Swift.min(n - 1, i + 1)]) }
        }
        let maxima = extrema(>=), minima = extrema(<=)
        guard let firstMaximum = maxima.first else { return nil }
        let meanStep = zip(xn.dropFirst(), xn).map { $0 - $1 }.reduce(0, +) / Double(n - 1)
        let thresholds = maxima.map { difference[$0] - sensitivity * meanStep }
        var threshold = 0.0, thresholdIndex = 0, maximaSeen = 0
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
