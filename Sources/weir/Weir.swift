import ArgumentParser
import WeirTable

@main
struct Weir: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "weir",
        abstract: "A data-pipeline DAG runner with typed stages and a content-hashed cache.",
        version: version,
        subcommands: [Convert.self]
    )
}
