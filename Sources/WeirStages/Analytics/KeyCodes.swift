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
        if column.hasNulls {
            let row = (0..<column.count).first(where: column.isNull) ?? 0
            throw StageError("column '\(name)' has \(column.nullCount) null value(s), the first at row \(row + 1); "
                             + "a key cannot be null", param: param,
                             hint: "drop or fill them first, e.g. a sql stage with WHERE \(name) IS NOT NULL")
        }
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

    private static func strings(_ view: StringView) -> KeyCodes {
        var provisional: [String: Int32] = [:]
        var firstRow: [Int] = []
        var codes = [Int32](repeating: 0, count: view.count)
        for row in 0..<view.count {
            let value = view[row]
            if let code = provisional[value] {
                codes[row] = code
            } else {
                let code = Int32(firstRow.count)
                provisional[value] = code
                firstRow.append(row)
                codes[row] = code
            }
        }
        // Renumber in code-point order.
        let order = firstRow.indices.sorted { view[firstRow[$0]].utf8.lexicographicallyPrecedes(view[firstRow[$1]].utf8) }
        var renumber = [Int32](repeating: 0, count: order.count)
        for (new, old) in order.enumerated() { renumber[old] = Int32(new) }
        return KeyCodes(codes: codes.map { renumber[Int($0)] }, firstRow: order.map { firstRow[$0] })
    }
}
