import Foundation
import WeirTable

/// The parsed tables of a multi-file source's files, one per file, kept in the object store and
/// indexed in the ledger by a key of the file's content (a local file's SHA-256, an object's
/// ETag) and of how it was parsed. A source over a glob that grows by a file a day parses only
/// that file; the rest come back from here, without even being read when the output is made
/// of them (`PartsManifest`). A part that is missing or no longer whole is simply parsed again:
/// the store checks every object it hands out.
public struct SourceParts: Sendable {
    let ledger: Ledger
    let store: ObjectStore
    let pipelineFile: String
    /// Stages run with `--force`: they parse every file again (and keep what they parsed).
    let forced: Set<String>

    public init(ledger: Ledger, store: ObjectStore, pipelineFile: String, forced: Set<String> = []) {
        self.ledger = ledger
        self.store = store
        self.pipelineFile = pipelineFile
        self.forced = forced
    }

    /// The key of one file's part: everything that decides its table, in order.
    public static func key(_ material: [String]) -> String {
        ContentHash.sha256(material.map { "\($0.utf8.count):\($0)" }.joined(separator: "\n"))
    }

    /// The stored parts among `keys` whose objects are present and whole; a forced stage gets none.
    public func stored(_ keys: [String], stage: String) -> [String: StoredPart] {
        guard !forced.contains(stage), !keys.isEmpty else { return [:] }
        // A part that cannot be used is parsed again; the store moved a corrupt one aside.
        return ((try? ledger.storedParts(Set(keys))) ?? [:]).filter {
            (try? store.verify($0.value.digest, .stat)) != nil
        }
    }

    /// A stored part's table.
    public func table(_ part: StoredPart) throws -> Table { try store.read(part.digest) }

    /// Stores the parts just parsed and records which parts the stage's output was made of, so
    /// `weir cache gc` keeps those; returns the new parts by key.
    public func keep(_ parsed: [(key: String, table: Table)], used: [String], stage: String) throws -> [String:
        StoredPart]
    {
        let digests = try store.put(parsed.map(\.table))
        let stored = zip(parsed, digests).map {
            (key: $0.key, part: StoredPart(digest: $1, rows: $0.table.rowCount, schema: $0.table.schema))
        }
        try ledger.recordParts(stored, used: used, pipelineFile: pipelineFile, stage: stage)
        return Dictionary(stored.map { ($0.key, $0.part) }, uniquingKeysWith: { a, _ in a })
    }
}

/// A file's table as kept: its object, rows and schema (from the ledger, so nothing is read).
public struct StoredPart: Sendable, Equatable {
    public var digest: String
    public var rows: Int
    public var schema: Schema
}

/// How many of a source's files were parsed in this run and how many came from earlier parses.
public struct FileCounts: Sendable, Codable, Equatable {
    public var parsed: Int
    public var reused: Int

    public init(parsed: Int, reused: Int) {
        self.parsed = parsed
        self.reused = reused
    }
}

extension CacheView {
    /// The parts index over this view's ledger and store; nil when there is no store.
    public func sourceParts(forced: Set<String>) -> SourceParts? {
        guard let ledger, let store else { return nil }
        return SourceParts(ledger: ledger, store: store, pipelineFile: pipelineFile, forced: forced)
    }
}
