import Foundation
import GRDB
import WeirTable

/// The cache index: which outputs each cache key produced, each pipeline stage's last key,
/// and the files loads wrote.
extension Ledger {
    // MARK: Cache entries

    /// Outputs recorded for `key`, or nil when the key never completed.
    public func entry(_ key: String) throws -> CacheEntry? {
        try pool.read { db in try Self.entry(key, db) }
    }

    static func entry(_ key: String, _ db: Database) throws -> CacheEntry? {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT port, digest, rows, schema FROM cache_outputs WHERE key = ? ORDER BY port"),
            arguments: [key])
        if rows.isEmpty {
            // A stage with no outputs (a sink) still has an entry.
            guard
                try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM cache_entries WHERE key = ?"), arguments: [key])
                    != nil
            else { return nil }
            return CacheEntry(key: key, outputs: [], notes: try notes(key, db))
        }
        return CacheEntry(
            key: key,
            outputs: rows.map {
                CacheOutput(port: $0["port"], digest: $0["digest"], rows: $0["rows"], schemaJSON: $0["schema"])
            }, notes: try notes(key, db))
    }

    static func notes(_ key: String, _ db: Database) throws -> [String] {
        let text = try String.fetchOne(
            db.cachedStatement(sql: "SELECT notes FROM cache_entries WHERE key = ?"), arguments: [key])
        return text.map { $0.split(separator: "\n").map(String.init) } ?? []
    }

    /// The state of every stage of a pipeline as of its last successful run: its key and that
    /// key's entry. One query (columns read by position): a cached 1,000-stage run reads all of
    /// them, and three joined queries with named columns took 7% of it.
    public func stageStates(pipelineFile: String) throws -> [String: StageState] {
        try pool.read { db in
            var states: [String: StageState] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT s.stage, s.key, e.key IS NOT NULL, e.notes, o.port, o.digest, o.rows, o.schema
                    FROM stage_state s LEFT JOIN cache_entries e ON e.key = s.key
                    LEFT JOIN cache_outputs o ON o.key = e.key
                    WHERE s.pipeline_file = ? ORDER BY s.stage, o.port
                    """, arguments: [pipelineFile])
            while let row = try rows.next() {
                let stage: String = row[0]
                if states[stage] == nil {
                    let key: String = row[1]
                    let notes = (row[3] as String?).map { $0.split(separator: "\n").map(String.init) } ?? []
                    let entry = (row[2] as Bool) ? CacheEntry(key: key, outputs: [], notes: notes) : nil
                    states[stage] = StageState(key: key, entry: entry)
                }
                if let port = row[4] as String? {
                    states[stage]?.entry?.outputs.append(
                        CacheOutput(port: port, digest: row[5], rows: row[6], schemaJSON: row[7]))
                }
            }
            return states
        }
    }

    /// The key material of a stage's last successful run, to say what changed since.
    public func stageMaterial(pipelineFile: String, stage: String) throws -> KeyMaterial? {
        let text = try pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT material FROM stage_state WHERE pipeline_file = ? AND stage = ?",
                arguments: [pipelineFile, stage])
        }
        return text.flatMap { try? JSONDecoder().decode(KeyMaterial.self, from: Data($0.utf8)) }
    }

    /// Records a completed stage: its cache entry and outputs, and the pipeline's state.
    public func recordCompletion(
        pipelineFile: String, stage: String, material: KeyMaterial, key: String, outputs: [CacheOutput],
        written: [WrittenFile] = [], notes: [String] = []
    ) throws {
        let materialJSON = String(decoding: try JSONEncoder.sorted.encode(material), as: UTF8.self)
        let now = Date().timeIntervalSince1970
        try write { db in
            try Self.insertEntry(
                db, key: key, type: material.type, materialJSON: materialJSON, outputs: outputs, at: now)
            if !notes.isEmpty {
                try db.execute(
                    sql: "UPDATE cache_entries SET notes = ? WHERE key = ?",
                    arguments: [Secrets.redact(notes.joined(separator: "\n")), key])
            }
            try Self.recordWritten(db, key: key, written)
            try db.execute(
                sql:
                    "INSERT OR REPLACE INTO stage_state(pipeline_file, stage, key, material, updated_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [pipelineFile, stage, key, materialJSON, now])
        }
    }

    /// Records a cache entry found elsewhere (a remote cache), without touching any pipeline's state.
    public func recordEntry(key: String, material: KeyMaterial, outputs: [CacheOutput], written: [WrittenFile] = [])
        throws
    {
        let materialJSON = String(decoding: try JSONEncoder.sorted.encode(material), as: UTF8.self)
        try write { db in
            try Self.insertEntry(
                db, key: key, type: material.type, materialJSON: materialJSON, outputs: outputs,
                at: Date().timeIntervalSince1970)
            try Self.recordWritten(db, key: key, written)
        }
    }

    private static func insertEntry(
        _ db: Database, key: String, type: String, materialJSON: String, outputs: [CacheOutput], at time: Double
    ) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO cache_entries(key, type, material, created_at) VALUES (?, ?, ?, ?)",
            arguments: [key, type, materialJSON, time])
        try db.execute(sql: "DELETE FROM cache_outputs WHERE key = ?", arguments: [key])
        for output in outputs {
            try db.execute(
                sql: "INSERT INTO cache_outputs(key, port, digest, rows, schema) VALUES (?, ?, ?, ?, ?)",
                arguments: [key, output.port, output.digest, output.rows, output.schemaJSON])
        }
    }

    /// Every object digest some cache entry or kept source part references.
    public func referencedDigests() throws -> Set<String> {
        try pool.read { db in
            try String.fetchSet(db, sql: "SELECT digest FROM cache_outputs UNION SELECT digest FROM source_parts")
        }
    }

    /// Drops cache entries that are not the current state of any pipeline stage, and source
    /// parts no stage's latest read used; returns how many of each.
    public func pruneEntries() throws -> (entries: Int, parts: Int) {
        try write { db in
            try db.execute(sql: "DELETE FROM cache_outputs WHERE key NOT IN (SELECT key FROM stage_state)")
            try db.execute(sql: "DELETE FROM cache_entries WHERE key NOT IN (SELECT key FROM stage_state)")
            let entries = db.changesCount
            return (entries, try pruneParts(db))
        }
    }

    // MARK: Files written by loads

    /// What the run that made entry `key` wrote outside the store.
    public func writtenFiles(key: String) throws -> [WrittenFile] {
        try pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT path, sha256, content FROM written_files WHERE key = ? ORDER BY path"),
                arguments: [key]
            ).map { WrittenFile(path: $0["path"], sha256: $0["sha256"], content: $0["content"]) }
        }
    }

    private static func recordWritten(_ db: Database, key: String, _ files: [WrittenFile]) throws {
        guard !files.isEmpty else { return }
        try db.execute(sql: "DELETE FROM written_files WHERE key = ?", arguments: [key])
        for file in files {
            try db.execute(
                sql: "INSERT INTO written_files(key, path, sha256, content) VALUES (?, ?, ?, ?)",
                arguments: [key, file.path, file.sha256, file.content])
        }
    }
}

public struct CacheEntry: Sendable, Hashable {
    public var key: String
    public var outputs: [CacheOutput]
    /// What the run that made the entry noted (rejected rows, quality warnings).
    public var notes: [String] = []

    public init(key: String, outputs: [CacheOutput], notes: [String] = []) {
        self.key = key
        self.outputs = outputs
        self.notes = notes
    }

    public func output(_ port: String) -> CacheOutput? { outputs.first { $0.port == port } }
}

public struct CacheOutput: Sendable, Hashable, Codable {
    public var port: String
    public var digest: String
    public var rows: Int
    /// The port's schema as JSON (`[{"name":…,"type":…}]`).
    public var schemaJSON: String

    public init(port: String, digest: String, rows: Int, schemaJSON: String) {
        self.port = port
        self.digest = digest
        self.rows = rows
        self.schemaJSON = schemaJSON
    }

    public init(port: String, digest: String, rows: Int, schema: Schema) {
        self.init(port: port, digest: digest, rows: rows, schemaJSON: SchemaJSON.encode(schema))
    }

    public var schema: Schema? { SchemaJSON.decode(schemaJSON) }

    enum CodingKeys: String, CodingKey {
        case port, digest, rows
        case schemaJSON = "schema"
    }

    /// Ports, digests and row counts as JSON, as the ledger, `plan --json` and `history --json` give them.
    public static func json(_ outputs: [CacheOutput]) -> String {
        var text = "["
        for (i, output) in outputs.enumerated() {
            text += (i == 0 ? "{\"digest\":\"" : ",{\"digest\":\"") + output.digest + "\",\"port\":"
            text += CanonicalJSON.string(output.port) + ",\"rows\":" + String(output.rows) + "}"
        }
        return text + "]"
    }
}

public struct StageState: Sendable {
    public var key: String
    public var entry: CacheEntry?
}

/// A file's digest as of the stat it was taken at.
public struct FileStat: Sendable, Hashable {
    public var identity: FileIdentity
    public var sha256: String
}

/// A file a load wrote: its path, the SHA-256 of its bytes, and for a file that may hold other
/// things too (a SQLite database), a digest of the part the load wrote.
public struct WrittenFile: Sendable, Hashable, Codable {
    public var path: String
    public var sha256: String
    public var content: String?

    public init(path: String, sha256: String, content: String? = nil) {
        self.path = path
        self.sha256 = sha256
        self.content = content
    }
}

extension JSONEncoder {
    /// Sorted keys, slashes as they are: one encoding per value, for cache keys and entries.
    public static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// Schemas in the ledger: `[{"name":"x","type":"int64"},…]`. Read by hand, because a fully
/// cached plan of a thousand stages reads a thousand of them and JSONDecoder costs more than
/// the rest of the lookup.
enum SchemaJSON {
    static func encode(_ schema: Schema) -> String {
        "["
            + schema.fields.map { "{\"name\":\(CanonicalJSON.string($0.name)),\"type\":\"\($0.type.rawValue)\"}" }
            .joined(separator: ",") + "]"
    }

    static func decode(_ text: String) -> Schema? {
        if let fast = parse(Array(text.utf8)) { return Schema(fast) }
        return (try? JSONDecoder().decode([Field].self, from: Data(text.utf8))).map { Schema($0) }
    }

    private static func parse(_ b: [UInt8]) -> [Field]? {
        var i = 0
        func expect(_ literal: String) -> Bool {
            for byte in literal.utf8 {
                guard i < b.count, b[i] == byte else { return false }
                i += 1
            }
            return true
        }
        func string() -> String? {
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            var bytes: [UInt8] = []
            while i < b.count {
                let c = b[i]
                i += 1
                if c == UInt8(ascii: "\"") { return String(decoding: bytes, as: UTF8.self) }
                if c != UInt8(ascii: "\\") {
                    bytes.append(c)
                    continue
                }
                guard i < b.count else { return nil }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
                case UInt8(ascii: "n"): bytes.append(10)
                case UInt8(ascii: "r"): bytes.append(13)
                case UInt8(ascii: "t"): bytes.append(9)
                default: return nil  // \u and the rest: leave to JSONDecoder
                }
            }
            return nil
        }
        var fields: [Field] = []
        guard expect("[") else { return nil }
        if expect("]") { return i == b.count ? [] : nil }
        repeat {
            guard expect("{\"name\":"), let name = string(), expect(",\"type\":"), let type = string(),
                let dataType = DataType(rawValue: type), expect("}")
            else { return nil }
            fields.append(Field(name, dataType))
        } while expect(",")
        return expect("]") && i == b.count ? fields : nil
    }
}
