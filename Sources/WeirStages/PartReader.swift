import WeirCore
import WeirTable

/// Reads a multi-file source file by file through `SourceParts`: a file whose part (its parsed
/// tables, one per output) is stored comes back from the store, the others are parsed, and the
/// new parts are kept when the read is done. The source's output is then a manifest of those
/// parts (`PartsManifest`), so a glob that grew by one file writes one file's worth. With no
/// parts (no store, or a single file) every file is parsed and the tables concatenated.
struct PartReader {
    /// One file's parse: its tables, and whether they may be kept (not when rows were rejected:
    /// the rejects file must be written again on the next read).
    struct Parsed {
        var tables: [Table]
        var keep: Bool
    }

    /// One file's table: parsed in this read, or kept from an earlier one (read only if needed).
    enum FilePart {
        case parsed(Table)
        case stored(StoredPart)

        var schema: Schema {
            switch self {
            case .parsed(let table): table.schema
            case .stored(let part): part.schema
            }
        }

        var rowCount: Int {
            switch self {
            case .parsed(let table): table.rowCount
            case .stored(let part): part.rows
            }
        }
    }

    let parts: SourceParts?
    let stage: String
    private var parsedFiles = Set<Int>()
    private var seenFiles = Set<Int>()
    private var fresh: [(key: String, table: Table)] = []
    private var used: [String] = []
    /// Part key -> object digest, for parts stored before and (after `finish`) kept now.
    private var digests: [String: String] = [:]

    init(_ scope: SourceFiles.Scope, listing: SourceFiles.Listing) {
        parts = listing.multiFile ? scope.parts : nil
        stage = scope.stage.id
    }

    /// The part keys of one file with `ports` tables.
    static func portKeys(_ key: String, ports: Int) -> [String] {
        ports == 1 ? [key] : (0..<ports).map { "\(key)#\($0)" }
    }

    /// The tables of the files at `indices`, each file's part named by `keys` (parallel to
    /// `indices`) and holding `ports` tables; `parse` is called once, with the files missing.
    mutating func tables(
        _ indices: [Int], keys: [String], ports: Int,
        parse: ([Int]) throws -> [Parsed]
    ) throws -> [[FilePart]] {
        let stored = parts?.stored(keys.flatMap { Self.portKeys($0, ports: ports) }, stage: stage) ?? [:]
        var result = [[FilePart]?](repeating: nil, count: indices.count)
        var missing: [Int] = []
        for (position, key) in keys.enumerated() {
            let found = Self.portKeys(key, ports: ports).compactMap { stored[$0] }
            guard found.count == ports else {
                missing.append(position)
                continue
            }
            result[position] = found.map { .stored($0) }
            for (portKey, part) in zip(Self.portKeys(key, ports: ports), found) { digests[portKey] = part.digest }
        }
        let parsed = try parse(missing.map { indices[$0] })
        precondition(parsed.count == missing.count, "a parse returns one result per file asked for")
        var kept = [Bool](repeating: true, count: keys.count)
        for (position, file) in zip(missing, parsed) {
            result[position] = file.tables.map { .parsed($0) }
            parsedFiles.insert(indices[position])
            kept[position] = file.keep
            if file.keep {
                fresh += zip(Self.portKeys(keys[position], ports: ports), file.tables).map { (key: $0, table: $1) }
            }
        }
        seenFiles.formUnion(indices)
        for (position, key) in keys.enumerated() where kept[position] { used += Self.portKeys(key, ports: ports) }
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

    /// Keeps the parts just parsed. A part that could not be kept is a note (the output is
    /// then written whole, and the next read parses that file again), never a failed stage.
    mutating func finish() -> Report {
        guard let parts else { return Report() }
        var note: String?
        do {
            digests.merge(try parts.keep(fresh, used: used, stage: stage).mapValues(\.digest)) { _, new in new }
        } catch {
            note = "\(Wording.count(fresh.count, "parsed table")) not kept for the next read: \(error)"
        }
        return Report(
            counts: FileCounts(parsed: parsedFiles.count, reused: seenFiles.subtracting(parsedFiles).count), note: note)
    }

    /// The files' tables as one: a manifest of their parts once `finish` kept them all, else
    /// the concatenation (reading the stored parts it needs).
    func output(_ files: [FilePart], keys: [String], port: Int = 0, ports: Int = 1, schema: Schema) throws
        -> SourceOutput
    {
        if let manifest = manifest(keys, port: port, ports: ports, schema: schema, rows: files.map(\.rowCount)) {
            return .parts(manifest)
        }
        return .table(
            try Table.concatenate(
                files.map { file in
                    switch file {
                    case .parsed(let table): return table
                    case .stored(let part):
                        guard let parts else {
                            throw StageError("a stored part of \(stage) was found with no store; this is a bug")
                        }
                        return try parts.table(part)
                    }
                }))
    }

    /// The output made of the parts named by `keys` (one per file, in order; port `port` of
    /// `ports`), once `finish` kept them all; nil when some file's part is not stored.
    private func manifest(_ keys: [String], port: Int, ports: Int, schema: Schema, rows: [Int]) -> PartsManifest? {
        guard parts != nil else { return nil }
        var found: [PartsManifest.Part] = []
        for (key, count) in zip(keys, rows) {
            guard let digest = digests[Self.portKeys(key, ports: ports)[port]] else { return nil }
            found.append(PartsManifest.Part(digest: digest, rows: count))
        }
        return found.isEmpty ? nil : PartsManifest(schema: schema, parts: found)
    }
}

/// What a source outputs on a port: one table, or a manifest of its files' kept tables.
enum SourceOutput: Sendable {
    case table(Table)
    case parts(PartsManifest)

    var schema: Schema {
        switch self {
        case .table(let table): table.schema
        case .parts(let manifest): manifest.schema
        }
    }

    /// Hands the output to the run: a table to return, or (nil) a manifest set on the context.
    func deliver(_ port: String, _ context: RunContext) -> Table? {
        switch self {
        case .table(let table): return table
        case .parts(let manifest):
            context.composed.set(port, manifest)
            return nil
        }
    }
}
