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
    public static func parse(_ text: String, file: String) -> Result<YAMLNode?, DiagnosticError> {
        guard text.utf8.count <= Limits.bytes else {
            return .failure(DiagnosticError([Diagnostic(at: SourceLocation(file: file, line: 1, column: 1),
                "the file holds \(text.utf8.count) bytes; a pipeline file may hold at most \(Limits.bytes >> 20) MiB")]))
        }
        do {
            // The basic resolver: Weir types values itself, and the default one runs regular
            // expressions on every scalar (a third of `weir plan` on a 1,000-stage pipeline).
            guard let root = try Yams.compose(yaml: text, .basic) else { return .success(nil) }
            var budget = Limits.values
            return .success(try YAMLNode(root, file: file, budget: &budget))
        } catch let error as YamlError {
            return .failure(DiagnosticError([diagnostic(error, file: file, text: text)]))
        } catch let error as DiagnosticError {
            return .failure(error)
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
            if problem.contains("nesting level") {
                return Diagnostic(at: at(mark), "YAML nests deeper than \(Limits.depth) levels, the most Weir's YAML parser (libyaml) reads",
                                  hint: "a pipeline file needs a few levels; this one is likely generated or hostile")
            }
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

    /// Converts Yams' tree, whose aliases share the node they name: each use is expanded here,
    /// so `budget` counts values as they are made and a bomb stops at the bound. `<<` merge
    /// keys (YAML 1.1) take the pairs of the mapping or mappings they name, the mapping's own
    /// keys winning.
    init(_ node: Node, file: String, budget: inout Int) throws {
        let location = node.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
            ?? SourceLocation(file: file, line: 1, column: 1)
        budget -= 1
        guard budget >= 0 else {
            throw DiagnosticError([Diagnostic(at: location, "the file expands to more than \(Limits.values) values "
                + "(each use of a YAML alias repeats what its anchor names); Weir refuses it",
                hint: "nested aliases multiply: an anchor used 9 times at 9 levels names 387 million values")])
        }
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
            var pairs: [YAMLPair] = []
            var merged: [YAMLPair] = []
            for (key, value) in mapping {
                let keyLocation = key.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) } ?? location
                let converted = try YAMLNode(value, file: file, budget: &budget)
                if case .scalar(let text) = key, text.string == "<<", text.style == .plain {
                    let sources = converted.items ?? [converted]
                    for source in sources {
                        guard let more = source.pairs else {
                            throw DiagnosticError([Diagnostic(at: source.location, "`<<` merges a mapping (or a list of mappings) into this one, "
                                + "but here it names \(source.kindName)")])
                        }
                        merged += more.filter { pair in !merged.contains { $0.key == pair.key } }
                    }
                    continue
                }
                pairs.append(YAMLPair(key: key.string ?? "\(key)", keyLocation: keyLocation, value: converted))
            }
            pairs += merged.filter { pair in !pairs.contains { $0.key == pair.key } }
            self.init(.mapping(pairs), at: location)
        case .sequence(let sequence):
            self.init(.sequence(try sequence.map { try YAMLNode($0, file: file, budget: &budget) }), at: location)
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
