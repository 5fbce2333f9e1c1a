import WeirTable

/// A resolved parameter value. Codable with sorted keys, so it has one canonical encoding for
/// cache keys.
public indirect enum ParamValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case list([ParamValue])
    case map([String: ParamValue])
    case null

    public var description: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): FloatFormat.shortest(d)
        case .bool(let b): String(b)
        case .list(let l): "[" + l.map(\.description).joined(separator: ", ") + "]"
        case .map(let m): "{" + m.keys.sorted().map { "\($0): \(m[$0]!)" }.joined(separator: ", ") + "}"
        case .null: "null"
        }
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var int: Int? { if case .int(let i) = self { i } else { nil } }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var double: Double? {
        switch self {
        case .double(let d): d
        case .int(let i): Double(i)
        default: nil
        }
    }
    public var strings: [String]? {
        if case .list(let items) = self {
            return items.compactMap(\.string).count == items.count ? items.compactMap(\.string) : nil
        }
        return nil
    }
}

/// The type of a stage parameter, used to check YAML values and to list stage types.
public enum ParamKind: Sendable, Hashable, CustomStringConvertible {
    case string
    case int
    case double
    case bool
    case stringList
    /// One of a fixed set of words.
    case choice([String])
    /// A column of the stage's input, of one of `types` (any type when empty).
    case column(types: Set<DataType>)
    /// A list of columns of the stage's input.
    case columns(types: Set<DataType>)
    /// A mapping of column name to type (e.g. a CSV `schema:`).
    case columnTypes
    /// SQL text whose `$name` placeholders are bound to the pipeline parameter `name`: the
    /// loader resolves each to a typed value, kept as the stage parameter `$name` (so it is in
    /// the cache key), and the query is never spliced.
    case query
    /// Any YAML value, checked by the stage itself.
    case any

    public var description: String {
        switch self {
        case .string: "string"
        case .int: "integer"
        case .double: "number"
        case .bool: "boolean"
        case .stringList: "list of strings"
        case .query: "SQL ($name binds a pipeline param)"
        case .choice(let words): words.joined(separator: " | ")
        case .column(let types):
            types.isEmpty ? "column" : "column (\(types.map(\.rawValue).sorted().joined(separator: "/")))"
        case .columns(let types):
            types.isEmpty
                ? "list of columns" : "list of columns (\(types.map(\.rawValue).sorted().joined(separator: "/")))"
        case .columnTypes: "mapping of column: type"
        case .any: "any"
        }
    }
}

public struct ParamSpec: Sendable, Hashable {
    public var name: String
    public var kind: ParamKind
    public var defaultValue: ParamValue?
    public var required: Bool
    public var help: String
    /// For a column parameter, the input whose columns it names, checked by the planner; nil
    /// when the stage checks it itself.
    public var input: Int? = 0

    public init(
        _ name: String, _ kind: ParamKind, default defaultValue: ParamValue? = nil, required: Bool = false, help: String
    ) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.required = required
        self.help = help
    }
}

/// How many upstream tables a stage type takes.
public enum InputArity: Sendable, Hashable {
    /// A source: reads files or services, takes no input.
    case none
    /// Exactly one, given with `input:`.
    case one
    /// One or more, given with `inputs:` (or `input:` for one).
    case many
}

/// A kind of stage (`extract.csv`, `sql`, `rfm`, ...). Stage types declare their parameters,
/// inputs and outputs, compute their output schemas from their input schemas and parameters
/// before anything runs, and produce exactly those schemas when run.
public protocol StageType: Sendable {
    /// The name used in YAML `type:`.
    var name: String { get }
    /// Changes whenever the implementation's output could change; part of every cache key.
    var version: String { get }
    var summary: String { get }
    var params: [ParamSpec] { get }
    var inputs: InputArity { get }
    /// Output ports; most stages have one, "out".
    var outputs: [String] { get }

    /// The schema of each output port. Problems are reported through `context`.
    func outputSchemas(_ context: inout PlanContext) -> [String: Schema]

    /// Computes the outputs. Must return every port with exactly the schema announced.
    func run(_ context: RunContext) throws -> [String: Table]

    /// For sources: what they read, with content digests, for the cache key. Throws a
    /// `StageError` naming the parameter when a path matches nothing.
    func sources(_ context: SourceContext) throws -> [SourceInput]

    /// For sinks (stages with side effects outside the store): whether what the run that made
    /// this cache entry wrote (`written`, as it recorded through `StageLog.wrote`) is still
    /// there. A cached sink whose output was deleted, changed or overwritten runs again.
    func sideEffectsIntact(_ context: SourceContext, written: [WrittenFile]) -> Bool
}

extension StageType {
    public var outputs: [String] { ["out"] }
    public func sources(_ context: SourceContext) throws -> [SourceInput] { [] }
    public func sideEffectsIntact(_ context: SourceContext, written: [WrittenFile]) -> Bool { true }
}

/// The stage types Weir knows, by name.
public struct StageRegistry: Sendable {
    public private(set) var types: [String: any StageType] = [:]
    /// The `stages/` folder whose manifests are registered as `command:NAME`, for messages.
    public var commandFolder: String?
    /// Manifests that did not load, by name: used by a stage, their problems are reported.
    public var brokenCommands: [String: [Diagnostic]] = [:]

    public init(_ types: [any StageType] = []) {
        for type in types { register(type) }
    }

    public mutating func register(_ type: any StageType) { types[type.name] = type }

    public subscript(name: String) -> (any StageType)? { types[name] }

    public var names: [String] { types.keys.sorted() }

    /// The names of the user-defined stages (`type: command, stage: NAME`).
    public var commandNames: [String] {
        (names.filter { $0.hasPrefix("command:") }.map { String($0.dropFirst(8)) } + brokenCommands.keys).sorted()
    }
}

extension StageRegistry {
    /// The type a stage's `type:` names, with the name it is registered under. `command` is a
    /// user-defined stage whose manifest `stages/NAME.yaml` (its `stage:` key) is the real type.
    func resolve(_ typeNode: YAMLNode, stage: YAMLNode, _ diagnostics: inout DiagnosticCollector) -> (
        String, any StageType
    )? {
        var typeName = typeNode.scalar ?? ""
        if typeName == "command" {
            guard let manifest = commandManifest(typeNode, stage: stage, &diagnostics) else { return nil }
            typeName = "command:" + manifest
        }
        guard let type = self[typeName] else {
            diagnostics.error(
                typeNode.location, "unknown stage type '\(typeName)'",
                hint: Suggest.didYouMean(typeName, in: names) ?? "stage types: \(names.joined(separator: ", "))")
            return nil
        }
        return (typeName, type)
    }

    /// The manifest a command stage names, once it is known to load.
    private func commandManifest(_ typeNode: YAMLNode, stage: YAMLNode, _ diagnostics: inout DiagnosticCollector)
        -> String?
    {
        let listing = commandNames.isEmpty ? nil : "manifests: \(commandNames.joined(separator: ", "))"
        guard let manifestNode = stage["stage"], let manifest = manifestNode.scalar else {
            diagnostics.error(
                typeNode.location, "a command stage needs `stage: NAME`, naming its manifest stages/NAME.yaml",
                hint: listing)
            return nil
        }
        if let problems = brokenCommands[manifest] {
            diagnostics.append(contentsOf: problems)
            return nil
        }
        guard self["command:" + manifest] != nil else {
            let folder = commandFolder ?? "a stages/ folder beside the pipeline file or above it"
            diagnostics.error(
                manifestNode.location, "no stage manifest '\(manifest)': looked for \(folder)/\(manifest).yaml",
                hint: Suggest.didYouMean(manifest, in: commandNames) ?? listing)
            return nil
        }
        return manifest
    }
}
