import Foundation
import Synchronization
import WeirTable

/// What Weir will do with one stage, and why.
/// A class, not a struct: the scheduler and the report read a 1,000-stage plan many times over,
/// and a copy of this many fields cost a retain and a release each (5% of a cached run).
public final class StagePlan: Sendable {
    public enum Status: String, Sendable { case cached, run }

    public let stage: StageSpec
    public let type: any StageType
    /// The schemas the stage announces, by port.
    public let schemas: [String: Schema]
    /// Nil when an input comes from a stage that runs first (its digest is not known yet).
    public let material: KeyMaterial?
    /// The cache key, computed once.
    public let key: String?
    /// The cache entry for the current key, when it is usable.
    public let entry: CacheEntry?
    /// Cached exactly when the plan found a usable entry.
    public var status: Status { entry == nil ? .run : .cached }
    /// Why the stage runs; empty when cached.
    public let reason: String
    /// What a source read, for the key.
    public let sources: [SourceInput]

    init(
        stage: StageSpec, type: any StageType, schemas: [String: Schema], material: KeyMaterial?, key: String?,
        entry: CacheEntry?, reason: String, sources: [SourceInput]
    ) {
        self.stage = stage
        self.type = type
        self.schemas = schemas
        self.material = material
        self.key = key
        self.entry = entry
        self.reason = reason
        self.sources = sources
    }
}

extension StagePlan {
    /// The key material of this stage run on `inputs`.
    func material(inputs: [InputDigest]) -> KeyMaterial {
        KeyMaterial(stage: stage, version: type.version, inputs: inputs, sources: sources)
    }
}

extension InputRef {
    /// The output this reference reads among its producer's outputs: the port it names, else
    /// the producer's first (`ports`, as its type declares them).
    func output(ports: [String], among outputs: [CacheOutput]?) -> CacheOutput? {
        let port = self.port ?? ports.first ?? "out"
        return outputs?.first { $0.port == port }
    }
}

public struct Plan: Sendable {
    public var pipeline: Pipeline
    /// Every stage, in dependency order.
    public var stages: [StagePlan]

    public subscript(id: String) -> StagePlan? { stages.first { $0.stage.id == id } }
}

/// The cache's view of a pipeline: the ledger's entries and the pipeline's last state,
/// prefetched in one query so a fully cached run of a thousand stages costs milliseconds.
public final class CacheView: Sendable {
    public let ledger: Ledger?
    public let store: ObjectStore?
    public let pipelineFile: String
    /// Consulted on a local miss, and sent every result (`cache: { remote: … }`).
    public let remote: (any RemoteCache)?
    /// What a local miss does with the remote cache.
    public let remoteUse: RemoteUse
    let states: [String: StageState]

    public enum RemoteUse: Sendable {
        /// Fetch the entry and its objects into the local store.
        case pull
        /// Read only the entry, so later keys can be computed (`weir cache status`).
        case peek
    }

    /// Objects already checked this run (`CachePrefetch`): nil when intact, else why not.
    private let verdicts: [String: String?]

    /// `prefetched`: the states and object checks `CachePrefetch.read` found for this ledger,
    /// store and pipeline file earlier in this run; without it they are read here.
    public init(
        ledger: Ledger?, store: ObjectStore?, pipelineFile: String, remote: (any RemoteCache)? = nil,
        remoteUse: RemoteUse = .pull, prefetched: CachePrefetch? = nil
    ) throws {
        self.ledger = ledger
        self.store = store
        self.pipelineFile = pipelineFile
        self.remote = remote
        self.remoteUse = remoteUse
        if let prefetched {
            (states, verdicts) = (prefetched.states, prefetched.verdicts)
        } else {
            states = try ledger?.stageStates(pipelineFile: pipelineFile) ?? [:]
            verdicts = [:]
        }
    }

    /// A usable entry for `key` in the local cache: recorded, and every object in the store.
    public func localEntry(for key: String, stage: String) -> CacheEntry? {
        guard let ledger, let store else { return nil }
        let found: CacheEntry?
        if let state = states[stage], state.key == key, let entry = state.entry {
            found = entry
        } else {
            found = try? ledger.entry(key)
        }
        guard let found else { return nil }
        for output in found.outputs {
            // Checked already this run (`CachePrefetch`), else now.
            if let problem = verdicts[output.digest] ?? store.problem(output.digest) {
                storeProblems.withLock { $0[key] = problem }
                return nil
            }
        }
        return found
    }

    /// Why an entry's objects could not be used (missing, corrupt), by key, for the reason shown.
    private let storeProblems = Mutex<[String: String]>([:])

    /// A usable entry for `key`: local, else from the remote cache.
    public func entry(for key: String, stage: String) -> CacheEntry? {
        localEntry(for: key, stage: stage) ?? pulled(key)
    }

    /// The remote cache's entry for `key`, its objects now in the local store and recorded in
    /// the ledger. A remote that cannot be reached is a miss, with a warning.
    func pulled(_ key: String) -> CacheEntry? {
        guard let remote, let store, let ledger else { return nil }
        do {
            if remoteUse == .peek { return try remote.peek(key: key) }
            guard let (entry, material, written) = try remote.pull(key: key, store: store) else { return nil }
            try ledger.recordEntry(key: key, material: material, outputs: entry.outputs, written: written)
            return entry
        } catch {
            FileHandle.standardError.write(
                Data("weir: warning: remote cache \(remote.url): \(error); computing instead\n".utf8))
            return nil
        }
    }

    public enum Lookup {
        case hit(CacheEntry)
        case run(reason: String)
    }

    /// Decides a stage whose key is known: its usable cached output, or why it must run.
    public func lookup(_ material: KeyMaterial, key: String, type: any StageType, context: SourceContext, forced: Bool)
        -> Lookup
    {
        if forced { return .run(reason: "forced") }
        if let found = entry(for: key, stage: context.stage.id) {
            if type.outputs.isEmpty {
                let written = (try? ledger?.writtenFiles(key: key)) ?? []
                guard type.sideEffectsIntact(context, written: written) else {
                    return .run(
                        reason: written.isEmpty
                            ? "not written by this state directory yet"
                            : "what it wrote is gone or changed: \(written.map(\.path).joined(separator: ", "))")
                }
            }
            return .hit(found)
        }
        guard let state = states[context.stage.id] else { return .run(reason: "never ran") }
        // Only a successful run records a state, so the same key without an entry means
        // its objects were removed.
        if state.key == key {
            return .run(
                reason: storeProblems.withLock { $0[key] }.map { "output unusable: \($0)" }
                    ?? "output missing from the store")
        }
        guard let old = try? ledger?.stageMaterial(pipelineFile: pipelineFile, stage: context.stage.id) else {
            return .run(reason: "never ran")
        }
        let changes = material.changes(since: old)
        return .run(reason: changes.isEmpty ? "key changed" : changes.joined(separator: "; "))
    }

    public func lastKey(stage: String) -> String? { states[stage]?.key }
}

/// Computes keys, cache status, reasons and announced schemas for every stage, reporting all
/// column-contract problems of the pipeline at once.
public struct Planner {
    public var registry: StageRegistry
    public var cache: CacheView
    public var files: any FileDigester
    public var memo: StageMemo
    /// Stages whose cache is ignored (`--force`).
    public var forced: Set<String>

    public init(
        registry: StageRegistry, cache: CacheView, files: any FileDigester, memo: StageMemo = StageMemo(),
        forced: Set<String> = []
    ) {
        self.registry = registry
        self.cache = cache
        self.files = files
        self.memo = memo
        self.forced = forced
    }

    public func plan(_ pipeline: Pipeline) throws -> Plan {
        var diagnostics = DiagnosticCollector()
        let parts = cache.sourceParts(forced: forced)
        var position: [String: Int] = [:]
        var ordered: [StagePlan] = []
        for stage in pipeline.stages {
            // Without its type or an input's schema, the problem is already reported.
            guard let type = registry[stage.typeName], let inputs = Self.inputs(of: stage, among: ordered, at: position)
            else { continue }
            if let plan = planStage(stage, type: type, inputs: inputs, pipeline: pipeline, parts: parts, &diagnostics) {
                position[stage.id] = ordered.count
                ordered.append(plan)
            }
        }
        try diagnostics.throwIfErrors()
        return Plan(pipeline: pipeline, stages: ordered)
    }

    /// A stage's input schemas and, when their producers are cached, digests.
    private struct Inputs {
        var schemas: [Schema] = []
        var digests: [InputDigest] = []
        /// Inputs whose producers run first.
        var pending: [String] = []
    }

    private static func inputs(of stage: StageSpec, among plans: [StagePlan], at position: [String: Int]) -> Inputs? {
        var inputs = Inputs()
        for ref in stage.inputs {
            guard let index = position[ref.stage] else { return nil }
            let upstream = plans[index]
            guard let port = ref.port ?? upstream.type.outputs.first, let schema = upstream.schemas[port] else {
                return nil
            }
            inputs.schemas.append(schema)
            if upstream.status == .cached, let output = upstream.entry?.output(port) {
                inputs.digests.append(InputDigest(name: ref.description, digest: output.digest))
            } else {
                inputs.pending.append(ref.description)
            }
        }
        return inputs
    }

    private func planStage(
        _ stage: StageSpec, type: any StageType, inputs: Inputs, pipeline: Pipeline, parts: SourceParts?,
        _ diagnostics: inout DiagnosticCollector
    ) -> StagePlan? {
        let sourceContext = SourceContext(
            stage: stage, pipelineDirectory: pipeline.directory, files: files, memo: memo,
            stateDirectory: cache.store?.root)
        let sources: [SourceInput]
        do {
            sources = try type.sources(sourceContext)
        } catch {
            var context = PlanContext(stage: stage, inputSchemas: inputs.schemas, pipelineDirectory: pipeline.directory)
            context.report(error)
            diagnostics.append(contentsOf: context.diagnostics.diagnostics)
            return nil
        }
        var (material, key, entry): (KeyMaterial?, String?, CacheEntry?) = (nil, nil, nil)
        var reason = "upstream runs first: " + inputs.pending.joined(separator: ", ")
        if inputs.pending.isEmpty {
            let known = KeyMaterial(stage: stage, version: type.version, inputs: inputs.digests, sources: sources)
            (material, key) = (known, known.key)
            switch cache.lookup(
                known, key: known.key, type: type, context: sourceContext, forced: forced.contains(stage.id))
            {
            case .hit(let found): (entry, reason) = (found, "")
            case .run(let why): reason = why
            }
        }
        // A cached stage ran with these very inputs, parameters and code, so its contracts held
        // then and its schemas are the stored ones: no need to plan it again (for a source, no
        // need to read it).
        let schemas: [String: Schema]
        if let stored = entry.flatMap({ Self.storedSchemas($0, type: type) }) {
            schemas = stored
        } else {
            var context = PlanContext(
                stage: stage, inputSchemas: inputs.schemas, pipelineDirectory: pipeline.directory, memo: memo,
                stateDirectory: cache.store?.root, parts: parts)
            context.checkColumnParameters(type.params)
            schemas = type.outputSchemas(&context)
            diagnostics.append(contentsOf: context.diagnostics.diagnostics)
            guard !context.diagnostics.hasErrors else { return nil }
        }
        return StagePlan(
            stage: stage, type: type, schemas: schemas, material: material, key: key, entry: entry,
            reason: reason, sources: sources)
    }

    /// The schemas a cache entry recorded, when it has every port the type declares.
    private static func storedSchemas(_ entry: CacheEntry, type: any StageType) -> [String: Schema]? {
        var schemas: [String: Schema] = [:]
        for output in entry.outputs { schemas[output.port] = output.schema }
        return Set(schemas.keys) == Set(type.outputs) ? schemas : nil
    }
}

/// Every stage's output schemas, with no cache: the planner's contract checks on their own.
public enum SchemaPlanner {
    public static func plan(_ pipeline: Pipeline, registry: StageRegistry) throws -> [String: [String: Schema]] {
        let cache = try CacheView(ledger: nil, store: nil, pipelineFile: pipeline.file)
        let plan = try Planner(registry: registry, cache: cache, files: DirectFileDigester()).plan(pipeline)
        return Dictionary(uniqueKeysWithValues: plan.stages.map { ($0.stage.id, $0.schemas) })
    }
}
