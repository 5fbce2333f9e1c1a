import ArgumentParser
import Foundation
import WeirCore
import WeirStages

/// `weir runs prune`: forget old runs (ledger rows and run folders).
struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "Manage recorded runs.", subcommands: [Prune.self])

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract: "Forget runs older than an age: their ledger rows and .weir/runs/ID folders.",
            discussion:
                "The newest run of each pipeline and runs still going are kept. Cached results are not touched (see weir cache gc)."
        )

        @Argument(help: "Only runs of this pipeline file; its `retention.runs` is the default age.")
        var pipeline: String?

        @Option(help: ArgumentHelp("The age past which runs go: 30d, 12h, 90m.", valueName: "age"))
        var olderThan: String?

        @OptionGroup var state: StateOptions

        func run() throws {
            var age = try olderThan.map { text -> Double in
                guard let seconds = DurationText.seconds(text), seconds > 0 else {
                    throw ValidationError("--older-than expects a duration such as 30d, got '\(text)'")
                }
                return seconds
            }
            var identity: String?
            let workspace: Workspace
            if let pipeline {
                identity = PipelineOptions.identity(of: pipeline)
                workspace = try state.workspace(
                    .readWrite, near: URL(fileURLWithPath: pipeline).deletingLastPathComponent().path)
                if age == nil {
                    age = try PipelineLoader(registry: BuiltinStages.registry(forPipeline: pipeline)).load(
                        path: pipeline
                    ).retention?.runs
                }
            } else {
                workspace = try state.workspace(.readWrite)
            }
            guard let age else {
                throw ValidationError(
                    "say how old: --older-than 30d (or give a pipeline with `retention: { runs: 30d }`)")
            }
            let count = try workspace.pruneRuns(pipelineFile: identity, olderThan: age)
            Output.line("weir: pruned \(Wording.count(count, "run")) older than \(DurationText.format(age))")
        }
    }
}
