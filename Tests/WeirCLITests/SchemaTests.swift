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
        #expect(printed.stdout.contains("\"command-review_sentiment\""), "the project's stages/ manifests are in the schema")
        try weir.write("schema.json", printed.stdout)
        let pipelines = try FileManager.default.contentsOfDirectory(atPath: root + "/pipelines").filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(pipelines.count >= 10)
        let said = try ReferencePython.script("schema_check.py", [weir.directory + "/schema.json", root + "/pipelines/orders-summary.yaml"]
                                               + pipelines.map { root + "/pipelines/" + $0 })
        #expect(said == "ok \(pipelines.count + 4)\n", "\(said)")
    }
}
