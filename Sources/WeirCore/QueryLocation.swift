import Foundation

/// Where in the pipeline file a character of a query param sits, so an engine's error points
/// at file:line:col of the query text rather than at the `query:` key.
public enum QueryLocation {
    /// The location of byte `offset` of `query`, whose YAML value starts at `value`. Exact for
    /// a one-line value and for a literal block (`|`); when the text in the file is not the
    /// query's (a folded block, `${...}` substituted), the value's own location.
    public static func locate(_ offset: Int?, in query: String, at value: SourceLocation) -> SourceLocation {
        guard let offset, offset >= 0, offset <= query.utf8.count,
            let text = try? String(contentsOfFile: value.file, encoding: .utf8)
        else { return value }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard value.line >= 1, value.line <= lines.count else { return value }
        let before = query.utf8.prefix(offset)
        let queryLine = before.filter { $0 == UInt8(ascii: "\n") }.count
        let lineStart =
            before.lastIndex(of: UInt8(ascii: "\n")).map { query.utf8.index(after: $0) } ?? query.utf8.startIndex
        let column = String(
            decoding: query.utf8[lineStart..<query.utf8.index(query.utf8.startIndex, offsetBy: offset)], as: UTF8.self
        ).count
        let queryLines = query.split(separator: "\n", omittingEmptySubsequences: false)
        let valueLine = lines[value.line - 1]
        let marker = valueLine.dropFirst(max(0, value.column - 1)).first
        if marker == "|" {
            // A literal block: query line k is file line value.line + 1 + k, behind the block's
            // indentation (its first line's).
            let fileLine = value.line + 1 + queryLine
            guard fileLine <= lines.count, value.line < lines.count, queryLine < queryLines.count else { return value }
            let indent = lines[value.line].prefix(while: { $0 == " " }).count
            let line = lines[fileLine - 1]
            guard line.prefix(indent).allSatisfy({ $0 == " " }), line.dropFirst(indent) == queryLines[queryLine] else {
                return value
            }
            return SourceLocation(file: value.file, line: fileLine, column: indent + column + 1)
        }
        guard queryLine == 0, marker != ">" else { return value }
        let quote = marker == "\"" || marker == "'" ? 1 : 0
        let start = valueLine.index(valueLine.startIndex, offsetBy: min(valueLine.count, value.column - 1 + quote))
        guard valueLine[start...].hasPrefix(queryLines[0]) else { return value }
        return SourceLocation(file: value.file, line: value.line, column: value.column + quote + column)
    }
}
