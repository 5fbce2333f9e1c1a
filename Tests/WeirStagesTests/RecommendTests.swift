import Foundation
import Testing
import WeirCore
import WeirTable
import WeirTestSupport

@testable import WeirStages

/// Lines of users in `groups` taste groups: each user buys mostly from their group's items, a
/// little from anywhere; `test` holds a later basket drawn the same way.
func tasteGroups(users: Int, items: Int, groups: Int, lines: Int, seed: UInt64) -> (train: Table, test: Table) {
    var random = RandomStream(seed: seed)
    func draw(_ u: Int) -> String {
        let group = u % groups
        let span = items / groups
        let item =
            random.uniform() < 0.85
            ? group * span + Int(Double(span) * random.uniform() * random.uniform()) : random.int(items)
        return String(format: "i%04d", item)
    }
    var trainUser: [String] = []
    var trainItem: [String] = []
    var testUser: [String] = []
    var testItem: [String] = []
    for u in 0..<users {
        for _ in 0..<lines {
            trainUser.append(String(format: "u%04d", u))
            trainItem.append(draw(u))
        }
        for _ in 0..<4 {
            testUser.append(String(format: "u%04d", u))
            testItem.append(draw(u))
        }
    }
    let table = { (u: [String], i: [String]) in
        try! Table(fields: [("user", Column(string: u)), ("item", Column(string: i))])
    }
    return (table(trainUser, trainItem), table(testUser, testItem))
}

let recommendYAML = "stages:\n  t: { type: extract.csv, path: x.csv }\n"

@Suite struct RecommendTests {
    @Test func repeatRanksWhatEachUserBoughtMostWithReasons() throws {
        let lines = try Table(fields: [
            ("user", Column(int64: [1, 1, 1, 1, 2, 2])), ("item", Column(string: ["a", "b", "b", "c", "c", "c"])),
        ])
        let yaml = recommendYAML + "  r: { type: recommend, input: t, user: user, item: item, method: repeat, k: 2 }\n"
        let out = try runStageOutputs(yaml, stage: "r", inputs: [lines])
        let recs = try #require(out["recommendations"])
        #expect(recs.columns[0].int64s.map { $0 } == [1, 1, 2])
        #expect(recs.columns[1].strings.map { $0 } == ["b", "a", "c"])
        #expect(recs.columns[4].strings.map { $0 } == ["bought 2 times", "bought once", "bought 2 times"])
        // Cosine over buyers: a and b have one buyer each, both user 1 (1.0); c has two, one shared with a (1/sqrt 2).
        let similar = try #require(out["similar_items"])
        let pairs = (0..<similar.rowCount).map { "\(similar.columns[0].strings[$0])>\(similar.columns[1].strings[$0])" }
        #expect(pairs == ["a>b", "a>c", "b>a", "b>c", "c>a", "c>b"])
        #expect(abs(similar.columns[3].float64s[1] - 1 / 2.0.squareRoot()) < 1e-6)
    }

    @Test func kLargerThanTheCatalogueAndOneUserGiveWhatThereIs() throws {
        let lines = try Table(fields: [("user", Column(string: ["x", "x"])), ("item", Column(int64: [7, 8]))])
        let yaml =
            recommendYAML + "  r: { type: recommend, input: t, user: user, item: item, k: 50, method: popular }\n"
        let recs = try #require(try runStageOutputs(yaml, stage: "r", inputs: [lines])["recommendations"])
        #expect(recs.rowCount == 2)
        #expect(recs.columns[1].int64s.map { $0 } == [7, 8])
    }

    @Test func nullUsersAreAnErrorNamingTheParameter() throws {
        let lines = try Table(fields: [("user", Column(string: ["x", nil])), ("item", Column(int64: [7, 8]))])
        let yaml = recommendYAML + "  r: { type: recommend, input: t, user: user, item: item }\n"
        #expect(throws: StageError.self) { try runStageOutputs(yaml, stage: "r", inputs: [lines]) }
    }

    @Test func splitHoldsOutEachUsersLastOrder() throws {
        let lines = try Table(fields: [
            ("user", Column(int64: [1, 1, 1, 2, 2, 3])), ("order", Column(int64: [10, 10, 11, 20, 21, 30])),
            ("n", Column(int64: [2, 2, 1, 1, 2, 1])), ("item", Column(string: ["a", "b", "c", "d", "e", "f"])),
        ])
        let yaml = recommendYAML + "  s: { type: split, input: t, user: user, order: order, sequence: n }\n"
        let out = try runStageOutputs(yaml, stage: "s", inputs: [lines])
        // User 1's last order by sequence is 10 (n = 2), not 11; user 3 has one order and keeps it.
        #expect(out["test"]?.columns[3].strings.map { $0 } == ["a", "b", "e"])
        #expect(out["train"]?.columns[3].strings.map { $0 } == ["c", "d", "f"])
    }

    @Test func evaluateNeedsTruth() throws {
        let recs = try Table(fields: [
            ("user", Column(string: ["x"])), ("item", Column(string: ["a"])), ("rank", Column(int64: [1])),
        ])
        let truth = try Table(fields: [("user", Column(string: [String?]())), ("item", Column(string: [String?]()))])
        let yaml =
            "stages:\n  a: { type: extract.csv, path: a.csv }\n  b: { type: extract.csv, path: b.csv }\n"
            + "  e: { type: evaluate, inputs: [a, b], user: user, item: item }\n"
        #expect(throws: StageError.self) { try runStage(yaml, stage: "e", inputs: [recs, truth]) }
    }
}

@Suite(
    .enabled(
        if: ReferencePython.available, "needs the reference Python (scripts/venv.sh scripts/requirements/test.txt)"))
struct RecommendParityTests {
    struct Metrics: Decodable { let precision, recall, ndcg, map, hit_rate, coverage: Double }

    @Test func evaluateEqualsTheReferenceMetrics() throws {
        var random = RandomStream(seed: 7)
        var ru: [String] = []
        var ri: [String] = []
        var rr: [Int64] = []
        var tu: [String] = []
        var ti: [String] = []
        for u in 0..<300 {
            let user = "u\(u)"
            if u % 7 != 0 {
                for rank in 1...(3 + random.int(12)) {
                    ru.append(user)
                    ri.append("i\(random.int(60))")
                    rr.append(Int64(rank))
                }
            }
            if u % 11 != 0 {
                for _ in 0...random.int(6) {
                    tu.append(user)
                    ti.append("i\(random.int(60))")
                }
            }
        }
        ru.append("nobody")
        ri.append("i999")
        rr.append(1)
        let recs = try Table(fields: [
            ("user", Column(string: ru)), ("item", Column(string: ri)), ("rank", Column(int64: rr)),
        ])
        let truth = try Table(fields: [("user", Column(string: tu)), ("item", Column(string: ti))])
        let dir = try temporaryDirectory()
        try CSVWriter().write(recs, toFile: dir + "/recs.csv")
        try CSVWriter().write(truth, toFile: dir + "/truth.csv")
        let yaml =
            "stages:\n  a: { type: extract.csv, path: a.csv }\n  b: { type: extract.csv, path: b.csv }\n"
            + "  e: { type: evaluate, inputs: [a, b], user: user, item: item, k: 10 }\n"
        let out = try #require(try runStage(yaml, stage: "e", inputs: [recs, truth]).1)
        for k in [10] {
            let want = try ReferencePython.json(
                Metrics.self, script: "recommend.py", ["metrics", dir + "/recs.csv", dir + "/truth.csv", "\(k)"])
            let got = Dictionary(
                uniqueKeysWithValues: (0..<out.rowCount).map {
                    (out.columns[1].strings[$0], out.columns[2].float64s[$0])
                })
            for (name, value) in [
                ("precision", want.precision), ("recall", want.recall), ("ndcg", want.ndcg), ("map", want.map),
                ("hit_rate", want.hit_rate), ("coverage", want.coverage),
            ] {
                #expect(abs((got["\(name)@\(k)"] ?? -1) - value) < 1e-12, "\(name)")
            }
        }
    }

    struct ALSRun: Decodable {
        let ndcg: Double
        let lists: [String: [String]]
    }

    /// Weir's ALS against implicit's on the same lines: over seeds, NDCG@10 within implicit's own
    /// spread, and Weir's lists overlap implicit's as much as implicit's do across seeds.
    @Test func alsMatchesImplicit() throws {
        let (train, test) = tasteGroups(users: 400, items: 300, groups: 8, lines: 25, seed: 3)
        let dir = try temporaryDirectory()
        try CSVWriter().write(train, toFile: dir + "/train.csv")
        try CSVWriter().write(test, toFile: dir + "/test.csv")
        let reference = try ReferencePython.json(
            [String: ALSRun].self, script: "recommend.py", ["als", dir + "/train.csv", dir + "/test.csv", "16", "15"])
        var truth: [String: Set<String>] = [:]
        for row in 0..<test.rowCount {
            truth[test.columns[0].strings[row], default: []].insert(test.columns[1].strings[row])
        }
        func overlap(_ a: [String: [String]], _ b: [String: [String]]) -> Double {
            a.map { Double(Set($0.value).intersection(b[$0.key] ?? []).count) / 10 }.reduce(0, +) / Double(a.count)
        }
        var ours: [(ndcg: Double, lists: [String: [String]])] = []
        for seed in 0..<3 {
            let yaml =
                recommendYAML
                + "  r: { type: recommend, input: t, user: user, item: item, method: als, factors: 16, iterations: 15, "
                + "exclude_seen: true, seed: \(seed) }\n"
            let recs = try #require(try runStageOutputs(yaml, stage: "r", inputs: [train])["recommendations"])
            var lists: [String: [String]] = [:]
            for row in 0..<recs.rowCount {
                lists[recs.columns[0].strings[row], default: []].append(recs.columns[1].strings[row])
            }
            let ndcg =
                truth.map { RankingMetrics.ndcg(lists[$0.key] ?? [], truth: $0.value, k: 10) }.reduce(0, +)
                / Double(truth.count)
            ours.append((ndcg, lists))
        }
        let theirs = (0..<5).compactMap { reference["seed\($0)"] }
        try #require(theirs.count == 5)
        let spread = (theirs.map(\.ndcg).min() ?? 0)...(theirs.map(\.ndcg).max() ?? 0)
        let margin = spread.upperBound - spread.lowerBound
        let across = (1..<5).map { overlap(theirs[$0].lists, theirs[0].lists) }.reduce(0, +) / 4
        let weirOverlap = ours.map { overlap($0.lists, theirs[0].lists) }.reduce(0, +) / Double(ours.count)
        print(
            "ALS NDCG@10: weir \(ours.map(\.ndcg)), implicit \(theirs.map(\.ndcg)); "
                + "top-10 overlap with implicit seed 0: weir \(weirOverlap), implicit's other seeds \(across)")
        for run in ours {
            #expect(
                run.ndcg >= spread.lowerBound - margin && run.ndcg <= spread.upperBound + margin,
                "\(run.ndcg) vs \(spread)")
        }
        #expect(weirOverlap >= across - 0.05)
    }

    @Test func bm25NeighboursEqualImplicit() throws {
        let (train, _) = tasteGroups(users: 300, items: 200, groups: 6, lines: 20, seed: 11)
        let dir = try temporaryDirectory()
        try CSVWriter().write(train, toFile: dir + "/train.csv")
        let reference = try ReferencePython.json(
            [String: [[JSONScalar]]].self, script: "recommend.py", ["bm25", dir + "/train.csv", "5", "1.2", "0.75"])
        let yaml =
            recommendYAML
            + "  r: { type: recommend, input: t, user: user, item: item, method: item_knn, similarity: bm25, k: 5, neighbours: 5 }\n"
        let similar = try #require(try runStageOutputs(yaml, stage: "r", inputs: [train])["similar_items"])
        var ours: [String: [Double]] = [:]
        for row in 0..<similar.rowCount {
            ours[similar.columns[0].strings[row], default: []].append(similar.columns[3].float64s[row])
        }
        #expect(ours.count == reference.count)
        // Scores, best first (which of two equal scores comes first is each library's own tie rule).
        for (item, pairs) in reference {
            let theirs = pairs.compactMap { $0.count == 2 ? $0[1].number : nil }
            let mine = ours[item] ?? []
            #expect(mine.count == theirs.count, "\(item)")
            for (a, b) in zip(mine, theirs) {
                #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "\(item): \(mine) vs \(theirs)")
            }
        }
    }

    /// A JSON array element that is a string or a number.
    enum JSONScalar: Decodable {
        case text(String), number(Double)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
        }
        var number: Double? { if case .number(let d) = self { d } else { nil } }
    }
}
