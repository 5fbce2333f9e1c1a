import Foundation
import WeirCore

/// Draws a chart as self-contained SVG: title, axes with round ticks, marks (one element of
/// class `mark` per row, `mark missing` where the value is null), and a legend to the right of
/// the plot area so it never covers data. Long labels are shortened with the whole text as a
/// tooltip; every mark's tooltip lists its row.
public enum Plot {
    /// Changes whenever a drawing could change: part of the `chart` stage's cache key.
    public static let version = "3"

    public static func svg(_ spec: PlotSpec, _ rows: [PlotRow]) -> String {
        var legend = Legend()
        let series = seriesNames(rows)
        switch spec.mark {
        case .pie: PiePlot.legend(rows, &legend)
        case .heatmap: HeatmapPlot.legend(rows, &legend)
        default:
            for (i, name) in series.enumerated() {
                legend.swatch(PlotPalette.categorical[i % PlotPalette.categorical.count], name)
            }
        }
        if let highlight = spec.highlightLabel, rows.contains(where: \.highlighted) {
            legend.swatch(PlotPalette.highlight, "highlighted: " + highlight)
        }
        for rule in spec.rules { legend.rule(rule.label + " " + NumberText.value(rule.value)) }
        if rows.contains(where: { $0.value == nil }) { legend.missing() }
        var frame = PlotFrame(spec: spec, legendWidth: legend.width)
        var svg = SVGWriter()
        svg.raw(frame.defs)
        switch spec.mark {
        case .pie: PiePlot.draw(spec, rows, frame, &svg)
        case .heatmap: HeatmapPlot.draw(spec, rows, &frame, &svg)
        default: CartesianPlot.draw(spec, rows, series: series, &frame, &svg)
        }
        let legendTitle =
            spec.mark == .pie ? spec.xTitle : spec.mark == .heatmap ? spec.seriesTitle ?? spec.yTitle : spec.seriesTitle
        if rows.isEmpty {
            svg.label(
                "no rows to draw", x: (frame.left + frame.right) / 2, y: (frame.top + frame.bottom) / 2,
                anchor: "middle",
                class: "empty", fill: "#888")
        }
        legend.draw(at: frame.right + 16, top: frame.top, title: legendTitle, &svg)
        return frame.open(spec) + svg.text + "</svg>"
    }

    /// Series in the order they first appear.
    static func seriesNames(_ rows: [PlotRow]) -> [String] {
        var seen = Set<String>()
        var names: [String] = []
        for row in rows { if let s = row.series, seen.insert(s).inserted { names.append(s) } }
        return names
    }

    static func color(series: String?, in names: [String]) -> String {
        guard let series, let i = names.firstIndex(of: series) else { return PlotPalette.plain }
        return PlotPalette.categorical[i % PlotPalette.categorical.count]
    }
}

/// The chart's outer box and its plot area (where marks go), in pixels.
struct PlotFrame {
    let width: Double
    let height: Double
    var left: Double
    var top: Double
    var right: Double
    var bottom: Double

    init(spec: PlotSpec, legendWidth: Double) {
        width = spec.width
        height = spec.height
        top = spec.subtitle == nil ? 40 : 56
        left = 64
        right = spec.width - 16 - (legendWidth > 0 ? legendWidth + 16 : 0)
        bottom = spec.height - 44
    }

    var plotWidth: Double { right - left }
    var plotHeight: Double { bottom - top }

    var defs: String {
        "<defs><pattern id=\"weir-missing\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
            + "<rect width=\"6\" height=\"6\" fill=\"#fff\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"\(PlotPalette.missing)\" stroke-width=\"2\"/></pattern></defs>"
    }

    func open(_ spec: PlotSpec) -> String {
        var head = SVGWriter()
        head.rect(x: 0, y: 0, width: width, height: height, fill: "#fff")
        head.label(
            PlotText.truncated(spec.title, Int(width / 8.5)), x: 12, y: 22, size: 15, class: "title", fill: "#222",
            bold: true,
            full: spec.title)
        if let subtitle = spec.subtitle {
            head.label(
                PlotText.truncated(subtitle, Int(width / 7)), x: 12, y: 40, size: 11, class: "subtitle", fill: "#666",
                full: subtitle)
        }
        let w = SVGWriter.number(width)
        let h = SVGWriter.number(height)
        return
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"weir-chart\" viewBox=\"0 0 \(w) \(h)\" width=\"\(w)\" height=\"\(h)\" role=\"img\">"
            + "<title>\(HTMLText.escape(spec.title))</title>" + head.text
    }
}

/// The legend, drawn beside the plot area: series swatches, the highlight, rules and missing values.
struct Legend {
    enum Kind { case swatch(String), rule, missing, text }
    private(set) var entries: [(kind: Kind, label: String)] = []
    static let limit = 26

    mutating func swatch(_ color: String, _ label: String) { entries.append((.swatch(color), label)) }
    mutating func rule(_ label: String) { entries.append((.rule, label)) }
    mutating func missing() { entries.append((.missing, "no value")) }
    mutating func text(_ label: String) { entries.append((.text, label)) }

    var width: Double {
        entries.isEmpty
            ? 0 : Swift.min(Double(Self.limit), Double(entries.map(\.label.count).max() ?? 0)) * PlotText.charWidth + 22
    }

    func draw(at x: Double, top: Double, title: String?, _ svg: inout SVGWriter) {
        guard !entries.isEmpty else { return }
        var y = top + 4
        if let title {
            svg.label(
                PlotText.truncated(title, Self.limit), x: x, y: y + 9, class: "legend", fill: "#222", bold: true,
                full: title)
            y += 18
        }
        for (kind, label) in entries {
            switch kind {
            case .swatch(let color): svg.rect(x: x, y: y, width: 12, height: 12, fill: color, class: "legend-key")
            case .rule:
                svg.line(
                    x1: x, y1: y + 6, x2: x + 12, y2: y + 6, stroke: "#444", class: "legend-key", dash: "4 3",
                    width: 1.5)
            case .missing:
                svg.rect(
                    x: x, y: y, width: 12, height: 12, fill: "url(#weir-missing)", class: "legend-key",
                    extra: [("stroke", PlotPalette.missing)])
            case .text: break
            }
            svg.label(PlotText.truncated(label, Self.limit), x: x + 18, y: y + 10, class: "legend", full: label)
            y += 18
        }
    }
}
