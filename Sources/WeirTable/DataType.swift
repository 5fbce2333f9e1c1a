/// The column types Weir stores. Every column may hold nulls.
public enum DataType: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case int64
    case float64
    case bool
    case string
    /// Microseconds since the Unix epoch, UTC.
    case timestamp
    /// Days since the Unix epoch.
    case date

    public var description: String { rawValue }

    public var isNumeric: Bool { self == .int64 || self == .float64 }

    /// Bytes per value in the data buffer; nil for bit-packed bools and variable-width strings.
    public var fixedWidth: Int? {
        switch self {
        case .int64, .float64, .timestamp: 8
        case .date: 4
        case .bool, .string: nil
        }
    }

    /// Parses a type name as users write it in YAML schemas and manifests.
    public init?(name: String) {
        switch name.lowercased() {
        case "int64", "int", "integer", "long": self = .int64
        case "float64", "float", "double", "number": self = .float64
        case "bool", "boolean": self = .bool
        case "string", "str", "utf8", "text": self = .string
        case "timestamp", "datetime": self = .timestamp
        case "date": self = .date
        default: return nil
        }
    }
}

public struct Field: Sendable, Hashable, Codable, CustomStringConvertible {
    public var name: String
    public var type: DataType

    public init(_ name: String, _ type: DataType) {
        self.name = name
        self.type = type
    }

    public var description: String { "\(name): \(type)" }
}

/// An ordered list of named, typed fields.
public struct Schema: Sendable, Hashable, Codable, CustomStringConvertible {
    public var fields: [Field]
    /// Set when the data decides further columns after `fields` (a pivot's one column per
    /// value), all of this type. Planning knows only `fields`; `admits` checks the rest.
    public var dataColumns: DataType?

    public init(_ fields: [Field], dataColumns: DataType? = nil) {
        self.fields = fields
        self.dataColumns = dataColumns
    }

    /// Whether `actual` is what this schema announced: the same fields, then (only for a
    /// schema with data columns) any number of further columns of that type.
    public func admits(_ actual: Schema) -> Bool {
        guard let dataColumns else { return actual.fields == fields && actual.dataColumns == nil }
        return actual.fields.count >= fields.count && Array(actual.fields.prefix(fields.count)) == fields
            && actual.fields.dropFirst(fields.count).allSatisfy { $0.type == dataColumns }
    }

    public var names: [String] { fields.map(\.name) }
    public var count: Int { fields.count }

    public func index(of name: String) -> Int? { fields.firstIndex { $0.name == name } }
    public subscript(name: String) -> Field? { index(of: name).map { fields[$0] } }

    public var description: String {
        "(" + fields.map(\.description).joined(separator: ", ") + (dataColumns.map { ", ...: \($0) per value" } ?? "")
            + ")"
    }
}
