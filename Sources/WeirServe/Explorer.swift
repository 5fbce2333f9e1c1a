import Foundation
import Synchronization
import WeirTable

/// What the output explorer computes over a whole column, once per output and column: the
/// first rows in a column's order (a bounded heap over one pass, so only that column's pages
/// are read), and per-column statistics.
final class Explorer: Sendable {
    /// Sorted views reach this many rows; deeper pages of a sorted view are refused.
    static let sortedDepth = 10_000
    private let sorted = Mutex<[String: [Int]]>([:])
    private let statistics = Mutex<[String: [ColumnStats]]>([:])

    /// The first `depth` rows of `table` ordered by column `index` (nulls last, ties by row).
    func order(_ table: Table, digest: String, column index: Int, descending: Bool) -> [Int] {
        let key = "\(digest)/\(index)/\(descending)"
        if let kept = sorted.withLock({ $0[key] }) { return kept }
        let column = table.columns[index]
        let depth = min(Self.sortedDepth, table.rowCount)
        func before(_ a: (Value, Int), _ b: (Value, Int)) -> Bool {
            if a.0.isNull != b.0.isNull { return !a.0.isNull }
            if !a.0.isNull, a.0 != b.0 { return descending ? Value.precedes(b.0, a.0) : Value.precedes(a.0, b.0) }
            return a.1 < b.1
        }
        // A max-heap of the best `depth` rows seen: the root is the one to drop first.
        var heap: [(Value, Int)] = []
        heap.reserveCapacity(depth + 1)
        for row in 0..<table.rowCount {
            let item = (column[row], row)
            if heap.count < depth {
                heap.append(item)
                var i = heap.count - 1
                while i > 0, before(heap[(i - 1) / 2], heap[i]) {
                    heap.swapAt(i, (i - 1) / 2)
                    i = (i - 1) / 2
                }
            } else if let root = heap.first, before(item, root) {
                heap[0] = item
                var i = 0
                while true {
                    let l = 2 * i + 1
                    let r = l + 1
                    var largest = i
                    if l < heap.count, before(heap[largest], heap[l]) { largest = l }
                    if r < heap.count, before(heap[largest], heap[r]) { largest = r }
                    if largest == i { break }
                    heap.swapAt(i, largest)
                    i = largest
                }
            }
        }
        let rows = heap.sorted(by: before).map(\.1)
        sorted.withLock { kept in
            if kept.count > 32 { kept.removeAll() }
            kept[key] = rows
        }
        return rows
    }

    struct ColumnStats: Sendable {
        var name: String
        var type: String
        var nulls: Int
        var distinct: Int?
        var min: Value?
        var max: Value?
        var mean: Double?
    }

    /// Count of nulls, min, max (and mean for numbers) of every column.
    func stats(_ table: Table, digest: String) -> [ColumnStats] {
        if let kept = statistics.withLock({ $0[digest] }) { return kept }
        let result = table.schema.fields.enumerated().map { index, field in
            let column = table.columns[index]
            var stats = ColumnStats(name: field.name, type: field.type.rawValue, nulls: 0)
            var sum = 0.0
            var numbers = 0
            for row in 0..<column.count {
                let value = column[row]
                if value.isNull {
                    stats.nulls += 1
                    continue
                }
                if stats.min.map({ Value.precedes(value, $0) }) ?? true { stats.min = value }
                if stats.max.map({ Value.precedes($0, value) }) ?? true { stats.max = value }
                switch value {
                case .int64(let v):
                    sum += Double(v)
                    numbers += 1
                case .float64(let v) where v.isFinite:
                    sum += v
                    numbers += 1
                default: break
                }
            }
            if numbers > 0 { stats.mean = sum / Double(numbers) }
            return stats
        }
        statistics.withLock { kept in
            if kept.count > 32 { kept.removeAll() }
            kept[digest] = result
        }
        return result
    }
}
