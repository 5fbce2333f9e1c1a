import ArgumentParser
import Foundation
import WeirCore
import WeirStages
import WeirSystem

/// `weir history`: past runs, or one run's stages, from the ledger.
struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List past runs from the ledger, or the stages of one run.")

    @Argument(help: "A run id (or its prefix): show that run's stages.")
    var runID: String?

    @Option(help: "Only runs of this pipeline file.")
    var pipeline: String?

    @Option(help: "How many runs to list.")
    var limit = 20

    @OptionGroup var state: StateOptions

    @Flag(help: "Print JSON Lines.")
    var json = false

    func run() throws {
        let workspace =
            try pipeline.map {
                try state.workspace(.readOnly, near: URL(fileURLWithPath: $0).deletingLastPathComponent().path)
            }
            ?? state.workspace(.readOnly)
        if let id = runID {
            guard let record = try workspace.ledger.run(id: id) else {
                throw UsageError("no run '\(id)' in \(workspace.root)")
            }
            let stages = try workspace.ledger.stageRuns(runID: record.id)
            if json {
                for stage in stages {
                    var fields = [
                        "\"run_id\":\"\(record.id)\"", "\"stage\":\(CanonicalJSON.string(stage.stage))",
                        "\"type\":\(CanonicalJSON.string(stage.type))", "\"status\":\"\(stage.status.rawValue)\"",
                        "\"attempts\":\(stage.attempts)",
                    ]
                    if let value = stage.startedAt { fields.append("\"started_at\":\(String(format: "%.6f", value))") }
                    if let value = stage.finishedAt {
                        fields.append("\"finished_at\":\(String(format: "%.6f", value))")
                    }
                    if let value = stage.seconds { fields.append("\"seconds\":\(value.json)") }
                    if let value = stage.key { fields.append("\"key\":\"\(value)\"") }
                    if let value = stage.outputsJSON { fields.append("\"outputs\":\(value)") }
                    if let value = stage.reason { fields.append("\"reason\":\(CanonicalJSON.string(value))") }
                    if let value = stage.error { fields.append("\"error\":\(CanonicalJSON.string(value))") }
                    Output.line("{" + fields.joined(separator: ",") + "}")
                }
                return
            }
            Output.line("run \(record.id) of '\(record.pipeline)' (\(record.pipelineFile)): \(status(record))")
            Output.line("  \(record.command)\n")
            let rows = stages.map {
                [$0.stage, $0.status.rawValue, $0.seconds.map(Terminal.seconds) ?? "", $0.reason ?? "", $0.error ?? ""]
            }
            Output.line(Terminal.table(["STAGE", "STATUS", "TIME", "WHY", "ERROR"], rows))
            return
        }
        let identity = pipeline.map(PipelineOptions.identity(of:))
        let runs = try workspace.ledger.runs(pipelineFile: identity, limit: limit)
        if json {
            for record in runs {
                Output.line(
                    "{\"run_id\":\"\(record.id)\",\"pipeline\":\(CanonicalJSON.string(record.pipeline)),\"status\":\"\(status(record))\","
                        + "\"started_at\":\(String(format: "%.3f", record.startedAt)),\"seconds\":\((record.finishedAt.map { $0 - record.startedAt } ?? .nan).json),\"counts\":\(JSONReporter.counts(record.counts))}"
                )
            }
            return
        }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let rows = runs.map { record -> [String] in
            [
                record.id, record.pipeline, formatter.string(from: Date(timeIntervalSince1970: record.startedAt)),
                record.finishedAt.map { Terminal.seconds($0 - record.startedAt) } ?? "", status(record),
                "\(record.counts["ran"] ?? 0)/\(record.counts["cached"] ?? 0)/\(record.counts["failed"] ?? 0)/\(record.counts["skipped"] ?? 0)",
            ]
        }
        Output.line(
            Terminal.table(["RUN", "PIPELINE", "STARTED", "TIME", "STATUS", "RAN/CACHED/FAILED/SKIPPED"], rows))
    }

    /// A run still marked running whose process is gone was interrupted (killed or crashed).
    func status(_ record: RunRecord) -> String {
        if record.status == .running && !Syscall.isAlive(Int32(record.pid)) {
            return RunStatus.interrupted.rawValue
        }
        return record.status.rawValue
    }
}

/// `weir cache gc`: drop what no cache entry references.
enum WeirStagesRegistry {
    static var registry: StageRegistry { BuiltinStages.registry }
}
