import Foundation
import WeirCore
import WeirTable

/// `apriori`: frequent itemsets and association rules over baskets given as one row per
/// (transaction, item) line. Equal to mlxtend `apriori` + `association_rules` on the same
/// baskets; mined with `ItemsetMiner`.
public struct Apriori: StageType {
    public let name = "apriori"
    public let version = "1"
    public let summary =
        "Frequent itemsets and association rules (support, confidence, lift, leverage, conviction) over baskets."
    public let inputs = InputArity.one
    public let outputs = ["itemsets", "rules"]
    public var params: [ParamSpec] { Params.specs }

    public init() {}

    static let itemsetsSchema = Schema([Field("items", .string), Field("support", .float64), Field("length", .int64)])
    static let rulesSchema = Schema(
        [Field("antecedents", .string), Field("consequents", .string)]
            + ["support", "confidence", "lift", "leverage", "conviction"].map { Field($0, .float64) })

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        _ = context.parameters(Params.self)
        return ["itemsets": Self.itemsetsSchema, "rules": Self.rulesSchema]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let params = try context.parameters(Params.self)
        let table = context.inputs[0]
        let (transactionName, itemName) = (params.transaction, params.item)
        guard let transactions = table.column(transactionName), let itemColumn = table.column(itemName) else {
            throw StageError("the input lacks the transaction or item column")
        }
        let (minSupport, limit) = (params.minSupport, params.maxItemsets)

        let clock = ContinuousClock()
        let started = clock.now
        func elapsed() -> String {
            let t = (clock.now - started).components
            return String(format: "%.3f s", Double(t.seconds) + Double(t.attoseconds) / 1e18)
        }
        let items = try ItemCodes(itemColumn, name: itemName)
        let allBaskets: Baskets
        if let runs = Baskets.runs(of: transactions, items: items.codes) {
            allBaskets = runs
        } else {
            let basketKeys = try KeyCodes(transactions, name: transactionName, param: "transaction")
            allBaskets = Baskets.grouping(basketKeys.codes, basketCount: basketKeys.count, items: items.codes)
        }
        context.log.info("\(elapsed()): \(allBaskets.count) baskets, \(items.count) distinct item codes")
        let support = allBaskets.itemSupport(itemCount: items.count)
        guard
            let (baskets, frequent, minCount, basketCount) = Self.frequentItems(
                allBaskets, support: support, top: params.topItems, minSupport: minSupport,
                log: context.log)
        else {
            return ["itemsets": Table(empty: Self.itemsetsSchema), "rules": Table(empty: Self.rulesSchema)]
        }
        let miner = ItemsetMiner(
            baskets: baskets, itemCount: frequent.count,
            itemCounts: frequent.map { support[$0] }, minCount: minCount, maxLength: params.maxLen ?? Int.max,
            limit: limit)
        context.log.info("\(elapsed()): \(frequent.count) frequent items; mining")
        let found: [FrequentItemset]
        do {
            found = try miner.mine()
        } catch let error as ItemsetMiner.TooMany {
            throw explosion("more than \(error.limit) frequent itemsets", params, context: context)
        } catch let error as ItemsetMiner.PairsTooMany {
            throw explosion(
                "\(error.items) frequent items, whose pair counts alone need \(error.bytes >> 20) MiB",
                params, context: context)
        }
        context.log.info(
            "\(elapsed()): \(basketCount) baskets, \(frequent.count) frequent items (support ≥ \(minCount) baskets), \(found.count) itemsets"
        )

        let labels = try itemLabels(frequent, items: items, names: params.names, context: context)
        let itemsets = Self.itemsetTable(found, labels: labels, basketCount: basketCount)
        guard
            let rules = try Self.rules(
                found, labels: labels, basketCount: basketCount, metric: params.metric,
                minThreshold: params.minThreshold,
                limit: limit)
        else {
            throw explosion("more than \(limit) candidate rules", params, context: context)
        }
        context.log.info("\(elapsed()): \(rules.rowCount) rules")
        return ["itemsets": itemsets, "rules": rules]
    }

    /// The items with enough support, ranked by ascending support (ties: smaller item first) so
    /// the depth-first search starts from rare prefixes, and the baskets recoded to those ranks.
    /// With `top`, only the `top` most supported items count, and support becomes a share of the
    /// baskets that still hold one of them. `basketCount` is the baskets support is a share of
    /// (before baskets without a frequent item are dropped). Nil when no basket is left.
    static func frequentItems(_ allBaskets: Baskets, support: [Int], top: Int?, minSupport: Double, log: StageLog)
        -> (baskets: Baskets, frequent: [Int], minCount: Int, basketCount: Int)?
    {
        let itemCount = support.count
        var candidates = (0..<itemCount).filter { support[$0] > 0 }
        var topItems = false
        if let top, top < candidates.count {
            candidates = Array(
                candidates.sorted { support[$0] != support[$1] ? support[$0] > support[$1] : $0 < $1 }.prefix(top))
            topItems = true
        }
        let ordered = candidates.sorted { support[$0] != support[$1] ? support[$0] < support[$1] : $0 < $1 }
        var baskets = allBaskets
        if topItems {
            baskets = allBaskets.restricted(to: ranks(ordered, count: itemCount), dropEmpty: true)
            log.info(
                "top_items: \(baskets.count) of \(allBaskets.count) baskets hold one of the \(ordered.count) items")
        }
        let basketCount = baskets.count
        guard basketCount > 0 else { return nil }
        let minCount = minimumCount(minSupport, of: basketCount)
        var firstFrequent = 0
        while firstFrequent < ordered.count && support[ordered[firstFrequent]] < minCount { firstFrequent += 1 }
        let frequent = Array(ordered[firstFrequent...])
        if !topItems {
            baskets = allBaskets.restricted(to: ranks(frequent, count: itemCount), dropEmpty: true)
        } else if firstFrequent > 0 {
            // Already ranked: shift the ranks down past the infrequent items.
            baskets = baskets.restricted(
                to: (0..<ordered.count).map { $0 < firstFrequent ? -1 : Int32($0 - firstFrequent) },
                dropEmpty: true)
        }
        return (baskets, frequent, minCount, basketCount)
    }

    /// The least basket count whose share, computed as mlxtend does (count / baskets), reaches `minSupport`.
    static func minimumCount(_ minSupport: Double, of baskets: Int) -> Int {
        var count = Swift.max(1, Int((minSupport * Double(baskets)).rounded(.up)))
        while count > 1 && Double(count - 1) / Double(baskets) >= minSupport { count -= 1 }
        while Double(count) / Double(baskets) < minSupport { count += 1 }
        return count
    }

    private func explosion(_ what: String, _ params: Params, context: RunContext) -> StageError {
        let maxLen = params.maxLen.map(String.init) ?? "none"
        return StageError(
            "\(context.stage.id) found \(what) at min_support \(FloatFormat.shortest(params.minSupport)) (max_len \(maxLen))",
            param: "min_support",
            hint: "raise min_support, set max_len or top_items, or raise max_itemsets if you really want them all")
    }

    /// Each frequent item's label: its name from `names`, else its value's string form.
    private func itemLabels(_ codes: [Int], items: ItemCodes, names namesParam: String?, context: RunContext) throws
        -> [String]
    {
        let rows = items.firstRows(of: codes)
        if let namesParam {
            guard let names = context.inputs[0].column(namesParam) else {
                throw StageError("no names column", param: "names")
            }
            return rows.map { names.isNull($0) ? items.column[$0].description : names.strings[$0] }
        }
        return rows.map { items.column[$0].description }
    }

    /// `rank[code]` = position of `code` in `ordered`, -1 for codes not in it.
    static func ranks(_ ordered: [Int], count: Int) -> [Int32] {
        var rank = [Int32](repeating: -1, count: count)
        for (r, code) in ordered.enumerated() { rank[code] = Int32(r) }
        return rank
    }

    /// An itemset's one string form: labels in code-point order, `|`-joined, `|` escaped.
    static func itemsetString(_ items: [Int32], labels: [String]) -> String {
        items.map { labels[Int($0)] }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { $0.replacingOccurrences(of: "|", with: "\\|") }
            .joined(separator: "|")
    }

    static func itemsetTable(_ found: [FrequentItemset], labels: [String], basketCount: Int) -> Table {
        let rows = found.map {
            (
                string: itemsetString($0.items, labels: labels), support: Double($0.count) / Double(basketCount),
                length: $0.items.count
            )
        }
        .sorted { a, b in
            if a.length != b.length { return a.length < b.length }
            if a.support != b.support { return a.support > b.support }
            return a.string.utf8.lexicographicallyPrecedes(b.string.utf8)
        }
        let table = try? Table(
            schema: itemsetsSchema,
            columns: [
                Column(string: rows.map(\.string)), Column(float64Values: rows.map(\.support)),
                Column(int64Values: rows.map { Int64($0.length) }),
            ])
        return table!
    }

    /// Every split of every itemset of two or more items into antecedent -> consequent whose
    /// `metric` reaches `minThreshold`, with mlxtend's formulas; nil beyond `limit` candidates.
    static func rules(
        _ found: [FrequentItemset], labels: [String], basketCount: Int, metric: RuleMetric,
        minThreshold: Double, limit: Int
    ) throws -> Table? {
        var candidates = 0
        for itemset in found where itemset.items.count >= 2 {
            candidates += itemset.items.count >= 62 ? Int.max / 2 : (1 << itemset.items.count) - 2
            if candidates > limit { return nil }
        }
        var countOf: [[Int32]: Int] = [:]
        countOf.reserveCapacity(found.count)
        for itemset in found { countOf[itemset.items.sorted()] = itemset.count }
        let n = Double(basketCount)
        var rows: [(antecedents: String, consequents: String, metrics: RuleMetrics)] = []
        for itemset in found where itemset.items.count >= 2 {
            let items = itemset.items.sorted()
            let sAC = Double(itemset.count) / n
            // Each non-empty proper subset as the consequent; its complement is the antecedent.
            for mask in 1..<((1 << items.count) - 1) {
                var antecedent: [Int32] = []
                var consequent: [Int32] = []
                for (bit, item) in items.enumerated() {
                    if mask & (1 << bit) != 0 { consequent.append(item) } else { antecedent.append(item) }
                }
                guard let a = countOf[antecedent], let c = countOf[consequent] else { continue }
                let metrics = RuleMetrics(sAC: sAC, sA: Double(a) / n, sC: Double(c) / n)
                if metrics.value(metric) >= minThreshold {
                    rows.append(
                        (itemsetString(antecedent, labels: labels), itemsetString(consequent, labels: labels), metrics))
                }
            }
        }
        rows.sort { x, y in
            let a = x.metrics.value(metric)
            let b = y.metrics.value(metric)
            if a != b { return a > b }
            if x.antecedents != y.antecedents {
                return x.antecedents.utf8.lexicographicallyPrecedes(y.antecedents.utf8)
            }
            return x.consequents.utf8.lexicographicallyPrecedes(y.consequents.utf8)
        }
        return try Table(
            schema: rulesSchema,
            columns: [
                Column(string: rows.map(\.antecedents)), Column(string: rows.map(\.consequents)),
                Column(float64Values: rows.map(\.metrics.support)),
                Column(float64Values: rows.map(\.metrics.confidence)),
                Column(float64Values: rows.map(\.metrics.lift)), Column(float64Values: rows.map(\.metrics.leverage)),
                Column(float64Values: rows.map(\.metrics.conviction)),
            ])
    }
}

enum RuleMetric: String, ParamChoice {
    case lift, confidence, leverage, conviction, support
}

/// A rule's metrics, with mlxtend's formulas and operation order (so values agree to the last bit
/// where mlxtend's `num_itemsets` is 1, its default).
struct RuleMetrics {
    let support: Double
    let confidence: Double
    let lift: Double
    let leverage: Double
    let conviction: Double

    init(sAC: Double, sA: Double, sC: Double) {
        support = sAC
        confidence = sAC / sA
        lift = confidence / sC
        leverage = sAC - sA * sC
        conviction = confidence < 1 ? (1 - sC) / (1 - confidence) : .infinity
    }

    func value(_ metric: RuleMetric) -> Double {
        switch metric {
        case .lift: lift
        case .confidence: confidence
        case .leverage: leverage
        case .conviction: conviction
        case .support: support
        }
    }
}

/// Item codes for mining. A dense int64 column (product ids) is coded as value minus the
/// smallest value in one parallel pass, with no table of distinct values; anything else goes
/// through `KeyCodes`.
struct ItemCodes {
    let column: Column
    /// The code of each row.
    let codes: [Int32]
    /// Codes run over 0..<count; in the dense case some are unused (support 0).
    let count: Int
    private let keys: KeyCodes?

    init(_ column: Column, name: String) throws {
        self.column = column
        if column.type == .int64, !column.hasNulls, column.count > 0,
            let dense = column.int64s.withUnsafeBufferPointer({ ItemCodes.dense($0) })
        {
            codes = dense.codes
            count = dense.count
            keys = nil
        } else {
            let keys = try KeyCodes(column, name: name, param: "item")
            codes = keys.codes
            count = keys.count
            self.keys = keys
        }
    }

    private static func dense(_ values: UnsafeBufferPointer<Int64>) -> (codes: [Int32], count: Int)? {
        guard let range = DenseRange(values) else { return nil }
        let chunks = Swift.max(1, Swift.min(Parallel.coreCount * 4, values.count / 100_000))
        let codes = [Int32](unsafeUninitializedCapacity: values.count) { out, written in
            let target = SharedBuffer(out)
            Parallel.forEach(chunks) { c in
                for row in (values.count * c / chunks)..<(values.count * (c + 1) / chunks) {
                    target[row] = Int32(truncatingIfNeeded: range.slot(values[row]))
                }
            }
            written = values.count
        }
        return (codes, range.slots)
    }

    /// The first row holding each of `wanted` codes.
    func firstRows(of wanted: [Int]) -> [Int] {
        if let keys { return wanted.map { keys.firstRow[$0] } }
        var slot = [Int](repeating: -1, count: count)
        for (i, code) in wanted.enumerated() { slot[code] = i }
        var rows = [Int](repeating: -1, count: wanted.count)
        var missing = wanted.count
        for (row, code) in codes.enumerated() where slot[Int(code)] >= 0 && rows[slot[Int(code)]] < 0 {
            rows[slot[Int(code)]] = row
            missing -= 1
            if missing == 0 { break }
        }
        return rows
    }
}

extension Apriori {
    struct Params: StageParameters {
        var transaction = ""
        var item = ""
        var names: String?
        var topItems: Int?
        var minSupport = 0.01
        var maxLen: Int?
        var metric = RuleMetric.lift
        var minThreshold = 1.0
        var maxItemsets = 2_000_000

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "transaction", \.transaction, .column(types: KeyCodes.keyTypes), required: true,
                help: "the basket id column"),
            .param("item", \.item, .column(types: KeyCodes.keyTypes), required: true, help: "the item column"),
            .param(
                "names", \.names, .column(types: [.string]),
                help: "a column naming each item; itemsets and rules show names instead of item values"),
            .param(
                "top_items", \.topItems,
                help:
                    "keep only the N items in the most baskets (ties: smaller item first), then drop baskets left empty"
            ),
            .param("min_support", \.minSupport, help: "the least share of baskets an itemset must be in, in (0, 1]"),
            .param("max_len", \.maxLen, help: "the longest itemset to find"),
            .param("metric", \.metric, help: "the metric rules are filtered by"),
            .param("min_threshold", \.minThreshold, help: "the least value of `metric` a rule must have"),
            .param("max_itemsets", \.maxItemsets, help: "stop with an error beyond this many itemsets or rules"),
        ]

        func problems(stage id: String) -> [StageError] {
            var found: [StageError] = []
            if !(minSupport > 0 && minSupport <= 1) {
                found.append(
                    StageError(
                        "\(id).min_support must be in (0, 1], got \(FloatFormat.shortest(minSupport))",
                        param: "min_support", hint: "a share of baskets: 0.01 keeps itemsets in at least 1% of them"))
            }
            for (param, value) in [("top_items", topItems), ("max_len", maxLen), ("max_itemsets", maxItemsets)] {
                if let n = value, n < 1 {
                    found.append(StageError("\(id).\(param) must be at least 1, got \(n)", param: param))
                }
            }
            return found
        }
    }
}
