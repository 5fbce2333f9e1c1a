import Foundation
import Testing

/// The example pipelines as shipped, on the committed samples, through the binary.
@Suite struct ExamplePipelineTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    func run(_ pipeline: String, _ stage: String, in weir: WeirProcess) throws -> WeirProcess.Result {
        let path = Self.repository + "/pipelines/" + pipeline
        // Only the stage and its upstream: the load stages would write into the repository's out/.
        let result = try weir.run(["run", path, "--state-dir", weir.directory + "/state", "--select", "+" + stage.split(separator: ".")[0]])
        #expect(result.status == 0, "\(result.stderr)")
        return try weir.run(["show", path, stage, "--state-dir", weir.directory + "/state", "--format", "csv"])
    }

    @Test func basketExampleFindsThePlantedPairsOnTop() throws {
        let weir = try WeirProcess()
        let csv = try run("instacart-basket.yaml", "top_pairs", in: weir).stdout
        let pairs = csv.split(separator: "\n").dropFirst().prefix(4).map { line -> Set<String> in
            let fields = line.split(separator: ",")
            return [String(fields[0]), String(fields[1])]
        }
        // The generator plants these four (scripts/gen/instacart.py, PLANTED).
        let planted: [Set<String>] = [["Limes", "Large Lemon"], ["Organic Yellow Onion", "Organic Garlic"],
                                      ["Organic Cilantro", "Jalapeno Peppers"], ["Organic Raspberries", "Organic Blueberries"]]
        #expect(Set(pairs) == Set(planted), "top pairs by lift: \(pairs)")
    }

    @Test func segmentsExampleChoosesFiveClustersByTheElbow() throws {
        let weir = try WeirProcess()
        let csv = try run("instacart-segments.yaml", "segments.clusters", in: weir).stdout
        #expect(csv.split(separator: "\n").count == 6, "\(csv.prefix(300))")
    }

    @Test func rfmExampleScoresEveryCustomer() throws {
        let weir = try WeirProcess()
        let csv = try run("olist-rfm.yaml", "segment_summary", in: weir).stdout
        let total = csv.split(separator: "\n").dropFirst().compactMap { Int($0.split(separator: ",")[1]) }.reduce(0, +)
        let scores = try run("olist-rfm.yaml", "rfm", in: weir).stdout.split(separator: "\n").count - 1
        #expect(total == scores && total > 1000)
    }
}
