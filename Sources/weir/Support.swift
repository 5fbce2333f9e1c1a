import ArgumentParser
import Foundation
import WeirCore
import WeirRemote
import WeirRemoteCache
import WeirStages
import WeirSystem
import WeirTable

/// Options every pipeline command takes.
struct PipelineOptions: ParsableArguments {
    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(
        name: .customLong("param"),
        help: ArgumentHelp("Override a pipeline parameter, as name=value. Repeatable.", valueName: "name=value"))
    var params: [String] = []

    @OptionGroup var state: StateOptions

    /// Loads and checks the pipeline; diagnostics become exit 2.
    func load() throws -> Pipeline {
        let (pipeline, problems) = try loadCollecting()
        if problems.contains(where: { $0.severity == .error }) { throw DiagnosticError(problems) }
        return pipeline
    }

    /// The pipeline's sound part and every problem found loading it.
    func loadCollecting() throws -> (Pipeline, [Diagnostic]) {
        var overrides: [String: String] = [:]
        for item in params {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw ValidationError("--param expects name=value, got '\(item)'")
            }
            overrides[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        return try PipelineLoader(registry: BuiltinStages.registry(forPipeline: pipeline), overrides: overrides)
            .loadCollecting(path: pipeline)
    }

    var pipelineIdentity: String { Self.identity(of: pipeline) }

    /// A pipeline file's absolute path with symlinks resolved: its identity in the ledger and the lock.
    static func identity(of path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// The state directory of this pipeline (see `Workspace.locate`).
    func workspace(_ access: Workspace.Access = .readWrite) throws -> Workspace {
        try state.workspace(access, near: URL(fileURLWithPath: pipeline).deletingLastPathComponent().path)
    }
}

/// `--state-dir`, for every command that reads or writes the state directory.
struct StateOptions: ParsableArguments {
    @Option(
        help:
            "The state directory (cache, ledger, runs). Default: $WEIR_STATE_DIR, else the nearest .weir at or above the pipeline's folder, else .weir at the root of its git work tree, else beside the pipeline"
    )
    var stateDir: String?

    @Option(
        help: ArgumentHelp(
            "A cache shared with other machines, s3://bucket/prefix: pulled on a miss, sent every result. Default: $WEIR_CACHE_REMOTE, else the pipeline's cache.remote",
            valueName: "url"))
    var cacheRemote: String?

    /// The state directory for a pipeline in `folder`; commands with no pipeline look from the
    /// working folder.
    func workspace(
        _ access: Workspace.Access = .readWrite, near folder: String = FileManager.default.currentDirectoryPath
    ) throws -> Workspace {
        var workspace = try Workspace(root: Workspace.locate(explicit: stateDir, near: folder), access: access)
        workspace.cacheRemote =
            cacheRemote ?? ProcessInfo.processInfo.environment["WEIR_CACHE_REMOTE"].flatMap { $0.isEmpty ? nil : $0 }
        return workspace
    }
}

/// Selection flags shared by `run` and `plan`.
struct SelectionOptions: ParsableArguments {
    @Option(
        name: [.customShort("s"), .long],
        help: ArgumentHelp(
            "Stages to act on: name, +name (with its upstream), name+ (with its downstream). Repeatable.",
            valueName: "stage"))
    var select: [String] = []

    @Option(help: ArgumentHelp("Stages to leave out, in the same forms as --select. Repeatable.", valueName: "stage"))
    var exclude: [String] = []

    @Flag(help: "Ignore the cache for the selected stages.")
    var force = false

    var selection: Selection { Selection(include: select, exclude: exclude) }
}

/// What a command keeps until the process exits instead of freeing it: taking apart a
/// 1,000-stage plan and pipeline cost 1.5% of a cached run; the kernel frees it all at once.
/// The ledger is not kept: closing it checkpoints the WAL, so `weir.sqlite` alone is whole
/// (a copy, a read-only mount).
enum ProcessLifetime {
    nonisolated(unsafe) private static var kept: [Any] = []

    /// Called on the main thread only, just before the command returns.
    static func keep(_ values: Any...) { kept.append(values) }
}

enum Terminal {
    static var isInteractive: Bool {
        Syscall.isTerminal(STDOUT_FILENO) && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    static func error(_ text: String) {
        let text = Secrets.redact(text)
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Pads cells into aligned columns.
    static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0.indices.contains(i) ? $0[i].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.indices.map { i in
                let cell = row[i]
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                if i == row.count - 1 && !rightAligned.contains(i) { return cell }
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func seconds(_ value: Double) -> String {
        value < 10
            ? String(format: "%.2fs", value)
            : value < 600 ? String(format: "%.1fs", value) : String(format: "%.0fm", value / 60)
    }

    static func count(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (i, ch) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && ch != "-" { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }
}

/// Errors that mean "the pipeline or the command line is invalid": exit 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Loads and plans, reporting load problems and column-contract problems together.
func loadAndPlan(
    _ options: PipelineOptions, workspace: Workspace, forced: (Pipeline) throws -> Set<String> = { _ in [] },
    memo: StageMemo = StageMemo()
) throws -> (Pipeline, Plan, CacheView) {
    // The stage states and their objects are read while the pipeline file is parsed.
    let identity = options.pipelineIdentity
    let prefetch = Background {
        try? CachePrefetch.read(ledger: workspace.ledger, store: workspace.store, pipelineFile: identity)
    }
    let (pipeline, problems) = try options.loadCollecting()
    let errors = problems.filter { $0.severity == .error }
    do {
        let (plan, cache) = try makePlan(
            pipeline, identity: identity, workspace: workspace,
            forced: errors.isEmpty ? try forced(pipeline) : [], memo: memo, prefetched: try prefetch.value())
        if !errors.isEmpty { throw DiagnosticError(problems) }
        return (pipeline, plan, cache)
    } catch let error as DiagnosticError where !errors.isEmpty && error.diagnostics != problems {
        throw DiagnosticError(problems + error.diagnostics)
    }
}

/// The remote cache the workspace or the pipeline names, if any.
func remoteCache(_ pipeline: Pipeline, workspace: Workspace) throws -> (any RemoteCache)? {
    guard let url = workspace.cacheRemote ?? pipeline.cacheRemote else { return nil }
    do { return try S3RemoteCache(url: url) } catch { throw UsageError("cache remote \(url): \(error)") }
}

/// Builds the plan of a loaded pipeline against the workspace's cache; `remoteUse` nil leaves
/// the remote cache out.
func makePlan(
    _ pipeline: Pipeline, identity: String, workspace: Workspace, forced: Set<String> = [],
    memo: StageMemo = StageMemo(),
    remoteUse: CacheView.RemoteUse? = .pull, prefetched: CachePrefetch? = nil
) throws -> (Plan, CacheView) {
    let remote = remoteUse == nil ? nil : try remoteCache(pipeline, workspace: workspace)
    let cache = try CacheView(
        ledger: workspace.ledger, store: workspace.store, pipelineFile: identity, remote: remote,
        remoteUse: remoteUse ?? .pull, prefetched: prefetched)
    let planner = Planner(
        registry: BuiltinStages.registry(forPipeline: pipeline.file), cache: cache,
        files: StatCache(ledger: workspace.ledger), memo: memo, forced: forced)
    return (try planner.plan(pipeline), cache)
}

extension Double {
    /// Seconds as JSON with three decimals, as "%.3f" gives them, without Foundation's
    /// formatter: a run of a thousand cached stages prints a thousand of these.
    var json: String {
        guard isFinite else { return "null" }
        guard Swift.abs(self) < 1e12 else { return String(format: "%.3f", self) }
        let thousandths = (self * 1000).rounded()
        let whole = Int64(Swift.abs(thousandths))
        let fraction = whole % 1000
        let sign = thousandths < 0 ? "-" : ""
        return sign + String(whole / 1000) + "." + (fraction < 10 ? "00" : fraction < 100 ? "0" : "") + String(fraction)
    }
}
