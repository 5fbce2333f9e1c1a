import WeirSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Where in a text file something went wrong: 1-based line and column (in characters).
public struct TextLocation: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var column: Int?

    public init(path: String, line: Int, column: Int? = nil) {
        self.path = path
        self.line = line
        self.column = column
    }

    public var description: String {
        column.map { "\(path):\(line):\($0)" } ?? "\(path):\(line)"
    }
}

/// Errors from reading and writing tables. Each names the file and, where there is one, the
/// line, column or field, and says what was expected.
public enum TableError: Error, Sendable, Hashable, CustomStringConvertible {
    case io(path: String, message: String)
    /// A CSV problem at a position in the file. `field` names the CSV column (1-based number and
    /// header name) when the problem is in one field.
    case csv(TextLocation, field: CSVFieldRef?, message: String)
    /// An Arrow file Weir cannot read: corrupt, compressed, or holding a type it does not support.
    case arrow(path: String, field: String?, message: String)
    /// A table operation given inconsistent arguments (a programming or pipeline error).
    case invalid(String)

    /// A failed write: a full disk says so plainly.
    public static func writing(_ path: String, _ what: String, _ error: SystemError) -> TableError {
        if error.errno == ENOSPC { return .io(path: path, message: "no space left on device writing it") }
        return .io(path: path, message: "\(what): \(error)")
    }

    public var description: String {
        switch self {
        case .io(let path, let message):
            return "\(path): \(message)"
        case .csv(let location, let field, let message):
            if let field { return "\(location): \(field): \(message)" }
            return "\(location): \(message)"
        case .arrow(let path, let field, let message):
            if let field { return "\(path): field '\(field)': \(message)" }
            return "\(path): \(message)"
        case .invalid(let message):
            return message
        }
    }
}

public struct CSVFieldRef: Sendable, Hashable, CustomStringConvertible {
    /// 1-based position of the field in the row.
    public var number: Int
    public var name: String?

    public var description: String {
        name.map { "column '\($0)' (field \(number))" } ?? "field \(number)"
    }
}
