import Foundation
import Testing
import WeirTestSupport

/// README's stage reference is `weir stages --format markdown`, generated from the stage types'
/// parameter declarations; this keeps the two equal.
@Suite struct StageReferenceTests {
    static let begin = "<!-- stage-reference:begin (generated: weir stages --format markdown) -->\n"
    static let end = "<!-- stage-reference:end -->"

    @Test func theReadmeHoldsTheGeneratedStageReference() throws {
        let weir = try WeirProcess()
        let printed = try weir.run("stages", "--format", "markdown")
        #expect(printed.status == 0, "\(printed.stderr)")
        // Declarations reach the reference: type, default and help of one parameter.
        #expect(printed.stdout.contains("#### `apriori`"))
        #expect(
            printed.stdout.contains(
                "| `min_support` | number | 0.01 | the least share of baskets an itemset must be in, in (0, 1] |"))
        #expect(printed.stdout.contains("| `agg` | count \\| sum \\| mean | count | how cells aggregate |"))
        let readme = try String(
            contentsOf: ReferencePython.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: Self.begin), let stop = readme.range(of: Self.end) else {
            Issue.record("README.md has no stage reference markers")
            return
        }
        let section = String(readme[start.upperBound..<stop.lowerBound])
        #expect(
            section == printed.stdout,
            "README's stage reference is stale: regenerate it with scripts/docs/stage-reference")
    }
}
