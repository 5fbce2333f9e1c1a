extension Value {
    /// The order of two values of one column: numbers and times numerically (NaN after every
    /// number), false before true, strings by UTF-8 bytes (code points, as Weir sorts keys).
    public static func precedes(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int64(let x), .int64(let y)), (.timestamp(let x), .timestamp(let y)): x < y
        case (.float64(let x), .float64(let y)): x < y || (!x.isNaN && y.isNaN)
        case (.date(let x), .date(let y)): x < y
        case (.bool(let x), .bool(let y)): !x && y
        case (.string(let x), .string(let y)): x.utf8.lexicographicallyPrecedes(y.utf8)
        default: a.description.utf8.lexicographicallyPrecedes(b.description.utf8)
        }
    }
}
