import WeirCore
import WeirTable

/// (user, item, weight) lines as two sparse matrices: rows by user and rows by item, each
/// row's entries sorted by column, equal pairs summed. Users and items are dense codes in
/// value order (`KeyCodes`), so kernels index arrays and never hash per row.
struct Interactions: Sendable {
    let users: KeyCodes
    let items: KeyCodes
    /// Row starts (count + 1 entries) and (column, weight) entries of the user x item matrix.
    let userStart: [Int]
    let userItems: [Int32]
    let userWeights: [Float]
    /// The same matrix transposed: for each item, its users.
    let itemStart: [Int]
    let itemUsers: [Int32]
    let itemWeights: [Float]

    var userCount: Int { users.count }
    var itemCount: Int { items.count }

    /// `weights` nil counts each line once (a purchase); negative or non-finite weights are errors.
    init(users: KeyCodes, items: KeyCodes, weights: [Double]?) throws {
        if let weights, let bad = weights.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw StageError(
                "row \(bad + 1) has weight \(weights[bad]); a weight must be a finite number >= 0", param: "weight")
        }
        self.users = users
        self.items = items
        (userStart, userItems, userWeights) = Self.compressed(
            rows: users.codes, columns: items.codes, rowCount: users.count, weights: weights)
        (itemStart, itemUsers, itemWeights) = Self.compressed(
            rows: items.codes, columns: users.codes, rowCount: items.count, weights: weights)
    }

    private init(users: KeyCodes, items: KeyCodes, rows: [Int], weights: [Double]?) {
        self.users = users
        self.items = items
        let u = rows.map { users.codes[$0] }
        let i = rows.map { items.codes[$0] }
        let w = weights.map { all in rows.map { all[$0] } }
        (userStart, userItems, userWeights) = Self.compressed(rows: u, columns: i, rowCount: users.count, weights: w)
        (itemStart, itemUsers, itemWeights) = Self.compressed(rows: i, columns: u, rowCount: items.count, weights: w)
    }

    /// The matrix of some lines only (a training split), in the same user and item codes.
    func keeping(rows: [Int], weights: [Double]?) -> Interactions {
        Interactions(users: users, items: items, rows: rows, weights: weights)
    }

    /// Counting sort by row, then by column within each row; duplicates summed.
    private static func compressed(
        rows: [Int32], columns: [Int32], rowCount: Int,
        weights: [Double]?
    ) -> ([Int], [Int32], [Float]) {
        var start = [Int](repeating: 0, count: rowCount + 1)
        for r in rows { start[Int(r) + 1] += 1 }
        for r in 0..<rowCount { start[r + 1] += start[r] }
        var fill = start
        var entries = [(Int32, Float)](repeating: (0, 0), count: rows.count)
        for line in rows.indices {
            let r = Int(rows[line])
            entries[fill[r]] = (columns[line], Float(weights?[line] ?? 1))
            fill[r] += 1
        }
        var outStart = [0]
        var outColumns: [Int32] = []
        var outWeights: [Float] = []
        outColumns.reserveCapacity(rows.count)
        outWeights.reserveCapacity(rows.count)
        for r in 0..<rowCount {
            let row = entries[start[r]..<start[r + 1]].sorted { $0.0 < $1.0 }
            for (column, weight) in row {
                if outColumns.count > outStart[r], outColumns.last == column {
                    outWeights[outWeights.count - 1] += weight
                } else {
                    outColumns.append(column)
                    outWeights.append(weight)
                }
            }
            outStart.append(outColumns.count)
        }
        return (outStart, outColumns, outWeights)
    }

    func itemsOf(user u: Int) -> Range<Int> { userStart[u]..<userStart[u + 1] }
    func usersOf(item i: Int) -> Range<Int> { itemStart[i]..<itemStart[i + 1] }

    /// How many users interacted with each item.
    var itemPopularity: [Int] { (0..<itemCount).map { itemStart[$0 + 1] - itemStart[$0] } }
}

/// The k best (score, item) of a stream, best first; ties go to the smaller item code, so
/// results do not depend on the order candidates arrive in.
struct TopK {
    let k: Int
    private(set) var entries: [(score: Float, item: Int32)] = []

    init(_ k: Int) {
        self.k = k
        entries.reserveCapacity(k + 1)
    }

    static func better(_ a: (score: Float, item: Int32), _ b: (score: Float, item: Int32)) -> Bool {
        a.score > b.score || (a.score == b.score && a.item < b.item)
    }

    mutating func offer(_ score: Float, _ item: Int32) {
        guard k > 0 else { return }
        if entries.count == k, let last = entries.last, !Self.better((score, item), last) { return }
        var at = entries.count
        while at > 0 && Self.better((score, item), entries[at - 1]) { at -= 1 }
        entries.insert((score, item), at: at)
        if entries.count > k { entries.removeLast() }
    }
}
