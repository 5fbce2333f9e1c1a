import Foundation
import Testing
import WeirCore
import WeirTable
import WeirTestSupport

@testable import WeirStages

@Suite struct QualityTests {
    static let root = ReferencePython.packageRoot.appendingPathComponent("data/quality").path
    let params = """
        as_of: "2025-12-31", top: 25, outlier_threshold: { revenue: 1000000 },
        checks: { not_null: [order_id, customer_id, revenue], unique: [order_id], max_share_zero: { revenue: 0.001 },
                  range: { revenue: [0, 1000000], quantity: [1, 100] }, not_contains: { customer_email: test } }
        """

    func run(_ file: String, severity: String = "warn") throws -> [String: Table] {
        let input = try CSVReader.read(path: Self.root + "/" + file).table
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  q: { type: quality, input: t, severity: \(severity), \(params) }\n"
        return try runStageOutputs(yaml, stage: "q", inputs: [input], directory: try temporaryDirectory())
    }

    struct Truth: Decodable {
        let zero_revenue: [Int]
        let test_account: [Int]
        let b2b: [Int]
        let future: [Int]
    }

    @Test func everyPlantedAnomalyIsReported() throws {
        let outputs = try run("orders.csv")
        let anomalies = try #require(outputs["anomalies"])
        let reported = Set((0..<anomalies.rowCount).map { Int(anomalies.columns[1].int64s[$0]) })
        let truth = try JSONDecoder().decode(
            Truth.self, from: Data(contentsOf: URL(fileURLWithPath: Self.root + "/truth.json")))
        for (kind, ids) in [
            ("zero revenue", truth.zero_revenue), ("test account", truth.test_account), ("B2B", truth.b2b),
            ("future", truth.future),
        ] {
            for id in ids { #expect(reported.contains(id), "\(kind) order \(id) not reported") }
        }
        let checks = try #require(outputs["checks"])
        let failing = Set(
            (0..<checks.rowCount).filter { checks.columns[2].strings[$0] != "ok" }.map { checks.columns[0].strings[$0] }
        )
        #expect(
            failing.contains("max_share_zero(revenue ≤ 0.001)")
                && failing.contains("not_contains(customer_email, \"test\")"))
        let profile = try #require(outputs["profile"])
        let dates = try #require((0..<profile.rowCount).first { profile.columns[0].strings[$0] == "order_date" })
        #expect(profile.columns[9].int64s[dates] == Int64(truth.future.count))
        let revenue = try #require((0..<profile.rowCount).first { profile.columns[0].strings[$0] == "revenue" })
        #expect(profile.columns[5].int64s[revenue] == Int64(truth.zero_revenue.count))
    }

    @Test func aCleanTablePassesEveryCheck() throws {
        let checks = try #require(try run("orders-clean.csv", severity: "error")["checks"])
        #expect(checks.rowCount == 8)
        for row in 0..<checks.rowCount {
            #expect(checks.columns[2].strings[row] == "ok", "\(checks.columns[0].strings[row])")
        }
    }

    @Test func severityErrorFailsTheStageAfterWritingTheReport() throws {
        let error = try #require(throws: StageError.self) { try run("orders.csv", severity: "error") }
        #expect(error.message.contains("4 checks failed"))
        #expect(error.hint?.contains(".quality.") == true)
    }

    @Test func unknownChecksAreDiagnostics() throws {
        let input = try Table(fields: [("a", Column(int64: [1]))])
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  q: { type: quality, input: t, checks: { not_nul: [a] } }\n"
        #expect(throws: DiagnosticError.self) { try runStageOutputs(yaml, stage: "q", inputs: [input]) }
        let missing =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  q: { type: quality, input: t, checks: { unique: [b] } }\n"
        #expect(throws: DiagnosticError.self) { try runStageOutputs(missing, stage: "q", inputs: [input]) }
    }
}
