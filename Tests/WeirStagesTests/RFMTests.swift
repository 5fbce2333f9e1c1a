import Foundation
import Testing
import WeirCore
import WeirTable
import WeirTestSupport

@testable import WeirStages

/// Purchase lines for `customers` customers: several orders each, two-decimal amounts with many
/// exact ties (equal totals, equal recencies) so rank tie-breaking is exercised.
func purchaseLines(customers: Int, seed: UInt64, grouped: Bool = false) throws -> Table {
    var rng = SplitMix(seed: seed)
    var customer: [String] = []
    var order: [Int64] = []
    var time: [Int64] = []
    var amount: [Double] = []
    let start: Int64 = 1_483_228_800_000_000  // 2017-01-01
    var nextOrder: Int64 = 1
    for c in 0..<customers {
        for _ in 0..<(1 + rng.int(c % 7 == 0 ? 40 : 3)) {
            let day = Int64(rng.int(600))
            let second = Int64(rng.int(86_400))
            for _ in 0..<(1 + rng.int(3)) {
                customer.append(String(format: "c%05d", grouped ? c : (c * 7919) % customers))
                order.append(nextOrder)
                time.append(start + day * Temporal.microsPerDay + second * 1_000_000)
                amount.append([9.99, 19.9, 0.1, 0.2, 45.5, 100.0][rng.int(6)] + Double(rng.int(3)))
            }
            nextOrder += 1
        }
    }
    return try Table(fields: [
        ("customer", Column(string: customer)), ("order", Column(int64: order)),
        ("timestamp", Column(.timestamp, time.map { .timestamp($0) })), ("amount", Column(float64: amount)),
    ])
}

@Suite(
    .enabled(
        if: ReferencePython.available, "needs the reference Python (scripts/venv.sh scripts/requirements/test.txt)"))
struct RFMParityTests {
    struct Row: Decodable, Equatable {
        let customer: String
        let recency_days: Int
        let frequency: Int
        let monetary: Double
        let r: Double
        let f: Double
        let m: Double
    }

    func compare(customers: Int, grouped: Bool = false, params: [String: String], reference: [String: Any]) throws {
        let input = try purchaseLines(customers: customers, seed: UInt64(customers), grouped: grouped)
        let dir = try temporaryDirectory()
        try CSVWriter().write(input, toFile: dir + "/lines.csv")
        let json = String(decoding: try JSONSerialization.data(withJSONObject: reference), as: UTF8.self)
        let expected = try ReferencePython.json([Row].self, script: "rfm.py", [dir + "/lines.csv", json])

        let extra = params.map { "    \($0.key): \($0.value)" }.sorted().joined(separator: "\n")
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  r:\n    type: rfm\n    input: t\n    customer: customer\n\(extra)\n"
        let (_, table) = try runStage(yaml, stage: "r", inputs: [input])
        let out = try #require(table)
        #expect(out.rowCount == expected.count)
        let minmax = params["scoring"] == "minmax"
        for (row, want) in expected.enumerated() where row < out.rowCount {
            func score(_ c: Int) -> Double {
                minmax ? out.columns[c].float64s[row] : Double(out.columns[c].int64s[row])
            }
            let got = Row(
                customer: out.columns[0].strings[row], recency_days: Int(out.columns[1].int64s[row]),
                frequency: Int(out.columns[2].int64s[row]), monetary: out.columns[3].float64s[row],
                r: score(4), f: score(5), m: score(6))
            if minmax {
                #expect(
                    got.customer == want.customer && got.recency_days == want.recency_days
                        && got.frequency == want.frequency)
                for (a, b) in [(got.r, want.r), (got.f, want.f), (got.m, want.m), (got.monetary, want.monetary)] {
                    #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "\(want.customer)")
                }
            } else {
                #expect(got == want, "customer row \(row)")
            }
        }
    }

    @Test(arguments: [2, 6, 11, 16, 1001, 2500])
    func quintileScoresEqualPandas(customers: Int) throws {
        try compare(customers: customers, params: ["order": "order", "amount": "amount"], reference: ["order": true])
    }

    /// Lines already grouped by customer take pandas' other summation path (numpy reduceat).
    @Test func groupedLinesSumAsPandasDoes() throws {
        try compare(
            customers: 400, grouped: true, params: ["order": "order", "amount": "amount"], reference: ["order": true])
        try compare(
            customers: 400, grouped: true, params: ["order": "order", "amount": "amount", "monetary": "mean"],
            reference: ["order": true, "monetary": "mean"])
    }

    @Test func withoutOrdersFrequencyCountsDays() throws {
        try compare(
            customers: 700, params: ["amount": "amount", "monetary": "mean", "as_of": "2019-01-01"],
            reference: ["monetary": "mean", "as_of": "2019-01-01"])
    }

    @Test func minmaxScaling() throws {
        try compare(
            customers: 300, params: ["order": "order", "amount": "amount", "scoring": "minmax"],
            reference: ["order": true, "scoring": "minmax"])
    }
}

@Suite struct RFMEdgeTests {
    let yaml =
        "stages:\n  t: { type: extract.csv, path: x.csv }\n  r: { type: rfm, input: t, customer: c, timestamp: ts, amount: a }\n"

    func table(_ c: [String?], _ a: [Double?]) throws -> Table {
        try Table(fields: [
            ("c", Column(string: c)),
            ("ts", Column(.timestamp, c.indices.map { .timestamp(Int64($0) * 86_400_000_000) })),
            ("a", Column(float64: a)),
        ])
    }

    @Test func nullCustomersNameTheRow() throws {
        let error = try #require(throws: StageError.self) {
            try runStage(yaml, stage: "r", inputs: [table(["x", nil, "y"], [1, 2, 3])])
        }
        #expect(error.message.contains("'c'") && error.message.contains("row 2"))
    }

    @Test func oneCustomerIsAClearError() throws {
        let error = try #require(throws: StageError.self) {
            try runStage(yaml, stage: "r", inputs: [table(["x", "x"], [1, 2])])
        }
        #expect(error.message.contains("at least 2 customers"))
    }

    @Test func negativeAmountsLowerMonetaryValue() throws {
        let (_, out) = try runStage(yaml, stage: "r", inputs: [table(["x", "x", "y"], [10, -4, 3])])
        #expect(out?.column("monetary")?.float64s.map { $0 } == [6, 3])
    }

    @Test func segmentsFollowTheGrid() {
        #expect(RFMSegment(r: 5, f: 5) == .champions)
        #expect(RFMSegment(r: 3, f: 4) == .loyal)
        #expect(RFMSegment(r: 5, f: 1) == .new)
        #expect(RFMSegment(r: 4, f: 2) == .potentialLoyalist)
        #expect(RFMSegment(r: 1, f: 5) == .cantLoseThem)
        #expect(RFMSegment(r: 2, f: 3) == .atRisk)
        #expect(RFMSegment(r: 2, f: 1) == .hibernating)
        #expect(RFMSegment(r: 1, f: 2) == .lost)
    }
}
