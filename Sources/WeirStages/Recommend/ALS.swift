import WeirCore
import WeirTable

/// Implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008) solved as `implicit`'s
/// CPU model does: confidence = alpha x weight, factors started uniform in [0, 0.01), and each
/// half-step a few conjugate-gradient steps per row from the previous solution, never forming
/// YᵀCᵤY. Float32 throughout, like `implicit`. Rows are solved on every core; each writes its own.
struct ALS: Sendable {
    var factors = 64
    var iterations = 15
    var regularization: Float = 0.01
    var alpha: Float = 1
    var conjugateGradientSteps = 3
    var seed: UInt64 = 0

    struct Model: Sendable {
        let factors: Int
        var users: [Float]
        var items: [Float]

        func score(user u: Int, item i: Int) -> Float {
            var sum: Float = 0
            for f in 0..<factors { sum += users[u * factors + f] * items[i * factors + f] }
            return sum
        }
    }

    func fit(_ data: Interactions) -> Model {
        var random = RandomStream(seed: seed)
        var users = (0..<(data.userCount * factors)).map { _ in Float(random.uniform()) * 0.01 }
        var items = (0..<(data.itemCount * factors)).map { _ in Float(random.uniform()) * 0.01 }
        for _ in 0..<iterations {
            solve(&users, fixed: items, start: data.userStart, columns: data.userItems, weights: data.userWeights)
            solve(&items, fixed: users, start: data.itemStart, columns: data.itemUsers, weights: data.itemWeights)
        }
        return Model(factors: factors, users: users, items: items)
    }

    /// One half-step: every row of `solved` from the `fixed` side's factors.
    private func solve(_ solved: inout [Float], fixed: [Float], start: [Int], columns: [Int32], weights: [Float]) {
        let f = factors
        let gram = gramian(fixed)
        let rows = start.count - 1
        let chunks = Swift.max(1, Swift.min(Parallel.coreCount * 4, rows / 64))
        solved.withUnsafeMutableBufferPointer { out in
            let target = SharedBuffer(out)
            Parallel.forEach(chunks) { c in
                var x = [Float](repeating: 0, count: f)
                var r = x
                var p = x
                var ap = x
                for row in (rows * c / chunks)..<(rows * (c + 1) / chunks) {
                    for k in 0..<f { x[k] = target[row * f + k] }
                    conjugateGradient(
                        &x, &r, &p, &ap, gram: gram, fixed: fixed,
                        entries: start[row]..<start[row + 1], columns: columns, weights: weights)
                    for k in 0..<f { target[row * f + k] = x[k] }
                }
            }
        }
    }

    /// YᵀY + λI.
    private func gramian(_ y: [Float]) -> [Float] {
        let f = factors
        let n = y.count / Swift.max(f, 1)
        var gram = [Float](repeating: 0, count: f * f)
        for row in 0..<n {
            for a in 0..<f {
                let ya = y[row * f + a]
                if ya == 0 { continue }
                for b in 0..<f { gram[a * f + b] += ya * y[row * f + b] }
            }
        }
        for a in 0..<f { gram[a * f + a] += regularization }
        return gram
    }

    private func conjugateGradient(
        _ x: inout [Float], _ r: inout [Float], _ p: inout [Float], _ ap: inout [Float],
        gram: [Float], fixed y: [Float], entries: Range<Int>, columns: [Int32], weights: [Float]
    ) {
        let f = factors
        multiply(gram, x, into: &r)
        for k in 0..<f { r[k] = -r[k] }
        for e in entries {
            let i = Int(columns[e]) * f
            let confidence = alpha * weights[e]
            guard confidence > 0 else { continue }
            var dot: Float = 0
            for k in 0..<f { dot += y[i + k] * x[k] }
            let scale = confidence - (confidence - 1) * dot
            for k in 0..<f { r[k] += scale * y[i + k] }
        }
        p = r
        var rsOld = dotProduct(r, r)
        if rsOld < 1e-20 { return }
        for _ in 0..<conjugateGradientSteps {
            multiply(gram, p, into: &ap)
            for e in entries {
                let i = Int(columns[e]) * f
                let confidence = alpha * weights[e]
                guard confidence > 0 else { continue }
                var dot: Float = 0
                for k in 0..<f { dot += y[i + k] * p[k] }
                let scale = (confidence - 1) * dot
                for k in 0..<f { ap[k] += scale * y[i + k] }
            }
            let step = rsOld / dotProduct(p, ap)
            for k in 0..<f {
                x[k] += step * p[k]
                r[k] -= step * ap[k]
            }
            let rsNew = dotProduct(r, r)
            if rsNew < 1e-20 { break }
            for k in 0..<f { p[k] = r[k] + (rsNew / rsOld) * p[k] }
            rsOld = rsNew
        }
    }

    private func multiply(_ matrix: [Float], _ v: [Float], into out: inout [Float]) {
        let f = factors
        for a in 0..<f {
            var sum: Float = 0
            for b in 0..<f { sum += matrix[a * f + b] * v[b] }
            out[a] = sum
        }
    }

    private func dotProduct(_ a: [Float], _ b: [Float]) -> Float {
        var sum: Float = 0
        for k in a.indices { sum += a[k] * b[k] }
        return sum
    }
}
