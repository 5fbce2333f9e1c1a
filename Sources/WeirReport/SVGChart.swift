import Foundation
import WeirCore
import WeirTable

/// A chart a stage contributes to the run report: a title and a self-contained SVG.
public struct Chart: Sendable {
    public var title: String
    public var svg: String

    public init(title: String, svg: String) {
        self.title = title
        self.svg = svg
    }
}

/// Stage types that draw charts from their outputs adopt this; the report asks each stage of
/// a run, cached or not, so a report of a fully cached run still has every chart.
public protocol ChartSource {
    func charts(_ outputs: [String: Table], stage: StageSpec) -> [Chart]
}

/// Small SVG charts with no dependencies and no external references (inline in the report).
public enum SVGChart {
    static let width = 640.0, height = 240.0
    static let left = 64.0, right = 16.0, top = 28.0, bottom = 36.0
    public static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]

    public struct Series {
        public var name: String
        public var values: [Double?]
        public var color: String
        public init(_ name: String, _ values: [Double?], color: String) {
            self.name = name
            self.values = values
            self.color = color
        }
    }

    public struct Marker {
        public var index: Int
        public var value: Double
        public var color: String
        public var label: String
        public init(index: Int, value: Double, color: String, label: String) {
            self.index = index
            self.value = value
            self.color = color
            self.label = label
        }
    }

    static let escape = HTMLText.escape

    static func number(_ x: Double) -> String {
        let a = abs(x)
        if a >= 1e6 { return String(format: "%.1fM", x / 1e6) }
        if a >= 1e3 { return String(format: "%.1fk", x / 1e3) }
        if a >= 10 || x == 0 { return String(format: "%.0f", x) }
        return String(format: "%.2g", x)
    }

    static func frame(_ title: String, _ body: String) -> String {
        "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">"
            + "<title>\(escape(title))</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
            + "<text x=\"\(left)\" y=\"18\" font-size=\"13\" font-family=\"sans-serif\" font-weight=\"bold\">\(escape(title))</text>"
            + body + "</svg>"
    }

    /// Lines over equally spaced x positions (days), with markers and x labels at the ends.
    public static func lines(title: String, xLabels: [String], series: [Series], markers: [Marker] = []) -> String {
        let n = xLabels.count
        let all = series.flatMap { $0.values.compactMap { $0 } } + markers.map(\.value)
        guard n > 1, var low = all.min(), var high = all.max() else { return frame(title, "") }
        if high == low {
            high += 1
            low -= 1
        }
        let plotW = width - left - right
        let plotH = height - top - bottom
        func x(_ i: Int) -> Double { left + plotW * Double(i) / Double(n - 1) }
        func y(_ v: Double) -> Double { top + plotH * (1 - (v - low) / (high - low)) }
        var body = ""
        for k in 0...4 {
            let v = low + (high - low) * Double(k) / 4
            body += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(y(v))\" y2=\"\(y(v))\" stroke=\"#eee\"/>"
            body +=
                "<text x=\"\(left - 6)\" y=\"\(y(v) + 4)\" font-size=\"10\" text-anchor=\"end\" font-family=\"sans-serif\">\(number(v))</text>"
        }
        for (i, anchor) in [(0, "start"), (n - 1, "end")] {
            body +=
                "<text x=\"\(x(i))\" y=\"\(height - 12)\" font-size=\"10\" text-anchor=\"\(anchor)\" font-family=\"sans-serif\">\(escape(xLabels[i]))</text>"
        }
        for (s, line) in series.enumerated() {
            var path = ""
            var pen = false
            for (i, value) in line.values.enumerated() {
                guard let value else {
                    pen = false
                    continue
                }
                path += (pen ? "L" : "M") + String(format: "%.1f,%.1f", x(i), y(value))
                pen = true
            }
            body += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.5\"/>"
            body +=
                "<text x=\"\(width - right - 120)\" y=\"\(top + 12 + Double(s) * 12)\" font-size=\"10\" fill=\"\(line.color)\" font-family=\"sans-serif\">\(escape(line.name))</text>"
        }
        for marker in markers where marker.index < n {
            body +=
                "<circle cx=\"\(x(marker.index))\" cy=\"\(y(marker.value))\" r=\"3.5\" fill=\"\(marker.color)\"><title>\(escape(marker.label))</title></circle>"
        }
        return frame(title, body)
    }

    /// Horizontal bars, largest first as given.
    public static func bars(title: String, labels: [String], values: [Double]) -> String {
        guard let high = values.map({ abs($0) }).max(), high > 0 else { return frame(title, "") }
        let rowH = Swift.min(22.0, (height - top - 8) / Double(Swift.max(1, labels.count)))
        let labelW = 220.0
        let plotW = width - labelW - right - 60
        var body = ""
        for (i, (label, value)) in zip(labels, values).enumerated() {
            let y0 = top + Double(i) * rowH
            let w = plotW * abs(value) / high
            body +=
                "<text x=\"\(labelW - 6)\" y=\"\(y0 + rowH * 0.7)\" font-size=\"10\" text-anchor=\"end\" font-family=\"sans-serif\">\(escape(String(label.prefix(40))))</text>"
            body +=
                "<rect x=\"\(labelW)\" y=\"\(y0 + 2)\" width=\"\(w)\" height=\"\(rowH - 4)\" fill=\"\(palette[0])\"/>"
            body +=
                "<text x=\"\(labelW + w + 4)\" y=\"\(y0 + rowH * 0.7)\" font-size=\"10\" font-family=\"sans-serif\">\(number(value))</text>"
        }
        return frame(title, body)
    }

    /// Points coloured by group.
    public static func scatter(title: String, points: [(x: Double, y: Double, group: Int)]) -> String {
        guard let xLow = points.map(\.x).min(), let xHigh = points.map(\.x).max(),
            let yLow = points.map(\.y).min(), let yHigh = points.map(\.y).max(), xHigh > xLow, yHigh > yLow
        else { return frame(title, "") }
        let plotW = width - left - right
        let plotH = height - top - bottom
        var body = ""
        for p in points {
            let cx = left + plotW * (p.x - xLow) / (xHigh - xLow)
            let cy = top + plotH * (1 - (p.y - yLow) / (yHigh - yLow))
            body +=
                String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.8\" ", cx, cy)
                + "fill=\"\(palette[p.group % palette.count])\" fill-opacity=\"0.6\"/>"
        }
        return frame(title, body)
    }
}
