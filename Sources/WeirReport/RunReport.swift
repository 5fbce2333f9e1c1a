import Foundation
import WeirCore
import WeirSystem
import WeirTable

/// The run report: one self-contained HTML file (inline CSS and SVG, no external references)
/// with the DAG, a timeline of stage runs, each stage's status, rows and a preview of its
/// output, and the charts stage types draw from their outputs.
public struct RunReport {
    public var pipeline: Pipeline
    public var summary: RunSummary
    /// Reads a stored output by digest: all of it, or (given a row count) at least its first
    /// rows, which is all a preview shows.
    public var read: (String, Int?) throws -> Table
    /// The stage type of each type name, to ask for charts.
    public var types: StageRegistry
    /// Where each stage's preview and charts are kept once drawn (`.weir/previews`), so a
    /// cached stage's section costs one small read rather than reading its output again.
    public var fragments: String?

    public init(
        pipeline: Pipeline, summary: RunSummary, types: StageRegistry, fragments: String? = nil,
        read: @escaping (String, Int?) throws -> Table
    ) {
        self.pipeline = pipeline
        self.summary = summary
        self.types = types
        self.fragments = fragments
        self.read = read
    }

    static let colors = ["ran": "#2ca02c", "cached": "#9ecae1", "failed": "#d62728", "skipped": "#bbbbbb"]

    /// Writes the report to `path` (via a temporary file, so a reader never sees half of it),
    /// secrets redacted. A repeated run's body is copied from its kept file as bytes: that file
    /// was redacted when kept, and is scanned again only when this run has secrets of its own.
    public func write(to path: String) throws {
        let temporary = path + ".tmp-\(Syscall.processID)"
        defer { Syscall.unlink(temporary) }
        let file = try Syscall.open(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        defer { try? Syscall.close(file) }
        func put(_ text: String) throws {
            try Array(text.utf8).withUnsafeBytes { try Syscall.write(file, $0) }
        }
        do {
            try put(Secrets.redact(head()))
            // The loader put the stages in dependency order already.
            switch body(pipeline.stages) {
            case .text(let body): try put(Secrets.redact(body))
            // Copied in the kernel: a kept body of a 1,000-stage run is most of a megabyte.
            case .kept(let kept) where Secrets.isEmpty: try Syscall.append(contentsOf: kept, to: file)
            case .kept(let kept): try put(Secrets.redact(try String(contentsOfFile: kept, encoding: .utf8)))
            }
            try put(Self.tail)
        } catch let error as SystemError {
            throw TableError.writing(path, "the run report", error)
        }
        try Syscall.rename(temporary, to: path)
    }

    static let tail = "</body></html>\n"

    /// The document's head and the run's own line: the part no other run shares.
    func head() -> String {
        let esc = SVGChart.escape
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Weir run \(esc(summary.runID)) · \(esc(pipeline.name))</title>
            <style>body{font:14px/1.4 -apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1100px}
            h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd}h3{font-size:14px;margin:18px 0 6px}
            table{border-collapse:collapse;font-size:12px;margin:6px 0}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
            th{background:#f5f5f5}.status{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px}
            .note{color:#666;font-size:12px}.error{color:#d62728;white-space:pre-wrap}svg{max-width:100%;height:auto}</style></head><body>
            <h1>\(esc(pipeline.name)) — run \(esc(summary.runID))</h1>
            <p>\(summary.status == .ok ? "ok" : "failed") in \(FloatFormat.twoDecimals(summary.seconds)) s · \(summary.counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))</p>
            """
    }

    /// A report body: drawn now, or a file kept from an earlier identical run.
    enum Body {
        case text(String)
        case kept(path: String)
    }

    /// The DAG, the timeline and every stage's section. Everything in it is a function of the
    /// text that goes into it, so a run that repeats an earlier one (a fully cached run) reads
    /// it back whole from one kept file instead of a thousand sections.
    func body(_ order: [StageSpec]) -> Body {
        let outcomes = Dictionary(summary.outcomes.map { ($0.stage, $0) }, uniquingKeysWith: { a, _ in a })
        let settled = order.compactMap { stage in outcomes[stage.id].map { (stage: stage, outcome: $0) } }
        let timeline = timeline()
        // Only a run where every stage was cached is kept whole: it is the one that repeats.
        let repeats = summary.outcomes.allSatisfy { $0.status == .cached }
        let path = fragments.flatMap { repeats ? "\($0)/run-\(repeatDigest(settled, timeline: timeline)).html" : nil }
        if let path, FileManager.default.fileExists(atPath: path) { return .kept(path: path) }
        var html = "<h2>Pipeline</h2>\(dag(order))<h2>Timeline</h2>\(timeline)<h2>Stages</h2>"
        var complete = true
        for (stage, outcome) in settled {
            html += header(stage, outcome)
            if !outcome.outputs.isEmpty {
                let section = outputSection(stage, outcome.outputs)
                html += section.html
                complete = complete && section.complete
            }
        }
        if let path, complete { keep(html, at: path) }
        return .text(html)
    }

    /// A stage's heading: status, type, time, rows, and its error and notes.
    func header(_ stage: StageSpec, _ outcome: StageOutcome) -> String {
        let esc = SVGChart.escape
        let color = Self.colors[outcome.status.rawValue] ?? "#888"
        var html =
            "<h3 id=\"stage-\(esc(stage.id))\">\(esc(stage.id)) <span class=\"status\" style=\"background:\(color)\">\(outcome.status.rawValue)</span> "
            + "<span class=\"note\">\(esc(stage.typeName)) · \(FloatFormat.twoDecimals(outcome.seconds)) s"
            + (outcome.rows.isEmpty
                ? ""
                : " · "
                    + outcome.rows.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value) rows" }.joined(
                        separator: ", "))
            + "</span></h3>"
        if let error = outcome.error { html += "<p class=\"error\">\(esc(error))</p>" }
        for note in outcome.notes { html += "<p class=\"note\">\(esc(note))</p>" }
        return html
    }

    /// The digest of everything a body is drawn from (each field length-prefixed), without
    /// drawing it: for a repeated run this is all the report costs before copying the kept body.
    func repeatDigest(_ settled: [(stage: StageSpec, outcome: StageOutcome)], timeline: String) -> String {
        var fields = ContentHash.Fields()
        func add(_ text: String) { fields.add(text) }
        add(timeline)
        for (stage, outcome) in settled {
            // Each list is counted, then its items: as unambiguous as joining, without the joins.
            add(String(stage.inputs.count))
            for input in stage.inputs { add(input.description) }
            add(outcome.status.rawValue)
            add(FloatFormat.twoDecimals(outcome.seconds))
            add(String(outcome.outputs.count))
            for output in outcome.outputs { add(output.port + "=" + String(output.rows)) }
            add(outcome.error ?? "")
            add(String(outcome.notes.count))
            for note in outcome.notes { add(note) }
            // The cache key already covers the type, its version and every parameter.
            if let key = outcome.key {
                add(key)
                for output in outcome.outputs { add(output.port + "=" + output.digest) }
            } else {
                add(sectionMaterial(stage, outcome.outputs))
            }
        }
        return fields.hex
    }

    private func keep(_ html: String, at path: String) {
        try? FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? Data(Secrets.redact(html).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// What a stage's output section is drawn from: its outputs and its parameters (secrets
    /// left out).
    func sectionMaterial(_ stage: StageSpec, _ outputs: [CacheOutput]) -> String {
        var material =
            "\(stage.typeName)\n\(stage.id)\n" + outputs.map { "\($0.port)=\($0.digest)" }.joined(separator: ",")
        for (name, param) in stage.params.sorted(by: { $0.key < $1.key }) where !param.secret {
            material += "\n\(name)=\(param.value.description)"
        }
        return material
    }

    /// A stage's preview and charts: a function of its outputs (and parameters, for charts),
    /// so drawn once per set of outputs and kept.
    func outputSection(_ stage: StageSpec, _ outputs: [CacheOutput]) -> (html: String, complete: Bool) {
        let path = fragments.map { "\($0)/\(ContentHash.sha256(sectionMaterial(stage, outputs))).html" }
        if let path, let kept = try? String(contentsOfFile: path, encoding: .utf8) { return (kept, true) }
        let esc = SVGChart.escape
        var html = ""
        var tables: [String: Table] = [:]
        // Charts need whole tables; a preview, its first rows.
        let charted = types[stage.typeName] is any ChartSource
        for output in outputs {
            if let table = try? read(output.digest, charted ? nil : Self.previewRows) { tables[output.port] = table }
        }
        if let first = outputs.first, let table = tables[first.port] {
            html += preview(table, rows: first.rows, port: outputs.count > 1 ? first.port : nil)
        }
        if let source = types[stage.typeName] as? any ChartSource, !tables.isEmpty {
            for chart in source.charts(tables, stage: stage) {
                html += "<figure>\(chart.svg)<figcaption class=\"note\">\(esc(chart.title))</figcaption></figure>"
            }
        }
        if let path, tables.count == outputs.count { keep(html, at: path) }
        return (html, tables.count == outputs.count)
    }

    static let previewRows = 8

    /// The first rows of an output of `rows` rows.
    func preview(_ table: Table, rows: Int, port: String?) -> String {
        let esc = SVGChart.escape
        let columns = Array(table.schema.fields.prefix(12).enumerated())
        let shown = Swift.min(Self.previewRows, table.rowCount)
        var html = port.map { "<p class=\"note\">output \(esc($0)):</p>" } ?? ""
        html += "<table><tr>" + columns.map { "<th>\(esc($0.element.name))</th>" }.joined() + "</tr>"
        for row in 0..<shown {
            html +=
                "<tr>" + columns.map { "<td>\(esc(CellFormat.cell(table.columns[$0.offset][row])))</td>" }.joined()
                + "</tr>"
        }
        return html + "</table>" + (rows > shown ? "<p class=\"note\">… \(rows - shown) more rows</p>" : "")
    }

    /// Stages in columns by depth (longest path from a source), edges from input to stage.
    func dag(_ order: [StageSpec]) -> String {
        var depth: [String: Int] = [:]
        for stage in order { depth[stage.id] = (stage.inputs.compactMap { depth[$0.stage] }.max() ?? -1) + 1 }
        let columns = Dictionary(grouping: order, by: { depth[$0.id] ?? 0 })
        let boxW = 150.0
        let boxH = 26.0
        let gapX = 40.0
        let gapY = 12.0
        var position: [String: (Double, Double)] = [:]
        for (d, stages) in columns {
            for (i, stage) in stages.enumerated() {
                position[stage.id] = (10 + Double(d) * (boxW + gapX), 10 + Double(i) * (boxH + gapY))
            }
        }
        let width = 20 + Double((columns.keys.max() ?? 0) + 1) * (boxW + gapX)
        let height = 20 + Double(columns.values.map(\.count).max() ?? 1) * (boxH + gapY)
        let status = Dictionary(
            summary.outcomes.map { ($0.stage, $0.status.rawValue) }, uniquingKeysWith: { a, _ in a })
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
        for stage in order {
            guard let (x, y) = position[stage.id] else { continue }
            for input in stage.inputs {
                guard let (ux, uy) = position[input.stage] else { continue }
                svg +=
                    "<path d=\"M\(ux + boxW),\(uy + boxH / 2) C\(ux + boxW + gapX / 2),\(uy + boxH / 2) \(x - gapX / 2),\(y + boxH / 2) \(x),\(y + boxH / 2)\" fill=\"none\" stroke=\"#999\"/>"
            }
        }
        for stage in order {
            guard let (x, y) = position[stage.id] else { continue }
            let fill = Self.colors[status[stage.id] ?? ""] ?? "#eeeeee"
            svg +=
                "<a href=\"#stage-\(SVGChart.escape(stage.id))\"><rect x=\"\(x)\" y=\"\(y)\" width=\"\(boxW)\" height=\"\(boxH)\" rx=\"4\" fill=\"\(fill)\" fill-opacity=\"0.35\" stroke=\"\(fill)\"/>"
                + "<text x=\"\(x + 6)\" y=\"\(y + 17)\" font-size=\"11\" font-family=\"sans-serif\">\(SVGChart.escape(String(stage.id.prefix(22))))</text></a>"
        }
        return svg + "</svg>"
    }

    /// One bar per stage that ran, from its start to its end.
    /// Bars for the stages that ran or failed (a cached stage took no time).
    func timeline() -> String {
        let ran = summary.outcomes.filter {
            ($0.status == .ran || $0.status == .failed) && $0.startedAt != nil && $0.finishedAt != nil
        }
        guard let start = ran.compactMap(\.startedAt).min(), let end = ran.compactMap(\.finishedAt).max(), end > start
        else {
            return "<p class=\"note\">nothing ran: every stage was cached or skipped</p>"
        }
        let rowH = 16.0
        let labelW = 170.0
        let plotW = 860.0
        let axisH = 28.0
        let height = Double(ran.count) * rowH + 8 + axisH
        var svg =
            "<svg viewBox=\"0 0 \(Int(labelW + plotW + 60)) \(Int(height))\" width=\"\(Int(labelW + plotW + 60))\" height=\"\(Int(height))\">"
        // A time axis: seconds since the first stage started, at round steps.
        let axis = ContinuousScale(values: [0, end - start], start: labelW, end: labelW + plotW, tickCount: 8) {
            value, step in
            NumberText.tick(value, step: step) + " s"
        }
        let axisY = Double(ran.count) * rowH + 8
        svg += "<line x1=\"\(labelW)\" y1=\"\(axisY)\" x2=\"\(labelW + plotW)\" y2=\"\(axisY)\" stroke=\"#999\"/>"
        for tick in axis.ticks {
            let x = SVGWriter.number(axis.position(tick.value))
            svg +=
                "<line x1=\"\(x)\" y1=\"0\" x2=\"\(x)\" y2=\"\(axisY + 4)\" stroke=\"#eee\"/>"
                + "<text x=\"\(x)\" y=\"\(axisY + 17)\" font-size=\"10\" text-anchor=\"middle\" font-family=\"sans-serif\">\(tick.label)</text>"
        }
        let scale = plotW / (axis.high - axis.low)
        for (i, outcome) in ran.sorted(by: { $0.startedAt! < $1.startedAt! }).enumerated() {
            let x0 = labelW + scale * (outcome.startedAt! - start)
            let w = Swift.max(1.5, scale * (outcome.finishedAt! - outcome.startedAt!))
            let y = Double(i) * rowH + 4
            svg +=
                "<text x=\"\(labelW - 6)\" y=\"\(y + 11)\" font-size=\"10\" text-anchor=\"end\" font-family=\"sans-serif\">\(SVGChart.escape(outcome.stage))</text>"
                + "<rect x=\"\(x0)\" y=\"\(y)\" width=\"\(w)\" height=\"\(rowH - 4)\" fill=\"\(Self.colors[outcome.status.rawValue] ?? "#888")\"/>"
                + "<text x=\"\(x0 + w + 4)\" y=\"\(y + 11)\" font-size=\"10\" font-family=\"sans-serif\">\(FloatFormat.twoDecimals(outcome.seconds) + " s")</text>"
        }
        return svg + "</svg>"
    }
}

/// How report and message cells print values: floats shortened, nulls as a dash.
public enum CellFormat {
    /// At most this many characters of a value are shown (a preview holds no 10 MB cell).
    public static let limit = 120

    public static func cell(_ value: Value) -> String {
        let text =
            switch value {
            case .float64(let x) where x.isFinite: String(format: abs(x) >= 100 ? "%.2f" : "%.4g", x)
            case .null: "–"
            default: value.description
            }
        return text.count > limit ? String(text.prefix(limit)) + "… (\(text.count) characters)" : text
    }
}
