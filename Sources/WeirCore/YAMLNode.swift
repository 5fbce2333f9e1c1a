import Yams

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

    /// Parses `text`; syntax errors and duplicate keys become diagnostics at their position.
    public static func parse(_ text: String, file: String) -> Result<YAMLNode?, DiagnosticError> {
        do {
            // The basic resolver: Weir types values itself, and the default one runs regular
            // expressions on every scalar (a third of `weir plan` on a 1,000-stage pipeline).
            guard let root = try Yams.compose(yaml: text, .basic) else { return .success(nil) }
            return .success(YAMLNode(root, file: file))
        } catch let error as YamlError {
            return .failure(DiagnosticError([diagnostic(error, file: file, text: text)]))
        } catch {
            return .failure(DiagnosticError([Diagnostic(at: SourceLocation(file: file, line: 1, column: 1), "\(error)")]))
        }
    }

    private static func diagnostic(_ error: YamlError, file: String, text: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let where_ = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return Diagnostic(at: at(mark), "YAML syntax: \(problem)\(where_)",
                              hint: "check indentation and that every `key: value` has a space after the colon")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let location = duplicateLocation(duplicates.first, in: text, file: file, after: context.mark.line) ?? at(context.mark)
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return Diagnostic(at: location, "duplicate key \(names) in a mapping",
                              hint: "stage ids and keys must be unique; rename or remove one")
        default:
            return Diagnostic(at: SourceLocation(file: file, line: 1, column: 1), "YAML: \(error)")
        }
    }

    /// Yams reports a duplicate at its mapping; find the second occurrence's line for a precise location.
    private static func duplicateLocation(_ key: String?, in text: String, file: String, after line: Int) -> SourceLocation? {
        guard let key else { return nil }
        var seen = 0
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where n + 1 >= line {
            let trimmed = raw.drop { $0 == " " }
            for candidate in [key + ":", "\"\(key)\":", "'\(key)':"] where trimmed.hasPrefix(candidate) {
                seen += 1
                if seen == 2 { return SourceLocation(file: file, line: n + 1, column: raw.count - trimmed.count + 1) }
            }
        }
        return nil
    }

    init(_ node: Node, file: String) {
        let location = node.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
            ?? SourceLocation(file: file, line: 1, column: 1)
        switch node {
        case .scalar(let scalar):
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
                || scalar.style == .literal || scalar.style == .folded
            if !quoted && node.null != nil {
                self.init(.null, at: location)
            } else {
                self.init(.scalar(scalar.string, quoted: quoted), at: location)
            }
        case .mapping(let mapping):
            let pairs = mapping.map { key, value in
                YAMLPair(key: key.string ?? "\(key)",
                         keyLocation: key.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) } ?? location,
                         value: YAMLNode(value, file: file))
            }
            self.init(.mapping(pairs), at: location)
        case .sequence(let sequence):
            self.init(.sequence(sequence.map { YAMLNode($0, file: file) }), at: location)
        case .alias:
            self.init(.null, at: location)
        }
    }
}

public struct YAMLPair: Sendable, Hashable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: YAMLNode
}
