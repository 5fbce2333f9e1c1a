import ArgumentParser
import WeirCore
import WeirStages

/// `weir stages`: every stage type with its parameters, defaults and ports, as a terminal
/// listing or as the Markdown of README's stage reference.
struct Stages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages", abstract: "List every stage type with its parameters, defaults and ports.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, markdown }

    @Argument(help: "Only this stage type.")
    var type: String?

    @Option(help: "text, or markdown (README's stage reference is this output).")
    var format: Format = .text

    func run() throws {
        let registry = WeirStagesRegistry.registry
        var types: [any StageType] = []
        for name in type.map({ [$0] }) ?? registry.names {
            guard let stageType = registry[name] else {
                throw UsageError(
                    "unknown stage type '\(name)'"
                        + (Suggest.didYouMean(name, in: registry.names).map { "; \($0)" } ?? ""))
            }
            types.append(stageType)
        }
        switch format {
        case .text: for stageType in types { Output.line(Self.text(stageType)) }
        case .markdown: Output.raw(StageReference.markdown(types))
        }
    }

    static func text(_ stageType: any StageType) -> String {
        var lines = [
            "\(stageType.name)  (version \(stageType.version))", "  \(stageType.summary)",
            "  inputs: \(StageReference.inputs(stageType.inputs))    outputs: \(StageReference.outputs(stageType))",
        ]
        let rows = stageType.params.map { spec in
            ["    " + spec.name, spec.kind.description, StageReference.defaultText(spec), spec.help]
        }
        if !rows.isEmpty { lines.append(Terminal.table(["    PARAM", "TYPE", "DEFAULT", "MEANING"], rows)) }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The stage reference in Markdown, from the stage types' own declarations.
enum StageReference {
    static func markdown(_ types: [any StageType]) -> String {
        var out = ""
        for stageType in types {
            out += "#### `\(stageType.name)`\n\n\(stageType.summary)\n\n"
            out += "Inputs: \(inputs(stageType.inputs)). Outputs: \(outputs(stageType)).\n\n"
            guard !stageType.params.isEmpty else { continue }
            out += "| parameter | type | default | meaning |\n|---|---|---|---|\n"
            for spec in stageType.params {
                let cells = ["`\(spec.name)`", spec.kind.description, defaultText(spec), spec.help]
                out += "| " + cells.map(cell).joined(separator: " | ") + " |\n"
            }
            out += "\n"
        }
        return out
    }

    static func inputs(_ arity: InputArity) -> String {
        switch arity {
        case .none: "none (a source)"
        case .one: "one (`input: stage`)"
        case .many: "one or more (`inputs: [stage, ...]`)"
        }
    }

    static func outputs(_ stageType: any StageType) -> String {
        stageType.outputs.isEmpty ? "none (writes outside the store)" : stageType.outputs.joined(separator: ", ")
    }

    static func defaultText(_ spec: ParamSpec) -> String {
        spec.required ? "required" : (spec.defaultValue.map { "\($0)" } ?? "")
    }

    /// A table cell: pipes escaped, so a choice `a | b` stays one cell.
    private static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
