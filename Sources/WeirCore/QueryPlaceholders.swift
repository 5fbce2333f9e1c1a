/// The `$name` placeholders of a SQL query, as SQLite reads them: outside string literals,
/// quoted identifiers and comments, `$` followed by a letter or `_` and then letters, digits
/// and `_`. (`${params.x}` has been substituted before this runs.)
public enum QueryPlaceholders {
    public static func names(in query: String) -> [String] {
        let bytes = Array(query.utf8)
        var names: [String] = []
        var i = 0
        func isStart(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F }
        func isPart(_ b: UInt8) -> Bool { isStart(b) || (b >= 0x30 && b <= 0x39) }
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 0x27, 0x22, 0x60:  // 'text', "identifier", `identifier`: skip to the closing quote ('' escapes one)
                i += 1
                while i < bytes.count && bytes[i] != b { i += 1 }
                i += 1
            case 0x2D where i + 1 < bytes.count && bytes[i + 1] == 0x2D:  // -- comment
                while i < bytes.count && bytes[i] != 0x0A { i += 1 }
            case 0x2F where i + 1 < bytes.count && bytes[i + 1] == 0x2A:  // /* comment */
                i += 2
                while i + 1 < bytes.count && !(bytes[i] == 0x2A && bytes[i + 1] == 0x2F) { i += 1 }
                i += 2
            case 0x24 where i + 1 < bytes.count && isStart(bytes[i + 1]):
                var end = i + 1
                while end < bytes.count && isPart(bytes[end]) { end += 1 }
                let name = String(decoding: bytes[(i + 1)..<end], as: UTF8.self)
                if !names.contains(name) { names.append(name) }
                i = end
            default:
                i += 1
            }
        }
        return names
    }
}
