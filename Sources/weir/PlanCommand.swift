import ArgumentParser
import Foundation
import WeirCore
import WeirStages
import WeirTable

/// `weir plan`: for every stage, cached or why it would run.
struct Plan_: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show, for every stage, whether its output is cached and otherwise why it would run.",
        discussion:
            "Reasons: never ran; params changed (which); input changed (which); source changed (which files); code version changed; forced; upstream runs first."
    )

    @OptionGroup var options: PipelineOptions
    @OptionGroup var selection: SelectionOptions

    @Flag(help: "Print each stage's key and the digests that went into it, as JSON.")
    var json = false

    func run() throws {
        let workspace = try options.workspace(.readOnly)
        let force = selection.force
        let patterns = selection.selection
        let (pipeline, plan, _) = try loadAndPlan(
            options, workspace: workspace,
            forced: { force ? try patterns.resolve(in: $0) : [] })
        let selected = try patterns.resolve(in: pipeline)
        let shown = plan.stages.filter { selected.contains($0.stage.id) }
        if json {
            Output.line(Self.json(plan: plan, stages: shown))
            return
        }
        let rows = shown.map { [$0.stage.id, $0.stage.typeName, $0.status == .cached ? "cached" : "run", $0.reason] }
        Output.line(Terminal.table(["STAGE", "TYPE", "STATUS", "WHY"], rows))
        let running = shown.filter { $0.status == .run }.count
        Output.line("\n\(running) of \(Wording.count(shown.count, "stage")) would run")
        let missing = Scheduler.missingUpstream(plan: plan, selected: selected)
        for item in missing {
            Output.line(
                "note: '\(item.stage)' reads '\(item.upstream)', which is not selected and not cached; a run would stop with exit 2"
            )
        }
    }

    static func json(plan: Plan, stages: [StagePlan]) -> String {
        let items = stages.map { stage -> String in
            var fields = [
                "\"stage\":\(CanonicalJSON.string(stage.stage.id))",
                "\"type\":\(CanonicalJSON.string(stage.stage.typeName))",
                "\"version\":\(CanonicalJSON.string(stage.type.version))",
                "\"status\":\"\(stage.status.rawValue)\"", "\"reason\":\(CanonicalJSON.string(stage.reason))",
            ]
            fields.append("\"key\":" + (stage.key.map { "\"\($0)\"" } ?? "null"))
            if let material = stage.material {
                fields.append("\"material\":" + material.canonical)
            } else {
                fields.append("\"material\":null")
            }
            if let entry = stage.entry {
                fields.append("\"outputs\":" + CacheOutput.json(entry.outputs))
            }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "{\"pipeline\":\(CanonicalJSON.string(plan.pipeline.name)),\"stages\":[" + items.joined(separator: ",")
            + "]}"
    }
}

/// `weir validate`: every problem in the pipeline, reported at once; no stage runs.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline: YAML, keys, types, inputs, cycles, environment and column contracts.",
        discussion:
            "Sources are read (or their cached schema used) to learn their columns; nothing else runs. Exit 0 when valid, 2 otherwise."
    )

    @OptionGroup var options: PipelineOptions

    func run() throws {
        let workspace = try options.workspace(.readOnly)
        let (pipeline, _, _) = try loadAndPlan(options, workspace: workspace)
        Output.line("\(options.pipeline): ok: \(Wording.count(pipeline.stages.count, "stage"))")
    }
}

/// `weir graph`: the DAG as Graphviz dot or a Mermaid flowchart.
struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Print the pipeline's DAG as Graphviz dot or Mermaid.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case dot, mermaid }

    @OptionGroup var options: PipelineOptions

    @Option(help: "dot or mermaid.")
    var format: Format = .dot

    func run() throws {
        let pipeline = try options.load()
        var lines: [String] = []
        func id(_ text: String) -> String { text.replacingOccurrences(of: "-", with: "_") }
        switch format {
        case .dot:
            lines.append("digraph \(CanonicalJSON.string(pipeline.name)) {")
            lines.append("  rankdir=LR;")
            lines.append("  node [shape=box, style=rounded];")
            for stage in pipeline.stages {
                lines.append(
                    "  \(CanonicalJSON.string(stage.id)) [label=\(CanonicalJSON.string("\(stage.id)\n\(stage.typeName)"))];"
                )
            }
            for stage in pipeline.stages {
                for ref in stage.inputs {
                    let label = ref.port.map { " [label=\(CanonicalJSON.string($0))]" } ?? ""
                    lines.append("  \(CanonicalJSON.string(ref.stage)) -> \(CanonicalJSON.string(stage.id))\(label);")
                }
            }
            lines.append("}")
        case .mermaid:
            lines.append("flowchart LR")
            for stage in pipeline.stages { lines.append("  \(id(stage.id))[\"\(stage.id)<br/>\(stage.typeName)\"]") }
            for stage in pipeline.stages {
                for ref in stage.inputs {
                    lines.append("  \(id(ref.stage)) -->" + (ref.port.map { "|\($0)|" } ?? "") + " \(id(stage.id))")
                }
            }
        }
        Output.line(lines.joined(separator: "\n"))
    }
}
