import Foundation

/// A parsed XML document as a small tree: enough for S3's ListBucketResult and Error replies.
/// Parsed here rather than by libxml2 so weir does not load libxml2 and ICU at every start.
/// Attributes, comments and processing instructions are skipped; a DOCTYPE (and with it any
/// entity definition) is refused.
public final class XMLTree: Sendable {
    public let name: String
    public let text: String
    public let children: [XMLTree]

    init(name: String, text: String, children: [XMLTree]) {
        self.name = name
        self.text = text
        self.children = children
    }

    public func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }
    public func all(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }
    public subscript(_ name: String) -> String? { child(name)?.text }

    /// The root element, or nil when `data` is not well-formed XML (or nests deeper than 256).
    public static func parse(_ data: Data) -> XMLTree? {
        var reader = XMLReader(bytes: [UInt8](data))
        return reader.document()
    }
}

/// The scanner behind `XMLTree.parse`: one pass over the bytes with an explicit stack.
private struct XMLReader {
    let bytes: [UInt8]
    var at = 0
    var stack: [(name: String, text: [UInt8], children: [XMLTree])] = []
    var root: XMLTree?

    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { at = 3 }
    }

    mutating func document() -> XMLTree? {
        while at < bytes.count {
            if bytes[at] == UInt8(ascii: "<") {
                guard markup() else { return nil }
            } else {
                let end = bytes[at...].firstIndex(of: UInt8(ascii: "<")) ?? bytes.count
                guard let text = Self.decode(bytes[at..<end]) else { return nil }
                if stack.isEmpty {
                    guard text.allSatisfy(Self.isSpace) else { return nil }
                } else {
                    stack[stack.count - 1].text += text
                }
                at = end
            }
        }
        return stack.isEmpty ? root : nil
    }

    /// One construct starting at `<`; false when it is malformed or out of place.
    mutating func markup() -> Bool {
        if starts("<?") { return skip(past: "?>") }
        if starts("<!--") { return skip(past: "-->") }
        if starts("<![CDATA[") {
            guard !stack.isEmpty, let end = find("]]>", from: at + 9) else { return false }
            stack[stack.count - 1].text += bytes[(at + 9)..<end]
            at = end + 3
            return true
        }
        if starts("<!") { return false }
        guard let close = bytes[at...].firstIndex(of: UInt8(ascii: ">")) else { return false }
        let tag = bytes[(at + 1)..<close]
        at = close + 1
        if tag.first == UInt8(ascii: "/") { return end(Self.name(tag.dropFirst())) }
        let empty = tag.last == UInt8(ascii: "/")
        let name = Self.name(empty ? tag.dropLast() : tag)
        guard !name.isEmpty, root == nil, stack.count < 256 else { return false }
        stack.append((name, [], []))
        return empty ? end(name) : true
    }

    mutating func end(_ name: String) -> Bool {
        guard let top = stack.popLast(), top.name == name else { return false }
        let node = XMLTree(name: top.name, text: String(decoding: top.text, as: UTF8.self), children: top.children)
        if stack.isEmpty { root = node } else { stack[stack.count - 1].children.append(node) }
        return true
    }

    func starts(_ prefix: String) -> Bool { bytes[at...].starts(with: prefix.utf8) }

    func find(_ marker: String, from start: Int) -> Int? {
        let pattern = Array(marker.utf8)
        var i = start
        while i + pattern.count <= bytes.count {
            if bytes[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
            i += 1
        }
        return nil
    }

    mutating func skip(past marker: String) -> Bool {
        guard let end = find(marker, from: at + 2) else { return false }
        at = end + marker.utf8.count
        return true
    }

    /// The element name: the tag up to its first space (attributes follow it).
    static func name(_ tag: ArraySlice<UInt8>) -> String {
        String(decoding: tag.prefix { !isSpace($0) }, as: UTF8.self)
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// Text with its character and entity references replaced; nil for an unknown or broken one.
    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.contains(UInt8(ascii: "&")) else { return Array(text) }
        var out: [UInt8] = []
        var i = text.startIndex
        while i < text.endIndex {
            guard text[i] == UInt8(ascii: "&") else {
                out.append(text[i])
                i += 1
                continue
            }
            guard let semicolon = text[i...].prefix(12).firstIndex(of: UInt8(ascii: ";")),
                let scalar = reference(String(decoding: text[(i + 1)..<semicolon], as: UTF8.self))
            else { return nil }
            out += Array(String(Character(scalar)).utf8)
            i = semicolon + 1
        }
        return out
    }

    static func reference(_ name: String) -> Unicode.Scalar? {
        switch name {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "quot": return "\""
        case "apos": return "'"
        default:
            guard name.hasPrefix("#") else { return nil }
            let digits = name.dropFirst()
            let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            return value.flatMap(Unicode.Scalar.init)
        }
    }
}
