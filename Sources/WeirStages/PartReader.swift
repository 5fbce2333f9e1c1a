import WeirCore
import WeirTable

/// Reads a multi-file source file by file through `SourceParts`: a file whose part (its parsed
/// tables, one per output) is stored comes back from the store, the others are parsed, and the
/// new parts are kept when the read is done. With no parts (no store, or a single file) every
/// file is parsed, as before.
struct PartReader {
    /// One file's parse: its tables, and whether they may be kept (not when rows were rejected:
    /// the rejects file must be written again on the next read).
    struct Parsed {
        var tables: [Table]
        var keep: Bool
    }

    let parts: SourceParts?
    let stage: String
    private var parsedFiles = Set<Int>()
    private var seenFiles = Set<Int>()
    private var fresh: [(key: String, table: Table)] = []
    private var used: [String] = []

    init(_ scope: SourceFiles.Scope, listing: SourceFiles.Listing) {
        parts = listing.multiFile ? scope.parts : nil
        stage = scope.stage.id
    }

    /// The tables of the files at `indices`, each file's part named by `keys` (parallel to
    /// `indices`) and holding `ports` tables; `parse` is called once, with the files missing.
    mutating func tables(_ indices: [Int], keys: [String], ports: Int,
                         parse: ([Int]) throws -> [Parsed]) throws -> [[Table]] {
        func portKeys(_ key: String) -> [String] { ports == 1 ? [key] : (0..<ports).map { "\(key)#\($0)" } }
        let stored = parts?.tables(keys.flatMap(portKeys), stage: stage) ?? [:]
        var result = [[Table]?](repeating: nil, count: indices.count)
        var missing: [Int] = []
        for (position, key) in keys.enumerated() {
            let found = portKeys(key).compactMap { stored[$0] }
            if found.count == ports { result[position] = found } else { missing.append(position) }
        }
        let parsed = try parse(missing.map { indices[$0] })
        precondition(parsed.count == missing.count, "a parse returns one result per file asked for")
        var kept = [Bool](repeating: true, count: keys.count)
        for (position, file) in zip(missing, parsed) {
            result[position] = file.tables
            parsedFiles.insert(indices[position])
            kept[position] = file.keep
            if file.keep { fresh += zip(portKeys(keys[position]), file.tables).map { (key: $0, table: $1) } }
        }
        seenFiles.formUnion(indices)
        for (position, key) in keys.enumerated() where kept[position] { used += portKeys(key) }
        return result.map { $0! }
    }

    /// What a finished read tells its stage's log.
    struct Report: Sendable {
        var counts: FileCounts?
        var note: String?

        func write(to log: StageLog) {
            if let note { log.note(note) }
            if let counts { log.files(counts) }
        }
    }

    /// Keeps the parts just parsed. A part that could not be kept is a note (the next read
    /// parses that file again), never a failed stage.
    func finish() -> Report {
        guard let parts else { return Report() }
        let error = parts.keep(fresh, used: used, stage: stage)
        return Report(counts: FileCounts(parsed: parsedFiles.count, reused: seenFiles.subtracting(parsedFiles).count),
                      note: error.map { "\(Wording.count(fresh.count, "parsed table")) not kept for the next read: \($0)" })
    }
}
