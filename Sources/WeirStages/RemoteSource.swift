import Foundation
import Synchronization
import WeirCore
import WeirRemote
import WeirSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A source `path` that is a URL: `s3://bucket/key`, `s3://bucket/prefix/` (every object
/// under it), `s3://bucket/prefix/*.csv` (a glob over keys, `**` across folders), or one
/// `http(s)://` resource. Planning only asks for the objects' validators (one listing, or one
/// HEAD); the objects are downloaded when the stage runs, into `.weir/downloads`, keyed by URL
/// and ETag, so a changed object is fetched again and an unchanged one never is.
struct RemoteSource: Sendable {
    /// One remote object and what identifies its content.
    struct Object: Sendable, Hashable {
        var url: String
        var size: Int?
        var etag: String?
        var lastModified: String?
        /// For an HTTP resource with no validators: the SHA-256 of the copy fetched to learn it.
        var contentDigest: String?

        /// What goes into the cache key.
        var digest: String {
            if let contentDigest { return contentDigest }
            var parts: [String] = []
            if let etag, !etag.isEmpty { parts.append("etag \(etag)") }
            if let size { parts.append("size \(size)") }
            if let lastModified, !lastModified.isEmpty { parts.append("modified \(lastModified)") }
            return parts.joined(separator: ", ")
        }
    }

    static func isRemote(_ path: String) -> Bool { path.contains("://") }

    /// The stage's `path`, `endpoint`, `region` and `addressing`.
    let settings: SourceFiles.Params
    let stage: StageSpec
    var pattern: String { settings.path }
    let memo: StageMemo

    /// Where the listing is kept for the rest of the process.
    var memoKey: String { "remote:\(stage.id):\(pattern)" }

    // MARK: Listing

    /// The objects the path names, listed once per process and stage.
    func objects() throws -> [Object] {
        if let listed = memo.value(memoKey, as: [Object].self) { return listed }
        let listed = try withLocation { () throws(RemoteError) in
            pattern.hasPrefix("s3://") ? try listS3() : try [headHTTP()]
        }
        memo.set(memoKey, listed)
        return listed
    }

    func s3Client() throws(RemoteError) -> S3Client {
        try S3Client.configured(
            region: settings.region, endpoint: settings.endpoint,
            pathStyle: settings.addressing == .path ? true : settings.addressing == .virtual ? false : nil)
    }

    private func listS3() throws(RemoteError) -> [Object] {
        let location = try S3Location(pattern)
        let client = try s3Client()
        func object(_ found: S3Object) -> Object {
            Object(
                url: "s3://\(location.bucket)/\(found.key)", size: found.size, etag: found.etag,
                lastModified: found.lastModified)
        }
        if let wildcard = location.key.firstIndex(where: { "*?[".contains($0) }) {
            let matched = try client.list(bucket: location.bucket, prefix: String(location.key[..<wildcard]))
                .filter { SourceFiles.matches(location.key, $0.key) }
            guard !matched.isEmpty else {
                throw RemoteError(.notFound, "'\(pattern)' matches no object in bucket '\(location.bucket)'")
            }
            return matched.sorted { $0.key < $1.key }.map(object)
        }
        if location.key.isEmpty || location.key.hasSuffix("/") {
            let listed = try client.list(bucket: location.bucket, prefix: location.key).filter {
                !$0.key.hasSuffix("/")
            }
            guard !listed.isEmpty else {
                throw RemoteError(.notFound, "no objects under '\(pattern)' in bucket '\(location.bucket)'")
            }
            return listed.sorted { $0.key < $1.key }.map(object)
        }
        return [object(try client.head(location))]
    }

    private func headHTTP() throws(RemoteError) -> Object {
        let response = try HTTPSource.request("HEAD", pattern)
        if response.status == 405 || response.status == 501 {
            // No HEAD: the content itself is the only validator.
            return Object(url: pattern, contentDigest: nil)
        }
        guard (200..<300).contains(response.status) else { throw HTTPSource.error(response, pattern) }
        let etag = response.header("etag")
        let modified = response.header("last-modified")
        return Object(
            url: pattern, size: response.header("content-length").flatMap { Int($0) }, etag: etag,
            lastModified: modified)
    }

    /// The source inputs for the cache key. An HTTP resource with neither ETag nor
    /// Last-Modified is downloaded now and keyed by its content.
    func inputs(stateDirectory: String?) throws -> [SourceInput] {
        var listed = try objects()
        for (i, object) in listed.enumerated()
        where object.etag == nil && object.lastModified == nil && object.contentDigest == nil {
            let file = try fetch([object], stateDirectory: stateDirectory, log: nil)[0]
            listed[i].contentDigest = try ContentHash.sha256(file: file.path)
            // File the copy under its content, so the run reads it instead of fetching again.
            let keep = Self.cachePath(root: Self.downloads(stateDirectory), listed[i])
            try? FileManager.default.createDirectory(
                atPath: (keep as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // Failing to keep it only costs a second download.
            try? Syscall.rename(file.path, to: keep)
            memo.set(memoKey, listed)
        }
        return listed.map { SourceInput(name: $0.url, digest: $0.digest) }
    }

    // MARK: Fetching

    /// Local copies of `objects`, downloaded unless the download cache holds this very version.
    func fetch(_ objects: [Object], stateDirectory: String?, log: StageLog?) throws -> [SourceFiles.File] {
        let root = Self.downloads(stateDirectory)
        let client = pattern.hasPrefix("s3://") ? try withLocation { () throws(RemoteError) in try s3Client() } : nil
        let targets = objects.map { Self.cachePath(root: root, $0) }
        let fetched = Atomic<Int>(0)
        let bytes = Atomic<Int>(0)
        try withLocation { () throws(RemoteError) in
            try HTTPTransport.forEach(objects.count, concurrently: 8) { i throws(RemoteError) in
                let object = objects[i]
                let target = targets[i]
                // The path names this version; with no validator at all it names nothing, so fetch.
                let versioned = object.etag != nil || object.lastModified != nil || object.contentDigest != nil
                if versioned, let have = Self.fileSize(target), object.size == nil || have == object.size { return }
                let folder = (target as NSString).deletingLastPathComponent
                do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch
                { throw RemoteError(.io, "cannot create \(folder): \(error.localizedDescription)") }
                let temporary = "\(folder)/.partial-\(Syscall.processID)-\(i)"
                defer { Syscall.unlink(temporary) }
                let got: Int
                if let client {
                    got = try client.get(S3Location(object.url), to: temporary, etag: object.etag).size
                } else {
                    got = try HTTPSource.download(object, to: temporary)
                }
                if let size = object.size, got != size {
                    throw RemoteError(
                        .invalidResponse, "\(object.url): got \(got) bytes but expected \(size); run again")
                }
                // Older versions of this URL go; the new one appears whole or not at all.
                for old in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                where !old.hasPrefix(".") {
                    Syscall.unlink(folder + "/" + old)
                }
                do { try Syscall.rename(temporary, to: target) } catch {
                    throw RemoteError(.io, "cannot write \(target): \(error)")
                }
                fetched.add(1, ordering: .relaxed)
                bytes.add(got, ordering: .relaxed)
            }
        }
        let count = fetched.load(ordering: .relaxed)
        log?.info(
            "downloaded \(count) of \(objects.count) remote objects (\(bytes.load(ordering: .relaxed)) bytes); "
                + "\(objects.count - count) were already in \(root)")
        return zip(objects, targets).map { SourceFiles.File(path: $1, display: $0.url) }
    }

    static func downloads(_ stateDirectory: String?) -> String {
        (stateDirectory ?? NSTemporaryDirectory() + "weir-\(Syscall.userID)") + "/downloads"
    }

    /// `<root>/<hash of URL>/<hash of version>-<file name>`: the name keeps `.gz` and `.csv`.
    static func cachePath(root: String, _ object: Object) -> String {
        func short(_ text: String) -> String { String(ContentHash.sha256(text).prefix(24)) }
        let name = object.url.split(separator: "?").first.map { ($0 as NSString).lastPathComponent } ?? "object"
        return "\(root)/\(short(object.url))/\(short(object.digest))-\(name)"
    }

    static func fileSize(_ path: String) -> Int? {
        Syscall.status(path: path).map { Int($0.st_size) }
    }

    /// Runs `body`, turning a remote failure into a stage error at `path`.
    private func withLocation<T>(_ body: () throws(RemoteError) -> T) throws(StageError) -> T {
        do { return try body() } catch { throw StageError(error.message, param: "path") }
    }
}
