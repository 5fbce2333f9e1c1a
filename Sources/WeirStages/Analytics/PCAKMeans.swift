import Foundation
import WeirCore
import WeirTable

/// `pca_kmeans`: principal components of the feature columns, then K-means on the component
/// scores (k given, or chosen by the elbow of inertia over `k_range`). Equal to scikit-learn's
/// `PCA(n_components)` and `KMeans(n_clusters, n_init)` up to the randomness of seeding.
public struct PCAKMeans: StageType {
    public let name = "pca_kmeans"
    public let version = "1"
    public let summary = "PCA of the feature columns, then K-means clusters (k fixed or by elbow) on the components."
    public let inputs = InputArity.one
    public let outputs = ["assignments", "clusters", "components", "elbow"]
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        var id = ""
        var features: [String]?
        var standardize = false
        var components: Int?
        var k = ParamValue.int(5)
        var kRange = ParamValue.list([.int(2), .int(10)])
        var nInit = 10
        var seed = 0
        var maxIter = 300
        var tol = 1e-4

        static let declarations: [ParamDeclaration<Self>] = [
            .param("id", \.id, .column(types: KeyCodes.keyTypes), required: true, help: "the row key column"),
            .param(
                "features", \.features, .columns(types: [.int64, .float64]),
                help: "the feature columns (default: every numeric column but id)"),
            .param("standardize", \.standardize, help: "scale each feature to mean 0, variance 1 first"),
            .param("components", \.components, help: "principal components to keep (default: min(10, features))"),
            .param("k", \.k, help: "clusters, or `auto` to choose by the elbow of inertia over k_range"),
            .param("k_range", \.kRange, help: "[low, high]: the k tried by `k: auto`"),
            .param("n_init", \.nInit, help: "K-means runs per k; the one of least inertia is kept"),
            .param("seed", \.seed, help: "seed of the K-means++ initialisation"),
            .param("max_iter", \.maxIter, help: "Lloyd iterations per run at most"),
            .param("tol", \.tol, help: "convergence: centre shift relative to the mean feature variance"),
        ]

        func problems(stage id: String) -> [StageError] {
            do {
                _ = try settings()
                return []
            } catch let error as StageError {
                return [error]
            } catch {
                return [StageError("\(error)")]
            }
        }

        /// `k`, `k_range` and `components` read and checked.
        func settings() throws -> Settings {
            var k: Int?
            switch self.k {
            case .int(let value):
                guard value >= 1 else { throw StageError("k must be at least 1, got \(value)", param: "k") }
                k = value
            case .string(let text) where text == "auto": k = nil
            case .string(let text) where Int(text) != nil: k = Int(text)
            case let other: throw StageError("k must be a whole number or `auto`, got \(other)", param: "k")
            }
            var range = 2...10
            if case .list(let bounds) = kRange {
                let ints = bounds.compactMap { $0.int ?? $0.string.flatMap { Int($0) } }
                guard ints.count == 2, ints[0] >= 1, ints[1] >= ints[0] + 2 else {
                    throw StageError(
                        "k_range must be [low, high] with 1 ≤ low and at least three k values, got \(kRange)",
                        param: "k_range")
                }
                range = ints[0]...ints[1]
            }
            if let components, components < 1 {
                throw StageError("components must be at least 1, got \(components)", param: "components")
            }
            return Settings(k: k, range: range, components: components)
        }
    }

    public init() {}

    struct Settings {
        var k: Int?  // nil: auto
        var range: ClosedRange<Int>
        var components: Int?
    }

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let params = context.parameters(Params.self)
        guard let settings = try? params.settings() else { return [:] }
        let input = context.inputSchemas.first ?? Schema([])
        let id = input[params.id]
        var features: [String]? = nil
        if let listed = params.features {
            features = listed
        } else if input.dataColumns == nil || input.dataColumns?.isNumeric == false {
            features = input.fields.filter { $0.type.isNumeric && $0.name != id?.name }.map(\.name)
            if features?.isEmpty == true {
                context.error(
                    "features", "\(context.stage.id) finds no numeric feature columns in its input besides the id")
            }
        }
        let idField = Field(id?.name ?? "id", id?.type ?? .string)
        let base = [idField, Field("cluster", .int64), Field("distance", .float64)]
        var assignments = Schema(base, dataColumns: .float64)
        if let count = settings.components ?? features.map({ Swift.min(10, $0.count) }) {
            assignments = Schema(base + (1...Swift.max(1, count)).map { Field("pc\($0)", .float64) })
        }
        let clusterBase = [Field("cluster", .int64), Field("size", .int64), Field("top_features", .string)]
        let clusters =
            features.map { Schema(clusterBase + $0.map { Field($0, .float64) }) }
            ?? Schema(clusterBase, dataColumns: .float64)
        return [
            "assignments": assignments,
            "clusters": clusters,
            "components": Schema([Field("component", .int64), Field("explained_variance_ratio", .float64)]),
            "elbow": Schema([Field("k", .int64), Field("inertia", .float64)]),
        ]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let table = context.inputs[0]
        let params = try context.parameters(Params.self)
        let settings = try params.settings()
        let idName = params.id
        guard let idColumn = table.column(idName) else { throw StageError("no id column '\(idName)'", param: "id") }
        try idColumn.requireValues(name: idName, param: "id")
        let featureNames =
            params.features
            ?? table.schema.fields.filter { $0.type.isNumeric && $0.name != idName }.map(\.name)
        let n = table.rowCount
        let p = featureNames.count
        guard p > 0 else { throw StageError("no numeric feature columns besides the id", param: "features") }
        let raw = try Self.featureMatrix(table, featureNames)
        var x = raw
        if params.standardize { Self.standardize(&x, rows: n, features: p) }

        let kMax = settings.k ?? settings.range.upperBound
        guard n >= kMax else {
            throw StageError(
                "\(kMax) clusters need at least \(kMax) rows; the input has \(n)",
                param: settings.k == nil ? "k_range" : "k",
                hint: "lower k (or k_range), or give the stage more rows")
        }
        let componentCount = settings.components ?? Swift.min(10, p)
        guard componentCount <= Swift.min(n, p) else {
            throw StageError(
                "components is \(componentCount) but the input has \(n) rows and \(p) features; at most \(Swift.min(n, p)) components exist",
                param: "components")
        }
        let pca = PCA(x, rows: n, features: p, components: componentCount)
        guard pca.variances.reduce(0, +) > 0 else {
            throw StageError(
                "every feature is constant, so there is nothing to cluster", param: "features",
                hint: "check the feature columns, e.g. a pivot over a single value")
        }
        let scores = pca.transform(x, rows: n)
        let (result, tried) = fitClusters(
            KMeans.Points(rowMajor: scores, rows: n, dimensions: componentCount), settings: settings, params,
            context: context)
        let clusters = Clusters(result, dimensions: componentCount)
        let assignments = try Self.assignments(
            idColumn, idName: idName, clusters: clusters, scores: scores, dimensions: componentCount)
        return [
            "assignments": assignments,
            "clusters": try Self.clusterTable(clusters, raw: raw, featureNames: featureNames),
            "components": try Table(fields: [
                ("component", Column(int64Values: (1...componentCount).map(Int64.init))),
                ("explained_variance_ratio", Column(float64Values: pca.explainedVarianceRatio)),
            ]),
            "elbow": try Table(fields: [
                ("k", Column(int64Values: tried.map { Int64($0.k) })),
                ("inertia", Column(float64Values: tried.map(\.result.inertia))),
            ]),
        ]
    }

    /// The features as a row-major matrix of doubles.
    static func featureMatrix(_ table: Table, _ names: [String]) throws -> [Double] {
        let (n, p) = (table.rowCount, names.count)
        var x = [Double](repeating: 0, count: n * p)
        for (j, name) in names.enumerated() {
            guard let column = table.column(name) else {
                throw StageError("no feature column '\(name)'", param: "features")
            }
            try column.requireValues(name: name, param: "features")
            if column.type == .int64 {
                column.int64s.withUnsafeBufferPointer { values in for i in 0..<n { x[i * p + j] = Double(values[i]) } }
            } else {
                column.float64s.withUnsafeBufferPointer { values in for i in 0..<n { x[i * p + j] = values[i] } }
            }
        }
        return x
    }

    /// K-means with `k`, or with each k of `k_range` and the elbow's k chosen.
    private func fitClusters(_ points: KMeans.Points, settings: Settings, _ params: Params, context: RunContext)
        -> (KMeans.Result, [(k: Int, result: KMeans.Result)])
    {
        var model = KMeans(k: settings.k ?? settings.range.lowerBound)
        model.runs = Swift.max(1, params.nInit)
        model.seed = UInt64(bitPattern: Int64(params.seed))
        model.maxIterations = Swift.max(1, params.maxIter)
        model.tolerance = params.tol
        if let k = settings.k {
            let result = model.with(k: k).fit(points)
            return (result, [(k, result)])
        }
        let tried = settings.range.map { k in (k: k, result: model.with(k: k).fit(points)) }
        let knee = Kneedle.knee(x: tried.map { Double($0.k) }, y: tried.map(\.result.inertia))
        // No knee (a straight line): take the largest drop's end, documented.
        let chosen = knee ?? Self.largestDrop(tried.map(\.result.inertia))
        context.log.info(
            "elbow: k = \(tried[chosen].k)" + (knee == nil ? " (no knee; the largest drop in inertia)" : ""))
        return (tried[chosen].result, tried)
    }

    /// A K-means result with clusters numbered by decreasing size, ties by the run's label order.
    struct Clusters {
        let result: KMeans.Result
        let k: Int
        /// Rows per label of the run.
        let sizes: [Int]
        /// The run's labels, largest first.
        let order: [Int]
        /// The number of each label of the run.
        let renumber: [Int]

        init(_ result: KMeans.Result, dimensions: Int) {
            self.result = result
            k = result.centers.count / dimensions
            var sizes = [Int](repeating: 0, count: k)
            for label in result.labels { sizes[Int(label)] += 1 }
            let order = (0..<k).sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
            var renumber = [Int](repeating: 0, count: k)
            for (new, old) in order.enumerated() { renumber[old] = new }
            (self.sizes, self.order, self.renumber) = (sizes, order, renumber)
        }

        func cluster(ofRow i: Int) -> Int { renumber[Int(result.labels[i])] }
    }

    /// One row per input row: id, cluster, distance to its centre, and its component scores.
    static func assignments(_ idColumn: Column, idName: String, clusters: Clusters, scores: [Double], dimensions d: Int)
        throws -> Table
    {
        let n = idColumn.count
        let result = clusters.result
        var columns = [
            idColumn,
            Column(int64Values: (0..<n).map { Int64(clusters.cluster(ofRow: $0)) }),
            Column(
                float64Values: (0..<n).map { i in
                    let c = Int(result.labels[i])
                    var s = 0.0
                    for j in 0..<d {
                        let diff = scores[i * d + j] - result.centers[c * d + j]
                        s += diff * diff
                    }
                    return s.squareRoot()
                }),
        ]
        for c in 0..<d { columns.append(Column(float64Values: (0..<n).map { scores[$0 * d + c] })) }
        let schema = Schema(
            [Field(idName, idColumn.type), Field("cluster", .int64), Field("distance", .float64)]
                + (1...d).map { Field("pc\($0)", .float64) })
        return try Table(schema: schema, columns: columns)
    }

    /// One row per cluster: its size, its three largest features and its centroid in feature
    /// space (the mean of its rows' raw feature values).
    static func clusterTable(_ clusters: Clusters, raw: [Double], featureNames: [String]) throws -> Table {
        let (k, p) = (clusters.k, featureNames.count)
        let n = p == 0 ? 0 : raw.count / p
        var centroid = [Double](repeating: 0, count: k * p)
        for i in 0..<n {
            let c = clusters.cluster(ofRow: i)
            for j in 0..<p { centroid[c * p + j] += raw[i * p + j] }
        }
        for c in 0..<k {
            for j in 0..<p { centroid[c * p + j] /= Double(Swift.max(1, clusters.sizes[clusters.order[c]])) }
        }
        var columns = [
            Column(int64Values: (0..<k).map(Int64.init)),
            Column(int64Values: clusters.order.map { Int64(clusters.sizes[$0]) }),
            Column(
                string: (0..<k).map { c in
                    (0..<p).sorted {
                        centroid[c * p + $0] != centroid[c * p + $1]
                            ? centroid[c * p + $0] > centroid[c * p + $1] : $0 < $1
                    }
                    .prefix(3).map { featureNames[$0] }.joined(separator: ", ")
                }),
        ]
        for j in 0..<p { columns.append(Column(float64Values: (0..<k).map { centroid[$0 * p + j] })) }
        let schema = Schema(
            [Field("cluster", .int64), Field("size", .int64), Field("top_features", .string)]
                + featureNames.map { Field($0, .float64) })
        return try Table(schema: schema, columns: columns)
    }

    /// StandardScaler: mean 0 and (population) variance 1 per feature; constant features stay 0.
    static func standardize(_ x: inout [Double], rows n: Int, features p: Int) {
        let mean = PCA.columnMeans(x, rows: n, features: p)
        var variance = [Double](repeating: 0, count: p)
        for i in 0..<n { for j in 0..<p { variance[j] += (x[i * p + j] - mean[j]) * (x[i * p + j] - mean[j]) } }
        let scale = variance.map { v -> Double in
            let s = (v / Double(n)).squareRoot()
            return s == 0 ? 1 : s
        }
        for i in 0..<n { for j in 0..<p { x[i * p + j] = (x[i * p + j] - mean[j]) / scale[j] } }
    }

    static func largestDrop(_ inertias: [Double]) -> Int {
        var best = 0
        var bestDrop = -Double.infinity
        for i in 1..<Swift.max(1, inertias.count) {
            let drop: Double = inertias[i - 1] - inertias[i]
            if drop > bestDrop {
                bestDrop = drop
                best = i
            }
        }
        return best
    }
}

extension KMeans {
    func with(k: Int) -> KMeans {
        var copy = self
        copy.k = k
        return copy
    }
}
