import Foundation
import WeirCore
import WeirTable

/// Completion, hover and definitions, from what the document's last load and plan knew.
extension LanguageServer {
    static let keyKind = 10, valueKind = 12, stageKind = 6, columnKind = 5

    func completion(_ document: PipelineDocument, _ line: Int, _ character: Int) -> [[String: Any]] {
        let stage = document.stage(at: line)
        let type = document.type(ofStage: stage, line: stageLine(document, stage) ?? line)
        func items(_ labels: [String], kind: Int, detail: (String) -> String? = { _ in nil }, prefix: String)
            -> [[String: Any]]
        {
            labels.filter { prefix.isEmpty || $0.hasPrefix(prefix) }.map { label in
                var item: [String: Any] = ["label": label, "kind": kind]
                if let detail = detail(label) { item["detail"] = detail }
                return item
            }
        }
        switch document.context(line: line, character: character) {
        case .value("type", let prefix):
            let names = document.registry.names.filter { !$0.hasPrefix("command:") } + ["command"]
            return items(names, kind: Self.valueKind, detail: { document.registry[$0]?.summary }, prefix: prefix)
        case .value(let key, let prefix) where key == "input" || key == "inputs":
            return items(references(document, excluding: stage), kind: Self.stageKind, prefix: prefix)
        case .value(let key, let prefix):
            guard let spec = type?.params.first(where: { $0.name == key }) else { return [] }
            switch spec.kind {
            case .column(let types), .columns(let types):
                let fields = upstreamFields(document, stage: stage)
                return items(
                    fields.filter { types.isEmpty || types.contains($0.type) }.map(\.name), kind: Self.columnKind,
                    detail: { name in fields.first { $0.name == name }.map { $0.type.rawValue } }, prefix: prefix)
            case .choice(let words): return items(words, kind: Self.valueKind, prefix: prefix)
            case .bool: return items(["true", "false"], kind: Self.valueKind, prefix: prefix)
            default: return []
            }
        case .key(let prefix):
            guard let stage, let type, document.stage(at: line) != nil,
                PipelineDocument.indent(document.line(line)) > (document.stageIndent ?? 0)
                    || document.line(line).contains("{")
            else { return [] }
            let used = usedKeys(document, stage: stage, line: line)
            let keys = (PipelineLoader.engineKeys + type.params.map(\.name)).filter { !used.contains($0) }
            return items(
                keys, kind: Self.keyKind, detail: { key in type.params.first { $0.name == key }.map { "\($0.kind)" } },
                prefix: prefix)
        }
    }

    func stageLine(_ document: PipelineDocument, _ id: String?) -> Int? {
        guard let id else { return nil }
        return document.stages[id].map { $0.location.line - 1 }
    }

    /// Stage ids another stage can read: `id`, and `id.port` for stages with several ports.
    func references(_ document: PipelineDocument, excluding current: String?) -> [String] {
        document.stages.values.sorted { $0.location < $1.location }.filter { $0.id != current }.flatMap {
            spec -> [String] in
            let ports = document.registry[spec.typeName]?.outputs ?? []
            return ports.count > 1 ? [spec.id] + ports.map { "\(spec.id).\($0)" } : (ports.isEmpty ? [] : [spec.id])
        }
    }

    /// The columns of the stage's first input, as the plan knows them.
    func upstreamFields(_ document: PipelineDocument, stage: String?) -> [Field] {
        guard let stage, let ref = document.stages[stage]?.inputs.first, let ports = document.schemas[ref.stage] else {
            return []
        }
        let port = ref.port ?? document.registry[document.stages[ref.stage]?.typeName ?? ""]?.outputs.first ?? "out"
        return ports[port]?.fields ?? []
    }

    /// The keys the stage's text already has (the loaded stage also holds defaults, so the text decides).
    func usedKeys(_ document: PipelineDocument, stage: String, line: Int) -> Set<String> {
        guard let indent = document.stageIndent else { return [] }
        var start = line
        while start > 0 && document.stage(at: start - 1) == stage
            && PipelineDocument.indent(document.line(start)) > indent
        { start -= 1 }
        var used = Set<String>()
        var n = start
        while n < document.lines.count
            && (n == start || PipelineDocument.indent(document.line(n)) > indent
                || document.line(n).trimmingCharacters(in: .whitespaces).isEmpty)
        {
            let text = document.line(n)
            let body = n == start ? String(text.drop { $0 != ":" }.dropFirst()) : text
            let pattern = #"(^|[{,]|^\s+)\s*([A-Za-z_][A-Za-z0-9_]*):"#
            let expression = try? NSRegularExpression(pattern: pattern)
            for match in expression?.matches(in: body, range: NSRange(body.startIndex..., in: body)) ?? [] {
                if let range = Range(match.range(at: 2), in: body) { used.insert(String(body[range])) }
            }
            n += 1
        }
        if used.contains("input") || used.contains("inputs") { used.formUnion(["input", "inputs"]) }
        return used
    }

    func hover(_ document: PipelineDocument, _ line: Int, _ character: Int) -> [String: Any]? {
        let word = document.word(line: line, character: character)
        guard !word.isEmpty else { return nil }
        let text: String
        let stage = document.stage(at: line)
        let afterWord = document.line(line).range(of: word + ":") != nil
        if afterWord, let type = document.type(ofStage: stage, line: stageLine(document, stage) ?? line),
            let spec = type.params.first(where: { $0.name == word })
        {
            text =
                "**\(spec.name)** (\(spec.kind)\(spec.required ? ", required" : spec.defaultValue.map { ", default \($0)" } ?? ""))\n\n\(spec.help)"
        } else if let id = stageID(document, word), let spec = document.stages[id] {
            let ports = document.schemas[id] ?? [:]
            let names = document.registry[spec.typeName]?.outputs ?? ports.keys.sorted()
            let lines = names.compactMap { port in
                ports[port].map {
                    "- `\(port)`: " + $0.fields.map { "\($0.name) \($0.type.rawValue)" }.joined(separator: ", ")
                }
            }
            text =
                "**\(id)** (`\(spec.typeName)`)\n\n"
                + (lines.isEmpty ? "no output schema yet" : lines.joined(separator: "\n"))
        } else if let type = document.registry[word] {
            text =
                "**\(type.name)**: \(type.summary)\n\n"
                + type.params.map { "- `\($0.name)` (\($0.kind)): \($0.help)" }.joined(separator: "\n")
        } else {
            return nil
        }
        return ["contents": ["kind": "markdown", "value": text]]
    }

    /// A word naming a stage: `id` or `id.port`.
    func stageID(_ document: PipelineDocument, _ word: String) -> String? {
        if document.stages[word] != nil { return word }
        if let dot = word.lastIndex(of: "."), document.stages[String(word[..<dot])] != nil {
            return String(word[..<dot])
        }
        return nil
    }

    func definition(_ document: PipelineDocument, _ line: Int, _ character: Int) -> [String: Any]? {
        guard let id = stageID(document, document.word(line: line, character: character)),
            let spec = document.stages[id]
        else { return nil }
        let start = ["line": spec.location.line - 1, "character": spec.location.column - 1]
        let end = ["line": spec.location.line - 1, "character": spec.location.column - 1 + id.count]
        return ["uri": URL(fileURLWithPath: document.path).absoluteString, "range": ["start": start, "end": end]]
    }
}
