import Foundation
import Testing
import WeirCore
import WeirTable
import WeirTestSupport

@testable import WeirStages

/// Test data comes from the module's own SplitMix64 stream: the same on every machine.
typealias SplitMix = RandomStream

/// Baskets with structure: items of Zipf-like popularity plus planted groups bought together.
func generatedBaskets(baskets: Int, items: Int, seed: UInt64, label: (Int) -> String = { String($0 + 1) }) -> [(
    String, String
)] {
    var rng = SplitMix(seed: seed)
    let groups = [[0, 3, 7], [2, 5], [1, 4, 9, 11], [6, 8]]
    var lines: [(String, String)] = []
    for b in 0..<baskets {
        var basket: [Int] = []
        for _ in 0..<(1 + rng.int(6)) { basket.append(Int(Double(items) * pow(rng.uniform(), 2.2))) }
        for group in groups where rng.uniform() < 0.12 { basket += group.filter { _ in rng.uniform() < 0.8 } }
        if rng.uniform() < 0.05, let first = basket.first { basket.append(first) }  // a repeated line
        for item in basket { lines.append((String(b), label(item))) }
    }
    return lines
}

@Suite(
    .enabled(
        if: ReferencePython.available, "needs the reference Python (scripts/venv.sh scripts/requirements/test.txt)"))
struct AprioriParityTests {
    struct Reference: Decodable {
        struct Itemset: Decodable {
            let items: String
            let support: Double
            let length: Int
        }
        struct Rule: Decodable {
            let antecedents: String
            let consequents: String
            let metrics: [Double?]
        }
        let baskets: Int
        let itemsets: [Itemset]
        let rules: [Rule]
    }

    /// Runs the stage and mlxtend on the same lines and requires the same itemsets and rules.
    func compare(_ lines: [(String, String)], numericItems: Bool, params: [String: Any]) throws {
        let itemColumn = numericItems ? Column(int64: lines.map { Int64($0.1) }) : Column(string: lines.map(\.1))
        let input = try Table(fields: [("basket", Column(int64: lines.map { Int64($0.0) })), ("item", itemColumn)])
        let dir = try temporaryDirectory()
        try CSVWriter().write(input, toFile: dir + "/lines.csv")
        var referenceParams = params
        if numericItems { referenceParams["numeric_items"] = true }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: referenceParams), as: UTF8.self)
        let reference = try ReferencePython.json(Reference.self, script: "apriori.py", [dir + "/lines.csv", json])

        let yamlParams = params.map { "    \($0.key): \($0.value)" }.sorted().joined(separator: "\n")
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  a:\n    type: apriori\n    input: t\n    transaction: basket\n    item: item\n\(yamlParams)\n"
        let outputs = try runStageOutputs(yaml, stage: "a", inputs: [input])
        let itemsets = try #require(outputs["itemsets"])
        let rules = try #require(outputs["rules"])

        var mine: [String: (Double, Int64)] = [:]
        for row in 0..<itemsets.rowCount {
            mine[itemsets.columns[0].strings[row]] = (
                itemsets.columns[1].float64s[row], itemsets.columns[2].int64s[row]
            )
        }
        #expect(mine.count == itemsets.rowCount, "an itemset appears twice")
        #expect(Set(mine.keys) == Set(reference.itemsets.map(\.items)))
        for expected in reference.itemsets {
            guard let (support, length) = mine[expected.items] else { continue }
            #expect(abs(support - expected.support) <= 1e-9, "support of \(expected.items)")
            #expect(Int(length) == expected.length)
        }
        var myRules: [String: [Double]] = [:]
        for row in 0..<rules.rowCount {
            myRules[rules.columns[0].strings[row] + " -> " + rules.columns[1].strings[row]] = (2..<7).map {
                rules.columns[$0].float64s[row]
            }
        }
        #expect(myRules.count == rules.rowCount, "a rule appears twice")
        #expect(Set(myRules.keys) == Set(reference.rules.map { $0.antecedents + " -> " + $0.consequents }))
        for expected in reference.rules {
            guard let metrics = myRules[expected.antecedents + " -> " + expected.consequents] else { continue }
            for (mine, theirs) in zip(metrics, expected.metrics) {
                if let theirs {
                    #expect(
                        abs(mine - theirs) <= 1e-9 * max(1, abs(theirs)),
                        "\(expected.antecedents) -> \(expected.consequents)")
                } else {
                    #expect(mine == .infinity)
                }
            }
        }
        #expect(!reference.itemsets.isEmpty || params["min_support"] as? Double == 1.0)
    }

    @Test func generatedBasketsAllItems() throws {
        try compare(
            generatedBaskets(baskets: 3000, items: 40, seed: 1), numericItems: true,
            params: ["min_support": 0.02, "metric": "lift", "min_threshold": 1.0])
    }

    @Test func topItemsAndMaxLength() throws {
        // Lines in reverse basket order: the stage groups them itself.
        try compare(
            generatedBaskets(baskets: 4000, items: 60, seed: 2).reversed(), numericItems: true,
            params: ["min_support": 0.03, "top_items": 15, "max_len": 3, "metric": "confidence", "min_threshold": 0.3])
    }

    @Test func stringItemsWithSeparatorsAndOtherMetrics() throws {
        let names = [
            "Limes", "Large Lemon", "Bag|of Bananas", "Crème fraîche", "Organic Garlic", "Zucchini", "onion", "Äpfel",
        ]
        let lines = generatedBaskets(baskets: 1500, items: 24, seed: 3) { i in i < names.count ? names[i] : "item \(i)"
        }
        try compare(
            lines, numericItems: false, params: ["min_support": 0.015, "metric": "conviction", "min_threshold": 1.05])
        try compare(
            lines, numericItems: false, params: ["min_support": 0.02, "metric": "leverage", "min_threshold": 0.0])
    }

    @Test func tiedTopItemsKeepTheSmallerItem() throws {
        // Items 1..6 each in exactly two baskets: top_items 3 keeps 1, 2, 3.
        let lines = (1...6).flatMap { item in
            [("\(item)", "\(item)"), ("\(item + 10)", "\(item)"), ("\(item)", "\(item % 6 + 1)")]
        }
        try compare(
            lines, numericItems: true,
            params: ["min_support": 0.1, "top_items": 3, "metric": "support", "min_threshold": 0.0])
    }

    @Test func everyBasketTheSameAndFullSupport() throws {
        let lines = (0..<50).flatMap { b in [("\(b)", "7"), ("\(b)", "9"), ("\(b)", "7")] }
        try compare(
            lines, numericItems: true, params: ["min_support": 1.0, "metric": "confidence", "min_threshold": 0.5])
        let single = (0..<20).map { ("\($0)", "4") }
        try compare(single, numericItems: true, params: ["min_support": 0.5])
    }
}

@Suite struct AprioriEdgeTests {
    let yaml =
        "stages:\n  t: { type: extract.csv, path: x.csv }\n  a: { type: apriori, input: t, transaction: b, item: i, min_support: 0.2, max_itemsets: 50 }\n"

    @Test func minSupportOutOfRangeIsADiagnostic() {
        for bad in ["0", "1.5", "-0.1"] {
            let text =
                "stages:\n  t: { type: extract.csv, path: x.csv }\n  a: { type: apriori, input: t, transaction: b, item: i, min_support: \(bad) }\n"
            #expect(throws: DiagnosticError.self) {
                try runStageOutputs(
                    text, stage: "a", inputs: [Table(fields: [("b", Column(int64: [1])), ("i", Column(int64: [1]))])])
            }
        }
    }

    @Test func nullItemsNameTheColumnAndRow() throws {
        let input = try Table(fields: [("b", Column(int64: [1, 1, 2])), ("i", Column(string: ["x", nil, "y"]))])
        let error = try #require(throws: StageError.self) { try runStageOutputs(yaml, stage: "a", inputs: [input]) }
        #expect(error.message.contains("'i'") && error.message.contains("row 2"))
    }

    @Test func anItemsetExplosionStopsWithAHint() throws {
        // 12 items in every basket: 4095 frequent itemsets.
        let lines = (0..<10).flatMap { b in (0..<12).map { (Int64(b), Int64($0)) } }
        let input = try Table(fields: [("b", Column(int64: lines.map(\.0))), ("i", Column(int64: lines.map(\.1)))])
        let error = try #require(throws: StageError.self) { try runStageOutputs(yaml, stage: "a", inputs: [input]) }
        #expect(error.message.contains("more than 50"))
        #expect(error.hint?.contains("raise min_support") == true)
    }

    @Test func emptyInputGivesEmptyOutputs() throws {
        let input = try Table(fields: [("b", Column(int64: [])), ("i", Column(int64: []))])
        let outputs = try runStageOutputs(yaml, stage: "a", inputs: [input])
        #expect(outputs["itemsets"]?.rowCount == 0 && outputs["rules"]?.rowCount == 0)
    }

    @Test func minimumCountMatchesTheFloatingPointComparison() {
        for n in [1, 3, 7, 10, 100, 3_214_874] {
            for s in [0.001, 0.01, 0.1, 0.3, 1.0 / 3.0, 0.5, 1.0] {
                let count = Apriori.minimumCount(s, of: n)
                #expect(Double(count) / Double(n) >= s)
                #expect(count == 1 || Double(count - 1) / Double(n) < s)
            }
        }
    }
}
