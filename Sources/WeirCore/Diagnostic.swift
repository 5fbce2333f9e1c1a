/// A position in a pipeline file: 1-based line and column (in Unicode scalars).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// One problem found in a pipeline, reported as `file:line:col: error: message` with an
/// optional hint line, the way compilers do.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    public var location: SourceLocation?
    public var message: String
    public var hint: String?

    public init(_ severity: Severity = .error, at location: SourceLocation?, _ message: String, hint: String? = nil) {
        self.severity = severity
        self.location = location
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = (location.map { "\($0): " } ?? "") + "\(severity.rawValue): \(message)"
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }
}

/// Every diagnostic of a check, thrown together so a user sees all problems at once.
public struct DiagnosticError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Collects diagnostics during loading and validation.
public struct DiagnosticCollector: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    /// Adds an error; the same error at the same place twice (a column checked by the planner
    /// and again by its stage) is said once.
    public mutating func error(_ location: SourceLocation?, _ message: String, hint: String? = nil) {
        let diagnostic = Diagnostic(.error, at: location, message, hint: hint)
        if !diagnostics.contains(diagnostic) { diagnostics.append(diagnostic) }
    }

    public mutating func warning(_ location: SourceLocation?, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(.warning, at: location, message, hint: hint))
    }

    public mutating func append(contentsOf other: [Diagnostic]) { diagnostics += other }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Throws every diagnostic, in file order, when any is an error.
    public func throwIfErrors() throws {
        if hasErrors {
            throw DiagnosticError(
                diagnostics.sorted {
                    ($0.location?.line ?? 0, $0.location?.column ?? 0) < (
                        $1.location?.line ?? 0, $1.location?.column ?? 0
                    )
                })
        }
    }
}

/// "did you mean" suggestions by edit distance.
public enum Suggest {
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased())
        let b = Array(b.lowercased())
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// Candidates close to `word`, nearest first.
    public static func near(_ word: String, in candidates: [String], limit: Int = 3) -> [String] {
        let threshold = max(2, word.count / 3)
        return candidates.map { ($0, distance(word, $0)) }
            .filter { $0.1 <= threshold || $0.0.hasPrefix(word) || word.hasPrefix($0.0) }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
            .prefix(limit).map(\.0)
    }

    /// "did you mean 'x'?" or nil.
    public static func didYouMean(_ word: String, in candidates: [String]) -> String? {
        let near = near(word, in: candidates)
        guard !near.isEmpty else { return nil }
        return "did you mean " + near.map { "'\($0)'" }.joined(separator: " or ") + "?"
    }
}

extension DiagnosticCollector {
    /// "unknown key 'k' in `place`" at each key of `pairs` that `allowed` lacks, with a
    /// did-you-mean, else the allowed keys.
    public mutating func unknownKeys(_ pairs: [YAMLPair], allowed: [String], in place: String) {
        for pair in pairs where !allowed.contains(pair.key) {
            error(
                pair.keyLocation, "unknown key '\(pair.key)' in \(place)",
                hint: Suggest.didYouMean(pair.key, in: allowed) ?? "allowed: \(allowed.joined(separator: ", "))")
        }
    }
}
