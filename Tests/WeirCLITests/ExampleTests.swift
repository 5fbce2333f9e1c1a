import Foundation
import Testing

/// The example pipelines as shipped, on the committed samples, through the binary.
@Suite struct ExamplePipelineTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    func run(_ pipeline: String, _ stage: String, in weir: WeirProcess) throws -> WeirProcess.Result {
        let path = Self.repository + "/pipelines/" + pipeline
        // Only the stage and its upstream: the load stages would write into the repository's out/.
        let result = try weir.run([
            "run", path, "--state-dir", weir.directory + "/state", "--select", "+" + stage.split(separator: ".")[0],
        ])
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
        let planted: [Set<String>] = [
            ["Limes", "Large Lemon"], ["Organic Yellow Onion", "Organic Garlic"],
            ["Organic Cilantro", "Jalapeno Peppers"], ["Organic Raspberries", "Organic Blueberries"],
        ]
        #expect(Set(pairs) == Set(planted), "top pairs by lift: \(pairs)")
    }

    @Test func segmentsExampleChoosesFiveClustersByTheElbow() throws {
        let weir = try WeirProcess()
        let csv = try run("instacart-segments.yaml", "segments.clusters", in: weir).stdout
        #expect(csv.split(separator: "\n").count == 6, "\(csv.prefix(300))")
    }

    @Test func balanceLogsExampleFindsThePlantedGapsAndOverdrafts() throws {
        let weir = try WeirProcess()
        struct Truth: Decodable {
            let gaps: [[String]]
            let overdraft_users: [String: String]
            let overdraft_rows: Int
        }
        let truth = try JSONDecoder().decode(
            Truth.self, from: Data(contentsOf: URL(fileURLWithPath: Self.repository + "/data/balance-logs/truth.json")))
        let gaps = try run("balance-logs.yaml", "gaps.anomalies", in: weir).stdout.split(separator: "\n").dropFirst()
        #expect(gaps.map { $0.split(separator: ",").prefix(2).map(String.init) } == truth.gaps)
        let summary = try run("balance-logs.yaml", "overdraft.summary", in: weir).stdout.split(separator: "\n")[1]
            .split(separator: ",")
        #expect(Int(summary[0]) == truth.overdraft_rows)
        #expect(Int(summary[3]) == truth.overdraft_users.count)
        let currencies = try run("balance-logs.yaml", "overdrafts_per_currency", in: weir).stdout.split(separator: "\n")
            .dropFirst()
        #expect(currencies.compactMap { Int($0.split(separator: ",")[1]) }.reduce(0, +) == truth.overdraft_rows)
    }

    /// Seed 003's question, on the sample: the default (hybrid) recommendations must score at
    /// least as well as the repeat-purchase baseline and ALS on each user's held-out last order.
    @Test func recommendExampleBeatsItsBaselines() throws {
        let weir = try WeirProcess()
        let path = Self.repository + "/pipelines/instacart-recommend.yaml"
        let run = try weir.run(
            "run", path, "--state-dir", weir.directory + "/state", "--select", "+evaluation", "--select",
            "+repeat_evaluation", "--select", "+als_evaluation")
        #expect(run.status == 0, "\(run.stderr)")
        func ndcg(_ stage: String) throws -> Double {
            let csv = try weir.run("show", path, stage, "--state-dir", weir.directory + "/state", "--format", "csv")
                .stdout
            let line = try #require(csv.split(separator: "\n").first { $0.hasPrefix("all,ndcg@10,") })
            return try #require(Double(line.split(separator: ",")[2]))
        }
        let (hybrid, repeated, als) = (
            try ndcg("evaluation"), try ndcg("repeat_evaluation"), try ndcg("als_evaluation")
        )
        #expect(hybrid >= repeated && hybrid >= als, "hybrid \(hybrid), repeat \(repeated), ALS \(als)")
    }

    @Test func rfmExampleScoresEveryCustomer() throws {
        let weir = try WeirProcess()
        let csv = try run("olist-rfm.yaml", "segment_summary", in: weir).stdout
        let total = csv.split(separator: "\n").dropFirst().compactMap { Int($0.split(separator: ",")[1]) }.reduce(0, +)
        let scores = try run("olist-rfm.yaml", "rfm", in: weir).stdout.split(separator: "\n").count - 1
        #expect(total == scores && total > 1000)
    }
}

/// The run report: one self-contained file per run.
@Suite struct RunReportTests {
    @Test func aRunWritesASelfContainedReportWithCharts() throws {
        let weir = try WeirProcess()
        let pipeline = ExamplePipelineTests.repository + "/pipelines/aws-cost-alerts.yaml"
        let result = try weir.run([
            "run", pipeline, "--state-dir", weir.directory + "/state", "--select", "+spikes", "--select", "+trend",
            "--select", "+totals",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("report: ") })
        let html = try String(contentsOfFile: String(line.dropFirst("report: ".count)), encoding: .utf8)
        #expect(html.hasPrefix("<!doctype html>"))
        for section in ["<h2>Pipeline</h2>", "<h2>Timeline</h2>", "id=\"stage-spikes\"", "id=\"stage-trend\""] {
            #expect(html.contains(section))
        }
        #expect(html.components(separatedBy: "<svg").count > 6, "DAG, timeline and the stages' charts")
        #expect(html.contains("MACD") && html.contains("Month to date"))
        // Nothing to fetch: no URLs, no external scripts, styles or images.
        for external in ["http://", "https://", "src=", "<link", "<script"] {
            #expect(!html.contains(external), "\(external)")
        }
        // A fully cached run still draws every chart.
        let cached = try weir.run(["run", pipeline, "--state-dir", weir.directory + "/state", "--select", "+spikes"])
        let again = try #require(cached.stdout.split(separator: "\n").first { $0.hasPrefix("report: ") })
        let cachedHTML = try String(contentsOfFile: String(again.dropFirst("report: ".count)), encoding: .utf8)
        #expect(cachedHTML.contains("cached") && cachedHTML.contains("flagged days"))
    }
}
