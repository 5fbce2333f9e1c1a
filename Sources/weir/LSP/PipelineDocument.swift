import Foundation
import WeirCore
import WeirStages
import WeirTable

/// One open pipeline file: its text, what `weir validate` says of it, and what the last good
/// plan knew (stage types, ports, output schemas) for completion, hover and definitions.
final class PipelineDocument {
    let path: String
    private(set) var text: String
    private(set) var lines: [Substring] = []
    private(set) var diagnostics: [Diagnostic] = []
    /// From the last text that loaded (kept while the file is being edited into shape).
    private(set) var stages: [String: StageSpec] = [:]
    private(set) var schemas: [String: [String: Schema]] = [:]
    let registry: StageRegistry
    /// Kept across edits: what planning learnt of unchanged stages (typed queries, described
    /// sources) is not learnt again on the next keystroke.
    let memo = StageMemo()
    private lazy var workspace: Workspace? = try? Workspace(
        root: Workspace.locate(explicit: nil, near: URL(fileURLWithPath: path).deletingLastPathComponent().path),
        access: .readOnly)

    init(path: String, text: String) {
        self.path = path
        self.text = text
        registry = BuiltinStages.registry(forPipeline: path)
        update(text)
    }

    /// Loads and plans the text exactly as `weir validate` does (sources are read, or their
    /// cached schema used, to learn columns; nothing runs).
    func update(_ text: String) {
        self.text = text
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        do {
            let (pipeline, problems) = try PipelineLoader(registry: registry).loadCollecting(text: text, file: path)
            stages = Dictionary(pipeline.stages.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            diagnostics = problems
            do {
                let plan = try plan(pipeline)
                for stagePlan in plan.stages { schemas[stagePlan.stage.id] = stagePlan.schemas }
            } catch let error as DiagnosticError {
                diagnostics += error.diagnostics.filter { !diagnostics.contains($0) }
            }
        } catch let error as DiagnosticError {
            diagnostics = error.diagnostics
        } catch {
            diagnostics = [Diagnostic(at: SourceLocation(file: path, line: 1, column: 1), "\(error)")]
        }
    }

    private func plan(_ pipeline: Pipeline) throws -> Plan {
        let cache = try CacheView(
            ledger: workspace?.ledger, store: workspace?.store, pipelineFile: path, remote: nil, remoteUse: .pull)
        let files: any FileDigester = workspace.map { StatCache(ledger: $0.ledger) } ?? DirectFileDigester()
        return try Planner(registry: registry, cache: cache, files: files, memo: memo).plan(pipeline)
    }

    // MARK: Where the cursor is

    func line(_ number: Int) -> String { number >= 0 && number < lines.count ? String(lines[number]) : "" }

    static func indent(_ line: String) -> Int { line.prefix { $0 == " " }.count }

    /// The indentation of stage ids: that of the first key under `stages:`.
    var stageIndent: Int? {
        guard let start = lines.firstIndex(where: { $0.hasPrefix("stages:") }) else { return nil }
        for line in lines[(start + 1)...] {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            return Self.indent(String(line))
        }
        return nil
    }

    /// The stage whose definition holds line `number`.
    func stage(at number: Int) -> String? {
        guard let indent = stageIndent else { return nil }
        var n = number
        while n >= 0 {
            let text = line(n)
            if n < number && text.hasPrefix("stages:") { return nil }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty && !trimmed.hasPrefix("#") && Self.indent(text) == indent,
                let colon = trimmed.firstIndex(of: ":")
            {
                return String(trimmed[..<colon])
            }
            if !trimmed.isEmpty && Self.indent(text) < indent && !trimmed.hasPrefix("#") { return nil }
            n -= 1
        }
        return nil
    }

    /// What is being typed: a key, or the value of `key` (with what is typed of it).
    enum Context: Equatable {
        case key(prefix: String)
        case value(key: String, prefix: String)
    }

    func context(line number: Int, character: Int) -> Context {
        let text = line(number)
        let upTo = String(decoding: Array(text.utf16.prefix(character)), as: UTF16.self)
        // Inside an open [ ... ]: a value of the key before it.
        if let open = upTo.lastIndex(of: "["), !upTo[open...].contains("]") {
            let before = upTo[..<open].trimmingCharacters(in: .whitespaces)
            let key = before.hasSuffix(":") ? Self.lastWord(String(before.dropLast())) : ""
            let item =
                upTo[upTo.index(after: open)...].split(separator: ",", omittingEmptySubsequences: false).last ?? ""
            return .value(key: key, prefix: item.trimmingCharacters(in: .whitespaces))
        }
        // The segment after the last `{` or `,` (flow style) or the line (block style).
        let cut = upTo.lastIndex(where: { $0 == "{" || $0 == "," }).map { upTo.index(after: $0) } ?? upTo.startIndex
        let segment = upTo[cut...].trimmingCharacters(in: .whitespaces)
        if let colon = segment.firstIndex(of: ":") {
            return .value(
                key: String(segment[..<colon]).trimmingCharacters(in: .whitespaces),
                prefix: segment[segment.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return .key(prefix: segment.replacingOccurrences(of: "- ", with: ""))
    }

    static func lastWord(_ text: String) -> String {
        String(text.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }.reversed())
    }

    /// The word (a key, a stage id, `stage.port`) under the cursor, and where it starts.
    func word(line number: Int, character: Int) -> String {
        let chars = Array(line(number))
        guard !chars.isEmpty else { return "" }
        let part: (Character) -> Bool = { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }
        var start = min(character, chars.count)
        var end = min(character, chars.count)
        while start > 0 && part(chars[start - 1]) { start -= 1 }
        while end < chars.count && part(chars[end]) { end += 1 }
        return String(chars[start..<end])
    }

    /// The type of the stage a line belongs to.
    func type(ofStage id: String?, line number: Int) -> (any StageType)? {
        guard let id else { return nil }
        if let spec = stages[id] { return registry[spec.typeName] }
        // Not loaded yet: read `type:` from the text.
        for n in number..<min(lines.count, number + 40) {
            let text = line(n)
            if let range = text.range(of: #"type:\s*([\w.:]+)"#, options: .regularExpression) {
                let name = text[range].split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
                return registry[name]
            }
        }
        return nil
    }
}
