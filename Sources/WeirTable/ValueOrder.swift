extension Value {
    /// The order of two values of one column: numbers and times numerically (NaN after every
    /// number), false before true, strings by UTF-8 bytes (code points, as Weir sorts keys).
    public static func precedes(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case let (.int64(x), .int64(y)), let (.timestamp(x), .timestamp(y)): x < y
        case let (.float64(x), .float64(y)): x < y || (!x.isNaN && y.isNaN)
        case let (.date(x), .date(y)): x < y
        case let (.bool(x), .bool(y)): !x && y
        case let (.string(x), .string(y)): x.utf8.lexicographicallyPrecedes(y.utf8)
        default: a.description.utf8.lexicographicallyPrecedes(b.description.utf8)
        }
    }
}
