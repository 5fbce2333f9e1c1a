/// A cache shared by several machines or state directories (`cache: { remote: … }`): the
/// planner asks it on a local miss, and every stage's result is sent to it. WeirCore knows it
/// only through this protocol; the S3 implementation (`S3RemoteCache`) lives in
/// WeirRemoteCache, so the engine does not depend on the network clients.
public protocol RemoteCache: Sendable {
    /// Where it is, for messages (`s3://bucket/prefix`).
    var url: String { get }

    /// Sends a completed stage's objects the remote lacks, then its entry; returns how many
    /// objects were sent.
    @discardableResult
    func push(key: String, material: KeyMaterial, outputs: [CacheOutput], written: [WrittenFile], store: ObjectStore)
        throws -> Int

    /// Whether the remote holds an entry for `key`.
    func contains(key: String) throws -> Bool

    /// The entry for `key` without fetching its objects; nil when the remote has none.
    func peek(key: String) throws -> CacheEntry?

    /// The entry for `key` with its objects fetched into `store`; nil when the remote has none.
    func pull(key: String, store: ObjectStore) throws -> (
        entry: CacheEntry, material: KeyMaterial, written: [WrittenFile]
    )?
}
