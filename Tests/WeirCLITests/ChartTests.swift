import Foundation
import Testing
import WeirTestSupport

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The `chart` stage: its data tables against pandas and numpy, its SVG as XML and in a real
/// browser, its files, and its errors.
@Suite struct ChartTests {
    /// 600 rows: categories and series with nulls, values with nulls, amounts, hours.
    static func sample() -> String {
        var lines = ["cat,series,value,amount,hour,label"]
        var state: UInt64 = 42
        func next(_ n: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) % n
        }
        for i in 0..<600 {
            let cat = next(13) == 0 ? "" : "c\(next(6))"
            let series = next(17) == 0 ? "" : ["north", "south", "east"][Int(next(3))]
            let value = next(11) == 0 ? "" : String(Double(Int(next(100_000))) / 100 - 200)
            let amount = String(Double(Int(next(5000))) / 10)
            lines.append("\(cat),\(series),\(value),\(amount),\(next(24)),row \(i)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func project() throws -> WeirProcess {
        let weir = try WeirProcess()
        try weir.write("sample.csv", sample())
        var stages = """
            pipeline: charts
            stages:
              rows:
                type: extract.csv
                path: sample.csv
                schema: { cat: string, series: string, value: float64, amount: float64, hour: int64, label: string }

            """
        for aggregate in ["count", "sum", "mean", "median", "min", "max"] {
            stages += """
                  \(aggregate):
                    type: chart
                    input: rows
                    mark: bar
                    x: cat
                    y: value
                    color: series
                    aggregate: \(aggregate)
                  \(aggregate)_csv: { type: load.csv, input: \(aggregate).data, path: out/data-\(aggregate).csv }

                """
        }
        stages += """
              histogram: { type: chart, input: rows, mark: histogram, x: value, bins: 7, rule: [mean, {value: 30, label: target}] }
              histogram_csv: { type: load.csv, input: histogram.data, path: out/data-histogram.csv }
              pie: { type: chart, input: rows, mark: pie, x: cat, y: amount, format: png }
              pie_csv: { type: load.csv, input: pie.data, path: out/data-pie.csv }
              heatmap: { type: chart, input: rows, mark: heatmap, x: hour, y: cat }
              heatmap_csv: { type: load.csv, input: heatmap.data, path: out/data-heatmap.csv }
              points:
                type: chart
                input: rows
                mark: point
                x: amount
                y: value
                color: series
                highlight: value > 700
                title: A very long title that goes on and on to test that the title is shortened and keeps a tooltip
              lines: { type: chart, input: rows, mark: line, x: hour, y: value, aggregate: mean, color: series, rule: median }
              area: { type: chart, input: rows, mark: area, x: hour, aggregate: count }
              labels: { type: chart, input: rows, mark: bar, x: label, y: amount, top: 25, highlight: sum_amount > 400 }
              svg_file: { type: load.svg, input: pie, path: out/pie.svg }

            """
        try weir.write("p.yaml", stages)
        return weir
    }

    @Test(.enabled(if: ReferencePython.available)) func dataTablesMatchPandasAndNumpy() throws {
        let weir = try Self.project()
        let run = try weir.run("run", "p.yaml", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let said = try ReferencePython.script(
            "chart.py", ["aggregates", weir.directory + "/sample.csv", weir.directory + "/out"])
        #expect(said.hasPrefix("ok"), "\(said)")
    }

    /// Well-formed XML with one element of class `mark` per row of the data table, and ticks.
    @Test func svgIsWellFormedWithOneMarkPerRow() throws {
        let weir = try Self.project()
        let run = try weir.run("run", "p.yaml", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let folder = try #require(
            try FileManager.default.contentsOfDirectory(atPath: weir.directory + "/.weir/runs").first)
        for chart in ["count", "histogram", "pie", "heatmap", "points", "lines", "area", "labels"] {
            let svg = try weir.read(".weir/runs/\(folder)/\(chart).svg")
            let census = try SVGCensus(svg)
            let rows =
                try weir.run("show", "p.yaml", "\(chart).data", "--format", "csv").stdout.split(separator: "\n").count
                - 1
            #expect(census.marks == rows, "\(chart): \(census.marks) marks for \(rows) rows")
            if chart != "pie" { #expect(census.ticks >= 3, "\(chart): \(census.ticks) tick labels") }
            #expect(census.root == "svg")
        }
        #expect(try weir.read("out/pie.svg") == weir.read(".weir/runs/\(folder)/pie.svg"))
        let report = try weir.read(".weir/runs/\(folder)/report.html")
        #expect(report.components(separatedBy: "class=\"weir-chart\"").count - 1 == 13, "every chart is in the report")
    }

    /// Headless Chromium draws every chart; legends, titles and tick labels never overlap a mark.
    @Test(.enabled(if: ReferencePython.available && ServeTests.browser)) func chromiumDrawsThemWithoutOverlaps() throws
    {
        let weir = try Self.project()
        #expect(try weir.run("run", "p.yaml").status == 0)
        let folder = try #require(
            try FileManager.default.contentsOfDirectory(atPath: weir.directory + "/.weir/runs").first)
        let shots = ReferencePython.packageRoot.appendingPathComponent(".build/test-output/charts").path
        let said = try ReferencePython.script("chart.py", ["browser", weir.directory + "/.weir/runs/\(folder)", shots])
        #expect(said.hasPrefix("ok 13"), "\(said)")
    }

    /// A cached chart still lands in the new run's folder; format: png makes a PNG (or says why not).
    @Test func cachedChartsStillLandInTheRunFolder() throws {
        let weir = try Self.project()
        #expect(try weir.run("run", "p.yaml").status == 0)
        let again = try weir.run("run", "p.yaml", "--json")
        #expect(again.stages("ran").isEmpty)
        let runs = try FileManager.default.contentsOfDirectory(atPath: weir.directory + "/.weir/runs").sorted()
        #expect(runs.count == 2)
        #expect(FileManager.default.fileExists(atPath: "\(weir.directory)/.weir/runs/\(runs[1])/histogram.svg"))
        let png = "\(weir.directory)/.weir/runs/\(runs[1])/pie.png"
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/rsvg-convert") {
            #expect(try Data(contentsOf: URL(fileURLWithPath: png)).prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        } else {
            #expect(again.stderr.contains("rsvg-convert is not installed"))
        }
    }

    /// `weir serve` shows a chart port as an image whose SVG is served with a no-script policy.
    @Test func serveShowsTheChartAsAnImage() throws {
        let weir = try Self.project()
        #expect(try weir.run("run", "p.yaml").status == 0)
        let server = try ServeProcess(weir)
        let page = try server.request("/outputs/charts/pie")
        #expect(
            page.status == 200
                && page.body.contains("<img class=\"chart\" alt=\"pie chart\" src=\"/outputs/charts/pie/svg\">"),
            "\(page.body.prefix(600))")
        let svg = try server.request("/outputs/charts/pie/svg")
        #expect(svg.status == 200 && svg.body.hasPrefix("<svg") && svg.headers["content-type"] == "image/svg+xml")
        #expect(svg.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'")
        #expect(try server.request("/outputs/charts/rows/svg").status == 404)
    }

    @Test func badChartsSayWhatIsWrong() throws {
        let weir = try WeirProcess()
        try weir.write("t.csv", "name,amount,day\na,1.5,2024-01-01\nb,-2,2024-01-02\n")
        func plan(_ chart: String) throws -> WeirProcess.Result {
            try weir.write(
                "p.yaml",
                "pipeline: bad\nstages:\n  t: { type: extract.csv, path: t.csv }\n  c: { type: chart, input: t, \(chart) }\n"
            )
            return try weir.run("run", "p.yaml")
        }
        let wrongType = try plan("mark: bar, x: day, y: name, aggregate: mean")
        #expect(
            wrongType.status != 0 && wrongType.stderr.contains("p.yaml:4:")
                && wrongType.stderr.contains("c.y names column 'name'")
                && wrongType.stderr.contains("expected float64 or int64"), "\(wrongType.stderr)")
        let histogramOfText = try plan("mark: histogram, x: name")
        #expect(histogramOfText.stderr.contains("c.x names column 'name'"), "\(histogramOfText.stderr)")
        let noX = try plan("mark: line, y: amount")
        #expect(noX.stderr.contains("needs `x:`"), "\(noX.stderr)")
        let badPredicate = try plan("mark: line, x: day, y: amount, highlight: amount >>> 2")
        #expect(badPredicate.stderr.contains("c.highlight"), "\(badPredicate.stderr)")
        let negativePie = try plan("mark: pie, x: name, y: amount")
        #expect(
            negativePie.status != 0 && negativePie.stdout.contains("negative slice: 'b' is -2"), "\(negativePie.stdout)"
        )
        let logOfNegative = try plan("mark: bar, x: name, y: amount, log_scale: true")
        #expect(logOfNegative.stdout.contains("log_scale: 1 values are zero or negative"), "\(logOfNegative.stdout)")

        var many = "k,v\n"
        for i in 0..<100_000 { many += "k\(i),\(i % 7)\n" }
        try weir.write("many.csv", many)
        try weir.write(
            "p.yaml",
            "pipeline: bad\nstages:\n  t: { type: extract.csv, path: many.csv }\n  c: { type: chart, input: t, mark: bar, x: k, y: v }\n"
                + "  top: { type: chart, input: t, mark: pie, x: k, y: v, top: 5 }\n"
                + "  none: { type: sql, input: t, query: SELECT * FROM t WHERE v > 100 }\n"
                + "  empty: { type: chart, input: none, mark: bar, x: k, y: v }\n")
        let tooMany = try weir.run("run", "p.yaml", "--json")
        #expect(
            tooMany.statuses["c"] == "failed" && tooMany.stdout.contains("100000 marks are too many for a bar chart")
                && tooMany.stdout.contains("set top: 20"), "\(tooMany.stdout.suffix(2000))")
        #expect(tooMany.statuses["top"] == "ran" && tooMany.statuses["empty"] == "ran")
        let pie = try weir.run("show", "p.yaml", "top.data", "--format", "csv").stdout
        #expect(pie.contains("(other),") && pie.split(separator: "\n").count == 7, "\(pie)")
        #expect(tooMany.stdout.contains("nothing to draw"))
    }
}

/// Counts what an SVG holds, by parsing it as XML (a malformed document throws).
struct SVGCensus {
    var marks = 0
    var ticks = 0
    var root = ""

    init(_ svg: String) throws {
        let parser = XMLParser(data: Data(svg.utf8))
        let delegate = Delegate()
        parser.delegate = delegate
        guard parser.parse() else { throw Malformed(reason: parser.parserError.map { "\($0)" } ?? "?") }
        marks = delegate.marks
        ticks = delegate.ticks
        root = delegate.root ?? ""
    }

    struct Malformed: Error { var reason: String }

    final class Delegate: NSObject, XMLParserDelegate {
        var marks = 0, ticks = 0
        var root: String?
        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if root == nil { root = name }
            let classes = (attributes["class"] ?? "").split(separator: " ")
            if classes.contains("mark") { marks += 1 }
            if classes.contains("tick-label") { ticks += 1 }
        }
    }
}
