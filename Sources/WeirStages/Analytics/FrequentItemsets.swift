import Synchronization
import WeirCore
import WeirTable

/// Baskets as sorted, distinct item codes in compressed sparse rows: basket b holds
/// `items[offsets[b]..<offsets[b+1]]`.
struct Baskets: Sendable {
    var offsets: [Int]
    var items: [Int32]

    var count: Int { offsets.count - 1 }

    /// From one (basket, item) pair per line; an item listed twice in a basket counts once.
    init(basketOf: [Int32], basketCount: Int, itemOf: [Int32]) {
        var offsets = [Int](repeating: 0, count: basketCount + 1)
        for basket in basketOf { offsets[Int(basket) + 1] += 1 }
        for b in 0..<basketCount { offsets[b + 1] += offsets[b] }
        var items = [Int32](repeating: 0, count: basketOf.count)
        var cursor = offsets
        for (line, basket) in basketOf.enumerated() {
            items[cursor[Int(basket)]] = itemOf[line]
            cursor[Int(basket)] += 1
        }
        // Sort and deduplicate each basket in place, in parallel over ranges of baskets, then close the gaps.
        let chunks = Swift.min(basketCount, Parallel.coreCount * 8)
        var kept = [Int](repeating: 0, count: basketCount)
        items.withUnsafeMutableBufferPointer { itemBuffer in
            kept.withUnsafeMutableBufferPointer { keptBuffer in
                let itemBase = SendablePointer(itemBuffer.baseAddress), keptBase = SendablePointer(keptBuffer.baseAddress)
                Parallel.forEach(chunks) { chunk in
                    let from = basketCount * chunk / chunks, to = basketCount * (chunk + 1) / chunks
                    for b in from..<to {
                        let start = offsets[b], end = offsets[b + 1]
                        var slice = UnsafeMutableBufferPointer(start: itemBase.pointer! + start, count: end - start)
                        slice.sort()
                        var unique = 0
                        for i in 0..<slice.count where unique == 0 || slice[i] != slice[unique - 1] {
                            slice[unique] = slice[i]
                            unique += 1
                        }
                        keptBase.pointer![b] = unique
                    }
                }
            }
        }
        var write = 0
        var newOffsets = [Int](repeating: 0, count: basketCount + 1)
        for b in 0..<basketCount {
            let start = offsets[b]
            for i in 0..<kept[b] { items[write + i] = items[start + i] }
            write += kept[b]
            newOffsets[b + 1] = write
        }
        items.removeSubrange(write...)
        self.offsets = newOffsets
        self.items = items
    }

    private init(offsets: [Int], items: [Int32]) {
        self.offsets = offsets
        self.items = items
    }

    /// The number of baskets holding each item.
    func itemSupport(itemCount: Int) -> [Int] {
        var support = [Int](repeating: 0, count: itemCount)
        for item in items { support[Int(item)] += 1 }
        return support
    }

    /// Keeps the items with `rank[item] >= 0`, renamed to their rank and sorted again; drops the
    /// baskets left empty when `dropEmpty`.
    func restricted(to rank: [Int32], dropEmpty: Bool) -> Baskets {
        var offsets = [0]
        offsets.reserveCapacity(count + 1)
        var kept: [Int32] = []
        kept.reserveCapacity(items.count)
        for b in 0..<count {
            let start = kept.count
            for i in self.offsets[b]..<self.offsets[b + 1] where rank[Int(items[i])] >= 0 { kept.append(rank[Int(items[i])]) }
            if kept.count > start + 1 { kept[start...].sort() }
            if kept.count > start || !dropEmpty { offsets.append(kept.count) }
        }
        return Baskets(offsets: offsets, items: kept)
    }
}

/// An itemset (item ranks, ascending) and the number of baskets that hold all of it.
struct FrequentItemset: Sendable {
    var items: [Int32]
    var count: Int
}

/// Mines every itemset held by at least `minCount` baskets: single items from their counts,
/// pairs by counting each basket's pairs into a triangular matrix, longer itemsets depth-first
/// by intersecting sorted basket lists (Eclat), pruned by the frequent pairs. The result is the
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
    struct PairsTooMany: Error { let items: Int; let bytes: Int }

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
        let deeper = Parallel.map(itemCount) { i -> Result<[FrequentItemset], TooMany> in
            let members = ((i + 1)..<itemCount).filter { frequentPairs[pairIndex(i, $0)] }
            guard members.count >= 2 else { return .success([]) }
            let classMembers = members.map { Member(item: Int32($0), baskets: intersect(tids[i], tids[$0])) }
            var out: [FrequentItemset] = []
            do {
                try extend(prefix: [Int32(i)], classMembers, frequentPairs, budget, &out)
                return .success(out)
            } catch {
                return .failure(TooMany(limit: limit))
            }
        }
        for result in deeper { found += try result.get() }
        return found
    }

    private struct Member {
        var item: Int32
        var baskets: [Int32]
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

    /// Every member already forms a frequent itemset with `prefix`; emits and recurses into
    /// prefix + a + b for members a < b.
    private func extend(prefix: [Int32], _ members: [Member], _ frequentPairs: [Bool], _ budget: Budget,
                        _ out: inout [FrequentItemset]) throws(TooMany) {
        guard prefix.count + 2 <= maxLength else { return }
        for a in 0..<members.count {
            var next: [Member] = []
            for b in (a + 1)..<members.count
            where frequentPairs[pairIndex(Int(members[a].item), Int(members[b].item))] {
                let common = intersect(members[a].baskets, members[b].baskets)
                if common.count >= minCount {
                    out.append(FrequentItemset(items: prefix + [members[a].item, members[b].item], count: common.count))
                    next.append(Member(item: members[b].item, baskets: common))
                }
            }
            if !next.isEmpty {
                try budget.spend(next.count)
                try extend(prefix: prefix + [members[a].item], next, frequentPairs, budget, &out)
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
            let from = baskets.count * chunk / chunks, to = baskets.count * (chunk + 1) / chunks
            baskets.items.withUnsafeBufferPointer { items in
                counts.withUnsafeMutableBufferPointer { counts in
                    for b in from..<to {
                        let start = baskets.offsets[b], end = baskets.offsets[b + 1]
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
    private func basketLists() -> [[Int32]] {
        var lists = itemCounts.map { count -> [Int32] in
            var list: [Int32] = []
            list.reserveCapacity(count)
            return list
        }
        for b in 0..<baskets.count {
            for x in baskets.offsets[b]..<baskets.offsets[b + 1] { lists[Int(baskets.items[x])].append(Int32(b)) }
        }
        return lists
    }
}

/// The common elements of two ascending lists.
private func intersect(_ a: [Int32], _ b: [Int32]) -> [Int32] {
    var out: [Int32] = []
    out.reserveCapacity(Swift.min(a.count, b.count))
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            var i = 0, j = 0
            while i < a.count && j < b.count {
                let x = a[i], y = b[j]
                if x == y {
                    out.append(x)
                    i += 1
                    j += 1
                } else if x < y {
                    i += 1
                } else {
                    j += 1
                }
            }
        }
    }
    return out
}

/// A raw pointer handed to parallel kernels that write disjoint parts of one buffer.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>?
    init(_ pointer: UnsafeMutablePointer<T>?) { self.pointer = pointer }
}
