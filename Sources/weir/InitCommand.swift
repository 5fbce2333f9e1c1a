import ArgumentParser
import Foundation
import WeirStages

/// `weir init [FOLDER]`: a project to start from: pipelines/ with a first pipeline over a small
/// CSV in data/, a .gitignore that keeps .weir/ and out/ out of version control, the state
/// directory .weir/ (which marks the project's root) and the JSON Schema for editors. Refuses
/// to overwrite anything.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a project: pipelines/, data/, a first pipeline, .gitignore (never overwrites).")

    @Argument(help: "The project folder (default: the current folder).")
    var folder: String = "."

    static let files: [(path: String, text: String)] = [
        (
            "pipelines/first.yaml",
            """
            # yaml-language-server: $schema=../.weir-schema.json
            # A first pipeline: read a CSV, summarise it with SQL, write the result.
            #   weir run pipelines/first.yaml     then     weir show pipelines/first.yaml per_city
            description: Orders per city

            stages:
              orders:
                type: extract.csv
                path: ../data/orders.csv

              per_city:
                type: sql
                input: orders
                query: |
                  SELECT city, count(*) AS orders, round(sum(amount), 2) AS revenue
                  FROM orders GROUP BY city ORDER BY revenue DESC

              per_city_csv: { type: load.csv, input: per_city, path: ../out/per-city.csv }

            """
        ),
        (
            "data/orders.csv",
            """
            order_id,city,amount,ordered_at
            1,Lisbon,12.50,2026-01-05T10:00:00Z
            2,Porto,30.00,2026-01-05T11:30:00Z
            3,Lisbon,7.25,2026-01-06T09:15:00Z
            4,Braga,19.90,2026-01-07T18:45:00Z

            """
        ),
        (
            ".gitignore",
            """
            # Weir's state (cache, ledger, run folders) and what pipelines write.
            .weir/
            out/

            """
        ),
    ]

    func run() throws {
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        let fm = FileManager.default
        let existing = Self.files.map { root + "/" + $0.path }.filter { fm.fileExists(atPath: $0) }
        guard existing.isEmpty else {
            throw UsageError(
                "init: \(existing.joined(separator: ", ")) already exist\(existing.count == 1 ? "s" : ""); nothing was written"
            )
        }
        for (path, text) in Self.files {
            let target = root + "/" + path
            try fm.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: target, atomically: true, encoding: .utf8)
        }
        let schema = try JSONSerialization.data(
            withJSONObject: PipelineSchema(
                registry: BuiltinStages.registry(forPipeline: root + "/pipelines/first.yaml")
            ).document,
            options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        // The state directory marks the project root: every pipeline under it shares it.
        try fm.createDirectory(atPath: root + "/.weir", withIntermediateDirectories: true)
        if !fm.fileExists(atPath: root + "/.weir-schema.json") {
            try schema.write(to: URL(fileURLWithPath: root + "/.weir-schema.json"))
        }
        Output.line("created \(root): pipelines/first.yaml, data/orders.csv, .gitignore, .weir-schema.json")
        Output.line("next: cd \(folder) && weir run pipelines/first.yaml")
    }
}
