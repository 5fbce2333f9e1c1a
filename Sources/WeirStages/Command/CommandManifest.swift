import Foundation
import WeirCore
import WeirTable

/// A user-defined stage: `stages/NAME.yaml` declares its parameters, input ports with the
/// columns they need, output ports with their schemas, and the command line that computes them.
///
///     description: Score review text with a sentiment lexicon.
///     run: python3 stages/review_sentiment.py
///     params:
///       text_column: { type: string, default: review_text, help: the column with the text }
///     inputs:
///       reviews: { columns: { review_id: string, "${params.text_column}": string } }
///     outputs:
///       out: { columns: { review_id: string, score: float64 } }
///
/// Column names may use `${params.NAME}`, so a script's column names can be parameters too.
struct CommandManifest: Sendable {
    struct Port: Sendable {
        var name: String
        var columns: [(name: String, type: DataType)]
        var location: SourceLocation
    }

    var name: String
    var file: String
    /// The folder the command runs in: the one holding `stages/`.
    var projectDirectory: String
    var description: String
    var run: String
    var params: [ParamSpec]
    var inputs: [Port]
    var outputs: [Port]
    /// The manifest's bytes and those of every file its command line names, hashed: the
    /// stage type's version, so editing the script re-runs the stage.
    var digest: String

    static let keys = ["description", "run", "params", "inputs", "outputs"]
    static let paramTypes: [String: ParamKind] = [
        "string": .string, "integer": .int, "number": .double, "boolean": .bool, "list": .stringList,
    ]

    /// Reads a manifest; every problem is a diagnostic at its place in the file.
    static func load(path: String, projectDirectory: String) throws(DiagnosticError) -> CommandManifest {
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let start = SourceLocation(file: path, line: 1, column: 1)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticError([Diagnostic(at: start, "cannot read stage manifest \(path)")])
        }
        var diagnostics = DiagnosticCollector()
        let root: YAMLNode
        switch YAMLNode.parse(String(decoding: data, as: UTF8.self), file: path) {
        case .failure(let error): throw error
        case .success(let node):
            guard let node, node.pairs != nil else {
                throw DiagnosticError([
                    Diagnostic(
                        at: start,
                        "a stage manifest is a mapping with `run:`, `inputs:`, `outputs:` and optional `params:`")
                ])
            }
            root = node
        }
        for pair in root.pairs ?? [] where !keys.contains(pair.key) {
            diagnostics.error(
                pair.keyLocation, "unknown key '\(pair.key)' in stage manifest",
                hint: Suggest.didYouMean(pair.key, in: keys) ?? "keys: \(keys.joined(separator: ", "))")
        }
        let run = root["run"]?.scalar ?? ""
        if run.trimmingCharacters(in: .whitespaces).isEmpty {
            diagnostics.error(
                root["run"]?.location ?? start,
                "a stage manifest needs `run:`, the command line that computes the outputs")
        }

        var params: [ParamSpec] = [ParamSpec("stage", .string, required: true, help: "the manifest's name in stages/")]
        for pair in root["params"]?.pairs ?? [] {
            if pair.key == "stage" || PipelineLoader.engineKeys.contains(pair.key) {
                diagnostics.error(pair.keyLocation, "parameter name '\(pair.key)' is taken by Weir; choose another")
                continue
            }
            let typeName = pair.value["type"]?.scalar ?? pair.value.scalar ?? ""
            guard let kind = paramTypes[typeName] else {
                diagnostics.error(
                    pair.value["type"]?.location ?? pair.value.location,
                    "parameter '\(pair.key)' needs a type: \(paramTypes.keys.sorted().joined(separator: ", ")), found '\(typeName)'"
                )
                continue
            }
            var spec = ParamSpec(
                pair.key, kind, required: pair.value["default"] == nil, help: pair.value["help"]?.scalar ?? "")
            if let node = pair.value["default"] {
                spec.defaultValue = PipelineLoader.coerce(node, to: spec, stage: name, &diagnostics)
            }
            params.append(spec)
        }
        let inputs = ports(root["inputs"], role: "input", &diagnostics)
        let outputs = ports(root["outputs"], role: "output", &diagnostics)
        if outputs.isEmpty {
            diagnostics.error(
                root["outputs"]?.location ?? start, "a stage manifest needs `outputs:` with at least one port")
        }
        if diagnostics.hasErrors { throw DiagnosticError(diagnostics.diagnostics) }

        var hashed = Data(data)
        for token in run.split(separator: " ") where !token.hasPrefix("-") {
            let candidate = StagePaths.resolve(String(token), in: projectDirectory)
            // An interpreter named by path (/usr/bin/python3) is not the stage's code: not read.
            guard !candidate.hasPrefix("/usr/") else { continue }
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isFolder), !isFolder.boolValue,
                let content = FileManager.default.contents(atPath: candidate)
            {
                hashed.append(Data("\n\(token)\n".utf8))
                hashed.append(content)
            }
        }
        return CommandManifest(
            name: name, file: path, projectDirectory: projectDirectory, description: root["description"]?.scalar ?? "",
            run: run, params: params, inputs: inputs, outputs: outputs,
            digest: hashed.withUnsafeBytes { ContentHash.sha256($0) })
    }

    private static func ports(_ node: YAMLNode?, role: String, _ diagnostics: inout DiagnosticCollector) -> [Port] {
        guard let node else { return [] }
        guard let pairs = node.pairs else {
            diagnostics.error(
                node.location,
                "`\(role)s` is a mapping of port name to { columns: { name: type } }, found \(node.kindName)")
            return []
        }
        return pairs.map { pair in
            var columns: [(name: String, type: DataType)] = []
            let columnsNode = pair.value["columns"]
            if columnsNode == nil && role == "output" {
                diagnostics.error(
                    pair.keyLocation, "output '\(pair.key)' needs `columns:`, its schema as { name: type }")
            }
            for column in columnsNode?.pairs ?? [] {
                if let type = column.value.scalar.flatMap(DataType.init(name:)) {
                    columns.append((column.key, type))
                } else {
                    diagnostics.error(
                        column.value.location,
                        "column '\(column.key)' of \(role) '\(pair.key)' needs a type: "
                            + DataType.allCases.map(\.rawValue).joined(separator: ", ")
                            + ", found '\(column.value.scalar ?? column.value.kindName)'")
                }
            }
            return Port(name: pair.key, columns: columns, location: pair.keyLocation)
        }
    }

    /// Replaces `${params.NAME}` in a column name with the stage's value.
    static func substitute(_ name: String, _ stage: StageSpec) -> String {
        guard name.contains("${params.") else { return name }
        var out = name
        while let open = out.range(of: "${params."), let close = out[open.upperBound...].firstIndex(of: "}") {
            let param = String(out[open.upperBound..<close])
            out.replaceSubrange(open.lowerBound...close, with: stage.param(param)?.description ?? "")
        }
        return out
    }
}
