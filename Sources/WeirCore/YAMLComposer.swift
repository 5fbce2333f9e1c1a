import CYaml

/// Builds `YAMLNode`s straight from libyaml's events. Yams' composer allocates an event object,
/// a tag object and a Foundation string per value and groups every mapping's keys in a
/// dictionary to find duplicates; on a 1,000-stage pipeline that was a fifth of a fully cached
/// `weir run`. Here each value is made once, duplicates are found as keys arrive (so the
/// message points at the second key), and an alias charges the budget with the number of
/// values it names, so an alias bomb stops at its first use past the bound.
struct YAMLComposer {
    private let file: String
    private var budget = YAMLNode.Limits.values
    private var anchors: [String: (node: YAMLNode, values: Int)] = [:]
    private var open: [Collection] = []
    private var root: YAMLNode?

    /// A mapping or list being read, with what it has collected so far.
    private struct Collection {
        var location: SourceLocation
        var anchor: String?
        var values = 1
        var isMapping: Bool
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        /// The keys, once the mapping has 16 (`isNew`).
        var keys: Set<String> = []
        /// The key read, waiting for its value; `merge` for YAML 1.1's `<<`.
        var key: (text: String, location: SourceLocation, merge: Bool)?
        var merged: [YAMLPair] = []
    }

    init(file: String) {
        self.file = file
    }

    /// Composes the single document of `text` (nil when it holds none).
    static func compose(_ text: String, file: String) throws(DiagnosticError) -> YAMLNode? {
        var composer = YAMLComposer(file: file)
        var bytes = text
        // `withUTF8` rethrows untyped: carry the result out instead.
        let result = bytes.withUTF8 { buffer in
            Result { () throws(DiagnosticError) in try composer.run(buffer) }
        }
        return try result.get()
    }

    private mutating func run(_ buffer: UnsafeBufferPointer<UInt8>) throws(DiagnosticError) -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw failure(at: 1, 1, "YAML: libyaml could not start (out of memory)")
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
        var documents = 0
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw parserError(parser, buffer) }
            defer { yaml_event_delete(&event) }
            let location = SourceLocation(
                file: file, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    throw failure(
                        location, "YAML syntax: the file holds a second document (`---`); a pipeline file holds one")
                }
            case YAML_SCALAR_EVENT:
                try scalar(event, at: location)
            case YAML_ALIAS_EVENT:
                try alias(string(event.data.alias.anchor) ?? "", at: location)
            case YAML_SEQUENCE_START_EVENT:
                try charge(1, at: location)
                open.append(
                    Collection(location: location, anchor: string(event.data.sequence_start.anchor), isMapping: false))
            case YAML_MAPPING_START_EVENT:
                try charge(1, at: location)
                open.append(
                    Collection(location: location, anchor: string(event.data.mapping_start.anchor), isMapping: true))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                try close()
            default:
                break
            }
        }
    }

    private mutating func scalar(_ event: yaml_event_t, at location: SourceLocation) throws(DiagnosticError) {
        let data = event.data.scalar
        let text = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
        let plain = data.style == YAML_PLAIN_SCALAR_STYLE || data.style == YAML_ANY_SCALAR_STYLE
        let isNull = plain && (text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL")
        let node = YAMLNode(isNull ? .null : .scalar(text, quoted: !plain), at: location)
        if let anchor = string(data.anchor) { anchors[anchor] = (node, 1) }
        try add(node, values: 1, plain: plain)
    }

    private mutating func alias(_ name: String, at location: SourceLocation) throws(DiagnosticError) {
        guard let named = anchors[name] else {
            throw failure(
                location, "YAML: the alias *\(name) names no anchor defined before it",
                hint: "define `&\(name)` on a value above its first use")
        }
        // The copy moves the node as it is: its locations stay where the anchor was written.
        try add(named.node, values: named.values, plain: false, at: location)
    }

    private mutating func close() throws(DiagnosticError) {
        guard let done = open.popLast() else { return }
        let node: YAMLNode
        if done.isMapping {
            let own = done.pairs
            let inherited = done.merged.filter { pair in !own.contains { $0.key == pair.key } }
            node = YAMLNode(.mapping(own + inherited), at: done.location)
        } else {
            node = YAMLNode(.sequence(done.items), at: done.location)
        }
        if let anchor = done.anchor { anchors[anchor] = (node, done.values) }
        try add(node, values: done.values, plain: false, counted: true)
    }

    /// Hands a finished value to the collection that holds it (or makes it the document).
    private mutating func add(
        _ node: YAMLNode, values: Int, plain: Bool, at use: SourceLocation? = nil,
        counted: Bool = false
    ) throws(DiagnosticError) {
        if !counted { try charge(values, at: use ?? node.location) }
        // The parent is changed where it lies: popping and pushing it back copied it per value.
        let top = open.count - 1
        guard top >= 0 else {
            root = node
            return
        }
        open[top].values += values
        guard open[top].isMapping else {
            open[top].items.append(node)
            return
        }
        guard let key = open[top].key else {
            open[top].key = try mappingKey(node, plain: plain, in: &open[top])
            return
        }
        open[top].key = nil
        guard key.merge else {
            open[top].pairs.append(YAMLPair(key: key.text, keyLocation: key.location, value: node))
            return
        }
        for source in node.items ?? [node] {
            guard let more = source.pairs else {
                throw failure(
                    source.location,
                    "`<<` merges a mapping (or a list of mappings) into this one, "
                        + "but here it names \(source.kindName)")
            }
            let merged = open[top].merged
            open[top].merged += more.filter { pair in !merged.contains { $0.key == pair.key } }
        }
    }

    /// Counts `values` more values made (or repeated by an alias) against the file's bound.
    private mutating func charge(_ values: Int, at location: SourceLocation) throws(DiagnosticError) {
        budget -= values
        if budget < 0 {
            throw failure(
                location,
                "the file expands to more than \(YAMLNode.Limits.values) values "
                    + "(each use of a YAML alias repeats what its anchor names); Weir refuses it",
                hint: "nested aliases multiply: an anchor used 9 times at 9 levels names 387 million values")
        }
    }

    private func mappingKey(
        _ node: YAMLNode, plain: Bool,
        in parent: inout Collection
    ) throws(DiagnosticError) -> (text: String, location: SourceLocation, merge: Bool) {
        let text: String
        switch node.kind {
        case .scalar(let value, _): text = value
        case .null: text = ""
        case .mapping, .sequence:
            throw failure(node.location, "YAML: a key here is \(node.kindName); keys must be text")
        }
        if plain && text == "<<" { return (text, node.location, true) }
        guard Self.isNew(text, in: &parent) else {
            throw failure(
                node.location, "duplicate key '\(text)' in a mapping",
                hint: "stage ids and keys must be unique; rename or remove one")
        }
        return (text, node.location, false)
    }

    /// Whether `key` is not among the mapping's keys so far: a scan while the mapping is small
    /// (a stage's handful of keys), a set once it is large (the thousand stage ids).
    private static func isNew(_ key: String, in mapping: inout Collection) -> Bool {
        if mapping.pairs.count < 16 { return !mapping.pairs.contains { $0.key == key } }
        if mapping.keys.isEmpty { mapping.keys = Set(mapping.pairs.map(\.key)) }
        return mapping.keys.insert(key).inserted
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private func failure(_ location: SourceLocation, _ message: String, hint: String? = nil) -> DiagnosticError {
        DiagnosticError([Diagnostic(at: location, message, hint: hint)])
    }

    private func failure(at line: Int, _ column: Int, _ message: String) -> DiagnosticError {
        failure(SourceLocation(file: file, line: line, column: column), message)
    }

    /// libyaml's own words, at its position: what it expected, and where the construct began.
    private func parserError(_ parser: yaml_parser_t, _ buffer: UnsafeBufferPointer<UInt8>) -> DiagnosticError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unreadable YAML"
        if parser.error == YAML_READER_ERROR {
            let offset = min(parser.problem_offset, buffer.count)
            let before = buffer.prefix(offset)
            let line = before.reduce(1) { $1 == 10 ? $0 + 1 : $0 }
            let column = offset - (before.lastIndex(of: 10).map { $0 + 1 } ?? 0) + 1
            return failure(at: line, column, "YAML: \(problem) (the file must be UTF-8 text)")
        }
        let mark = parser.problem_mark
        let location = SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        if problem.contains("nesting level") {
            return failure(
                location,
                "YAML nests deeper than \(YAMLNode.Limits.depth) levels, the most Weir's YAML parser (libyaml) reads",
                hint: "a pipeline file needs a few levels; this one is likely generated or hostile")
        }
        var context = ""
        if let text = parser.context.map({ String(cString: $0) }) {
            context = " (\(text) at line \(parser.context_mark.line + 1), column \(parser.context_mark.column + 1))"
        }
        return failure(
            location, "YAML syntax: \(problem)\(context)",
            hint: "check indentation and that every `key: value` has a space after the colon")
    }
}
