import Foundation
import WeirCore
import WeirRemote
import WeirSystem
import WeirTable

#if canImport(Glibc)
    import Glibc
#endif

/// A cache shared by several machines or state directories: `s3://bucket/prefix` holding
/// `objects/ab/cdef….arrow` (named by the SHA-256 of their bytes, as in the local store) and
/// `entries/<cache key>.json` (the outputs a key produced). A stage's objects are pushed
/// before its entry, so an entry a reader finds always has its objects; a pulled object is
/// hashed before it enters the local store. Writers of one key race harmlessly: objects are
/// content-addressed, and entries are written only if absent (`If-None-Match: *`), so the
/// first result of a key stays and readers never see it change.
public struct S3RemoteCache: RemoteCache {
    public let url: String
    let base: S3Location
    let client: S3Client

    public init(url: String, client: S3Client? = nil) throws(RemoteError) {
        self.url = url
        var base = try S3Location(url)
        if !base.key.isEmpty && !base.key.hasSuffix("/") { base.key += "/" }
        self.base = base
        if let client { self.client = client } else { self.client = try S3Client.configured() }
    }

    func objectLocation(_ digest: String) -> S3Location {
        S3Location(bucket: base.bucket, key: "\(base.key)objects/\(digest.prefix(2))/\(digest.dropFirst(2)).arrow")
    }

    func entryLocation(_ key: String) -> S3Location {
        S3Location(bucket: base.bucket, key: "\(base.key)entries/\(key).json")
    }

    struct EntryDocument: Codable {
        var key: String
        var material: KeyMaterial
        var outputs: [CacheOutput]
        /// What a load wrote (entries of older versions have none): another state directory
        /// that pulls the entry knows what the load's file must hold to count as done.
        var written: [WrittenFile]?
    }

    /// Pushes a completed stage's objects (those the remote lacks), then its entry; returns
    /// how many objects were sent.
    @discardableResult
    public func push(
        key: String, material: KeyMaterial, outputs: [CacheOutput], written: [WrittenFile] = [],
        store: ObjectStore
    ) throws(RemoteError) -> Int {
        var sent = 0
        for output in outputs {
            // Shared results must be whole: the object is hashed in full before it leaves.
            do { try store.verify(output.digest, .full) } catch {
                throw RemoteError(.io, "not pushed: \(error)")
            }
            // A table stored in parts: the parts first, so a manifest on the remote is always complete.
            let parts = ((try? store.manifest(output.digest))?.parts ?? []).map(\.digest)
            for digest in parts + [output.digest] where try send(digest, store: store) { sent += 1 }
        }
        let document = EntryDocument(
            key: key, material: material, outputs: outputs, written: written.isEmpty ? nil : written)
        let data: Data
        do { data = try JSONEncoder.sorted.encode(document) } catch {
            throw RemoteError(.io, "cannot encode the cache entry for \(key): \(error)")
        }
        // The first entry written for a key stays: every later one is an equally valid result.
        try client.put(entryLocation(key), data: data, ifAbsent: true)
        return sent
    }

    /// Sends one object unless the remote has it; whether it was sent.
    private func send(_ digest: String, store: ObjectStore) throws(RemoteError) -> Bool {
        let location = objectLocation(digest)
        do {
            _ = try client.head(location)
            return false  // content-addressed: already there means already right
        } catch  where error.kind == .notFound {}
        return try client.put(location, file: store.file(of: digest), sha256: digest, ifAbsent: true)
    }

    /// Whether the remote holds an entry for `key` (one HEAD request).
    public func contains(key: String) throws(RemoteError) -> Bool {
        do { _ = try client.head(entryLocation(key)) } catch  where error.kind == .notFound { return false }
        return true
    }

    /// The entry for `key` without fetching its objects; nil when the remote has none.
    public func peek(key: String) throws(RemoteError) -> CacheEntry? {
        try document(key).map { CacheEntry(key: key, outputs: $0.outputs) }
    }

    func document(_ key: String) throws(RemoteError) -> EntryDocument? {
        let data: Data
        do { data = try client.data(entryLocation(key)) } catch  where error.kind == .notFound { return nil }
        guard let document = try? JSONDecoder().decode(EntryDocument.self, from: data), document.key == key else {
            throw RemoteError(.invalidResponse, "\(url): entry \(key) is not a Weir cache entry")
        }
        return document
    }

    /// The entry for `key` with its objects fetched into `store`; nil when the remote has none.
    public func pull(key: String, store: ObjectStore) throws(RemoteError) -> (
        entry: CacheEntry, material: KeyMaterial, written: [WrittenFile]
    )? {
        guard let document = try document(key) else { return nil }
        for output in document.outputs {
            guard try fetch(output.digest, store: store) else { return nil }
            let manifest: PartsManifest?
            do { manifest = try store.manifest(output.digest) } catch {
                throw RemoteError(.invalidResponse, "\(url): \(error)")
            }
            for part in manifest?.parts ?? [] {
                guard try fetch(part.digest, store: store) else { return nil }
            }
        }
        return (CacheEntry(key: key, outputs: document.outputs), document.material, document.written ?? [])
    }

    /// Fetches one object into the store unless it is there; false when the remote lacks it
    /// (an entry whose object is gone: a miss).
    private func fetch(_ digest: String, store: ObjectStore) throws(RemoteError) -> Bool {
        guard !store.contains(digest) else { return true }
        let temporary = store.temporaryPath()
        do {
            _ = try client.get(objectLocation(digest), to: temporary)
            try store.adopt(temporary, digest: digest)
            return true
        } catch let error as RemoteError {
            Syscall.unlink(temporary)
            if error.kind == .notFound { return false }
            throw error
        } catch {
            Syscall.unlink(temporary)
            throw RemoteError(.io, "\(url): object \(digest): \(error)")
        }
    }
}
