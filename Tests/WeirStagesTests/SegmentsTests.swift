import Foundation
import Testing
import WeirCore
import WeirTable
import WeirTestSupport

@testable import WeirStages

/// Rows drawn around `groups` well-separated centres in `features` dimensions (some features
/// integer counts, one constant), so clustering has a true answer.
func clusteredRows(rows n: Int, features p: Int, groups: Int, seed: UInt64, sparse: Bool = false) throws -> Table {
    var rng = SplitMix(seed: seed)
    let centres = (0..<groups).map { _ in (0..<p).map { _ in rng.uniform() * 12 } }
    func normal() -> Double { (-2 * log(max(rng.uniform(), 1e-300))).squareRoot() * cos(2 * .pi * rng.uniform()) }
    var columns = [[Double]](repeating: [], count: p)
    for i in 0..<n {
        let g = (i * 7 + i / 3) % groups
        for j in 0..<p {
            let v = centres[g][j] + normal() * (1 + Double(j % 3) * 0.3)
            columns[j].append(sparse ? max(0, (v - 8).rounded()) : v)  // counts, mostly zero
        }
    }
    var fields: [(String, Column)] = [("id", Column(int64Values: (1...n).map(Int64.init)))]
    for j in 0..<p {
        if j == 2 {
            fields.append(("f\(j)", Column(int64Values: columns[j].map { Int64(max(0, $0.rounded())) })))
        } else if j == p - 1 {
            fields.append(("f\(j)", Column(float64Values: [Double](repeating: 3.5, count: n))))  // constant
        } else {
            fields.append(("f\(j)", Column(float64Values: columns[j])))
        }
    }
    return try Table(fields: fields)
}

@Suite(
    .enabled(
        if: ReferencePython.available, "needs the reference Python (scripts/venv.sh scripts/requirements/test.txt)"))
struct SegmentsParityTests {
    struct Reference: Decodable {
        struct Elbow: Decodable {
            let k: [Int]
            let inertia: [Double]
            let knee: Int?
        }
        let solver: String
        let explained_variance_ratio: [Double]
        let components: [[Double]]
        let inertia: Double
        let ari: Double?
        let elbow: Elbow?
        let knee_of_given: Int?
    }

    func reference(_ input: Table, _ params: [String: Any]) throws -> Reference {
        let dir = try temporaryDirectory()
        try CSVWriter().write(input, toFile: dir + "/features.csv")
        let json = String(decoding: try JSONSerialization.data(withJSONObject: params), as: UTF8.self)
        return try ReferencePython.json(Reference.self, script: "segments.py", ["pca", dir + "/features.csv", json])
    }

    func stage(_ input: Table, _ params: String) throws -> [String: Table] {
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  s: { type: pca_kmeans, input: t, id: id, \(params) }\n"
        return try runStageOutputs(yaml, stage: "s", inputs: [input])
    }

    @Test(arguments: [false, true])
    func pcaAndKMeansMatchScikitLearn(standardize: Bool) throws {
        let input = try clusteredRows(rows: 3000, features: 12, groups: 4, seed: standardize ? 11 : 7)
        let outputs = try stage(input, "k: 4, components: 5, n_init: 10, standardize: \(standardize)")
        let assignments = try #require(outputs["assignments"])
        let components = try #require(outputs["components"])
        let elbow = try #require(outputs["elbow"])
        let labels = assignments.column("cluster")!.int64s.map { Int($0) }
        let expected = try reference(
            input, ["components": 5, "k": 4, "n_init": 10, "standardize": standardize, "labels": labels])
        #expect(expected.solver == "covariance_eigh")
        let ratios = components.column("explained_variance_ratio")!.float64s
        #expect(ratios.count == expected.explained_variance_ratio.count)
        for (mine, theirs) in zip(ratios, expected.explained_variance_ratio) { #expect(abs(mine - theirs) <= 1e-6) }
        let inertia = elbow.column("inertia")!.float64s[0]
        #expect(abs(inertia - expected.inertia) <= 0.01 * expected.inertia, "inertia \(inertia) vs \(expected.inertia)")
        #expect((expected.ari ?? 0) >= 0.95, "adjusted Rand index \(expected.ari ?? 0)")
        // Sizes come in decreasing order and add up.
        let sizes = outputs["clusters"]!.column("size")!.int64s.map { $0 }
        #expect(sizes == sizes.sorted(by: >) && sizes.reduce(0, +) == 3000)
    }

    /// Mostly-zero counts (a user x aisle pivot) take the sparse covariance path.
    @Test func sparseCountsMatchScikitLearn() throws {
        let input = try clusteredRows(rows: 3000, features: 14, groups: 4, seed: 13, sparse: true)
        let zeros = (1..<input.columnCount).reduce(0) { n, c in
            n + (0..<3000).filter { input.columns[c][$0].doubleValue == 0 }.count
        }
        #expect(zeros * 2 > 3000 * 14)
        let outputs = try stage(input, "k: 4, components: 6, n_init: 10")
        let labels = outputs["assignments"]!.column("cluster")!.int64s.map { Int($0) }
        let expected = try reference(input, ["components": 6, "k": 4, "n_init": 10, "labels": labels])
        for (mine, theirs) in zip(
            outputs["components"]!.column("explained_variance_ratio")!.float64s, expected.explained_variance_ratio)
        {
            #expect(abs(mine - theirs) <= 1e-6)
        }
        let inertia = outputs["elbow"]!.column("inertia")!.float64s[0]
        #expect(abs(inertia - expected.inertia) <= 0.01 * expected.inertia)
        #expect((expected.ari ?? 0) >= 0.95)
    }

    @Test func componentsEqualScikitLearnsUpToSign() throws {
        let input = try clusteredRows(rows: 2000, features: 8, groups: 3, seed: 5)
        let expected = try reference(input, ["components": 4, "k": 3, "n_init": 1])
        let pca = PCA(
            (0..<2000).flatMap { i in (1...8).map { input.columns[$0][i].doubleValue } }, rows: 2000, features: 8,
            components: 4)
        for c in 0..<4 {
            let mine = (0..<8).map { pca.components[c * 8 + $0] }
            let sign = zip(mine, expected.components[c]).map { $0 * $1 }.reduce(0, +) >= 0 ? 1.0 : -1.0
            for (a, b) in zip(mine, expected.components[c]) { #expect(abs(a * sign - b) <= 1e-6, "component \(c + 1)") }
        }
    }

    @Test func elbowChoosesTheKneeKneedFinds() throws {
        let input = try clusteredRows(rows: 2500, features: 10, groups: 5, seed: 3)
        let outputs = try stage(input, "k: auto, k_range: [2, 9], components: 6, n_init: 5")
        let elbow = try #require(outputs["elbow"])
        let inertias = elbow.column("inertia")!.float64s.map { $0 }
        let expected = try reference(
            input, ["components": 6, "k": 5, "n_init": 5, "k_range": [2, 9], "inertias": inertias])
        let chosen = Set(outputs["assignments"]!.column("cluster")!.int64s).count
        #expect(
            expected.knee_of_given == chosen,
            "kneed on Weir's curve picks \(expected.knee_of_given ?? -1), Weir picked \(chosen)")
        #expect(expected.elbow?.knee == chosen)
        for (mine, theirs) in zip(inertias, expected.elbow!.inertia) { #expect(abs(mine - theirs) <= 0.01 * theirs) }
    }

    @Test(arguments: [("count", nil), ("sum", "q"), ("mean", "w")] as [(String, String?)])
    func pivotEqualsPandasPivotTable(agg: String, value: String?) throws {
        var rng = SplitMix(seed: 9)
        let n = 5000
        let users = (0..<n).map { _ in Int64(rng.int(300) * 3) }
        let aisles = (0..<n).map { _ in ["fresh fruits", "yogurt", "chips", "milk", "eggs", "bread"][rng.int(6)] }
        let q = (0..<n).map { _ in Int64(rng.int(5)) - 1 }
        let w = (0..<n).map { _ in Double(rng.int(1000)) / 8 }
        let input = try Table(fields: [
            ("u", Column(int64Values: users)), ("a", Column(string: aisles)),
            ("q", Column(int64Values: q)), ("w", Column(float64Values: w)),
        ])
        let dir = try temporaryDirectory()
        try CSVWriter().write(input, toFile: dir + "/lines.csv")
        struct Pivoted: Decodable {
            let rows: [String]
            let columns: [String]
            let cells: [[Double]]
        }
        var params: [String: Any] = ["row": "u", "column": "a", "agg": agg]
        if let value { params["value"] = value }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: params), as: UTF8.self)
        let expected = try ReferencePython.json(
            Pivoted.self, script: "segments.py", ["pivot", dir + "/lines.csv", json])
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  p: { type: pivot, input: t, row: u, column: a, agg: \(agg)\(value.map { ", value: \($0)" } ?? "") }\n"
        let out = try #require(try runStageOutputs(yaml, stage: "p", inputs: [input])["out"])
        #expect(out.schema.names == ["u"] + expected.columns)
        #expect(out.rowCount == expected.rows.count)
        #expect((0..<out.rowCount).map { String(out.columns[0].int64s[$0]) } == expected.rows)
        for c in 1..<out.columnCount {
            for r in 0..<out.rowCount {
                let mine = out.columns[c].type == .int64 ? Double(out.columns[c].int64s[r]) : out.columns[c].float64s[r]
                #expect(abs(mine - expected.cells[r][c - 1]) <= 1e-9 * max(1, abs(mine)))
            }
        }
    }
}

@Suite struct SegmentsEdgeTests {
    func stage(_ input: Table, _ params: String) throws -> [String: Table] {
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  s: { type: pca_kmeans, input: t, id: id, \(params) }\n"
        return try runStageOutputs(yaml, stage: "s", inputs: [input])
    }

    @Test func fewerRowsThanClustersIsAClearError() throws {
        let input = try clusteredRows(rows: 3, features: 4, groups: 2, seed: 1)
        let error = try #require(throws: StageError.self) { try stage(input, "k: 5") }
        #expect(error.message.contains("at least 5 rows"))
    }

    @Test func everyFeatureConstantIsAClearError() throws {
        let input = try Table(fields: [
            ("id", Column(int64Values: [1, 2, 3, 4])), ("a", Column(float64Values: [1, 1, 1, 1])),
            ("b", Column(int64Values: [7, 7, 7, 7])),
        ])
        let error = try #require(throws: StageError.self) { try stage(input, "k: 2, components: 2") }
        #expect(error.message.contains("constant"))
    }

    @Test func aConstantFeatureAmongOthersHasNoVariance() throws {
        let input = try clusteredRows(rows: 400, features: 5, groups: 2, seed: 2)
        let outputs = try stage(input, "k: 2, components: 5")
        let ratios = outputs["components"]!.column("explained_variance_ratio")!.float64s
        #expect(abs(ratios[4]) < 1e-12)
        #expect(abs(ratios.reduce(0, +) - 1) < 1e-9)
    }

    @Test func badKIsADiagnostic() {
        #expect(throws: DiagnosticError.self) {
            try stage(try clusteredRows(rows: 40, features: 3, groups: 2, seed: 1), "k: many")
        }
    }

    @Test func pivotColumnsListFixesTheSchemaAndRejectsUnlistedValues() throws {
        let input = try Table(fields: [("u", Column(int64Values: [1, 1, 2])), ("a", Column(string: ["x", "y", "z"]))])
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  p: { type: pivot, input: t, row: u, column: a, columns: [x, y], prefix: 'a_' }\n"
        let error = try #require(throws: StageError.self) { try runStageOutputs(yaml, stage: "p", inputs: [input]) }
        #expect(error.message.contains("'z'"))
        let ok =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  p: { type: pivot, input: t, row: u, column: a, columns: [x, y, z, w], prefix: 'a_' }\n"
        let out = try #require(try runStageOutputs(ok, stage: "p", inputs: [input])["out"])
        #expect(out.schema.names == ["u", "a_x", "a_y", "a_z", "a_w"])
        #expect(out.row(0) == [.int64(1), .int64(1), .int64(1), .int64(0), .int64(0)])
    }
}

extension Value {
    var doubleValue: Double {
        switch self {
        case .int64(let v): Double(v)
        case .float64(let v): v
        default: .nan
        }
    }
}

@Suite(
    .enabled(
        if: ReferencePython.available, "needs the reference Python (scripts/venv.sh scripts/requirements/test.txt)"))
struct AffinityCohortParityTests {
    @Test(arguments: [false, true])
    func affinityEqualsPandasShares(weighted: Bool) throws {
        var rng = SplitMix(seed: 21)
        let n = 3000
        let segments = (0..<n).map { _ in ["Champions", "Loyal", "Lost", "New"][rng.int(4)] }
        let categories = (0..<n).map { i in
            ["produce", "dairy eggs", "snacks", "babies", "alcohol"][
                (rng.int(5) + (segments[i] == "Lost" ? 0 : rng.int(2))) % 5]
        }
        let amounts = (0..<n).map { _ in Double(rng.int(10_000)) / 100 }
        let input = try Table(fields: [
            ("segment", Column(string: segments)), ("category", Column(string: categories)),
            ("amount", Column(float64Values: amounts)),
        ])
        let dir = try temporaryDirectory()
        try CSVWriter().write(input, toFile: dir + "/lines.csv")
        struct Row: Decodable {
            let segment: String
            let category: String
            let purchases: Double
            let share: Double
            let overall_share: Double
            let lift: Double
        }
        let params = weighted ? "{\"value\": \"amount\"}" : "{}"
        let expected = try ReferencePython.json(
            [Row].self, script: "segments.py", ["affinity", dir + "/lines.csv", params])
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  a: { type: affinity, input: t\(weighted ? ", value: amount" : "") }\n"
        let out = try #require(try runStageOutputs(yaml, stage: "a", inputs: [input])["out"])
        #expect(out.rowCount == expected.count)
        for (row, want) in expected.enumerated() where row < out.rowCount {
            #expect(out.columns[0].strings[row] == want.segment && out.columns[1].strings[row] == want.category)
            let purchases = weighted ? out.columns[2].float64s[row] : Double(out.columns[2].int64s[row])
            for (a, b) in [
                (purchases, want.purchases), (out.columns[3].float64s[row], want.share),
                (out.columns[4].float64s[row], want.overall_share), (out.columns[5].float64s[row], want.lift),
            ] {
                #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "\(want.segment) x \(want.category)")
            }
        }
    }

    @Test func cohortsEqualPandasRetention() throws {
        let input = try purchaseLines(customers: 600, seed: 4)
        let dir = try temporaryDirectory()
        try CSVWriter().write(input, toFile: dir + "/lines.csv")
        struct Row: Decodable, Equatable {
            let cohort: String
            let months_since: Int
            let customers: Int
            let cohort_size: Int
            let retention: Double
        }
        let expected = try ReferencePython.json(
            [Row].self, script: "segments.py", ["cohort", dir + "/lines.csv", "{}"])
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  c: { type: cohort, input: t, customer: customer }\n"
        let out = try #require(try runStageOutputs(yaml, stage: "c", inputs: [input])["out"])
        let mine = (0..<out.rowCount).map { r in
            Row(
                cohort: out.columns[0][r].description, months_since: Int(out.columns[1].int64s[r]),
                customers: Int(out.columns[2].int64s[r]),
                cohort_size: Int(out.columns[3].int64s[r]), retention: out.columns[4].float64s[r])
        }
        #expect(mine == expected)
    }
}
