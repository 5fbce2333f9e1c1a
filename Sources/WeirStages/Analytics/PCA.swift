import WeirTable

/// Principal components of a row-major n x p matrix, as scikit-learn's `PCA` computes them
/// with its covariance solver: eigen-decomposition of the sample covariance, components in
/// decreasing order of variance, each signed so its largest-magnitude loading is positive
/// (`svd_flip(u_based_decision=False)`).
struct PCA: Sendable {
    /// Column means of the input.
    let mean: [Double]
    /// The first `count` components, each a p-vector (row-major, count x p).
    let components: [Double]
    let count: Int
    let features: Int
    /// Variance along every component (all p), decreasing.
    let variances: [Double]

    var explainedVarianceRatio: [Double] {
        let total = variances.reduce(0, +)
        return variances.prefix(count).map { total > 0 ? $0 / total : 0 }
    }

    init(_ x: [Double], rows n: Int, features p: Int, components k: Int) {
        features = p
        count = k
        mean = PCA.columnMeans(x, rows: n, features: p)
        let covariance = PCA.covariance(x, mean: mean, rows: n, features: p)
        let (values, vectors) = SymmetricEigen.decompose(covariance, size: p)
        variances = values.map { Swift.max(0, $0) }
        var components = [Double](repeating: 0, count: k * p)
        for c in 0..<k {
            var row = (0..<p).map { vectors[$0 * p + c] }
            let largest = row.indices.max { abs(row[$0]) < abs(row[$1]) } ?? 0
            if row[largest] < 0 { row = row.map { -$0 } }
            for j in 0..<p { components[c * p + j] = row[j] }
        }
        self.components = components
    }

    /// The centred data projected on the components: n x count, row-major.
    func transform(_ x: [Double], rows n: Int) -> [Double] {
        let p = features
        let k = count
        var out = [Double](repeating: 0, count: n * k)
        let chunks = Swift.max(1, Swift.min(Parallel.coreCount * 4, n / 4096))
        out.withUnsafeMutableBufferPointer { out in
            let target = SharedBuffer(out)
            Parallel.forEach(chunks) { chunk in
                var centred = [Double](repeating: 0, count: p)
                for i in (n * chunk / chunks)..<(n * (chunk + 1) / chunks) {
                    for j in 0..<p { centred[j] = x[i * p + j] - mean[j] }
                    for c in 0..<k {
                        var s = 0.0
                        for j in 0..<p { s += centred[j] * components[c * p + j] }
                        target[i * k + c] = s
                    }
                }
            }
        }
        return out
    }

    static func columnMeans(_ x: [Double], rows n: Int, features p: Int) -> [Double] {
        var sums = [Double](repeating: 0, count: p)
        x.withUnsafeBufferPointer { x in
            for i in 0..<n { for j in 0..<p { sums[j] += x[i * p + j] } }
        }
        return sums.map { n > 0 ? $0 / Double(n) : 0 }
    }

    /// The sample covariance (divisor n - 1), p x p, from blocks of rows summed in parallel
    /// and added in a fixed order, so the result does not depend on the core count.
    static func covariance(_ x: [Double], mean: [Double], rows n: Int, features p: Int) -> [Double] {
        if let sparse = sparseCovariance(x, mean: mean, rows: n, features: p) { return sparse }
        let blocks = Swift.max(1, Swift.min(16, n / 2048))
        let partial = Parallel.map(blocks) { block -> [Double] in
            var sums = [Double](repeating: 0, count: p * p)
            var centred = [Double](repeating: 0, count: p)
            x.withUnsafeBufferPointer { x in
                sums.withUnsafeMutableBufferPointer { sums in
                    centred.withUnsafeMutableBufferPointer { centred in
                        for i in (n * block / blocks)..<(n * (block + 1) / blocks) {
                            for j in 0..<p { centred[j] = x[i * p + j] - mean[j] }
                            for a in 0..<p {
                                let va = centred[a]
                                if va == 0 { continue }
                                let row = a * p
                                for b in a..<p { sums[row + b] += va * centred[b] }
                            }
                        }
                    }
                }
            }
            return sums
        }
        var c = [Double](repeating: 0, count: p * p)
        for part in partial { for i in 0..<(p * p) { c[i] += part[i] } }
        let divisor = Double(Swift.max(1, n - 1))
        for a in 0..<p {
            for b in a..<p {
                c[a * p + b] /= divisor
                c[b * p + a] = c[a * p + b]
            }
        }
        return c
    }
}

extension PCA {
    /// For mostly-zero data (counts per user and aisle): the raw second moments over each row's
    /// non-zero entries only, minus n x mean x meanᵀ. That subtraction loses precision only when
    /// a feature's mean is huge against its spread, so such data takes the centred path.
    static func sparseCovariance(_ x: [Double], mean: [Double], rows n: Int, features p: Int) -> [Double]? {
        guard n > 1 else { return nil }
        let zeros = x.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        guard zeros * 2 > x.count else { return nil }
        var squares = [Double](repeating: 0, count: p)
        for i in 0..<n { for j in 0..<p { squares[j] += x[i * p + j] * x[i * p + j] } }
        for j in 0..<p {
            let variance = squares[j] / Double(n) - mean[j] * mean[j]
            if mean[j] * mean[j] > 1e6 * Swift.max(variance, 1e-300) { return nil }
        }
        let blocks = Swift.max(1, Swift.min(16, n / 2048))
        let partial = Parallel.map(blocks) { block -> [Double] in
            var sums = [Double](repeating: 0, count: p * p)
            var index = [Int](repeating: 0, count: p)
            var value = [Double](repeating: 0, count: p)
            x.withUnsafeBufferPointer { x in
                sums.withUnsafeMutableBufferPointer { sums in
                    for i in (n * block / blocks)..<(n * (block + 1) / blocks) {
                        var m = 0
                        for j in 0..<p where x[i * p + j] != 0 {
                            index[m] = j
                            value[m] = x[i * p + j]
                            m += 1
                        }
                        for u in 0..<m {
                            let row = index[u] * p
                            let vu = value[u]
                            for w in u..<m { sums[row + index[w]] += vu * value[w] }
                        }
                    }
                }
            }
            return sums
        }
        var c = [Double](repeating: 0, count: p * p)
        for part in partial { for i in 0..<(p * p) { c[i] += part[i] } }
        let divisor = Double(n - 1)
        for a in 0..<p {
            for b in a..<p {
                c[a * p + b] = (c[a * p + b] - Double(n) * mean[a] * mean[b]) / divisor
                c[b * p + a] = c[a * p + b]
            }
        }
        return c
    }
}

/// Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations: slow for big
/// matrices, exact to rounding for the few hundred features customer data has.
enum SymmetricEigen {
    /// Eigenvalues in decreasing order and the matching eigenvectors as columns (row-major p x p).
    static func decompose(_ matrix: [Double], size p: Int) -> (values: [Double], vectors: [Double]) {
        var a = matrix
        var v = [Double](repeating: 0, count: p * p)
        for i in 0..<p { v[i * p + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<p { for j in (i + 1)..<Swift.max(i + 1, p) { off += a[i * p + j] * a[i * p + j] } }
            var scale = 0.0
            for i in 0..<p { scale += a[i * p + i] * a[i * p + i] }
            if off <= 1e-30 * Swift.max(scale, 1e-300) { break }
            for i in 0..<p {
                for j in (i + 1)..<Swift.max(i + 1, p) {
                    let aij = a[i * p + j]
                    if abs(aij) < 1e-300 { continue }
                    let theta = (a[j * p + j] - a[i * p + i]) / (2 * aij)
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    for k in 0..<p {
                        let aki = a[k * p + i]
                        let akj = a[k * p + j]
                        a[k * p + i] = c * aki - s * akj
                        a[k * p + j] = s * aki + c * akj
                    }
                    for k in 0..<p {
                        let aik = a[i * p + k]
                        let ajk = a[j * p + k]
                        a[i * p + k] = c * aik - s * ajk
                        a[j * p + k] = s * aik + c * ajk
                    }
                    for k in 0..<p {
                        let vki = v[k * p + i]
                        let vkj = v[k * p + j]
                        v[k * p + i] = c * vki - s * vkj
                        v[k * p + j] = s * vki + c * vkj
                    }
                }
            }
        }
        let order = (0..<p).sorted { a[$0 * p + $0] > a[$1 * p + $1] }
        var vectors = [Double](repeating: 0, count: p * p)
        for (column, source) in order.enumerated() { for k in 0..<p { vectors[k * p + column] = v[k * p + source] } }
        return (order.map { a[$0 * p + $0] }, vectors)
    }
}
