import Foundation
import WeirCore
import WeirSystem
import WeirTable

#if canImport(Glibc)
    import Glibc
#endif

/// The local files a source stage's `path` names: one file, a glob (`data/*.csv`), or a glob
/// through folders (`logs/**/*.gz`, where `**` stands for any number of folders). Matches come
/// in path order, so a run reads them in the same order every time.
enum SourceFiles {
    struct File: Sendable {
        var path: String
        /// As the user would write it: relative to the pipeline's folder.
        var display: String
    }

    /// Where a source stage looks, from whichever context it is in.
    struct Scope {
        var stage: StageSpec
        var directory: String
        var memo: StageMemo
        var stateDirectory: String?
        var log: StageLog?
        var parts: SourceParts?

        init(_ context: PlanContext) {
            self.init(
                stage: context.stage, directory: context.pipelineDirectory, memo: context.memo,
                stateDirectory: context.stateDirectory,
                parts: context.parts)
        }

        init(_ context: RunContext) {
            self.init(
                stage: context.stage, directory: context.pipelineDirectory, memo: context.memo,
                stateDirectory: context.stateDirectory, log: context.log, parts: context.parts)
        }

        init(
            stage: StageSpec, directory: String, memo: StageMemo = StageMemo(), stateDirectory: String? = nil,
            log: StageLog? = nil,
            parts: SourceParts? = nil
        ) {
            self.stage = stage
            self.directory = directory
            self.memo = memo
            self.stateDirectory = stateDirectory
            self.log = log
            self.parts = parts
        }
    }

    /// What `path` names, before anything is read or downloaded: each file's name and what
    /// identifies its content, so a multi-file source can skip the files it parsed before.
    struct Listing {
        /// As the user would write them (relative path, or URL), in reading order.
        var names: [String]
        /// True for a glob or an S3 prefix: files come and go, so each is parsed on its own.
        var multiFile: Bool
        private var local: [File]
        private var remote: (source: RemoteSource, objects: [RemoteSource.Object])?
        private var scope: Scope

        init(_ scope: Scope, kind: String, extensionHint: String) throws {
            self.scope = scope
            let settings = try Params.decode(scope.stage)
            let pattern = settings.path
            if try SourceFiles.remote(pattern) {
                let source = RemoteSource(settings: settings, stage: scope.stage, memo: scope.memo)
                let objects = try source.objects()
                remote = (source, objects)
                local = []
                names = objects.map(\.url)
                multiFile =
                    pattern.hasPrefix("s3://")
                    && (pattern.hasSuffix("/") || pattern.contains(where: { "*?[".contains($0) }))
            } else {
                local = try match(pattern, directory: scope.directory, kind: kind, extensionHint: extensionHint)
                names = local.map(\.display)
                multiFile = pattern.contains(where: { "*?[".contains($0) })
            }
        }

        /// What identifies each file's content: a local file's SHA-256 (as the cache key
        /// already computed it), an object's URL with its ETag and size.
        func identities() throws -> [String] {
            if let remote { return remote.objects.map { "\($0.url) \($0.digest)" } }
            let known = scope.memo.value(SourceFiles.digestsKey(scope.stage), as: [String: String].self) ?? [:]
            return try Parallel.map(local.count) { i in
                Result { try known[local[i].path] ?? ContentHash.sha256(file: local[i].path) }
            }.map { try $0.get() }
        }

        /// Local copies of the files at `indices`; remote ones are downloaded unless the
        /// download cache holds this very version.
        func files(_ indices: [Int]) throws -> [File] {
            guard let remote else { return indices.map { local[$0] } }
            return try remote.source.fetch(
                indices.map { remote.objects[$0] }, stateDirectory: scope.stateDirectory, log: scope.log)
        }

        var count: Int { names.count }
    }

    /// What every source stage reads: where, and how to reach an S3-compatible store.
    struct Params: StageParameters {
        enum Addressing: String, ParamChoice { case auto, path, virtual }
        var path = ""
        var endpoint: String?
        var region: String?
        var addressing = Addressing.auto

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "path", \.path, required: true,
                help:
                    "a file or glob (`**` for any folders) relative to the pipeline file, s3://BUCKET/KEY or an http(s):// URL"
            ),
            .param(
                "endpoint", \.endpoint, help: "S3-compatible endpoint URL for s3:// paths [AWS_ENDPOINT_URL, else AWS]"),
            .param("region", \.region, help: "AWS region of an s3:// bucket [AWS_REGION, else us-east-1]"),
            .param(
                "addressing", \.addressing,
                help:
                    "S3 addressing: bucket in the path or in the host name; auto is path-style for an endpoint, virtual for AWS"
            ),
        ]
    }

    /// Where `inputs` leaves the local files' digests (by path) for the stage's read.
    static func digestsKey(_ stage: StageSpec) -> String { "source-digests:" + stage.id }

    /// What a source stage's `path` reads, for its cache key: local files' content digests, or
    /// remote objects' ETags and sizes (one listing; nothing downloaded).
    static func inputs(_ context: SourceContext, kind: String, extensionHint: String = "csv") throws -> [SourceInput] {
        let settings = try context.parameters(Params.self)
        let pattern = settings.path
        if try remote(pattern) {
            return try RemoteSource(settings: settings, stage: context.stage, memo: context.memo).inputs(
                stateDirectory: context.stateDirectory)
        }
        let files = try match(pattern, directory: context.pipelineDirectory, kind: kind, extensionHint: extensionHint)
        let found = try inputs(files, context)
        context.memo.set(
            digestsKey(context.stage),
            Dictionary(zip(files.map(\.path), found.map(\.digest)), uniquingKeysWith: { a, _ in a }))
        return found
    }

    fileprivate static func remote(_ pattern: String) throws -> Bool {
        guard RemoteSource.isRemote(pattern) else { return false }
        guard ["s3://", "http://", "https://"].contains(where: { pattern.hasPrefix($0) }) else {
            throw StageError(
                "'\(pattern)': a path may be a local file or glob, s3://BUCKET/KEY, or an http(s):// URL", param: "path"
            )
        }
        return true
    }

    static func match(_ pattern: String, directory: String, kind: String, extensionHint: String = "csv") throws
        -> [File]
    {
        let resolved = StagePaths.resolve(pattern, in: directory)
        let prefix = directory.isEmpty ? "" : directory + "/"
        func display(_ path: String) -> String { path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path }
        if !pattern.contains(where: { "*?[".contains($0) }) {
            guard let info = Syscall.status(path: resolved) else {
                throw StageError("no such file '\(pattern)' (looked for \(resolved))", param: "path")
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw StageError(
                    "'\(pattern)' is not a file; to read every \(kind) file in a folder write '\(pattern)/*.\(extensionHint)'",
                    param: "path")
            }
            return [File(path: resolved, display: pattern)]
        }
        let paths = resolved.contains("**") ? walk(resolved) : glob(resolved)
        guard !paths.isEmpty else {
            throw StageError("'\(pattern)' matches no file (looked for \(resolved))", param: "path")
        }
        return paths.sorted().map { File(path: $0, display: display($0)) }
    }

    /// The files' digests for a source stage's cache key, several files hashed at once (a
    /// first run over a gigabyte of logs hashes them all).
    static func inputs(_ files: [File], _ context: SourceContext) throws -> [SourceInput] {
        try Parallel.map(files.count) { i in
            Result { SourceInput(name: files[i].display, digest: try context.digest(file: files[i].path)) }
        }.map { try $0.get() }
    }

    private static func isRegularFile(_ path: String) -> Bool {
        Syscall.status(path: path).map { ($0.st_mode & S_IFMT) == S_IFREG } ?? false
    }

    private static func glob(_ pattern: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard Glibc.glob(pattern, 0, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { i in
            matches.gl_pathv[i].map { String(cString: $0) }
        }.filter(isRegularFile)
    }

    /// `base/**/rest`: every file under `base` whose path matches with `**/` standing for any
    /// folders (fnmatch without FNM_PATHNAME, so `*` also crosses `/`).
    private static func walk(_ pattern: String) -> [String] {
        let range = pattern.range(of: "**")!
        var base = String(pattern[..<range.lowerBound])
        if base.hasSuffix("/") { base.removeLast() }
        if base.isEmpty { base = "." }
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = base + "/" + relative
            if matches(pattern, path), isRegularFile(path) { found.append(path) }
        }
        return found
    }

    /// Whether `path` (a file path or an object key) matches a glob: `*` stays within a folder,
    /// and `**/` stands for any number of folders (then fnmatch without FNM_PATHNAME, so `*`
    /// also crosses `/`).
    static func matches(_ pattern: String, _ path: String) -> Bool {
        guard pattern.contains("**") else { return fnmatch(pattern, path, FNM_PATHNAME) == 0 }
        let flat = pattern.replacingOccurrences(of: "**/", with: "*").replacingOccurrences(of: "**", with: "*")
        return fnmatch(flat, path, 0) == 0
    }
}
