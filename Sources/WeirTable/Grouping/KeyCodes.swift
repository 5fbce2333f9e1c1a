import CWeirSystem
import Foundation

/// Dense codes 0..<count for the distinct values of a key column (int64, timestamp, date or
/// string), so that grouping kernels index arrays instead of hashing per row. Codes are
/// numbered in value order (integers numerically, strings by UTF-8 bytes, i.e. code points),
/// which is also the order pandas sorts group keys in.
public struct KeyCodes: Sendable {
    /// The code of each row.
    public var codes: [Int32]
    /// For each code, the first row holding its value.
    public var firstRow: [Int]

    public var count: Int { firstRow.count }

    public static let keyTypes: Set<DataType> = [.int64, .string, .timestamp, .date]

    /// Encodes `column`; nil when it holds a null (a key must be a value; callers say why in
    /// their own words) or its type cannot be a key (see `keyTypes`).
    public init?(keysOf column: Column) {
        guard column.nullCount == 0 else { return nil }
        switch column.type {
        case .int64, .timestamp:
            self = column.int64s.withUnsafeBufferPointer { KeyCodes.integers($0) }
        case .date:
            self = column.dates.withUnsafeBufferPointer { KeyCodes.integers($0) }
        case .string:
            self = KeyCodes.strings(column.strings)
        default:
            return nil
        }
    }

    private init(codes: [Int32], firstRow: [Int]) {
        self.codes = codes
        self.firstRow = firstRow
    }

    private static func integers<T: FixedWidthInteger & SignedInteger>(_ values: UnsafeBufferPointer<T>) -> KeyCodes {
        if let range = DenseRange(values) {
            // Lookup tables indexed by value, already in value order.
            // First rows are found per range of rows in parallel, then the earliest wins.
            let chunks = Swift.max(1, Swift.min(Parallel.coreCount, values.count / 100_000))
            let firsts = Parallel.map(chunks) { c -> [Int32] in
                var first = [Int32](repeating: -1, count: range.slots)
                for row in (values.count * c / chunks)..<(values.count * (c + 1) / chunks) {
                    let slot = range.slot(values[row])
                    if first[slot] < 0 { first[slot] = Int32(truncatingIfNeeded: row) }
                }
                return first
            }
            var codeOf = [Int32](repeating: -1, count: range.slots)
            var firstRow: [Int] = []
            for slot in 0..<range.slots {
                guard let row = firsts.lazy.map({ Int($0[slot]) }).first(where: { $0 >= 0 }) else { continue }
                codeOf[slot] = Int32(firstRow.count)
                firstRow.append(row)
            }
            var codes = [Int32](repeating: 0, count: values.count)
            codes.withUnsafeMutableBufferPointer { codes in
                let out = SharedBuffer(codes)
                Parallel.forEach(chunks) { c in
                    for row in (values.count * c / chunks)..<(values.count * (c + 1) / chunks) {
                        out[row] = codeOf[range.slot(values[row])]
                    }
                }
            }
            return KeyCodes(codes: codes, firstRow: firstRow)
        }
        var first: [T: Int] = [:]
        for (row, value) in values.enumerated() where first[value] == nil { first[value] = row }
        let ordered = first.keys.sorted()
        var codeOf: [T: Int32] = [:]
        codeOf.reserveCapacity(ordered.count)
        for (code, value) in ordered.enumerated() { codeOf[value] = Int32(code) }
        return KeyCodes(codes: values.map { codeOf[$0]! }, firstRow: ordered.map { first[$0]! })
    }

    /// Strings are hashed and compared as raw UTF-8 bytes, so no `String` is made per row.
    /// Each core codes a range of rows with a table of its own; the later tables' distinct
    /// values are then merged into the first in row order (so a value's first row is its
    /// earliest), ordered by bytes (code points), and every row's code is rewritten through its
    /// range's mapping.
    private static func strings(_ view: StringView) -> KeyCodes {
        let n = view.count
        let chunks = n >= 200_000 ? Parallel.coreCount : 1
        var codes = [Int32](repeating: 0, count: n)
        let tables = codes.withUnsafeMutableBufferPointer { codes in
            let out = SharedBuffer(codes)
            return Parallel.map(chunks) { c in
                let rows = (n * c / chunks)..<(n * (c + 1) / chunks)
                // Room for a distinct value every four rows, up to 2 MiB of slots, from the
                // start: rehashing as the table grows cost as much as a tenth of the coding.
                let table = ByteKeyTable(view, expected: Swift.min(rows.count / 4, 1 << 17))
                table.code(rows: rows, into: out)
                return table
            }
        }
        // The first range's table takes in the others' values: it holds the earliest rows, so
        // a value it already has keeps its first row, and most values need only a lookup.
        let merged = tables[0]
        let toMerged: [[Int32]] =
            chunks == 1
            ? []
            : [Array(0..<Int32(merged.count))]
                + tables.dropFirst().map { table in
                    (0..<table.count).map { merged.code(row: table.firstRows[$0], hash: table.hashes[$0]) }
                }
        let firstRows = merged.firstRows

        // Order by the first eight bytes (big-endian), then settle equal prefixes by the rest.
        let prefixes = firstRows.map { ByteKeyTable.head(view.utf8($0)).byteSwapped }
        var order = RadixSort.order(prefixes)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && prefixes[Int(order[end])] == prefixes[Int(order[start])] { end += 1 }
            if end - start > 1 {
                order[start..<end].sort { a, b in
                    let x = view.utf8(firstRows[Int(a)])
                    let y = view.utf8(firstRows[Int(b)])
                    let common = Swift.min(x.count, y.count)
                    let c = common <= 8 ? 0 : memcmp(x.baseAddress! + 8, y.baseAddress! + 8, common - 8)
                    return c != 0 ? c < 0 : x.count < y.count
                }
            }
            start = end
        }
        var renumber = [Int32](repeating: 0, count: order.count)
        for (new, old) in order.enumerated() { renumber[Int(old)] = Int32(new) }
        let final: [[Int32]] = chunks == 1 ? [renumber] : toMerged.map { $0.map { renumber[Int($0)] } }
        codes.withUnsafeMutableBufferPointer { codes in
            let out = SharedBuffer(codes)
            Parallel.forEach(chunks) { c in
                final[c].withUnsafeBufferPointer { map in
                    for row in (n * c / chunks)..<(n * (c + 1) / chunks) {
                        out[row] = map[Int(out[row])]
                    }
                }
            }
        }
        return KeyCodes(codes: codes, firstRow: order.map { firstRows[Int($0)] })
    }
}

/// An open-addressing table from byte strings (values of one string column, named by a row
/// that holds them) to codes in order of first appearance. A slot is one word: part of the
/// value's hash, its length and its code; the value's first eight bytes are kept by code. A
/// probe thus settles a key of up to eight bytes (most ids) without touching the column, and
/// a longer one after one `memcmp`; and a hundred thousand keys' slots fit in a core's cache.
/// A table belongs to one thread.
final class ByteKeyTable: @unchecked Sendable {
    let view: StringView
    @exclusivity(unchecked) private(set) var firstRows: [Int] = []
    @exclusivity(unchecked) private(set) var hashes: [UInt64] = []
    /// Each code's first eight bytes (`head`).
    @exclusivity(unchecked) private var heads: [UInt64] = []
    /// `tag | length << 32 | (code + 1)`, or 0 when empty.
    @exclusivity(unchecked) private var slots: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var mask: Int

    var count: Int { firstRows.count }

    /// `expected`: how many distinct values to make room for before the first growth.
    init(_ view: StringView, expected: Int = 0) {
        self.view = view
        var size = 4096
        while size < 2 * expected { size *= 2 }
        mask = size - 1
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        firstRows.reserveCapacity(expected)
        hashes.reserveCapacity(expected)
        heads.reserveCapacity(expected)
    }

    deinit { slots.deallocate() }

    private static let tagMask: UInt64 = 0xFFFF_FF00_0000_0000
    private static let longKey: UInt64 = 0xFF

    /// A 64-bit hash of the bytes, eight at a time.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        guard let base = bytes.baseAddress else { return h }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i &+ 8 <= bytes.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h &>> 31
            i &+= 8
        }
        if i < bytes.count {
            var tail: UInt64 = 0
            for j in i..<bytes.count { tail |= UInt64(base[j]) &<< UInt64((j &- i) &* 8) }
            h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        }
        h = (h ^ (h &>> 32)) &* 0xD6E8_FEB8_6659_FD93
        return h ^ (h &>> 32)
    }

    /// The first eight bytes, zero-padded, as a little-endian word (byte-swapped, it orders
    /// keys by their first eight bytes).
    @inline(__always)
    static func head(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let base = bytes.baseAddress else { return 0 }
        if bytes.count >= 8 { return UInt64(littleEndian: UnsafeRawPointer(base).loadUnaligned(as: UInt64.self)) }
        var word: UInt64 = 0
        for j in 0..<bytes.count { word |= UInt64(base[j]) &<< UInt64(j &* 8) }
        return word
    }

    /// How many rows ahead of the one being coded to prefetch slots for (below 16, the hashes
    /// `code(rows:into:)` keeps).
    static let lookahead = 12

    /// Codes `rows` in order into `codes[row]`, prefetching the slot of the row `lookahead`
    /// ahead; each value is hashed once, its hash kept until its row's turn.
    func code(rows: Range<Int>, into codes: SharedBuffer<Int32>) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 16) { ring in
            for row in rows.prefix(Self.lookahead) { ring[row & 15] = Self.hash(view.utf8(row)) }
            for row in rows {
                let ahead = row &+ Self.lookahead
                if ahead < rows.upperBound {
                    let hash = Self.hash(view.utf8(ahead))
                    ring[ahead & 15] = hash
                    weir_prefetch(slots + (Int(truncatingIfNeeded: hash) & mask))
                }
                codes[row] = code(row: row, hash: ring[row & 15])
            }
        }
    }

    @inline(__always)
    func code(row: Int, hash: UInt64) -> Int32 { code(view.utf8(row), row: row, hash: hash) }

    /// The code of `bytes`, row `row`'s value, whose hash is `hash`; new values get the next code.
    @inline(__always)
    private func code(_ bytes: UnsafeBufferPointer<UInt8>, row: Int, hash: UInt64) -> Int32 {
        let length = UInt64(Swift.min(bytes.count, Int(Self.longKey)))
        let key = (hash & Self.tagMask) | length &<< 32
        let head = Self.head(bytes)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return insert(row: row, hash: hash, at: slot, entry: key, head: head) }
            let code = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) &- 1
            if entry & ~0xFFFF_FFFF == key && heads[Int(code)] == head {
                if bytes.count <= 8 { return code }
                let known = view.utf8(firstRows[Int(code)])
                if known.count == bytes.count
                    && memcmp(known.baseAddress! + 8, bytes.baseAddress! + 8, bytes.count &- 8) == 0
                {
                    return code
                }
            }
            slot = (slot &+ 1) & mask
        }
    }

    private func insert(row: Int, hash: UInt64, at slot: Int, entry: UInt64, head: UInt64) -> Int32 {
        let code = Int32(firstRows.count)
        slots[slot] = entry | UInt64(code + 1)
        firstRows.append(row)
        hashes.append(hash)
        heads.append(head)
        if firstRows.count * 2 > mask { grow() }
        return code
    }

    private func grow() {
        let old = slots
        let oldSize = mask + 1
        mask = mask * 2 + 1
        slots = .allocate(capacity: mask + 1)
        slots.initialize(repeating: 0, count: mask + 1)
        for i in 0..<oldSize where old[i] != 0 {
            let code = Int((old[i] & 0xFFFF_FFFF) - 1)
            var slot = Int(truncatingIfNeeded: hashes[code]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = old[i]
        }
        old.deallocate()
    }
}

/// `values` grouped by their row's code with a counting sort: group g's values, in row order,
/// are `values[offsets[g]..<offsets[g + 1]]`. Inlinable, as are the others, so that callers in
/// other modules get a specialised loop rather than a generic one (3x slower on Apriori's baskets).
@inlinable
public func bucketed<T: BitwiseCopyable>(_ values: [T], by codes: [Int32], groups: Int) -> (offsets: [Int], values: [T])
{
    values.withUnsafeBufferPointer { values in bucketed(by: codes, groups: groups) { values[$0] } }
}

@inlinable
public func bucketed<T: BitwiseCopyable>(_ values: UnsafeBufferPointer<T>, by codes: [Int32], groups: Int) -> (
    offsets: [Int], values: [T]
) {
    bucketed(by: codes, groups: groups) { values[$0] }
}

/// `value(row)` for every row, grouped by the row's code with a counting sort: group g's, in
/// row order, are `values[offsets[g]..<offsets[g + 1]]`.
@inlinable
public func bucketed<T: BitwiseCopyable>(by codes: [Int32], groups: Int, _ value: (Int) -> T) -> (
    offsets: [Int], values: [T]
) {
    var offsets = [Int](repeating: 0, count: groups + 1)
    var cursor: [Int] = []
    let grouped = offsets.withUnsafeMutableBufferPointer { offsets in
        codes.withUnsafeBufferPointer { codes in
            for code in codes { offsets[Int(code) &+ 1] &+= 1 }
            for g in 0..<groups { offsets[g &+ 1] &+= offsets[g] }
            cursor = Array(offsets)
            return cursor.withUnsafeMutableBufferPointer { cursor in
                [T](unsafeUninitializedCapacity: codes.count) { out, written in
                    for row in 0..<codes.count {
                        let g = Int(codes[row])
                        out[cursor[g]] = value(row)
                        cursor[g] &+= 1
                    }
                    written = codes.count
                }
            }
        }
    }
    return (offsets, grouped)
}

/// Integer keys whose values lie close together (ids, days), so that an array indexed by
/// `value - low` costs less than hashing: a span under 4n + 1024 slots, and under 2^31 so a
/// slot fits an Int32 code. Shared by key coding, item coding and order counting.
public struct DenseRange: Sendable {
    public let low: Int
    /// Highest value - lowest + 1.
    public let slots: Int

    /// Nil when there are no values or they lie too far apart.
    @inlinable
    public init?<T: FixedWidthInteger & SignedInteger>(_ values: UnsafeBufferPointer<T>) {
        guard var lowest = values.first else { return nil }
        var highest = lowest
        for value in values {
            lowest = Swift.min(lowest, value)
            highest = Swift.max(highest, value)
        }
        let (span, overflow) = Int64(highest).subtractingReportingOverflow(Int64(lowest))
        guard !overflow, span < 4 * Int64(values.count) + 1024, span < Int64(Int32.max) else { return nil }
        low = Int(lowest)
        slots = Int(span) + 1
    }

    @inlinable
    public func slot<T: FixedWidthInteger & SignedInteger>(_ value: T) -> Int { Int(value) &- low }
}

/// numpy's pairwise summation (`pairwise_sum` in loops_utils.h): sequential under 8 values,
/// eight interleaved partial sums up to 128, halves (at a multiple of 8) beyond; so sums agree
/// with numpy's and pandas' to the last bit.
public func pairwiseSum(_ a: UnsafeBufferPointer<Double>) -> Double {
    let n = a.count
    if n < 8 {
        var result = 0.0
        for x in a { result += x }
        return result
    }
    if n <= 128 {
        var r = (0..<8).map { a[$0] }
        var i = 8
        while i < n - n % 8 {
            for j in 0..<8 { r[j] += a[i + j] }
            i += 8
        }
        var result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n {
            result += a[i]
            i += 1
        }
        return result
    }
    var half = n / 2
    half -= half % 8
    return pairwiseSum(UnsafeBufferPointer(rebasing: a[0..<half]))
        + pairwiseSum(UnsafeBufferPointer(rebasing: a[half...]))
}
