import Foundation

/// Cells on two category axes (day of week by hour), coloured from light (low) to dark (high);
/// a cell without a value is hatched, a combination with no row is left blank.
enum HeatmapPlot {
    static let steps = 5

    /// The colour key: five bands from the lowest value to the highest.
    static func legend(_ rows: [PlotRow], _ legend: inout Legend) {
        let values = rows.compactMap(\.value).filter(\.isFinite)
        guard let low = values.min(), let high = values.max() else { return }
        for k in 0..<steps {
            let from = low + (high - low) * Double(k) / Double(steps)
            let to = low + (high - low) * Double(k + 1) / Double(steps)
            legend.swatch(
                PlotPalette.sequential(Double(k) / Double(steps - 1)),
                "\(NumberText.value(from)) – \(NumberText.value(to))")
        }
    }

    /// Numbers and dates in their order, text as it first appears, the null category last.
    static func ordered(_ values: [PlotValue]) -> [String] {
        guard values.allSatisfy({ $0.numeric != nil || $0 == .text(nil) }) else {
            return CartesianPlot.uniqueLabels(values)
        }
        return CartesianPlot.uniqueLabels(values.sorted { ($0.numeric ?? .infinity) < ($1.numeric ?? .infinity) })
    }

    static func draw(_ spec: PlotSpec, _ rows: [PlotRow], _ frame: inout PlotFrame, _ svg: inout SVGWriter) {
        let columns = ordered(rows.map(\.x))
        let lines = ordered(rows.compactMap(\.category))
        frame.left = 12 + 18 + (lines.map { PlotText.width(PlotText.truncated($0, 16)) }.max() ?? 0) + 8
        let xBand = BandScale(categories: columns, start: frame.left, end: frame.right)
        let yBand = BandScale(categories: lines, start: frame.top, end: frame.bottom)
        Axes.band(xBand, frame, title: spec.xTitle, &svg)
        let every = Swift.max(1, Int((13 / Swift.max(yBand.bandwidth, 0.01)).rounded(.up)))
        for (i, line) in lines.enumerated() where i % every == 0 {
            svg.label(
                PlotText.truncated(line, 16), x: frame.left - 6, y: yBand.position(i) + yBand.bandwidth / 2 + 4,
                anchor: "end",
                class: "tick-label", fill: line == PlotText.null ? "#888" : "#333", full: line)
        }
        svg.label(
            PlotText.truncated(spec.yTitle, Int(frame.plotHeight / PlotText.charWidth)), x: 16,
            y: (frame.top + frame.bottom) / 2,
            anchor: "middle", class: "axis-title", fill: "#555", rotate: -90, full: spec.yTitle)
        let values = rows.compactMap(\.value).filter(\.isFinite)
        let low = values.min() ?? 0
        let high = values.max() ?? 1
        let xIndex = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let yIndex = Dictionary(lines.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        for row in rows {
            guard let i = xIndex[row.x.label], let category = row.category, let j = yIndex[category.label] else {
                continue
            }
            let x = xBand.position(i)
            let y = yBand.position(j)
            guard let value = row.value else {
                svg.rect(
                    x: x, y: y, width: xBand.bandwidth - 1, height: yBand.bandwidth - 1, fill: "url(#weir-missing)",
                    class: "mark missing",
                    tooltip: row.tooltip + " (no value)")
                continue
            }
            let t = high > low ? (value - low) / (high - low) : 0.5
            let band = Swift.min(steps - 1, Int(t * Double(steps)))
            svg.rect(
                x: x, y: y, width: xBand.bandwidth - 1, height: yBand.bandwidth - 1,
                fill: PlotPalette.sequential(Double(band) / Double(steps - 1)), class: "mark",
                extra: row.highlighted ? [("stroke", PlotPalette.highlight), ("stroke-width", "2")] : [],
                tooltip: row.tooltip)
        }
    }
}
