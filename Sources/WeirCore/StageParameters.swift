import Synchronization
import WeirTable

/// A Swift type a stage parameter decodes to from its value as the loader checked it.
public protocol ParamDecodable: Sendable {
    /// The kind declared for a parameter of this type unless its declaration names another
    /// (a column name is a `String` of kind `.column`).
    static var paramKind: ParamKind { get }
    /// Nil when the value has another shape; after the loader's checks only a bug gets here.
    init?(param: ParamValue)
    /// The value as YAML would give it: the default shown by `weir stages` and the schema.
    var paramValue: ParamValue? { get }
    /// What a value must be, for the message when it is not.
    static var expected: String { get }
}

extension ParamDecodable {
    public static var expected: String { paramKind.description }
}

extension String: ParamDecodable {
    public static var paramKind: ParamKind { .string }
    public init?(param: ParamValue) {
        guard case .string(let text) = param else { return nil }
        self = text
    }
    public var paramValue: ParamValue? { .string(self) }
}

extension Int: ParamDecodable {
    public static var paramKind: ParamKind { .int }
    public init?(param: ParamValue) {
        guard case .int(let value) = param else { return nil }
        self = value
    }
    public var paramValue: ParamValue? { .int(self) }
}

extension Double: ParamDecodable {
    public static var paramKind: ParamKind { .double }
    public init?(param: ParamValue) {
        guard let value = param.double else { return nil }
        self = value
    }
    public var paramValue: ParamValue? { .double(self) }
}

extension Bool: ParamDecodable {
    public static var paramKind: ParamKind { .bool }
    public init?(param: ParamValue) {
        guard case .bool(let value) = param else { return nil }
        self = value
    }
    public var paramValue: ParamValue? { .bool(self) }
}

extension Array: ParamDecodable where Element == String {
    public static var paramKind: ParamKind { .stringList }
    public init?(param: ParamValue) {
        guard let strings = param.strings else { return nil }
        self = strings
    }
    public var paramValue: ParamValue? { .list(map { .string($0) }) }
}

extension Optional: ParamDecodable where Wrapped: ParamDecodable {
    public static var paramKind: ParamKind { Wrapped.paramKind }
    public init?(param: ParamValue) {
        if param == .null {
            self = .none
        } else if let value = Wrapped(param: param) {
            self = .some(value)
        } else {
            return nil
        }
    }
    public var paramValue: ParamValue? { self?.paramValue }
}

/// A mapping of names to names (`rename: {old: new}`).
extension Dictionary: ParamDecodable where Key == String, Value == String {
    public static var paramKind: ParamKind { .any }
    public static var expected: String { "a mapping of name: name" }
    public init?(param: ParamValue) {
        guard case .map(let map) = param else { return nil }
        var names: [String: String] = [:]
        for (key, value) in map {
            guard case .string(let text) = value else { return nil }
            names[key] = text
        }
        self = names
    }
    public var paramValue: ParamValue? { .map(mapValues { .string($0) }) }
}

/// A parameter of any shape (`.any`): the stage reads the value's structure itself.
extension ParamValue: ParamDecodable {
    public static var paramKind: ParamKind { .any }
    public init?(param: ParamValue) { self = param }
    public var paramValue: ParamValue? { self == .null ? nil : self }
}

/// A parameter that is one of a fixed set of words.
public protocol ParamChoice: ParamDecodable, CaseIterable, RawRepresentable where RawValue == String {}

extension ParamChoice {
    public static var paramKind: ParamKind { .choice(allCases.map(\.rawValue)) }
    public init?(param: ParamValue) {
        guard case .string(let text) = param, let value = Self(rawValue: text) else { return nil }
        self = value
    }
    public var paramValue: ParamValue? { .string(rawValue) }
}

/// A stage type's parameters as one typed struct: each property declared once with its YAML
/// name, kind, default (the property's initial value) and help. The loader checks kinds from
/// the declarations, the planner checks column parameters against the input schemas, and the
/// stage reads `params.minSupport`.
public protocol StageParameters: Sendable {
    /// Every property at its default.
    init()
    static var declarations: [ParamDeclaration<Self>] { get }
    /// Problems beyond a value's kind (ranges, combinations), each at its key.
    func problems(stage id: String) -> [StageError]
}

extension StageParameters {
    public func problems(stage id: String) -> [StageError] { [] }

    /// The declarations' specs, made once per type (on first use: a run builds only the
    /// parameter tables of the stage types its pipeline uses).
    public static var specs: [ParamSpec] {
        let key = ObjectIdentifier(Self.self)
        if let known = specCache.withLock({ $0[key] }) { return known }
        let made = declarations.map(\.spec)
        specCache.withLock { $0[key] = made }
        return made
    }

    /// The stage's values; one of another shape than declared is an error at its key.
    public static func decode(_ stage: StageSpec) throws -> Self {
        var params = Self()
        for declaration in declarations {
            let name = declaration.spec.name
            guard let value = stage.param(name) else { continue }
            guard declaration.assign(&params, value) else {
                // The value is not repeated: it may hold a secret.
                throw StageError("`\(name)` of stage '\(stage.id)' must be \(declaration.expected)", param: name)
            }
        }
        return params
    }
}

private let specCache = Mutex<[ObjectIdentifier: [ParamSpec]]>([:])

/// One parameter: its spec, and how its value lands in the struct's property.
public struct ParamDeclaration<Params: StageParameters>: Sendable {
    public let spec: ParamSpec
    /// What a value must be, for the message when it is not.
    let expected: String
    let assign: @Sendable (inout Params, ParamValue) -> Bool

    /// `name` in YAML fills `property`; the default is the property's initial value unless the
    /// parameter is required. `kind` overrides the type's own (columns, queries, mappings).
    public static func param<Value: ParamDecodable>(
        _ name: String, _ property: WritableKeyPath<Params, Value> & Sendable, _ kind: ParamKind? = nil,
        required: Bool = false, input: Int? = 0, help: String
    ) -> Self {
        let initial = required ? nil : Params()[keyPath: property].paramValue
        var spec = ParamSpec(name, kind ?? Value.paramKind, default: initial, required: required, help: help)
        spec.input = input
        let expected = kind.map(\.description) ?? Value.expected
        return ParamDeclaration(spec: spec, expected: expected) { params, value in
            guard let decoded = Value(param: value) else { return false }
            params[keyPath: property] = decoded
            return true
        }
    }
}

extension PlanContext {
    /// The stage's parameters, with their problems reported at their keys; defaults stand in
    /// for values that could not be read, so planning goes on and finds every problem at once.
    public mutating func parameters<Params: StageParameters>(_: Params.Type = Params.self) -> Params {
        let params: Params
        do {
            params = try Params.decode(stage)
        } catch {
            report(error)
            return Params()
        }
        for problem in params.problems(stage: stage.id) { report(problem) }
        return params
    }

    /// Checks every column parameter that names something against the input it reads.
    mutating func checkColumnParameters(_ specs: [ParamSpec]) {
        for spec in specs {
            guard let input = spec.input, input < inputSchemas.count, let value = param(spec.name) else { continue }
            switch spec.kind {
            case .column(let types):
                if let name = value.string { column(named: name, param: spec.name, input: input, types: types) }
            case .columns(let types):
                for name in value.strings ?? [] { column(named: name, param: spec.name, input: input, types: types) }
            default:
                continue
            }
        }
    }
}

extension RunContext {
    public func parameters<Params: StageParameters>(_: Params.Type = Params.self) throws -> Params {
        try Params.decode(stage)
    }
}

extension SourceContext {
    public func parameters<Params: StageParameters>(_: Params.Type = Params.self) throws -> Params {
        try Params.decode(stage)
    }
}

/// `schema: {column: type}`: declared column types (the loader checked every type name).
public struct ColumnTypes: ParamDecodable, Sendable, Equatable {
    public var types: [String: DataType]

    public init(_ types: [String: DataType] = [:]) { self.types = types }

    public static var paramKind: ParamKind { .columnTypes }
    public init?(param: ParamValue) {
        guard case .map(let map) = param else { return nil }
        var types: [String: DataType] = [:]
        for (column, value) in map {
            guard let name = value.string, let type = DataType(name: name) else { return nil }
            types[column] = type
        }
        self.types = types
    }
    public var paramValue: ParamValue? { types.isEmpty ? nil : .map(types.mapValues { .string($0.rawValue) }) }
}
