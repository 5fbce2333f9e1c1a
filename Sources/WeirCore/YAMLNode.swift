/// A YAML value that remembers where it stood in its file, so every diagnostic can point at
/// the exact key or value.
public struct YAMLNode: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A scalar's text; `quoted` when written in quotes (then never null, bool or number).
        case scalar(String, quoted: Bool)
        case null
        case mapping([YAMLPair])
        case sequence([YAMLNode])
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// What this node is, for messages: "a string", "a list", "a mapping", "null".
    public var kindName: String {
        switch kind {
        case .scalar(let text, let quoted):
            if quoted { return "a string" }
            if Int(text) != nil { return "a number" }
            if Double(text) != nil { return "a number" }
            if ["true", "false"].contains(text.lowercased()) { return "a boolean" }
            return "a string"
        case .null: return "null"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    public var scalar: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    public var pairs: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    public var items: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public subscript(key: String) -> YAMLNode? {
        pairs?.first { $0.key == key }?.value
    }

    /// How much YAML a pipeline file may hold. A pipeline of a thousand stages is about 100 KB
    /// and 20,000 values; these bounds are far above that and keep a hostile file (an alias
    /// bomb: 700 bytes of nested aliases naming billions of values) within bounded memory.
    public enum Limits {
        public static let bytes = 16 << 20
        public static let values = 250_000
        /// libyaml's own limit on nesting, which it reports in its words.
        public static let depth = 1_000
    }

    /// Parses `text`; syntax errors and duplicate keys become diagnostics at their position.
    /// (`<<` merge keys of YAML 1.1 take the pairs of the mapping or mappings they name, the
    /// mapping's own keys winning.)
    public static func parse(_ text: String, file: String) -> Result<YAMLNode?, DiagnosticError> {
        guard text.utf8.count <= Limits.bytes else {
            return .failure(
                DiagnosticError([
                    Diagnostic(
                        at: SourceLocation(file: file, line: 1, column: 1),
                        "the file holds \(text.utf8.count) bytes; a pipeline file may hold at most \(Limits.bytes >> 20) MiB"
                    )
                ]))
        }
        return Result { () throws(DiagnosticError) in try YAMLComposer.compose(text, file: file) }
    }
}

public struct YAMLPair: Sendable, Hashable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: YAMLNode
}
