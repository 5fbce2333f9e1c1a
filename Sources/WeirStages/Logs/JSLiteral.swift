import WeirTable

#if canImport(Glibc)
    import Glibc
#endif

/// A JavaScript object literal as Node's `console.log` prints it: unquoted keys, single-quoted
/// strings with escapes, numbers, `true`/`false`/`null`/`undefined`, nested objects and arrays,
/// trailing commas, and the bare words `util.inspect` writes for dates (`2024-02-13T21:01:05.050Z`)
/// and elided values (`[Object]`, `... 3 more items`).
///
/// Parsing records a flat list of nodes over the source bytes rather than a tree of values:
/// nothing is copied or decoded until a field is read, so a dump costs one pass and no
/// allocation beyond the reused node array.
struct JSLiteral {
    enum Kind: UInt8 {
        case object, array, string, number, bool, null, undefined, word

        var article: String {
            switch self {
            case .object: "an object"
            case .array: "an array"
            case .string: "a string"
            case .number: "a number"
            case .bool: "a boolean"
            case .null: "null"
            case .undefined: "undefined"
            case .word: "a bare word"
            }
        }
    }

    struct Node {
        /// Index of the enclosing object or array; -1 for the root.
        var parent: Int32
        var kind: Kind
        /// The key without its quotes; empty for the root and array elements.
        var key: Range<Int>
        /// The value's source: a string with its quotes (and any `+` continuations), an object
        /// from `{` to `}`.
        var value: Range<Int>
        /// A string with escapes or `+` continuations, or a quoted key with escapes: decode it.
        var needsDecoding: Bool
    }

    struct ParseError: Error, Equatable {
        /// Byte offset into the parsed text.
        var offset: Int
        var message: String
    }

    private(set) var bytes: UnsafeRawBufferPointer
    private(set) var nodes: [Node] = []

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Parses other text next, keeping the node array's storage.
    mutating func reset(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        nodes.removeAll(keepingCapacity: true)
    }

    /// Whether a string node can be read as its bytes, with no escapes to decode.
    func isPlain(_ index: Int) -> Bool { nodes[index].kind == .string && !nodes[index].needsDecoding }

    /// The bytes between a plain string's quotes.
    func plainBytes(_ index: Int) -> UnsafeRawBufferPointer {
        let value = nodes[index].value
        return UnsafeRawBufferPointer(rebasing: bytes[(value.lowerBound + 1)..<(value.upperBound - 1)])
    }

    // MARK: Reading

    /// The child of object node `parent` with this key; the last one when a key repeats, as in
    /// JavaScript.
    func child(_ parent: Int, _ key: String) -> Int? {
        var found: Int?
        var key = key
        key.withUTF8 { wanted in
            var i = parent + 1
            while i < nodes.count {
                let node = nodes[i]
                if Int(node.parent) == parent, node.key.count == wanted.count,
                    memcmp(bytes.baseAddress! + node.key.lowerBound, wanted.baseAddress!, wanted.count) == 0
                {
                    found = i
                }
                if Int(node.parent) < parent { break }
                i += 1
            }
        }
        return found
    }

    /// A string node's value, decoded; any other node's source text.
    func text(_ index: Int) -> String {
        let node = nodes[index]
        guard node.kind == .string else { return source(node.value) }
        guard node.needsDecoding else {
            return source((node.value.lowerBound + 1)..<(node.value.upperBound - 1))
        }
        return decodeString(node.value)
    }

    func source(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// A number node's value (also `NaN`, `Infinity`, and a string holding a number).
    func number(_ index: Int) -> Double? {
        let node = nodes[index]
        var range = node.value
        if node.kind == .string {
            if node.needsDecoding { return Double(decodeString(range)) }
            range = (range.lowerBound + 1)..<(range.upperBound - 1)
        } else if node.kind != .number {
            return nil
        }
        guard !range.isEmpty else { return nil }
        return ValueParsing.double(
            bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + range.lowerBound, range.count)
    }

    // MARK: Parsing

    /// Parses one value starting at `start` (after any whitespace) and returns the offset just
    /// past it. The root is node 0.
    mutating func parse(at start: Int) throws(ParseError) -> Int {
        nodes.removeAll(keepingCapacity: true)
        var i = start
        try value(&i, parent: -1, key: start..<start, depth: 0)
        return i
    }

    private static let maxDepth = 64

    private mutating func value(_ i: inout Int, parent: Int32, key: Range<Int>, depth: Int) throws(ParseError) {
        skipSpace(&i)
        guard i < bytes.count else { throw ParseError(offset: i, message: "the text ends where a value was expected") }
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < Self.maxDepth else {
                throw ParseError(offset: i, message: "objects nest deeper than \(Self.maxDepth) levels")
            }
            let isObject = bytes[i] == UInt8(ascii: "{")
            let index = nodes.count
            nodes.append(
                Node(parent: parent, kind: isObject ? .object : .array, key: key, value: i..<i, needsDecoding: false))
            i += 1
            if isObject {
                try members(&i, parent: Int32(index), depth: depth + 1)
            } else {
                try elements(&i, parent: Int32(index), depth: depth + 1)
            }
            nodes[index].value = start..<i
        case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`"):
            var needsDecoding = try string(&i)
            // `'abc' +\n 'def'`: older Node versions split long strings this way.
            var j = i
            skipSpace(&j)
            while j < bytes.count && bytes[j] == UInt8(ascii: "+") {
                j += 1
                skipSpace(&j)
                guard j < bytes.count,
                    bytes[j] == UInt8(ascii: "'") || bytes[j] == UInt8(ascii: "\"") || bytes[j] == UInt8(ascii: "`")
                else {
                    throw ParseError(offset: j, message: "expected a string after '+'")
                }
                _ = try string(&j)
                i = j
                needsDecoding = true
                skipSpace(&j)
            }
            nodes.append(Node(parent: parent, kind: .string, key: key, value: start..<i, needsDecoding: needsDecoding))
        default:
            try bare(&i, parent: parent, key: key, depth: depth)
        }
    }

    /// Numbers, `true`/`false`/`null`/`undefined`, and other bare words up to the next `,`, `}`,
    /// `]` or line end. A word directly before `{` or `[` is a class tag (`Foo { ... }`): the
    /// object after it is the value.
    private mutating func bare(_ i: inout Int, parent: Int32, key: Range<Int>, depth: Int) throws(ParseError) {
        let start = i
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == 0x0A || b == 0x0D
                || b == UInt8(ascii: "{")
            {
                break
            }
            i += 1
        }
        var end = i
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        guard end > start else {
            throw ParseError(offset: start, message: "expected a value, found \(Self.describe(bytes, at: start))")
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: "{") {
            try value(&i, parent: parent, key: key, depth: depth)
            return
        }
        let range = start..<end
        let kind: Kind
        if Self.isNumber(bytes, range) {
            kind = .number
        } else {
            func word(_ literal: StaticString) -> Bool {
                range.count == literal.utf8CodeUnitCount && LambdaLine.has(bytes, start, end, literal)
            }
            if word("true") || word("false") {
                kind = .bool
            } else if word("null") {
                kind = .null
            } else if word("undefined") {
                kind = .undefined
            } else if word("NaN") || word("Infinity") || word("-Infinity") {
                kind = .number
            } else {
                kind = .word
            }
        }
        nodes.append(Node(parent: parent, kind: kind, key: key, value: range, needsDecoding: false))
    }

    private static func isNumber(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var sawDigit = false
        for i in range {
            let b = bytes[i]
            if ValueParsing.isDigit(b) {
                sawDigit = true
                continue
            }
            if b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".") || b == UInt8(ascii: "e")
                || b == UInt8(ascii: "E")
            {
                continue
            }
            return false
        }
        return sawDigit
    }

    private mutating func members(_ i: inout Int, parent: Int32, depth: Int) throws(ParseError) {
        while true {
            skipSpace(&i)
            guard i < bytes.count else {
                throw ParseError(offset: i, message: "the object is not closed: the text ends before its '}'")
            }
            if bytes[i] == UInt8(ascii: "}") {
                i += 1
                return
            }
            let key = try self.key(&i)
            skipSpace(&i)
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                throw ParseError(
                    offset: i, message: "expected ':' after key '\(source(key))', found \(Self.describe(bytes, at: i))")
            }
            i += 1
            try value(&i, parent: parent, key: key, depth: depth)
            skipSpace(&i)
            guard i < bytes.count else {
                throw ParseError(offset: i, message: "the object is not closed: the text ends before its '}'")
            }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            if bytes[i] == UInt8(ascii: "}") {
                i += 1
                return
            }
            throw ParseError(
                offset: i,
                message: "expected ',' or '}' after the value of '\(source(key))', found \(Self.describe(bytes, at: i))"
            )
        }
    }

    private mutating func elements(_ i: inout Int, parent: Int32, depth: Int) throws(ParseError) {
        while true {
            skipSpace(&i)
            guard i < bytes.count else {
                throw ParseError(offset: i, message: "the array is not closed: the text ends before its ']'")
            }
            if bytes[i] == UInt8(ascii: "]") {
                i += 1
                return
            }
            try value(&i, parent: parent, key: i..<i, depth: depth)
            skipSpace(&i)
            guard i < bytes.count else {
                throw ParseError(offset: i, message: "the array is not closed: the text ends before its ']'")
            }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            if bytes[i] == UInt8(ascii: "]") {
                i += 1
                return
            }
            throw ParseError(
                offset: i, message: "expected ',' or ']' in an array, found \(Self.describe(bytes, at: i))")
        }
    }

    /// An identifier, a number or a quoted string; returns the key's range without quotes.
    private func key(_ i: inout Int) throws(ParseError) -> Range<Int> {
        let b = bytes[i]
        if b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") {
            let start = i
            _ = try string(&i)
            return (start + 1)..<(i - 1)
        }
        let start = i
        while i < bytes.count, Self.isIdentifierByte(bytes[i]) { i += 1 }
        guard i > start else {
            throw ParseError(offset: i, message: "expected a key, found \(Self.describe(bytes, at: i))")
        }
        return start..<i
    }

    private static func isIdentifierByte(_ b: UInt8) -> Bool {
        (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") || ValueParsing.isDigit(b)
            || b == UInt8(ascii: "_") || b == UInt8(ascii: "$") || b >= 0x80
    }

    /// Skips a quoted string starting at `i`; returns whether it holds escapes.
    private func string(_ i: inout Int) throws(ParseError) -> Bool {
        let quote = bytes[i]
        let start = i
        i += 1
        var escaped = false
        while i < bytes.count {
            let b = bytes[i]
            if b == quote {
                i += 1
                return escaped
            }
            if b == UInt8(ascii: "\\") {
                escaped = true
                i += 2
                continue
            }
            if (b == 0x0A || b == 0x0D) && quote != UInt8(ascii: "`") { break }
            i += 1
        }
        throw ParseError(
            offset: start,
            message:
                "unterminated string: no closing \(quote == UInt8(ascii: "'") ? "'" : quote == UInt8(ascii: "`") ? "`" : "\"") on its line"
        )
    }

    private func skipSpace(_ i: inout Int) {
        while i < bytes.count {
            let b = bytes[i]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            i += 1
        }
    }

    static func describe(_ bytes: UnsafeRawBufferPointer, at i: Int) -> String {
        guard i < bytes.count else { return "the end of the text" }
        var end = i
        while end < bytes.count && end < i + 20 && bytes[end] != 0x0A { end += 1 }
        let snippet = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[i..<max(end, i + 1)]), as: UTF8.self)
        return "'\(snippet)'"
    }

    /// Decodes a quoted string (and any `+` continuations) in `range`.
    private func decodeString(_ range: Range<Int>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var i = range.lowerBound
        var quote: UInt8?
        while i < range.upperBound {
            let b = bytes[i]
            guard let q = quote else {
                if b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "`") { quote = b }
                i += 1
                continue
            }
            if b == q {
                quote = nil
                i += 1
                continue
            }
            guard b == UInt8(ascii: "\\"), i + 1 < range.upperBound else {
                out.append(b)
                i += 1
                continue
            }
            i += 2
            decodeEscape(bytes[i - 1], at: &i, end: range.upperBound, into: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The escape `\e`, whose digits (if any) start at `i`; `i` moves past them.
    private func decodeEscape(_ e: UInt8, at i: inout Int, end: Int, into out: inout [UInt8]) {
        /// A code point as UTF-8; one that is not a scalar (a lone surrogate) as U+FFFD.
        func append(_ value: UInt32) {
            UTF8.encode(Unicode.Scalar(value) ?? "\u{FFFD}") { out.append($0) }
        }
        switch e {
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "v"): out.append(0x0B)
        case UInt8(ascii: "0"): out.append(0x00)
        case UInt8(ascii: "x"):
            if let value = hex(i, 2, end: end) {
                append(value)
                i += 2
            } else {
                out.append(e)
            }
        case UInt8(ascii: "u"):
            if let value = unicodeEscape(at: &i, end: end) { append(value) } else { out.append(e) }
        case 0x0A: break  // a line continuation
        default: out.append(e)
        }
    }

    /// The code point of `\u{X…}`, `\uXXXX` or a surrogate pair `\uXXXX\uXXXX` whose digits
    /// start at `i`; `i` moves past it. Nil (and `i` unmoved) when it is malformed.
    private func unicodeEscape(at i: inout Int, end: Int) -> UInt32? {
        if i < end, bytes[i] == UInt8(ascii: "{"),
            let close = (i..<end).first(where: { bytes[$0] == UInt8(ascii: "}") }),
            let value = hex(i + 1, close - i - 1, end: end)
        {
            i = close + 1
            return value
        }
        guard var value = hex(i, 4, end: end) else { return nil }
        i += 4
        // A surrogate pair written as two escapes.
        if value >= 0xD800 && value < 0xDC00, i + 6 <= end, bytes[i] == UInt8(ascii: "\\"),
            bytes[i + 1] == UInt8(ascii: "u"), let low = hex(i + 2, 4, end: end), low >= 0xDC00 && low < 0xE000
        {
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            i += 6
        }
        return value
    }

    /// `count` hex digits at `at`, before `end` (at most 6, so `\u{...}` cannot overflow).
    private func hex(_ at: Int, _ count: Int, end: Int) -> UInt32? {
        guard count >= 1, count <= 6, at + count <= end else { return nil }
        var value: UInt32 = 0
        for k in 0..<count {
            let b = bytes[at + k] | 0x20
            let digit: UInt8
            if ValueParsing.isDigit(b) {
                digit = b - 0x30
            } else if b >= 0x61 && b <= 0x66 {
                digit = b - 0x61 + 10
            } else {
                return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
