import Foundation
import WeirTable

/// Reads a pipeline file into a `Pipeline`, checking everything that can be checked without
/// data: YAML syntax, keys, value types, stage types, inputs, cycles and substitutions. Every
/// problem is collected, so a user sees them all at once.
public struct PipelineLoader {
    public var registry: StageRegistry
    public var environment: [String: String]
    /// `--param k=v` overrides, as text (coerced to the declared parameter's YAML type).
    public var overrides: [String: String]

    public init(
        registry: StageRegistry, environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [String: String] = [:]
    ) {
        self.registry = registry
        self.environment = environment
        self.overrides = overrides
    }

    static let topLevelKeys = [
        "pipeline", "description", "params", "stages", "cache", "executor", "slurm", "schedule", "notify", "retention",
    ]
    public static let engineKeys = ["type", "input", "inputs", "retries", "timeout", "description", "slurm"]

    public func load(path: String) throws -> Pipeline {
        let (pipeline, diagnostics) = try loadCollecting(path: path)
        try Self.throwIfErrors(diagnostics)
        return pipeline
    }

    public func load(text: String, file: String) throws -> Pipeline {
        let (pipeline, diagnostics) = try loadCollecting(text: text, file: file)
        try Self.throwIfErrors(diagnostics)
        return pipeline
    }

    static func throwIfErrors(_ diagnostics: [Diagnostic]) throws {
        var collector = DiagnosticCollector()
        collector.append(contentsOf: diagnostics)
        try collector.throwIfErrors()
    }

    /// Loads what can be loaded and returns it with the problems found, so a caller can go on
    /// to check column contracts of the sound stages and report everything at once. Throws only
    /// when nothing can be loaded (YAML syntax, not a mapping).
    public func loadCollecting(path: String) throws -> (Pipeline, [Diagnostic]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticError([Diagnostic(at: nil, "cannot read pipeline file '\(path)'")])
        }
        return try loadCollecting(text: String(decoding: data, as: UTF8.self), file: path)
    }

    public func loadCollecting(text: String, file: String) throws -> (Pipeline, [Diagnostic]) {
        var diagnostics = DiagnosticCollector()
        let root = try Self.root(of: text, file: file)
        // `x-` keys hold what the file itself reuses (YAML anchors), as in docker compose.
        for pair in root.pairs ?? [] where !Self.topLevelKeys.contains(pair.key) && !pair.key.hasPrefix("x-") {
            diagnostics.error(
                pair.keyLocation, "unknown key '\(pair.key)' at the top of the pipeline",
                hint: Suggest.didYouMean(pair.key, in: Self.topLevelKeys)
                    ?? "allowed: \(Self.topLevelKeys.joined(separator: ", ")), and x-NAME for anchors to reuse")
        }
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        let name = root["pipeline"]?.scalar ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let params = pipelineParams(root["params"], &diagnostics)
        let substitution = Substitution(params: params, environment: environment)
        var pipeline = Pipeline(name: name, file: file, directory: directory, params: params, stages: [])
        pipeline.cacheRemote = root["cache"].flatMap { Self.cacheRemote($0, &diagnostics) }
        pipeline.executor = root["executor"].map { Self.executor($0, &diagnostics) } ?? .local
        pipeline.slurm = root["slurm"].map { SlurmResources.parse($0, &diagnostics) } ?? SlurmResources()
        pipeline.schedule = root["schedule"].flatMap { ScheduleSpec.parse($0, &diagnostics) }
        pipeline.notify = root["notify"].flatMap { NotifySpec.parse($0, substitution: substitution, &diagnostics) }
        pipeline.retention = root["retention"].flatMap { RetentionSpec.parse($0, &diagnostics) }

        guard let stagesNode = root["stages"] else {
            diagnostics.error(root.location, "the pipeline has no `stages:`")
            return (pipeline, diagnostics.diagnostics)
        }
        guard let stagePairs = stagesNode.pairs else {
            diagnostics.error(
                stagesNode.location, "`stages` must be a mapping of stage id to stage, found \(stagesNode.kindName)")
            throw DiagnosticError(diagnostics.diagnostics)
        }
        let ids = Set(stagePairs.map(\.key))
        var types: [String: any StageType] = [:]
        for pair in stagePairs {
            if let name = pair.value["type"]?.scalar, let type = registry[name] { types[pair.key] = type }
        }
        pipeline.stages = stagePairs.compactMap { pair in
            loadStage(pair, ids: ids, types: types, substitution: substitution, &diagnostics)
        }
        DAG.checkCycles(pipeline, &diagnostics)
        pipeline.stages = DAG.order(pipeline)
        return (pipeline, diagnostics.diagnostics)
    }

    /// The file's top mapping; YAML that does not parse, or is not a mapping, is an error.
    private static func root(of text: String, file: String) throws -> YAMLNode {
        switch YAMLNode.parse(text, file: file) {
        case .failure(let error): throw error
        case .success(let node):
            guard let node, node.pairs != nil else {
                throw DiagnosticError([
                    Diagnostic(
                        at: SourceLocation(file: file, line: 1, column: 1),
                        "a pipeline file is a mapping with `pipeline:` and `stages:`")
                ])
            }
            return node
        }
    }

    /// The pipeline's `params:`, then the `--param` overrides.
    private func pipelineParams(_ node: YAMLNode?, _ diagnostics: inout DiagnosticCollector) -> [String: ParamValue] {
        var params: [String: ParamValue] = [:]
        if let node {
            if let pairs = node.pairs {
                for pair in pairs { params[pair.key] = Self.genericValue(pair.value) }
            } else if node.kind != .null {
                diagnostics.error(node.location, "`params` must be a mapping of name: value, found \(node.kindName)")
            }
        }
        for (key, text) in overrides {
            if params[key] == nil {
                diagnostics.error(
                    nil, "--param \(key): the pipeline declares no parameter '\(key)'",
                    hint: Suggest.didYouMean(key, in: Array(params.keys))
                        ?? "declared: \(params.keys.sorted().joined(separator: ", "))")
            }
            params[key] = Self.genericValue(
                YAMLNode(.scalar(text, quoted: false), at: SourceLocation(file: "--param", line: 1, column: 1)))
        }
        return params
    }

    /// `cache: { remote: s3://bucket/prefix }`: a cache shared with other machines.
    private static func cacheRemote(_ node: YAMLNode, _ diagnostics: inout DiagnosticCollector) -> String? {
        for pair in node.pairs ?? [] where pair.key != "remote" {
            diagnostics.error(pair.keyLocation, "unknown key '\(pair.key)' in `cache`", hint: "allowed: remote")
        }
        guard let remote = node["remote"] else {
            if node.pairs == nil {
                diagnostics.error(
                    node.location,
                    "`cache` must be a mapping such as { remote: s3://bucket/prefix }, found \(node.kindName)")
            }
            return nil
        }
        if let text = remote.scalar, text.hasPrefix("s3://") { return text }
        diagnostics.error(
            remote.location,
            "`cache.remote` must be an s3://BUCKET/PREFIX URL, found '\(remote.scalar ?? remote.kindName)'")
        return nil
    }

    private static func executor(_ node: YAMLNode, _ diagnostics: inout DiagnosticCollector) -> ExecutorKind {
        if let text = node.scalar, let kind = ExecutorKind(rawValue: text) { return kind }
        let kinds = ExecutorKind.allCases.map(\.rawValue).joined(separator: ", ")
        diagnostics.error(node.location, "`executor` must be one of \(kinds), found '\(node.scalar ?? node.kindName)'")
        return .local
    }

    private func loadStage(
        _ pair: YAMLPair, ids: Set<String>, types: [String: any StageType], substitution: Substitution,
        _ diagnostics: inout DiagnosticCollector
    ) -> StageSpec? {
        let id = pair.key
        guard let fields = pair.value.pairs else {
            diagnostics.error(
                pair.value.location, "stage '\(id)' must be a mapping with a `type:`, found \(pair.value.kindName)")
            return nil
        }
        if id.isEmpty || id.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
            diagnostics.error(pair.keyLocation, "stage id '\(id)' may use only letters, digits, '_' and '-'")
        }
        guard let typeNode = pair.value["type"] else {
            diagnostics.error(
                pair.keyLocation, "stage '\(id)' has no `type:`",
                hint: "stage types: \(registry.names.joined(separator: ", "))")
            return nil
        }
        guard let (typeName, type) = registry.resolve(typeNode, stage: pair.value, &diagnostics) else { return nil }
        let known = Self.engineKeys + type.params.map(\.name)
        for field in fields where !known.contains(field.key) {
            diagnostics.error(
                field.keyLocation, "unknown key '\(field.key)' for stage type \(typeName)",
                hint: Suggest.didYouMean(field.key, in: known)
                    ?? "keys of \(typeName): \(known.joined(separator: ", "))")
        }
        let inputs = loadInputs(pair, type: type, typeName: typeName, ids: ids, types: types, &diagnostics)
        var params = loadParams(pair, type: type, typeName: typeName, substitution: substitution, &diagnostics)
        bindQueryPlaceholders(id, type: type, substitution: substitution, into: &params, &diagnostics)
        var stage = StageSpec(
            id: id, location: pair.keyLocation, typeName: typeName, inputs: inputs, params: params,
            retries: Self.retries(pair.value["retries"], &diagnostics),
            timeout: Self.timeout(pair.value["timeout"], &diagnostics))
        if let node = pair.value["slurm"] { stage.slurm = SlurmResources.parse(node, &diagnostics) }
        return stage
    }

    /// `input: stage` or `inputs: [stage, stage.port]`, checked against the type's arity and
    /// the pipeline's stages and their ports.
    private func loadInputs(
        _ pair: YAMLPair, type: any StageType, typeName: String, ids: Set<String>, types: [String: any StageType],
        _ diagnostics: inout DiagnosticCollector
    ) -> [InputRef] {
        let id = pair.key
        var inputs: [InputRef] = []
        let input = pair.value["input"]
        let inputList = pair.value["inputs"]
        if input != nil, let inputList {
            diagnostics.error(inputList.location, "stage '\(id)' has both `input` and `inputs`; use one")
        }
        for item in (input ?? inputList).map({ $0.items ?? [$0] }) ?? [] {
            guard let text = item.scalar else {
                diagnostics.error(item.location, "an input is a stage id (or stage.port), found \(item.kindName)")
                continue
            }
            inputs.append(InputRef.parse(text, stages: ids, at: item.location))
        }
        let place = (input ?? inputList)?.location ?? pair.keyLocation
        switch type.inputs {
        case .none where !inputs.isEmpty:
            diagnostics.error(place, "\(typeName) is a source and takes no input")
        case .one where inputs.count != 1:
            diagnostics.error(place, "\(typeName) takes exactly one input (`input: stage`), got \(inputs.count)")
        case .many where inputs.isEmpty:
            diagnostics.error(pair.keyLocation, "\(typeName) needs `inputs: [stage, ...]`")
        default: break
        }
        for ref in inputs {
            if ref.stage == id {
                diagnostics.error(ref.location, "stage '\(id)' names itself as an input")
            } else if !ids.contains(ref.stage) {
                diagnostics.error(
                    ref.location, "stage '\(id)' reads from '\(ref.stage)', which is not a stage of this pipeline",
                    hint: Suggest.didYouMean(ref.stage, in: Array(ids))
                        ?? "stages: \(ids.sorted().joined(separator: ", "))")
            } else if let port = ref.port, let upstreamType = types[ref.stage], !upstreamType.outputs.contains(port) {
                diagnostics.error(
                    ref.location, "stage '\(ref.stage)' has no output port '\(port)'",
                    hint: "ports of \(upstreamType.name): \(upstreamType.outputs.joined(separator: ", "))")
            }
        }
        return inputs
    }

    static func retries(_ node: YAMLNode?, _ diagnostics: inout DiagnosticCollector) -> Int {
        guard let node else { return 0 }
        if let text = node.scalar, let value = Int(text), value >= 0 { return value }
        diagnostics.error(
            node.location, "`retries` must be a whole number ≥ 0, found \(node.kindName) '\(node.scalar ?? "")'")
        return 0
    }

    static func timeout(_ node: YAMLNode?, _ diagnostics: inout DiagnosticCollector) -> Double? {
        guard let node else { return nil }
        if let text = node.scalar, let seconds = DurationText.seconds(text) { return seconds }
        diagnostics.error(
            node.location,
            "`timeout` must be a duration such as 90, 30s, 5m or 2h, found '\(node.scalar ?? node.kindName)'")
        return nil
    }

    /// Every parameter the type declares: substituted, coerced to its kind, or its default.
    private func loadParams(
        _ pair: YAMLPair, type: any StageType, typeName: String, substitution: Substitution,
        _ diagnostics: inout DiagnosticCollector
    ) -> [String: ResolvedParam] {
        var params: [String: ResolvedParam] = [:]
        for spec in type.params {
            guard let node = pair.value[spec.name] else {
                if spec.required {
                    diagnostics.error(
                        pair.keyLocation, "stage '\(pair.key)' (\(typeName)) needs `\(spec.name)`: \(spec.help)")
                }
                params[spec.name] = ResolvedParam(
                    value: spec.defaultValue ?? .null, location: nil, secret: false, environment: [])
                continue
            }
            var secret = false
            var environment: [String] = []
            let substituted = Self.substitute(
                node, substitution, &diagnostics, secret: &secret, environment: &environment)
            if let value = Self.coerce(substituted, to: spec, stage: pair.key, &diagnostics) {
                params[spec.name] = ResolvedParam(
                    value: value, location: node.location, secret: secret, environment: environment)
            }
        }
        return params
    }

    /// A query's `$name` placeholders, each bound to its pipeline param as the stage parameter
    /// `$name` (so the value is in the cache key and never spliced into the SQL).
    private func bindQueryPlaceholders(
        _ id: String, type: any StageType, substitution: Substitution, into params: inout [String: ResolvedParam],
        _ diagnostics: inout DiagnosticCollector
    ) {
        for spec in type.params where spec.kind == .query {
            guard let query = params[spec.name]?.value.string, let location = params[spec.name]?.location else {
                continue
            }
            for name in QueryPlaceholders.names(in: query) {
                guard let value = substitution.params[name] else {
                    diagnostics.error(
                        location, "\(id).\(spec.name) binds $\(name), but the pipeline has no param '\(name)'",
                        hint: Suggest.didYouMean(name, in: Array(substitution.params.keys))
                            ?? "declare it under `params:` (a $name in a query is a bound value, never spliced)")
                    continue
                }
                params["$" + name] = ResolvedParam(value: value, location: location, secret: false, environment: [])
            }
        }
    }

    // MARK: Values

    static func substitute(
        _ node: YAMLNode, _ substitution: Substitution, _ diagnostics: inout DiagnosticCollector,
        secret: inout Bool, environment: inout [String]
    ) -> YAMLNode {
        switch node.kind {
        case .scalar(let text, let quoted):
            let result = substitution.apply(text, at: node.location, &diagnostics)
            secret = secret || result.secret
            environment += result.environment
            return YAMLNode(.scalar(result.text, quoted: quoted), at: node.location)
        case .sequence(let items):
            return YAMLNode(
                .sequence(
                    items.map { substitute($0, substitution, &diagnostics, secret: &secret, environment: &environment) }
                ),
                at: node.location)
        case .mapping(let pairs):
            return YAMLNode(
                .mapping(
                    pairs.map {
                        YAMLPair(
                            key: $0.key, keyLocation: $0.keyLocation,
                            value: substitute(
                                $0.value, substitution, &diagnostics, secret: &secret, environment: &environment))
                    }), at: node.location)
        case .null:
            return node
        }
    }

    /// A YAML value as the parameter's kind, or a diagnostic saying what was expected.
    /// `node` as a value of `spec`'s kind; a mismatch is a diagnostic at the node.
    public static func coerce(
        _ node: YAMLNode, to spec: ParamSpec, stage: String, _ diagnostics: inout DiagnosticCollector
    ) -> ParamValue? {
        func fail(_ expected: String) -> ParamValue? {
            let found = node.scalar.map { "\(node.kindName) '\($0)'" } ?? node.kindName
            diagnostics.error(node.location, "`\(spec.name)` of stage '\(stage)' must be \(expected), found \(found)")
            return nil
        }
        if node.kind == .null { return spec.required ? fail(spec.kind.description) : (spec.defaultValue ?? .null) }
        switch spec.kind {
        case .string, .column, .query:
            guard let text = node.scalar else { return fail(spec.kind == .string ? "a string" : "a column name") }
            return .string(text)
        case .int:
            guard let text = node.scalar, let value = Int(text) else { return fail("an integer") }
            return .int(value)
        case .double:
            guard let text = node.scalar, let value = Double(text) else { return fail("a number") }
            return .double(value)
        case .bool:
            switch node.scalar?.lowercased() {
            case "true", "yes", "on": return .bool(true)
            case "false", "no", "off": return .bool(false)
            default: return fail("true or false")
            }
        case .stringList, .columns:
            // One name alone stands for a list of one, as `inputs: a` does.
            if let text = node.scalar { return .list([.string(text)]) }
            guard let items = node.items else { return fail("a list such as [a, b]") }
            var values: [ParamValue] = []
            for item in items {
                guard let text = item.scalar else {
                    diagnostics.error(item.location, "items of `\(spec.name)` must be strings, found \(item.kindName)")
                    return nil
                }
                values.append(.string(text))
            }
            return .list(values)
        case .choice(let words):
            guard let text = node.scalar else { return fail("one of \(words.joined(separator: ", "))") }
            guard words.contains(text) else {
                diagnostics.error(
                    node.location,
                    "`\(spec.name)` of stage '\(stage)' must be one of \(words.joined(separator: ", ")), found '\(text)'",
                    hint: Suggest.didYouMean(text, in: words))
                return nil
            }
            return .string(text)
        case .columnTypes:
            guard let pairs = node.pairs else { return fail("a mapping of column: type") }
            var map: [String: ParamValue] = [:]
            for pair in pairs {
                guard let text = pair.value.scalar, DataType(name: text) != nil else {
                    diagnostics.error(
                        pair.value.location,
                        "column '\(pair.key)': unknown type '\(pair.value.scalar ?? pair.value.kindName)'",
                        hint: "types: " + DataType.allCases.map(\.rawValue).joined(separator: ", "))
                    continue
                }
                map[pair.key] = .string(DataType(name: text)!.rawValue)
            }
            return .map(map)
        case .any:
            return genericValue(node)
        }
    }

    /// A YAML value without a declared kind: plain scalars that look like numbers or booleans
    /// become those.
    static func genericValue(_ node: YAMLNode) -> ParamValue {
        switch node.kind {
        case .null: return .null
        case .scalar(let text, let quoted):
            if quoted { return .string(text) }
            if let int = Int(text) { return .int(int) }
            if let double = Double(text), text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                return .double(double)
            }
            if text == "true" { return .bool(true) }
            if text == "false" { return .bool(false) }
            return .string(text)
        case .sequence(let items): return .list(items.map(genericValue))
        case .mapping(let pairs):
            return .map(Dictionary(pairs.map { ($0.key, genericValue($0.value)) }, uniquingKeysWith: { $1 }))
        }
    }
}
