import Foundation
import Synchronization
import WeirCore
import WeirTable

/// What `weir serve` shows, read from a state directory opened read-only: pipelines, runs,
/// and the current outputs of each pipeline's stages. Output tables are mapped from the store
/// (a page of a 33M-row object touches only its rows) and the few most recently used are kept
/// open, with the equality indexes built for lookups.
public final class Catalog: Sendable {
    public let workspace: Workspace
    let explorer = Explorer()
    private let open = Mutex<[(digest: String, table: Table)]>([])
    private let indexes = Mutex<[String: LookupIndex]>([:])
    private let files = Mutex<[String: (files: [String], at: ContinuousClock.Instant)]>([:])
    static let openTables = 8

    public init(workspace: Workspace) {
        self.workspace = workspace
    }

    /// An output named as `pipeline` (its name), `stage` and `port` (nil: the stage's first).
    public func output(pipeline: String, stage: String, port: String?) throws(ServeError) -> CacheOutput {
        let files = try pipelineFiles(pipeline)
        guard !files.isEmpty else { throw .notFound("no pipeline named '\(pipeline)' has run here") }
        for file in files {
            let found: [CacheOutput]?
            do { found = try workspace.ledger.currentOutputs(pipelineFile: file, stage: stage) } catch {
                throw .internal("\(error)")
            }
            guard let outputs = found else { continue }
            if let port {
                guard let output = outputs.first(where: { $0.port == port }) else {
                    throw .notFound(
                        "stage '\(stage)' has no output '\(port)' (it has: \(outputs.map(\.port).joined(separator: ", ")))"
                    )
                }
                return output
            }
            guard let first = outputs.first else { throw .notFound("stage '\(stage)' has no outputs") }
            return first
        }
        throw .notFound("pipeline '\(pipeline)' has no completed stage '\(stage)'")
    }

    /// The files a pipeline name ran from, remembered for a second (a lookup service asks
    /// a thousand times a second; a new pipeline file shows up a second later at most).
    private func pipelineFiles(_ name: String) throws(ServeError) -> [String] {
        let now = ContinuousClock.now
        if let kept = files.withLock({ $0[name] }), now - kept.at < .seconds(1) { return kept.files }
        let found: [String]
        do { found = try workspace.ledger.pipelineFiles(named: name) } catch { throw .internal("\(error)") }
        files.withLock { $0[name] = (found, now) }
        return found
    }

    /// The output's table, mapped (and kept among the most recently used).
    public func table(_ output: CacheOutput) throws(ServeError) -> Table {
        if let kept = open.withLock({ tables in tables.first { $0.digest == output.digest }?.table }) { return kept }
        let table: Table
        do { table = try workspace.store.read(output.digest) } catch {
            throw .gone("output \(output.digest.prefix(12)) cannot be read: \(error)")
        }
        open.withLock { tables in
            tables.removeAll { $0.digest == output.digest }
            tables.insert((output.digest, table), at: 0)
            if tables.count > Self.openTables { tables.removeLast() }
        }
        return table
    }

    /// A page of runs as a request asks for it (`pipeline`, `status`, `limit`, `offset`).
    func runs(_ query: Query, limit defaultLimit: Int) throws(ServeError) -> (
        runs: [RunRecord], total: Int, limit: Int, offset: Int
    ) {
        let limit = try query.int("limit", default: defaultLimit, in: 1...API.maxPage)
        let offset = try query.int("offset", default: 0, in: 0...Int(Int32.max))
        do {
            let page = try workspace.ledger.runs(
                pipeline: query["pipeline"], status: query["status"], limit: limit, offset: offset)
            return (page.runs, page.total, limit, offset)
        } catch { throw .internal("\(error)") }
    }

    /// What a page of an output shows: the rows (indexes into `table`) and how many there are.
    struct OutputView {
        var table: Table
        var rows: [Int]
        var total: Int
        /// With a filter: how many rows match.
        var matches: Int?
    }

    /// A page of an output: filtered by a column's value, sorted by a column, or in order.
    func view(
        _ output: CacheOutput, offset: Int, limit: Int, sort: String?, descending: Bool,
        filter: (column: String, value: String)?
    ) throws(ServeError) -> OutputView {
        if let filter {
            let found = try lookup(output, column: filter.column, value: filter.value)
            return OutputView(
                table: found.table, rows: Array(found.rows.dropFirst(offset).prefix(limit)),
                total: found.table.rowCount,
                matches: found.rows.count)
        }
        if sort == nil, let window = try window(output, offset: offset, limit: limit) { return window }
        let table = try table(output)
        return OutputView(
            table: table,
            rows: try rows(output, table: table, offset: offset, limit: limit, sort: sort, descending: descending),
            total: table.rowCount)
    }

    /// A page of a table stored in parts, from the parts that hold it alone (a glob of a
    /// thousand files is not concatenated to show fifty rows); nil for an ordinary object, or
    /// one already open whole.
    private func window(_ output: CacheOutput, offset: Int, limit: Int) throws(ServeError) -> OutputView? {
        guard !open.withLock({ tables in tables.contains { $0.digest == output.digest } }) else { return nil }
        let manifest: PartsManifest?
        do { manifest = try workspace.store.manifest(output.digest) } catch {
            throw .gone("output \(output.digest.prefix(12)): \(error)")
        }
        guard let manifest else { return nil }
        var start = 0
        var first: Int?
        var needed: [PartsManifest.Part] = []
        for part in manifest.parts {
            if start + part.rows > offset && start < offset + limit {
                if first == nil { first = start }
                needed.append(part)
            }
            start += part.rows
        }
        guard let first, !needed.isEmpty else {
            return OutputView(table: Table(empty: manifest.schema), rows: [], total: manifest.rows)
        }
        let table: Table
        do { table = try Table.concatenate(needed.map { try workspace.store.read($0.digest) }) } catch {
            throw .gone("output \(output.digest.prefix(12)) cannot be read: \(error)")
        }
        let from = offset - first
        return OutputView(table: table, rows: Array(from..<min(table.rowCount, from + limit)), total: manifest.rows)
    }

    /// Rows `offset..<offset+limit` of the output, in file order or sorted by a column.
    func rows(_ output: CacheOutput, table: Table, offset: Int, limit: Int, sort: String?, descending: Bool)
        throws(ServeError) -> [Int]
    {
        guard let sort else {
            return offset < table.rowCount ? Array(offset..<min(table.rowCount, offset + limit)) : []
        }
        guard let index = table.schema.names.firstIndex(of: sort) else {
            throw .badRequest("sort: no column '\(sort)' (columns: \(table.schema.names.joined(separator: ", ")))")
        }
        guard offset + limit <= Explorer.sortedDepth || offset >= table.rowCount else {
            throw .badRequest("sorted pages reach row \(Explorer.sortedDepth); filter the output first (?COLUMN=VALUE)")
        }
        let order = explorer.order(table, digest: output.digest, column: index, descending: descending)
        return Array(order.dropFirst(offset).prefix(limit))
    }

    /// The rows of `output` whose `column` holds `value` (compared as text), through an index
    /// built on first use.
    public func lookup(_ output: CacheOutput, column: String, value: String) throws(ServeError) -> (
        table: Table, rows: [Int]
    ) {
        let table = try table(output)
        guard let index = table.schema.names.firstIndex(of: column) else {
            throw .badRequest("no column '\(column)' (columns: \(table.schema.names.joined(separator: ", ")))")
        }
        let key = output.digest + "/" + column
        let lookup =
            indexes.withLock { $0[key] }
            ?? {
                let built = LookupIndex(table.columns[index])
                indexes.withLock { $0[key] = built }
                return built
            }()
        return (table, lookup.rows(value))
    }
}

/// Row numbers by the text of one column's values; nulls are not indexed.
struct LookupIndex: Sendable {
    private let rows: [String: [Int]]

    init(_ column: Column) {
        var rows: [String: [Int]] = [:]
        for row in 0..<column.count {
            let value = column[row]
            if !value.isNull { rows[value.description, default: []].append(row) }
        }
        self.rows = rows
    }

    func rows(_ value: String) -> [Int] { rows[value] ?? [] }
}

/// A request that cannot be answered, with the HTTP status it gets.
public enum ServeError: Error, Sendable {
    case badRequest(String)
    case unauthorized(String)
    case forbidden(String)
    case notFound(String)
    case gone(String)
    case tooLarge(String)
    case tooMany(String)
    case `internal`(String)

    var status: Int {
        switch self {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .gone: 410
        case .tooLarge: 413
        case .tooMany: 429
        case .internal: 500
        }
    }

    var message: String {
        switch self {
        case .badRequest(let m), .unauthorized(let m), .forbidden(let m), .notFound(let m), .gone(let m),
            .tooLarge(let m),
            .tooMany(let m), .internal(let m):
            Secrets.redact(m)
        }
    }
}
