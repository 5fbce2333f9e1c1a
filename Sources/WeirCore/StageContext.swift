import WeirTable

/// What a stage type sees while its output schema is computed: its parameters and its inputs'
/// schemas, no data. Problems are diagnostics at the parameter's position in the file.
public struct PlanContext: Sendable {
    public let stage: StageSpec
    /// Schemas of the stage's inputs, in the order of `stage.inputs`.
    public let inputSchemas: [Schema]
    public let pipelineDirectory: String
    public var diagnostics = DiagnosticCollector()

    public init(stage: StageSpec, inputSchemas: [Schema], pipelineDirectory: String) {
        self.stage = stage
        self.inputSchemas = inputSchemas
        self.pipelineDirectory = pipelineDirectory
    }

    public func param(_ name: String) -> ParamValue? { stage.param(name) }

    public var inputNames: [String] { stage.inputs.map(\.description) }

    public mutating func error(_ param: String?, _ message: String, hint: String? = nil) {
        let location = param.flatMap { stage.params[$0]?.location } ?? stage.location
        diagnostics.error(location, message, hint: hint)
    }

    /// The field a column parameter names in input `input`, checked for existence and type.
    @discardableResult
    public mutating func column(_ param: String, input: Int = 0, types: Set<DataType> = []) -> Field? {
        guard let name = self.param(param)?.string else { return nil }
        return column(named: name, param: param, input: input, types: types)
    }

    /// Checks a column name given by (an item of) parameter `param`.
    @discardableResult
    public mutating func column(named name: String, param: String, input: Int = 0, types: Set<DataType> = []) -> Field? {
        guard input < inputSchemas.count else { return nil }
        let schema = inputSchemas[input]
        let source = input < stage.inputs.count ? stage.inputs[input].description : "the input"
        guard let field = schema[name] else {
            error(param, "\(stage.id).\(param) names column '\(name)' but \(source) produces no such column "
                  + "(it has: \(schema.names.joined(separator: ", ")))",
                  hint: Suggest.didYouMean(name, in: schema.names))
            return nil
        }
        if !types.isEmpty && !types.contains(field.type) {
            error(param, "\(stage.id).\(param) names column '\(name)' of \(source), which is \(field.type); "
                  + "expected \(types.map(\.rawValue).sorted().joined(separator: " or "))")
            return nil
        }
        return field
    }
}

/// What a stage sees when it runs.
public struct RunContext: Sendable {
    public let stage: StageSpec
    public let inputs: [Table]
    public let pipelineDirectory: String
    /// A folder for this stage's logs and side files in this run.
    public let runDirectory: String

    public init(stage: StageSpec, inputs: [Table], pipelineDirectory: String, runDirectory: String) {
        self.stage = stage
        self.inputs = inputs
        self.pipelineDirectory = pipelineDirectory
        self.runDirectory = runDirectory
    }

    public func param(_ name: String) -> ParamValue? { stage.param(name) }

    /// A path from the pipeline file, relative to its folder.
    public func resolvePath(_ path: String) -> String {
        path.hasPrefix("/") || path.contains("://") ? path : pipelineDirectory + "/" + path
    }
}

/// Computes every stage's output schemas in dependency order, collecting the column-contract
/// diagnostics of the whole pipeline.
public enum SchemaPlanner {
    public static func plan(_ pipeline: Pipeline, registry: StageRegistry) throws -> [String: [String: Schema]] {
        var schemas: [String: [String: Schema]] = [:]
        var diagnostics = DiagnosticCollector()
        for stage in pipeline.stages {
            guard let type = registry[stage.typeName] else { continue }
            var inputs: [Schema] = []
            var ready = true
            for ref in stage.inputs {
                let ports = schemas[ref.stage]
                let upstream = pipeline.stage(ref.stage).flatMap { registry[$0.typeName] }
                guard let ports, let port = ref.port ?? upstream?.outputs.first, let schema = ports[port] else {
                    ready = false
                    continue
                }
                inputs.append(schema)
            }
            guard ready else { continue }  // upstream already failed; its error is reported
            var context = PlanContext(stage: stage, inputSchemas: inputs, pipelineDirectory: pipeline.directory)
            let outputs = type.outputSchemas(&context)
            diagnostics.append(contentsOf: context.diagnostics.diagnostics)
            if !context.diagnostics.hasErrors { schemas[stage.id] = outputs }
        }
        try diagnostics.throwIfErrors()
        return schemas
    }
}
