import Foundation
import WeirCore
import WeirTable

/// Dense codes 0..<count for the distinct values of a key column (int64, timestamp, date or
/// string), so that grouping kernels index arrays instead of hashing per row. Codes are
/// numbered in value order (integers numerically, strings by UTF-8 bytes, i.e. code points),
/// which is also the order pandas sorts group keys in.
struct KeyCodes: Sendable {
    /// The code of each row.
    var codes: [Int32]
    /// For each code, the first row holding its value.
    var firstRow: [Int]

    var count: Int { firstRow.count }

    static let keyTypes: Set<DataType> = [.int64, .string, .timestamp, .date]

    /// Encodes `column`; `name` and `param` are for the error a null key gives.
    init(_ column: Column, name: String, param: String) throws {
        try column.requireValues(name: name, param: param, why: "a key cannot be null")
        switch column.type {
        case .int64, .timestamp:
            self = column.int64s.withUnsafeBufferPointer { KeyCodes.integers($0) }
        case .date:
            self = column.dates.withUnsafeBufferPointer { KeyCodes.integers($0) }
        case .string:
            self = KeyCodes.strings(column.strings)
        default:
            throw StageError("column '\(name)' is \(column.type); a key must be int64, string, date or timestamp", param: param)
        }
    }

    private init(codes: [Int32], firstRow: [Int]) {
        self.codes = codes
        self.firstRow = firstRow
    }

    private static func integers<T: FixedWidthInteger>(_ values: UnsafeBufferPointer<T>) -> KeyCodes {
        guard let low = values.min(), let high = values.max() else { return KeyCodes(codes: [], firstRow: []) }
        let span = Int(high) - Int(low)
        if span < 4 * values.count + 1024 {
            // Dense range (ids, days): lookup tables indexed by value, already in value order.
            // First rows are found per range of rows in parallel, then the earliest wins.
            let chunks = Swift.max(1, Swift.min(Parallel.coreCount, values.count / 100_000))
            let firsts = Parallel.map(chunks) { c -> [Int32] in
                var first = [Int32](repeating: -1, count: span + 1)
                for row in (values.count * c / chunks)..<(values.count * (c + 1) / chunks) {
                    let slot = Int(values[row]) &- Int(low)
                    if first[slot] < 0 { first[slot] = Int32(truncatingIfNeeded: row) }
                }
                return first
            }
            var codeOf = [Int32](repeating: -1, count: span + 1)
            var firstRow: [Int] = []
            for slot in 0...span {
                guard let row = firsts.lazy.map({ Int($0[slot]) }).first(where: { $0 >= 0 }) else { continue }
                codeOf[slot] = Int32(firstRow.count)
                firstRow.append(row)
            }
            var codes = [Int32](repeating: 0, count: values.count)
            codes.withUnsafeMutableBufferPointer { codes in
                let out = SendablePointer(codes.baseAddress)
                Parallel.forEach(chunks) { c in
                    for row in (values.count * c / chunks)..<(values.count * (c + 1) / chunks) {
                        out.pointer![row] = codeOf[Int(values[row]) &- Int(low)]
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

    /// Strings are hashed and compared as raw UTF-8 bytes in an open-addressing table, so no
    /// `String` is made per row; distinct values are then ordered by bytes (code points).
    private static func strings(_ view: StringView) -> KeyCodes {
        var firstRow: [Int] = []
        var codes = [Int32](repeating: 0, count: view.count)
        var capacity = 1024
        var slots = [Int32](repeating: -1, count: capacity)   // slot -> provisional code
        var hashes: [UInt64] = []                              // provisional code -> hash
        func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
            return h ^ (h >> 29)
        }
        func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
            a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
        }
        for row in 0..<view.count {
            let bytes = view.utf8(row)
            let h = hash(bytes)
            var slot = Int(truncatingIfNeeded: h) & (capacity - 1)
            while true {
                let code = slots[slot]
                if code < 0 {
                    let new = Int32(firstRow.count)
                    slots[slot] = new
                    firstRow.append(row)
                    hashes.append(h)
                    codes[row] = new
                    if firstRow.count * 2 > capacity {
                        capacity *= 2
                        slots = [Int32](repeating: -1, count: capacity)
                        for (c, hc) in hashes.enumerated() {
                            var s = Int(truncatingIfNeeded: hc) & (capacity - 1)
                            while slots[s] >= 0 { s = (s + 1) & (capacity - 1) }
                            slots[s] = Int32(c)
                        }
                    }
                    break
                }
                if hashes[Int(code)] == h && equal(view.utf8(firstRow[Int(code)]), bytes) {
                    codes[row] = code
                    break
                }
                slot = (slot + 1) & (capacity - 1)
            }
        }
        // Renumber in code-point (byte) order.
        // The first eight bytes, big-endian, decide most comparisons without a memcmp call.
        let prefixes = firstRow.map { row -> UInt64 in
            var key: UInt64 = 0
            for (i, byte) in view.utf8(row).prefix(8).enumerated() { key |= UInt64(byte) << (56 - 8 * i) }
            return key
        }
        let order = firstRow.indices.sorted { a, b in
            if prefixes[a] != prefixes[b] { return prefixes[a] < prefixes[b] }
            let x = view.utf8(firstRow[a]), y = view.utf8(firstRow[b])
            let common = Swift.min(x.count, y.count)
            let c = common <= 8 ? 0 : memcmp(x.baseAddress! + 8, y.baseAddress! + 8, common - 8)
            return c != 0 ? c < 0 : x.count < y.count
        }
        var renumber = [Int32](repeating: 0, count: order.count)
        for (new, old) in order.enumerated() { renumber[old] = Int32(new) }
        return KeyCodes(codes: codes.map { renumber[Int($0)] }, firstRow: order.map { firstRow[$0] })
    }
}

/// `values` grouped by their row's code with a counting sort: group g's values, in row order,
/// are `values[offsets[g]..<offsets[g + 1]]`.
func bucketed<T: BitwiseCopyable>(_ values: [T], by codes: [Int32], groups: Int) -> (offsets: [Int], values: [T]) {
    var offsets = [Int](repeating: 0, count: groups + 1)
    for code in codes { offsets[Int(code) + 1] += 1 }
    for g in 0..<groups { offsets[g + 1] += offsets[g] }
    var cursor = offsets
    let grouped = [T](unsafeUninitializedCapacity: codes.count) { out, written in
        for (row, code) in codes.enumerated() {
            out[cursor[Int(code)]] = values[row]
            cursor[Int(code)] += 1
        }
        written = codes.count
    }
    return (offsets, grouped)
}
