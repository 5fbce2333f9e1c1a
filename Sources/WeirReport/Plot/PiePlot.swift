import Foundation

/// Slices clockwise from twelve o'clock in the data's order; names and shares are in the legend
/// beside the pie, so no label sits on a slice.
enum PiePlot {
    static func total(_ rows: [PlotRow]) -> Double { rows.compactMap(\.value).filter { $0 > 0 }.reduce(0, +) }

    static func legend(_ rows: [PlotRow], _ legend: inout Legend) {
        let sum = total(rows)
        for (i, row) in rows.enumerated() where row.value != nil {
            let share = sum > 0 ? (row.value ?? 0) / sum * 100 : 0
            legend.swatch(color(i, row), "\(row.x.label) — \(NumberText.grouped(share, decimals: 1))%")
        }
    }

    static func color(_ i: Int, _ row: PlotRow) -> String {
        if case .text(nil) = row.x { return PlotPalette.missing }
        return row.highlighted ? PlotPalette.highlight : PlotPalette.categorical[i % PlotPalette.categorical.count]
    }

    static func draw(_ spec: PlotSpec, _ rows: [PlotRow], _ frame: PlotFrame, _ svg: inout SVGWriter) {
        let sum = total(rows)
        let r = Swift.max(10, Swift.min(frame.plotWidth, frame.plotHeight) / 2 - 4)
        let cx = frame.left + frame.plotWidth / 2
        let cy = frame.top + frame.plotHeight / 2
        var angle = -Double.pi / 2
        for (i, row) in rows.enumerated() {
            guard let value = row.value, sum > 0 else {
                svg.path("", fill: "none", stroke: "none", class: "mark missing", tooltip: row.tooltip + " (no value)")
                continue
            }
            let sweep = 2 * Double.pi * value / sum
            let d: String
            if sweep >= 2 * Double.pi - 1e-9 {
                d =
                    "M\(SVGWriter.number(cx)),\(SVGWriter.number(cy - r))A\(r),\(r) 0 1,1 \(SVGWriter.number(cx - 0.01)),\(SVGWriter.number(cy - r))Z"
            } else if sweep <= 0 {
                d = ""
            } else {
                let x0 = cx + r * cos(angle)
                let y0 = cy + r * sin(angle)
                let x1 = cx + r * cos(angle + sweep)
                let y1 = cy + r * sin(angle + sweep)
                d =
                    "M\(SVGWriter.number(cx)),\(SVGWriter.number(cy))L\(SVGWriter.number(x0)),\(SVGWriter.number(y0))"
                    + "A\(SVGWriter.number(r)),\(SVGWriter.number(r)) 0 \(sweep > Double.pi ? 1 : 0),1 \(SVGWriter.number(x1)),\(SVGWriter.number(y1))Z"
            }
            let share = NumberText.grouped(value / sum * 100, decimals: 1)
            svg.path(d, fill: color(i, row), stroke: "#fff", class: "mark", tooltip: row.tooltip + " (\(share)%)")
            angle += sweep
        }
    }
}
