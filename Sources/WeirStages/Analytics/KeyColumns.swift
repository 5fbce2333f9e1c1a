import WeirCore
import WeirTable

extension KeyCodes {
    /// Codes a key column of a stage's input; `name` and `param` say which in the error a null
    /// key or a type that cannot be a key gives.
    init(_ column: Column, name: String, param: String) throws {
        try column.requireValues(name: name, param: param, why: "a key cannot be null")
        guard let codes = KeyCodes(keysOf: column) else {
            throw StageError(
                "column '\(name)' is \(column.type); a key must be int64, string, date or timestamp", param: param)
        }
        self = codes
    }
}
