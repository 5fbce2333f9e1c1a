import Synchronization
import WeirCore
import WeirTable

/// Baskets in compressed sparse rows: basket b holds `items[offsets[b]..<offsets[b+1]]`. As
/// built from lines, a basket may list an item twice and in any order; `restricted` gives
/// sorted, distinct items.
struct Baskets: Sendable {
    var offsets: [Int]
    var items: [Int32]

    var count: Int { offsets.count - 1 }

    init(offsets: [Int], items: [Int32]) {
        self.offsets = offsets
        self.items = items
    }

    /// The baskets of lines already in basket order (a non-decreasing key column, as order lines
    /// usually are): each run of equal keys is a basket. Nil when the keys are not sorted.
    static func runs(of keys: Column, items: [Int32]) -> Baskets? {
        guard keys.type == .int64 || keys.type == .timestamp, !keys.hasNulls else { return nil }
        return keys.int64s.withUnsafeBufferPointer { values -> Baskets? in
            guard !values.isEmpty else { return Baskets(offsets: [0], items: items) }
            // Each range of lines finds its own boundaries (a line whose key differs from the
            // line before it), and whether it is sorted; the ranges are then joined.
            let chunks = Swift.max(1, Swift.min(Parallel.coreCount * 4, values.count / 100_000))
            let parts = Parallel.map(chunks) { c -> [Int]? in
                let from = Swift.max(1, values.count * c / chunks)
                let to = values.count * (c + 1) / chunks
                var starts: [Int] = []
                starts.reserveCapacity((to - from) / 4)
                var i = from
                while i < to {
                    let previous = values[i - 1]
                    let current = values[i]
                    if current != previous {
                        if current < previous { return nil }
                        starts.append(i)
                    }
                    i += 1
                }
                return starts
            }
            var offsets = [0]
            offsets.reserveCapacity(parts.reduce(1) { $0 + ($1?.count ?? 0) } + 1)
            for part in parts {
                guard let part else { return nil }
                offsets += part
            }
            offsets.append(values.count)
            return Baskets(offsets: offsets, items: items)
        }
    }

    /// The baskets of lines in any order, grouped by a counting sort on their basket codes.
    static func grouping(_ basketOf: [Int32], basketCount: Int, items lineItems: [Int32]) -> Baskets {
        let (offsets, items) = bucketed(lineItems, by: basketOf, groups: basketCount)
        return Baskets(offsets: offsets, items: items)
    }

    /// Ranges of baskets, one per parallel task.
    private var chunks: [Range<Int>] {
        let n = Swift.max(1, Swift.min(count / 4096, Parallel.coreCount * 4))
        return (0..<n).map { count * $0 / n..<count * ($0 + 1) / n }
    }

    /// The number of baskets holding each item (an item listed twice in a basket counts once).
    func itemSupport(itemCount: Int) -> [Int] {
        let partial = Parallel.map(chunks.count) { c -> [Int] in
            var support = [Int](repeating: 0, count: itemCount)
            var lastBasket = [Int](repeating: -1, count: itemCount)
            items.withUnsafeBufferPointer { items in
                for b in chunks[c] {
                    for x in offsets[b]..<offsets[b + 1] {
                        let item = Int(items[x])
                        if lastBasket[item] != b {
                            lastBasket[item] = b
                            support[item] += 1
                        }
                    }
                }
            }
            return support
        }
        var total = partial.first ?? [Int](repeating: 0, count: itemCount)
        for other in partial.dropFirst() { for i in 0..<itemCount { total[i] += other[i] } }
        return total
    }

    /// Keeps the items with `rank[item] >= 0`, renamed to their rank, sorted and distinct; drops
    /// the baskets left empty when `dropEmpty`. Two parallel passes: count what each basket
    /// keeps, then write every basket's items straight into its place in the result.
    func restricted(to rank: [Int32], dropEmpty: Bool) -> Baskets {
        let ranges = chunks
        let kept = keptCounts(rank: rank)
        // Upper bounds (a repeated item counts twice here); exact sizes come from the second pass.
        var start = [Int](repeating: 0, count: count + 1)
        for b in 0..<count { start[b + 1] = start[b] + Int(kept[b]) }
        var repeats = false
        let written = [Int32](unsafeUninitializedCapacity: start[count]) { out, initialized in
            let target = SharedBuffer(out)
            let flags = Parallel.map(ranges.count) { c -> Bool in
                var sawRepeat = false
                items.withUnsafeBufferPointer { items in
                    rank.withUnsafeBufferPointer { rank in
                        let out = target
                        for b in ranges[c] where kept[b] > 0 {
                            let first = start[b]
                            var n = first
                            for x in offsets[b]..<offsets[b + 1] {
                                let r = rank[Int(items[x])]
                                if r >= 0 && !Self.insert(r, into: out, from: first, count: &n) { sawRepeat = true }
                            }
                            // Pad a short basket (repeats) with -1 so the buffer is fully initialized.
                            while n < start[b + 1] {
                                out[n] = -1
                                n += 1
                            }
                        }
                    }
                }
                return sawRepeat
            }
            repeats = flags.contains(true)
            initialized = start[count]
        }
        if !repeats && !dropEmpty { return Baskets(offsets: start, items: written) }
        if !repeats {
            var newOffsets = [0]
            newOffsets.reserveCapacity(count + 1)
            for b in 0..<count where kept[b] > 0 { newOffsets.append(start[b + 1]) }
            return Baskets(offsets: newOffsets, items: written)
        }
        return Self.squeezed(written, offsets: start, dropEmpty: dropEmpty)
    }

    /// How many of each basket's items have `rank >= 0`, counted in parallel.
    private func keptCounts(rank: [Int32]) -> [Int32] {
        let ranges = chunks
        var kept = [Int32](repeating: 0, count: count)
        kept.withUnsafeMutableBufferPointer { keptBuffer in
            let out = SharedBuffer(keptBuffer)
            items.withUnsafeBufferPointer { items in
                rank.withUnsafeBufferPointer { rank in
                    Parallel.forEach(ranges.count) { c in
                        for b in ranges[c] {
                            var n: Int32 = 0
                            for x in offsets[b]..<offsets[b + 1] where rank[Int(items[x])] >= 0 { n += 1 }
                            out[b] = n
                        }
                    }
                }
            }
        }
        return kept
    }

    /// Inserts `r` into the sorted run `out[first..<n]`, unless it is there already (then false).
    /// Baskets are short: insertion beats sorting.
    @inline(__always)
    private static func insert(_ r: Int32, into out: SharedBuffer<Int32>, from first: Int, count n: inout Int)
        -> Bool
    {
        var i = n
        while i > first && out[i - 1] > r { i -= 1 }
        if i > first && out[i - 1] == r { return false }
        var j = n
        while j > i {
            out[j] = out[j - 1]
            j -= 1
        }
        out[i] = r
        n += 1
        return true
    }

    /// Rare: some basket listed an item twice; squeezes out the -1 padding.
    private static func squeezed(_ written: [Int32], offsets start: [Int], dropEmpty: Bool) -> Baskets {
        var newOffsets = [0]
        var newItems: [Int32] = []
        newItems.reserveCapacity(written.count)
        for b in 0..<(start.count - 1) {
            for x in start[b]..<start[b + 1] where written[x] >= 0 { newItems.append(written[x]) }
            if newItems.count > newOffsets[newOffsets.count - 1] || !dropEmpty { newOffsets.append(newItems.count) }
        }
        return Baskets(offsets: newOffsets, items: newItems)
    }
}

/// An itemset (item ranks, ascending) and the number of baskets that hold all of it.
struct FrequentItemset: Sendable {
    var items: [Int32]
    var count: Int
}

/// Mines every itemset held by at least `minCount` baskets: single items from their counts,
/// pairs by counting each basket's pairs into a triangular matrix, longer itemsets depth-first
/// by counting candidate pairs within the baskets of each frequent prefix. The result is the
/// set Apriori finds; the search is what makes it fast.
struct ItemsetMiner: Sendable {
    /// Baskets whose items are ranks 0..<itemCount, every one frequent.
    let baskets: Baskets
    let itemCount: Int
    let itemCounts: [Int]
    let minCount: Int
    let maxLength: Int
    /// Stops the search with an error beyond this many itemsets.
    let limit: Int

    struct TooMany: Error { let limit: Int }
    struct PairsTooMany: Error {
        let items: Int
        let bytes: Int
    }

    /// The largest pair matrix (all threads) the miner allocates.
    static let pairMatrixBytes = 2 << 30

    func mine() throws -> [FrequentItemset] {
        var found = (0..<itemCount).map { FrequentItemset(items: [Int32($0)], count: itemCounts[$0]) }
        if found.count > limit { throw TooMany(limit: limit) }
        guard maxLength >= 2, itemCount >= 2 else { return found }
        let pairs = try pairCounts()
        var frequentPairs = [Bool](repeating: false, count: pairs.count)
        for i in 0..<itemCount {
            for j in (i + 1)..<itemCount where pairs[pairIndex(i, j)] >= minCount {
                frequentPairs[pairIndex(i, j)] = true
                found.append(FrequentItemset(items: [Int32(i), Int32(j)], count: Int(pairs[pairIndex(i, j)])))
            }
        }
        if found.count > limit { throw TooMany(limit: limit) }
        guard maxLength >= 3 else { return found }

        let tids = basketLists()
        let budget = Budget(used: found.count, limit: limit)
        // Interleaved strides of items per task, so the costly classes spread over the cores.
        let tasks = Swift.min(itemCount, 64)
        let deeper = Parallel.map(tasks) { task -> Result<[FrequentItemset], TooMany> in
            var slot = [Int32](repeating: -1, count: itemCount)
            var out: [FrequentItemset] = []
            do throws(TooMany) {
                for i in stride(from: task, to: itemCount, by: tasks) {
                    let candidates = ((i + 1)..<itemCount).filter { frequentPairs[pairIndex(i, $0)] }.map { Int32($0) }
                    try mineClass(
                        prefix: [Int32(i)], in: tids.baskets[tids.offsets[i]..<tids.offsets[i + 1]],
                        candidates: candidates, &slot, budget, &out)
                }
                return .success(out)
            } catch {
                return .failure(error)
            }
        }
        for result in deeper { found += try result.get() }
        return found
    }

    private final class Budget: Sendable {
        let used: Atomic<Int>
        let limit: Int
        init(used: Int, limit: Int) {
            self.used = Atomic(used)
            self.limit = limit
        }
        func spend(_ n: Int) throws(TooMany) {
            if used.add(n, ordering: .relaxed).newValue > limit { throw TooMany(limit: limit) }
        }
    }

    /// Finds the frequent itemsets prefix + {a, b} (and longer) for candidates a < b, where every
    /// prefix + {candidate} is frequent and `prefixBaskets` are the baskets holding the prefix:
    /// one pass over those baskets counts every candidate pair and gathers each candidate's
    /// baskets for the next level (a projection, as FP-growth does, without the tree).
    private func mineClass(
        prefix: [Int32], in prefixBaskets: ArraySlice<Int32>, candidates: [Int32], _ slot: inout [Int32],
        _ budget: Budget, _ out: inout [FrequentItemset]
    ) throws(TooMany) {
        let m = candidates.count
        guard m >= 2, prefix.count + 2 <= maxLength else { return }
        let deeper = prefix.count + 3 <= maxLength
        let last = prefix[prefix.count - 1]
        for (k, item) in candidates.enumerated() { slot[Int(item)] = Int32(k) }
        var counts = [Int32](repeating: 0, count: m * m)
        var lists = [[Int32]](repeating: [], count: deeper ? m : 0)
        var present: [Int] = []
        baskets.items.withUnsafeBufferPointer { items in
            counts.withUnsafeMutableBufferPointer { counts in
                for basket in prefixBaskets {
                    present.removeAll(keepingCapacity: true)
                    // Candidates rank above the prefix's last item, and basket items ascend by
                    // rank: scan from the end down to it. `present` comes out descending.
                    var x = baskets.offsets[Int(basket) + 1] - 1
                    let first = baskets.offsets[Int(basket)]
                    while x >= first && items[x] > last {
                        let k = slot[Int(items[x])]
                        if k >= 0 { present.append(Int(k)) }
                        x -= 1
                    }
                    present.reverse()
                    for u in 0..<present.count {
                        if deeper { lists[present[u]].append(basket) }
                        let row = present[u] * m
                        for v in (u + 1)..<present.count { counts[row + present[v]] += 1 }
                    }
                }
            }
        }
        for item in candidates { slot[Int(item)] = -1 }
        for u in 0..<m {
            var next: [Int32] = []
            for v in (u + 1)..<m where Int(counts[u * m + v]) >= minCount {
                out.append(
                    FrequentItemset(items: prefix + [candidates[u], candidates[v]], count: Int(counts[u * m + v])))
                next.append(candidates[v])
            }
            if next.isEmpty { continue }
            try budget.spend(next.count)
            if deeper {
                try mineClass(
                    prefix: prefix + [candidates[u]], in: lists[u][...], candidates: next, &slot, budget, &out)
            }
        }
    }

    @inline(__always)
    private func pairIndex(_ i: Int, _ j: Int) -> Int { i * (2 * itemCount - i - 1) / 2 + (j - i - 1) }

    /// Baskets holding each pair of items, counted over ranges of baskets in parallel.
    private func pairCounts() throws -> [UInt32] {
        let size = itemCount * (itemCount - 1) / 2
        let chunks = Swift.max(1, Swift.min(Parallel.coreCount, baskets.count / 10_000))
        if size * 4 * chunks > Self.pairMatrixBytes { throw PairsTooMany(items: itemCount, bytes: size * 4 * chunks) }
        let partial = Parallel.map(chunks) { chunk -> [UInt32] in
            var counts = [UInt32](repeating: 0, count: size)
            let from = baskets.count * chunk / chunks
            let to = baskets.count * (chunk + 1) / chunks
            baskets.items.withUnsafeBufferPointer { items in
                counts.withUnsafeMutableBufferPointer { counts in
                    for b in from..<to {
                        let start = baskets.offsets[b]
                        let end = baskets.offsets[b + 1]
                        var x = start
                        while x < end {
                            let i = Int(items[x])
                            let row = i * (2 * itemCount - i - 1) / 2 - i - 1
                            var y = x + 1
                            while y < end {
                                counts[row + Int(items[y])] &+= 1
                                y += 1
                            }
                            x += 1
                        }
                    }
                }
            }
            return counts
        }
        var total = partial[0]
        for other in partial.dropFirst() {
            for k in 0..<size { total[k] &+= other[k] }
        }
        return total
    }

    /// For each item, the ascending list of baskets that hold it.
    private func basketLists() -> (offsets: [Int], baskets: [Int32]) {
        // Counted per range of baskets, then each range fills its own slots of every list.
        let chunks = Swift.max(1, Swift.min(Parallel.coreCount * 2, baskets.count / 50_000))
        let ranges = (0..<chunks).map { baskets.count * $0 / chunks..<baskets.count * ($0 + 1) / chunks }
        let counts = Parallel.map(chunks) { c -> [Int] in
            var n = [Int](repeating: 0, count: itemCount)
            for x in baskets.offsets[ranges[c].lowerBound]..<baskets.offsets[ranges[c].upperBound] {
                n[Int(baskets.items[x])] += 1
            }
            return n
        }
        var offsets = [Int](repeating: 0, count: itemCount + 1)
        var cursors = [[Int]](repeating: [Int](repeating: 0, count: itemCount), count: chunks)
        for item in 0..<itemCount {
            var position = offsets[item]
            for c in 0..<chunks {
                cursors[c][item] = position
                position += counts[c][item]
            }
            offsets[item + 1] = position
        }
        let lists = [Int32](unsafeUninitializedCapacity: offsets[itemCount]) { out, written in
            let target = SharedBuffer(out)
            Parallel.forEach(chunks) { c in
                var cursor = cursors[c]
                for b in ranges[c] {
                    for x in baskets.offsets[b]..<baskets.offsets[b + 1] {
                        let item = Int(baskets.items[x])
                        target[cursor[item]] = Int32(b)
                        cursor[item] += 1
                    }
                }
            }
            written = offsets[itemCount]
        }
        return (offsets, lists)
    }
}
