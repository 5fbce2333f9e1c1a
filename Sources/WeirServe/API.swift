import Foundation
import WeirCore
import WeirTable

/// The JSON API under `/api/v1/`: each answer is computed from the catalog, with no HTTP types,
/// so the routes stay one line each and the answers can be tested directly.
struct API: Sendable {
    let catalog: Catalog
    static let maxPage = 1000

    func pipelines() throws(ServeError) -> String {
        let found: [Ledger.PipelineSummary]
        do { found = try catalog.workspace.ledger.pipelines() } catch { throw .internal("\(error)") }
        return JSONText.object([
            (
                "pipelines",
                JSONText.array(
                    found.map {
                        JSONText.object([
                            ("name", JSONText.string($0.name)), ("file", JSONText.string($0.file)),
                            ("runs", String($0.runs)),
                            ("last_run_id", JSONText.string($0.lastRunID)),
                            ("last_status", JSONText.string($0.lastStatus)),
                            ("last_started_at", JSONText.number($0.lastStartedAt)),
                        ])
                    })
            )
        ])
    }

    func runs(_ query: Query) throws(ServeError) -> String {
        let page = try catalog.runs(query, limit: 50)
        return JSONText.object([
            ("runs", JSONText.array(page.runs.map(JSONText.run))), ("total", String(page.total)),
            ("limit", String(page.limit)), ("offset", String(page.offset)),
        ])
    }

    func run(_ id: String) throws(ServeError) -> String {
        let (run, stages) = try runRecord(id)
        return JSONText.object([("run", JSONText.run(run)), ("stages", JSONText.array(stages.map(JSONText.stageRun)))])
    }

    func runRecord(_ id: String) throws(ServeError) -> (RunRecord, [StageRunRecord]) {
        do {
            guard let run = try catalog.workspace.ledger.run(exactly: id) else {
                throw ServeError.notFound("no run '\(id)'")
            }
            return (run, try catalog.workspace.ledger.stageRuns(runID: run.id))
        } catch let error as ServeError { throw error } catch { throw .internal("\(error)") }
    }

    /// `stage` or `stage.port`.
    static func split(_ name: String) -> (stage: String, port: String?) {
        guard let dot = name.lastIndex(of: ".") else { return (name, nil) }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }

    func outputs(pipeline: String, name: String, _ query: Query) throws(ServeError) -> String {
        let (stage, port) = Self.split(name)
        let output = try catalog.output(pipeline: pipeline, stage: stage, port: port)
        let limit = try query.int("limit", default: 100, in: 0...Self.maxPage)
        let offset = try query.int("offset", default: 0, in: 0...(1 << 40))
        let view = try catalog.view(
            output, offset: offset, limit: limit, sort: query["sort"], descending: query["desc"] == "1", filter: nil)
        let columns = try Self.columns(query["columns"], in: view.table.schema)
        return page(
            view.table, output: output, stage: stage, rows: view.rows, total: view.total, columns: columns,
            extra: [("offset", String(offset)), ("limit", String(limit))])
    }

    func lookup(pipeline: String, name: String, _ query: Query) throws(ServeError) -> String {
        let (stage, port) = Self.split(name)
        let keys = query.items.filter { !["limit", "columns"].contains($0.name) }
        guard keys.count == 1, let key = keys.first else {
            throw .badRequest("name one column and a value: ?COLUMN=VALUE (got \(keys.count) conditions)")
        }
        let output = try catalog.output(pipeline: pipeline, stage: stage, port: port)
        let found = try catalog.lookup(output, column: key.name, value: key.value)
        let limit = try query.int("limit", default: 100, in: 1...Self.maxPage)
        let columns = try Self.columns(query["columns"], in: found.table.schema)
        return page(
            found.table, output: output, stage: stage, rows: Array(found.rows.prefix(limit)),
            total: found.table.rowCount, columns: columns,
            extra: [("matches", String(found.rows.count))])
    }

    private func page(
        _ table: Table, output: CacheOutput, stage: String, rows: [Int], total: Int, columns: [Int],
        extra: [(String, String)]
    ) -> String {
        JSONText.object(
            [
                ("stage", JSONText.string(stage)), ("port", JSONText.string(output.port)),
                ("digest", JSONText.string(output.digest)), ("rows_total", String(total)),
            ] + extra
                + [
                    ("columns", JSONText.schema(table.schema, columns: columns)),
                    ("rows", JSONText.array(rows.map { JSONText.row(table, $0, columns: columns) })),
                ])
    }

    /// Column indexes for `columns=a,b` (all when absent); an unknown name is an error.
    static func columns(_ list: String?, in schema: Schema) throws(ServeError) -> [Int] {
        guard let list, !list.isEmpty else { return Array(schema.fields.indices) }
        var found: [Int] = []
        for name in list.split(separator: ",").map(String.init) {
            guard let index = schema.names.firstIndex(of: name) else {
                throw .badRequest("no column '\(name)' (columns: \(schema.names.joined(separator: ", ")))")
            }
            found.append(index)
        }
        return found
    }
}

/// A request's query parameters, decoded once.
struct Query: Sendable {
    var items: [(name: String, value: String)]

    init(_ query: String?) {
        items = (query ?? "").split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            guard let name = parts.first, !name.isEmpty else { return nil }
            return (name, parts.count > 1 ? parts[1] : "")
        }
    }

    subscript(name: String) -> String? { items.first { $0.name == name }.flatMap { $0.value.isEmpty ? nil : $0.value } }

    func int(_ name: String, default value: Int, in range: ClosedRange<Int>) throws(ServeError) -> Int {
        guard let text = self[name] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw .badRequest(
                "'\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }
}
