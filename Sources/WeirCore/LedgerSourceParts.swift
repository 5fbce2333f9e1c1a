import Foundation
import GRDB

/// The index of kept source parts (`SourceParts`): part key -> object, and which parts each
/// stage's latest read used, so `weir cache gc` keeps exactly those.
extension Ledger {
    static func partsMigration(_ migrator: inout DatabaseMigrator) {
        // v5: parsed parts of source files, and which parts each stage's latest read used.
        migrator.registerMigration("v5") { db in
            try db.execute(
                sql: """
                    CREATE TABLE source_parts(
                      key TEXT PRIMARY KEY, digest TEXT NOT NULL, rows INTEGER NOT NULL, schema TEXT NOT NULL,
                      created_at REAL NOT NULL);
                    CREATE TABLE source_part_uses(
                      pipeline_file TEXT NOT NULL, stage TEXT NOT NULL, key TEXT NOT NULL,
                      PRIMARY KEY(pipeline_file, stage, key));
                    """)
        }
    }

    /// The recorded parts among `keys`, by key.
    func storedParts(_ keys: Set<String>) throws -> [String: StoredPart] {
        try pool.read { db in
            var found: [String: StoredPart] = [:]
            let statement = try db.cachedStatement(sql: "SELECT digest, rows, schema FROM source_parts WHERE key = ?")
            for key in keys {
                guard let row = try Row.fetchOne(statement, arguments: [key]),
                    let schema = SchemaJSON.decode(row["schema"])
                else { continue }
                found[key] = StoredPart(digest: row["digest"], rows: row["rows"], schema: schema)
            }
            return found
        }
    }

    /// Records new parts and replaces the stage's list of parts in use, in one transaction.
    func recordParts(_ parts: [(key: String, part: StoredPart)], used: [String], pipelineFile: String, stage: String)
        throws
    {
        let now = Date().timeIntervalSince1970
        try write { db in
            for (key, part) in parts {
                try db.execute(
                    sql:
                        "INSERT OR REPLACE INTO source_parts(key, digest, rows, schema, created_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [key, part.digest, part.rows, SchemaJSON.encode(part.schema), now])
            }
            try db.execute(
                sql: "DELETE FROM source_part_uses WHERE pipeline_file = ? AND stage = ?",
                arguments: [pipelineFile, stage])
            let insert = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO source_part_uses(pipeline_file, stage, key) VALUES (?, ?, ?)")
            for key in used { try insert.execute(arguments: [pipelineFile, stage, key]) }
        }
    }

    /// Forgets parts no stage's latest read used (what `weir cache gc --prune` drops).
    func pruneParts(_ db: Database) throws -> Int {
        try db.execute(
            sql: """
                DELETE FROM source_part_uses WHERE NOT EXISTS (
                  SELECT 1 FROM stage_state s WHERE s.pipeline_file = source_part_uses.pipeline_file AND s.stage = source_part_uses.stage)
                """)
        try db.execute(sql: "DELETE FROM source_parts WHERE key NOT IN (SELECT key FROM source_part_uses)")
        return db.changesCount
    }
}
