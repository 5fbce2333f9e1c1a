import Foundation
import Synchronization
import WeirTable

/// What a stage type sees while its output schema is computed: its parameters and its inputs'
/// schemas, no data. Problems are diagnostics at the parameter's position in the file.
public struct PlanContext: Sendable {
    public let stage: StageSpec
    /// Schemas of the stage's inputs, in the order of `stage.inputs`.
    public let inputSchemas: [Schema]
    public let pipelineDirectory: String
    /// Data a source read while planning, handed to its run.
    public let memo: StageMemo
    /// The state directory (`.weir`), where remote sources keep what they download; nil
    /// when planning with no store.
    public let stateDirectory: String?
    /// Where a multi-file source keeps each file's parsed table; nil with no store.
    public let parts: SourceParts?
    public var diagnostics = DiagnosticCollector()

    public init(
        stage: StageSpec, inputSchemas: [Schema], pipelineDirectory: String, memo: StageMemo = StageMemo(),
        stateDirectory: String? = nil, parts: SourceParts? = nil
    ) {
        self.stage = stage
        self.inputSchemas = inputSchemas
        self.pipelineDirectory = pipelineDirectory
        self.memo = memo
        self.stateDirectory = stateDirectory
        self.parts = parts
    }

    /// A path from the pipeline file, relative to its folder.
    public func resolvePath(_ path: String) -> String { StagePaths.resolve(path, in: pipelineDirectory) }

    /// Reports a thrown stage error as a diagnostic at its parameter.
    public mutating func report(_ error: any Error) {
        if let error = error as? StageError {
            self.error(error.param, error.message, hint: error.hint)
        } else {
            self.error(nil, "\(error)")
        }
    }

    public func param(_ name: String) -> ParamValue? { stage.param(name) }

    public var inputNames: [String] { stage.inputs.map(\.description) }

    public mutating func error(_ param: String?, _ message: String, hint: String? = nil) {
        let location = param.flatMap { stage.params[$0]?.location } ?? stage.location
        diagnostics.error(location, message, hint: hint)
    }

    /// Checks a column name given by (an item of) parameter `param`.
    @discardableResult
    public mutating func column(named name: String, param: String, input: Int = 0, types: Set<DataType> = []) -> Field?
    {
        guard input < inputSchemas.count else { return nil }
        let schema = inputSchemas[input]
        let source = input < stage.inputs.count ? stage.inputs[input].description : "the input"
        guard let field = schema[name] else {
            error(
                param,
                "\(stage.id).\(param) names column '\(name)' but \(source) produces no such column "
                    + "(it has: \(schema.names.joined(separator: ", ")))",
                hint: Suggest.didYouMean(name, in: schema.names))
            return nil
        }
        if !types.isEmpty && !types.contains(field.type) {
            error(
                param,
                "\(stage.id).\(param) names column '\(name)' of \(source), which is \(field.type); "
                    + "expected \(types.map(\.rawValue).sorted().joined(separator: " or "))")
            return nil
        }
        return field
    }
}

/// What a stage sees when it runs.
public struct RunContext: Sendable {
    public let stage: StageSpec
    public internal(set) var inputs: [Table]
    /// The schemas announced at planning, by port; the run must produce exactly these.
    public let outputSchemas: [String: Schema]
    public let pipelineDirectory: String
    /// A folder for this stage's logs and side files in this run.
    public let runDirectory: String
    public let memo: StageMemo
    public let log: StageLog
    /// The state directory (`.weir`); see `PlanContext.stateDirectory`.
    public let stateDirectory: String?
    /// See `PlanContext.parts`.
    public let parts: SourceParts?
    /// Outputs the stage made of stored parts instead of returning their tables.
    public let composed = ComposedOutputs()

    public init(
        stage: StageSpec, inputs: [Table], outputSchemas: [String: Schema] = [:], pipelineDirectory: String,
        runDirectory: String, memo: StageMemo = StageMemo(), log: StageLog = StageLog(), stateDirectory: String? = nil,
        parts: SourceParts? = nil
    ) {
        self.parts = parts
        self.stage = stage
        self.inputs = inputs
        self.outputSchemas = outputSchemas
        self.pipelineDirectory = pipelineDirectory
        self.runDirectory = runDirectory
        self.memo = memo
        self.log = log
        self.stateDirectory = stateDirectory
    }

    public func param(_ name: String) -> ParamValue? { stage.param(name) }

    /// The schema announced at planning for `port`, which the run builds its table with.
    public func announcedSchema(_ port: String) throws -> Schema {
        guard let schema = outputSchemas[port] else {
            throw StageError(
                "no schema was announced for output '\(port)' of \(stage.typeName); this is a bug in the stage type")
        }
        return schema
    }

    /// A path from the pipeline file, relative to its folder.
    public func resolvePath(_ path: String) -> String { StagePaths.resolve(path, in: pipelineDirectory) }

    /// A side file of this stage in the run folder, `<run>/<stage>.<suffix>`; the folder is created.
    public func runFile(_ suffix: String) throws -> String {
        try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        return "\(runDirectory)/\(stage.id).\(suffix)"
    }
}

/// What a source stage sees when Weir fingerprints what it reads.
public struct SourceContext: Sendable {
    public let stage: StageSpec
    public let pipelineDirectory: String
    /// Where a source leaves what it learned (a bucket listing) for its planning and run.
    public let memo: StageMemo
    /// See `PlanContext.stateDirectory`.
    public let stateDirectory: String?
    let files: any FileDigester

    public init(
        stage: StageSpec, pipelineDirectory: String, files: any FileDigester, memo: StageMemo = StageMemo(),
        stateDirectory: String? = nil
    ) {
        self.stage = stage
        self.pipelineDirectory = pipelineDirectory
        self.files = files
        self.memo = memo
        self.stateDirectory = stateDirectory
    }

    public func param(_ name: String) -> ParamValue? { stage.param(name) }

    public func resolvePath(_ path: String) -> String { StagePaths.resolve(path, in: pipelineDirectory) }

    /// The SHA-256 of a local file's content, remembered by (device, inode, size, mtime).
    public func digest(file path: String) throws -> String { try files.digest(file: path) }
}

/// Gives the content digest of a local file; the ledger's stat cache implements it.
public protocol FileDigester: Sendable {
    func digest(file path: String) throws -> String
}

/// Hashes every file it is asked about; for contexts with no ledger.
public struct DirectFileDigester: FileDigester {
    public init() {}
    public func digest(file path: String) throws -> String { try ContentHash.sha256(file: path) }
}

/// A stage's failure, with the parameter it concerns so planning can point at it in the file.
public struct StageError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var param: String?
    public var hint: String?

    public init(_ message: String, param: String? = nil, hint: String? = nil) {
        self.message = message
        self.param = param
        self.hint = hint
    }

    public var description: String { message + (hint.map { " (\($0))" } ?? "") }
}

public enum StagePaths {
    public static func resolve(_ path: String, in directory: String) -> String {
        if path.hasPrefix("/") || path.contains("://") { return path }
        if path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] {
            return home + path.dropFirst()
        }
        return directory.isEmpty ? path : directory + "/" + path
    }
}

/// Values a stage computed while planning (a source's table), kept for its run in the same
/// process so nothing is read twice.
public final class StageMemo: Sendable {
    private let values = Mutex<[String: any Sendable]>([:])

    public init() {}

    public func value<T: Sendable>(_ key: String, as type: T.Type = T.self) -> T? {
        values.withLock { $0[key] as? T }
    }

    public func set(_ key: String, _ value: any Sendable) { values.withLock { $0[key] = value } }

    public func remove(_ key: String) { values.withLock { _ = $0.removeValue(forKey: key) } }
}

/// Outputs a stage hands over as manifests of parts already in the store (a source over a
/// glob whose files' tables are kept), by port; the run stores the manifest, not a copy.
public final class ComposedOutputs: Sendable {
    private let manifests = Mutex<[String: PartsManifest]>([:])

    public init() {}

    public func set(_ port: String, _ manifest: PartsManifest) { manifests.withLock { $0[port] = manifest } }
    public subscript(port: String) -> PartsManifest? { manifests.withLock { $0[port] } }
}

/// Lines a stage wants the user to see (rows skipped, files read), and counters the summary
/// shows; written to the stage's log in the run folder.
public final class StageLog: Sendable {
    private let state = Mutex<(lines: [String], notes: [String], written: [WrittenFile], files: FileCounts?)>(
        ([], [], [], nil))

    public init() {}

    /// A line for the stage's log file.
    public func info(_ line: String) { state.withLock { $0.lines.append(line) } }

    /// A line for the log that is also shown in the run's output (e.g. skipped rows).
    public func note(_ line: String) {
        state.withLock {
            $0.lines.append(line)
            $0.notes.append(line)
        }
    }

    /// Records a file the stage wrote outside the store; kept with its cache entry, so a later
    /// run can tell whether the file still holds it (`StageType.sideEffectsIntact`).
    public func wrote(_ file: WrittenFile) { state.withLock { $0.written.append(file) } }

    /// Records how many of a multi-file source's files were parsed and how many reused.
    public func files(_ counts: FileCounts) {
        state.withLock { $0.files = counts }
        info("parsed \(Wording.count(counts.parsed, "file")); reused the parsed tables of \(counts.reused) unchanged")
    }

    public var written: [WrittenFile] { state.withLock { $0.written } }
    public var fileCounts: FileCounts? { state.withLock { $0.files } }
    public var lines: [String] { state.withLock { $0.lines } }
    public var notes: [String] { state.withLock { $0.notes } }
}
