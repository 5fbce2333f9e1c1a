import Foundation
import WeirCore
import WeirTable

/// Server-rendered pages: plain HTML and links, readable with no JavaScript.
struct Pages: Sendable {
    let catalog: Catalog
    let api: API

    static let escape = HTMLText.escape

    static func link(_ path: String, _ items: [(String, String)]) -> String {
        let query = items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
        return escape(query.isEmpty ? path : path + "?" + query)
    }

    /// `text` as one path segment: bytes other than ASCII letters, digits, `-`, `_` and `.`
    /// percent-encoded.
    static func segment(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func document(_ title: String, _ body: String) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) · weir</title>
        <style>body{font:14px/1.4 -apple-system,"Segoe UI",sans-serif;margin:24px;color:#222}
        table{border-collapse:collapse;font-size:12px;margin:8px 0}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
        th{background:#f5f5f5}nav a{margin-right:12px}.error{color:#d62728;white-space:pre-wrap}.note{color:#666}
        .ok,.ran,.cached{color:#2ca02c}.failed{color:#d62728}.running{color:#1f77b4}</style></head><body>
        <nav><a href="/">pipelines</a><a href="/runs">runs</a><a href="/schedules">schedules</a><a href="/api/v1/openapi.json">API</a></nav>
        <h1>\(escape(title))</h1>\(body)</body></html>
        """
    }

    func pipelines() throws(ServeError) -> String {
        let found: [Ledger.PipelineSummary]
        do { found = try catalog.workspace.ledger.pipelines() } catch { throw .internal("\(error)") }
        let rows = found.map {
            "<tr><td><a href=\"\(Self.link("/runs", [("pipeline", $0.name)]))\">\(Self.escape($0.name))</a></td><td>\(Self.escape($0.file))</td>"
                + "<td>\($0.runs)</td><td><a href=\"/runs/\(Self.segment($0.lastRunID))\">\(Self.escape($0.lastRunID))</a></td>"
                + "<td class=\"\(Self.escape($0.lastStatus))\">\(Self.escape($0.lastStatus))</td></tr>"
        }
        let body =
            found.isEmpty
            ? "<p class=\"note\">no runs in \(Self.escape(catalog.workspace.root)) yet</p>"
            : "<table id=\"pipelines\"><tr><th>pipeline</th><th>file</th><th>runs</th><th>last run</th><th>status</th></tr>\(rows.joined())</table>"
        return Self.document("Pipelines", body)
    }

    func runs(_ query: Query) throws(ServeError) -> String {
        let page = try catalog.runs(query, limit: 50)
        let (limit, offset) = (page.limit, page.offset)
        let filters = [("pipeline", query["pipeline"]), ("status", query["status"])].compactMap { name, value in
            value.map { (name, $0) }
        }
        let rows = page.runs.map { run in
            "<tr><td><a class=\"run\" href=\"/runs/\(Self.segment(run.id))\">\(Self.escape(run.id))</a></td><td>\(Self.escape(run.pipeline))</td>"
                + "<td class=\"\(run.status.rawValue)\">\(run.status.rawValue)</td><td>\(Self.time(run.startedAt))</td>"
                + "<td>\(["ran", "cached", "failed", "skipped"].map { "\(run.counts[$0] ?? 0) \($0)" }.joined(separator: ", "))</td></tr>"
        }
        var pager =
            "<p class=\"note\">runs \(page.total == 0 ? 0 : offset + 1)–\(offset + page.runs.count) of \(page.total)</p><p>"
        if offset > 0 {
            pager +=
                "<a rel=\"prev\" href=\"\(Self.link("/runs", filters + [("offset", String(max(0, offset - limit)))]))\">newer</a> "
        }
        if offset + limit < page.total {
            pager +=
                "<a rel=\"next\" href=\"\(Self.link("/runs", filters + [("offset", String(offset + limit))]))\">older</a>"
        }
        let table =
            "<table id=\"runs\"><tr><th>run</th><th>pipeline</th><th>status</th><th>started</th><th>stages</th></tr>\(rows.joined())</table>"
        return Self.document(query["pipeline"].map { "Runs of \($0)" } ?? "Runs", pager + "</p>" + table)
    }

    func run(_ id: String) throws(ServeError) -> String {
        let (run, stages) = try api.runRecord(id)
        let rows = stages.map { stage in
            let outputs = OutputRef.list(stage.outputsJSON)
            let links = outputs.map { output in
                "<a class=\"output\" href=\"/outputs/\(Self.segment(run.pipeline))/\(Self.segment(stage.stage + "." + output.port))\">"
                    + "\(Self.escape(output.port)) (\(output.rows) rows)</a>"
            }.joined(separator: " ")
            let log =
                FileManager.default.fileExists(
                    atPath: catalog.workspace.runDirectory(run.id) + "/" + stage.stage + ".log")
                ? " <a class=\"log\" href=\"/runs/\(Self.segment(run.id))/logs/\(Self.segment(stage.stage))\">log</a>"
                : ""
            return
                "<tr><td>\(Self.escape(stage.stage))\(log)</td><td>\(Self.escape(stage.type))</td><td class=\"\(stage.status.rawValue)\">\(stage.status.rawValue)</td>"
                + "<td>\(Self.escape(stage.reason ?? ""))</td><td>\(stage.seconds.map { String(format: "%.2f", $0) } ?? "")</td><td>\(links)</td>"
                + "<td class=\"error\">\(Self.escape(stage.error ?? ""))\(stage.notes.map { "<div class=\"note\">\(Self.escape($0))</div>" }.joined())</td></tr>"
        }
        let body =
            "<p>pipeline <a href=\"\(Self.link("/runs", [("pipeline", run.pipeline)]))\">\(Self.escape(run.pipeline))</a> · "
            + "<span class=\"\(run.status.rawValue)\">\(run.status.rawValue)</span> · started \(Self.time(run.startedAt)) · "
            + "<a href=\"/runs/\(Self.segment(run.id))/report\">report</a></p>"
            + "<table id=\"stages\"><tr><th>stage</th><th>type</th><th>status</th><th>reason</th><th>seconds</th><th>outputs</th><th>error / notes</th></tr>"
            + rows.joined() + "</table>" + (run.status == .running ? Self.liveScript(run.id) : "")
            + (stages.count <= Self.inlineDrawings
                ? drawings(run.id)
                : "<p class=\"note\">the DAG and timeline of \(stages.count) stages are in the report</p>")
        return Self.document("Run \(run.id)", body)
    }

    func output(pipeline: String, name: String, _ query: Query) throws(ServeError) -> String {
        let (stage, port) = API.split(name)
        let output = try catalog.output(pipeline: pipeline, stage: stage, port: port)
        let limit = try query.int("limit", default: 50, in: 1...API.maxPage)
        let offset = try query.int("offset", default: 0, in: 0...(1 << 40))
        let sort = query["sort"]
        let descending = query["desc"] == "1"
        let names = output.schema?.names ?? []
        let filters = query.items.filter { names.contains($0.name) }
        let view = try catalog.view(
            output, offset: offset, limit: limit, sort: sort, descending: descending,
            filter: filters.first.map { ($0.name, $0.value) })
        let (table, rows) = (view.table, view.rows)
        var title = "\(pipeline) · \(stage).\(output.port)"
        if let filter = filters.first {
            title += " where \(filter.name) = \(filter.value)"
        } else if let sort {
            title += " by \(sort)\(descending ? " descending" : "")"
        }
        let columns = Array(table.schema.fields.indices)
        let base = "/outputs/\(Self.segment(pipeline))/\(Self.segment(name))"
        let header = columns.map { index -> String in
            let field = table.schema.fields[index]
            let flip = sort == field.name && !descending
            return
                "<th><a class=\"sort\" href=\"\(Self.link(base, [("sort", field.name)] + (flip ? [("desc", "1")] : [])))\">\(Self.escape(field.name))</a>"
                + "<div class=\"note\">\(field.type.rawValue)</div></th>"
        }
        let body = rows.map { row in
            "<tr>" + columns.map { "<td>\(Self.escape(Self.cell(table.columns[$0][row])))</td>" }.joined() + "</tr>"
        }
        let keep =
            filters.prefix(1).map { ($0.name, $0.value) }
            + (filters.isEmpty ? (sort.map { [("sort", $0)] } ?? []) + (descending ? [("desc", "1")] : []) : [])
        var pager =
            "<p class=\"note\">rows \(rows.isEmpty ? 0 : offset + 1)–\(offset + rows.count) of \(view.matches ?? view.total) · "
            + "<a href=\"/api/v1/outputs/\(Self.segment(pipeline))/\(Self.segment(name))?format=csv\">download CSV</a> · "
            + "<a href=\"/api/v1/outputs/\(Self.segment(pipeline))/\(Self.segment(name))?format=arrow\">download Arrow</a> · "
            + "<a href=\"\(Self.link(base + "/stats", []))\">column stats</a></p><p>"
        if offset > 0 {
            pager +=
                "<a rel=\"prev\" href=\"\(Self.link(base, keep + [("offset", String(max(0, offset - limit)))]))\">previous</a> "
        }
        if offset + limit < (sort == nil ? view.total : min(view.total, Explorer.sortedDepth)) && filters.isEmpty {
            pager += "<a rel=\"next\" href=\"\(Self.link(base, keep + [("offset", String(offset + limit))]))\">next</a>"
        }
        // A chart stage's picture, as an image: an <img> never runs what an SVG holds.
        let picture =
            Self.isChart(table.schema.names) && view.total == 1
            ? "<p><img class=\"chart\" alt=\"\(Self.escape(stage)) chart\" src=\"\(base)/svg\"></p>" : ""
        return Self.document(
            title, picture + pager + "</p><table id=\"rows\"><tr>\(header.joined())</tr>\(body.joined())</table>")
    }

    /// The columns of a chart stage's `chart` port.
    static func isChart(_ names: [String]) -> Bool { names == ["title", "format", "width", "height", "svg"] }

    /// A chart port's SVG.
    func chartSVG(pipeline: String, name: String) throws(ServeError) -> String {
        let (stage, port) = API.split(name)
        let output = try catalog.output(pipeline: pipeline, stage: stage, port: port)
        let view = try catalog.view(output, offset: 0, limit: 1, sort: nil, descending: false, filter: nil)
        guard Self.isChart(view.table.schema.names), let row = view.rows.first, let svg = view.table.column("svg")
        else {
            throw ServeError.notFound("\(stage).\(output.port) is not a chart")
        }
        return svg[row].description
    }

    /// Per-column statistics of an output.
    func stats(pipeline: String, name: String) throws(ServeError) -> String {
        let (stage, port) = API.split(name)
        let output = try catalog.output(pipeline: pipeline, stage: stage, port: port)
        let table = try catalog.table(output)
        let rows = catalog.explorer.stats(table, digest: output.digest).map { s in
            "<tr><td>\(Self.escape(s.name))</td><td>\(s.type)</td><td>\(table.rowCount - s.nulls)</td><td>\(s.nulls)</td>"
                + "<td>\(Self.escape(s.min.map(Self.cell) ?? ""))</td><td>\(Self.escape(s.max.map(Self.cell) ?? ""))</td>"
                + "<td>\(s.mean.map { String(format: "%.6g", $0) } ?? "")</td></tr>"
        }
        return Self.document(
            "\(pipeline) · \(stage).\(output.port): columns",
            "<p class=\"note\">\(table.rowCount) rows</p><table id=\"stats\"><tr><th>column</th><th>type</th><th>values</th><th>nulls</th>"
                + "<th>min</th><th>max</th><th>mean</th></tr>\(rows.joined())</table>")
    }

    /// An output as a stage run records it.
    struct OutputRef {
        var port: String
        var rows: Int

        /// The outputs of `[{"digest":…,"port":…,"rows":…}]` (what the ledger writes): read
        /// directly when the ports are plain words, else through JSONSerialization.
        static func list(_ json: String?) -> [OutputRef] {
            guard let json, json != "[]" else { return [] }
            if !json.contains("\\"), let plain = plain(json) { return plain }
            guard let items = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else {
                return []
            }
            return items.compactMap { item in
                guard let port = item["port"] as? String, let rows = item["rows"] as? Int else { return nil }
                return OutputRef(port: port, rows: rows)
            }
        }

        /// Scans the bytes for each `"port":"…"` and the `"rows":N` after it.
        private static func plain(_ json: String) -> [OutputRef]? {
            let bytes = Array(json.utf8)
            let portKey = Array(#""port":""#.utf8)
            let rowsKey = Array(#""rows":"#.utf8)
            var found: [OutputRef] = []
            var i = 0
            func find(_ key: [UInt8], from start: Int) -> Int? {
                var k = start
                while k + key.count <= bytes.count {
                    if bytes[k] == key[0] && Array(bytes[k..<k + key.count]) == key { return k + key.count }
                    k += 1
                }
                return nil
            }
            while let portAt = find(portKey, from: i) {
                guard let close = bytes[portAt...].firstIndex(of: UInt8(ascii: "\"")),
                    let rowsAt = find(rowsKey, from: close)
                else { return nil }
                var end = rowsAt
                while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) { end += 1 }
                guard let rows = Int(String(decoding: bytes[rowsAt..<end], as: UTF8.self)) else { return nil }
                found.append(OutputRef(port: String(decoding: bytes[portAt..<close], as: UTF8.self), rows: rows))
                i = end
            }
            return found
        }
    }

    /// Runs of at most this many stages show their DAG and timeline on the page.
    static let inlineDrawings = 300

    /// The DAG and timeline drawn in the run's report (its Pipeline and Timeline sections).
    func drawings(_ id: String) -> String {
        guard
            let report = try? String(
                contentsOfFile: catalog.workspace.runDirectory(id) + "/report.html", encoding: .utf8),
            let start = report.range(of: "<h2>Pipeline</h2>"),
            let end = report.range(of: "<h2>Stages</h2>", range: start.upperBound..<report.endIndex)
        else { return "" }
        return "<div id=\"drawings\">" + report[start.lowerBound..<end.lowerBound] + "</div>"
    }

    /// While a run is going: a line per stage as it finishes, and a reload when the run ends.
    static func liveScript(_ id: String) -> String {
        """
        <p id="live" class="note">running; stages appear below as they finish</p><ul id="finished"></ul>
        <script>
        const source = new EventSource("/runs/\(segment(id))/events");
        source.addEventListener("stage", e => { const s = JSON.parse(e.data); const li = document.createElement("li");
          li.textContent = s.stage + ": " + s.status; document.getElementById("finished").appendChild(li); });
        source.addEventListener("run", () => { source.close(); location.reload(); });
        </script>
        """
    }

    static func cell(_ value: Value) -> String {
        let text = value.isNull ? "—" : value.description
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    static func time(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
