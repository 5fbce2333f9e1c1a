import Foundation
import Testing
import WeirTestSupport

/// `weir schema` checked by Python's jsonschema: every example pipeline validates; a misspelt
/// key, a wrong value type and an unknown stage type do not.
@Suite struct SchemaTests {
    @Test(.enabled(if: ReferencePython.available)) func theSchemaAcceptsTheExamplesAndRejectsMistakes() throws {
        let root = ReferencePython.packageRoot.path
        let weir = try WeirProcess()
        let printed = try weir.run(["schema"], in: root)
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(
            printed.stdout.contains("\"command-review_sentiment\""), "the project's stages/ manifests are in the schema"
        )
        try weir.write("schema.json", printed.stdout)
        let pipelines = try FileManager.default.contentsOfDirectory(atPath: root + "/pipelines").filter {
            $0.hasSuffix(".yaml")
        }.sorted()
        #expect(pipelines.count >= 10)
        let said = try ReferencePython.script(
            "schema_check.py",
            [weir.directory + "/schema.json", root + "/pipelines/orders-summary.yaml"]
                + pipelines.map { root + "/pipelines/" + $0 })
        #expect(said == "ok \(pipelines.count + 4)\n", "\(said)")
    }
}

/// `weir init` scaffolds a project whose first pipeline runs, and never overwrites.
@Suite struct InitTests {
    @Test func initScaffoldsARunnableProjectAndRefusesToOverwrite() throws {
        let weir = try WeirProcess()
        let made = try weir.run("init", "shop")
        #expect(made.status == 0, "\(made.stderr)")
        for file in ["shop/pipelines/first.yaml", "shop/data/orders.csv", "shop/.gitignore", "shop/.weir-schema.json"] {
            #expect(FileManager.default.fileExists(atPath: weir.directory + "/" + file), "\(file)")
        }
        #expect(try weir.read("shop/.gitignore").contains(".weir/"))
        let run = try weir.run(["run", "pipelines/first.yaml"], in: weir.directory + "/shop")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(
            try weir.read("shop/out/per-city.csv")
                == "city,orders,revenue\nPorto,1,30.0\nBraga,1,19.9\nLisbon,2,19.75\n")
        #expect(
            FileManager.default.fileExists(atPath: weir.directory + "/shop/.weir/weir.sqlite"),
            "the state is at the project root")
        try weir.write("shop/pipelines/first.yaml", "# mine\n")
        let again = try weir.run("init", "shop")
        #expect(again.status == 2 && again.stderr.contains("already exist; nothing was written"), "\(again.stderr)")
        #expect(try weir.read("shop/pipelines/first.yaml") == "# mine\n")
    }
}
