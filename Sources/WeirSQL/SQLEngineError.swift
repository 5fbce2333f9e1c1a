import Foundation

/// A failure reported by the SQL engine: what kind, DuckDB's message, and where in the query
/// text it points (a character offset), when it says.
public struct SQLEngineError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The query does not parse or bind (a planning error).
        case compile
        /// The query failed while running.
        case run
        /// The query ran out of its memory limit.
        case memory
        /// The engine itself could not be set up.
        case setup
        /// A result value does not fit the column Weir planned (Weir's check, not DuckDB's).
        case result
    }

    public var kind: Kind
    public var message: String
    /// Offset in characters into the query text, when DuckDB gives one.
    public var position: Int?
    /// What to do about it, when Weir knows.
    public var hint: String?

    public init(_ kind: Kind, _ message: String, position: Int? = nil, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.position = position
        self.hint = hint
    }

    public var description: String { message }

    /// Reads DuckDB's message, which `errors_as_json` makes a JSON object
    /// (`exception_type`, `exception_message`, `position`); plain text is kept as it is.
    static func fromDuckDB(_ text: String, kind: Kind) -> SQLEngineError {
        // Parser errors come as "Parser Error: {...}", others as the bare object.
        let json = text.firstRange(of: "{\"exception_type\"").map { String(text[$0.lowerBound...]) } ?? text
        guard json.hasPrefix("{"), let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let message = object["exception_message"] as? String
        else {
            return SQLEngineError(kind, text)
        }
        let type = object["exception_type"] as? String
        let position = (object["position"] as? String).flatMap { Int($0) }
        var resolved = kind
        if type == "Out of Memory" { resolved = .memory }
        let prefix = type.map { "\($0) Error: " } ?? ""
        return SQLEngineError(resolved, prefix + message, position: position)
    }
}
