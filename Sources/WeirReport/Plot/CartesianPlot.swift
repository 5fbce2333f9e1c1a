import Foundation

/// Bars, lines, areas, points and histograms: marks on an x axis and a y axis.
enum CartesianPlot {
    static func draw(
        _ spec: PlotSpec, _ rows: [PlotRow], series: [String], _ frame: inout PlotFrame, _ svg: inout SVGWriter
    ) {
        let values = rows.compactMap(\.value) + spec.rules.map(\.value)
        let barLike = spec.mark == .bar || spec.mark == .histogram
        if spec.mark == .bar && horizontal(rows) {
            return HorizontalBars.draw(spec, rows, series: series, values: values, &frame, &svg)
        }
        // Bars start at zero; other marks frame their data.
        let include: [Double] = barLike && !spec.logScale ? [0] : []
        let y = ContinuousScale(
            values: values, include: include, start: frame.bottom, end: frame.top, log: spec.logScale)
        frame.left = 12 + 18 + (y.ticks.map { PlotText.width($0.label) }.max() ?? 0) + 8
        Axes.y(y, frame, title: spec.yTitle, &svg)
        let xPosition: (PlotRow) -> Double?
        var band: BandScale?
        if spec.mark == .bar || rows.contains(where: { $0.x.numeric == nil }) {
            let categories = uniqueLabels(rows.map(\.x))
            let scale = BandScale(categories: categories, start: frame.left, end: frame.right)
            Axes.band(scale, frame, title: spec.xTitle, &svg)
            let index = Dictionary(categories.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            xPosition = { row in index[row.x.label].map { scale.position($0) + scale.bandwidth / 2 } }
            band = scale
        } else {
            let x = xScale(rows, frame)
            Axes.x(x, frame, title: spec.xTitle, &svg)
            xPosition = { row in row.x.numeric.map(x.position) }
            if spec.mark == .histogram {
                drawHistogram(rows, x: x, y: y, frame, &svg)
                drawRules(spec, y: y, frame, &svg)
                return
            }
        }
        drawRules(spec, y: y, frame, &svg)
        if spec.mark == .bar, let band {
            drawBars(rows, series: series, band: band, y: y, frame, &svg)
        } else {
            drawLines(spec, rows, series: series, x: xPosition, y: y, frame, &svg)
        }
    }

    /// Text categories read better as horizontal bars when there are many or they are long.
    static func horizontal(_ rows: [PlotRow]) -> Bool {
        guard rows.allSatisfy({ if case .text = $0.x { true } else { false } }) else { return false }
        let labels = uniqueLabels(rows.map(\.x))
        return labels.count > 8 || labels.contains { $0.count > 12 }
    }

    static func uniqueLabels(_ values: [PlotValue]) -> [String] {
        var seen = Set<String>()
        var labels: [String] = []
        for value in values where seen.insert(value.label).inserted { labels.append(value.label) }
        return labels
    }

    static func xScale(_ rows: [PlotRow], _ frame: PlotFrame) -> ContinuousScale {
        let xs = rows.compactMap(\.x.numeric) + rows.compactMap(\.xEnd)
        let isTime = rows.contains { if case .day = $0.x { true } else if case .time = $0.x { true } else { false } }
        guard isTime, let low = xs.min(), let high = xs.max() else {
            return ContinuousScale(
                values: xs, start: frame.left, end: frame.right, tickCount: Swift.max(2, Int(frame.plotWidth / 90)))
        }
        // Time: the axis spans the data exactly; ticks fall on days, Mondays, months or years.
        var scale = ContinuousScale(values: [low, high], start: frame.left, end: frame.right)
        scale.low = low
        scale.high = high > low ? high : low + 1
        var ticks = TimeTicks.ticks(lowDay: scale.low, highDay: scale.high)
        let room = Int(frame.plotWidth / 70)
        if ticks.count > room, room > 0 {
            ticks = stride(from: 0, to: ticks.count, by: (ticks.count + room - 1) / room).map { ticks[$0] }
        }
        scale.ticks = ticks
        return scale
    }

    static func drawRules(_ spec: PlotSpec, y: ContinuousScale, _ frame: PlotFrame, _ svg: inout SVGWriter) {
        for rule in spec.rules {
            let py = y.position(rule.value)
            svg.line(
                x1: frame.left, y1: py, x2: frame.right, y2: py, stroke: "#444", class: "rule", dash: "4 3", width: 1.5)
        }
    }

    static func drawBars(
        _ rows: [PlotRow], series: [String], band: BandScale, y: ContinuousScale, _ frame: PlotFrame,
        _ svg: inout SVGWriter
    ) {
        Bars(band: band, values: y, base: y.log ? frame.bottom : y.position(0), vertical: true).draw(
            rows, series: series, &svg)
    }

    static func drawHistogram(
        _ rows: [PlotRow], x: ContinuousScale, y: ContinuousScale, _ frame: PlotFrame, _ svg: inout SVGWriter
    ) {
        let base = y.log ? frame.bottom : y.position(0)
        for row in rows {
            guard let start = row.x.numeric, let end = row.xEnd else { continue }
            let x0 = x.position(start)
            let x1 = x.position(end)
            let top = row.value.map(y.position) ?? base
            let fill = row.highlighted ? PlotPalette.highlight : PlotPalette.plain
            svg.rect(
                x: x0 + 0.5, y: Swift.min(top, base), width: Swift.max(0.5, x1 - x0 - 1), height: abs(base - top),
                fill: fill,
                class: "mark", tooltip: row.tooltip)
        }
    }

    /// Lines and areas per series (broken where a value is missing) and a point per row.
    static func drawLines(
        _ spec: PlotSpec, _ rows: [PlotRow], series: [String], x: (PlotRow) -> Double?, y: ContinuousScale,
        _ frame: PlotFrame, _ svg: inout SVGWriter
    ) {
        let base = y.log ? frame.bottom : Swift.min(frame.bottom, Swift.max(frame.top, y.position(0)))
        if spec.mark != .point {
            for name in series.isEmpty ? [nil] : series.map(Optional.some) {
                let color = Plot.color(series: name, in: series)
                var segments: [[(Double, Double)]] = [[]]
                for row in rows where row.series == name {
                    guard let px = x(row), let value = row.value else {
                        if !segments[segments.count - 1].isEmpty { segments.append([]) }
                        continue
                    }
                    segments[segments.count - 1].append((px, y.position(value)))
                }
                for segment in segments where !segment.isEmpty {
                    let line = segment.enumerated().map {
                        ($0.offset == 0 ? "M" : "L") + SVGWriter.number($0.element.0) + ","
                            + SVGWriter.number($0.element.1)
                    }.joined()
                    if spec.mark == .area {
                        let closed =
                            line
                            + "L\(SVGWriter.number(segment.last!.0)),\(SVGWriter.number(base))L\(SVGWriter.number(segment[0].0)),\(SVGWriter.number(base))Z"
                        svg.path(
                            closed, fill: color, stroke: "none", class: "area",
                            extra: [("fill-opacity", series.count > 1 ? "0.25" : "0.4")])
                    }
                    svg.path(line, fill: "none", stroke: color, class: "line", extra: [("stroke-width", "1.8")])
                }
            }
        }
        let radius = spec.mark == .point ? 3.5 : rows.count > 400 ? 1.5 : 2.5
        for row in rows {
            guard let px = x(row) else { continue }
            guard let value = row.value else {
                svg.circle(
                    x: px, y: frame.bottom, r: 3, fill: "#fff", class: "mark missing",
                    extra: [("stroke", PlotPalette.missing), ("stroke-width", "1.5")],
                    tooltip: row.tooltip + " (no value)")
                continue
            }
            let fill = row.highlighted ? PlotPalette.highlight : Plot.color(series: row.series, in: series)
            svg.circle(
                x: px, y: y.position(value), r: row.highlighted ? radius + 2 : radius, fill: fill, class: "mark",
                extra: spec.mark == .point ? [("fill-opacity", "0.75")] : [], tooltip: row.tooltip)
        }
    }
}

/// Bars along a vertical category axis, longest labels readable at the left.
enum HorizontalBars {
    static let labelLimit = 28

    static func draw(
        _ spec: PlotSpec, _ rows: [PlotRow], series: [String], values: [Double], _ frame: inout PlotFrame,
        _ svg: inout SVGWriter
    ) {
        let categories = CartesianPlot.uniqueLabels(rows.map(\.x))
        let labelWidth = categories.map { PlotText.width(PlotText.truncated($0, labelLimit)) }.max() ?? 0
        frame.left = 12 + labelWidth + 8
        let x = ContinuousScale(
            values: values, include: spec.logScale ? [] : [0], start: frame.left, end: frame.right,
            log: spec.logScale, tickCount: Swift.max(2, Int(frame.plotWidth / 90)))
        Axes.x(x, frame, title: spec.yTitle, &svg)
        let band = BandScale(categories: categories, start: frame.top, end: frame.bottom)
        let every = Swift.max(1, Int((13 / Swift.max(band.bandwidth, 0.01)).rounded(.up)))
        for (i, category) in categories.enumerated() where i % every == 0 {
            svg.label(
                PlotText.truncated(category, labelLimit), x: frame.left - 6,
                y: band.position(i) + band.bandwidth / 2 + 4,
                anchor: "end", class: "tick-label", fill: category == PlotText.null ? "#888" : "#333", full: category)
        }
        for rule in spec.rules {
            let px = x.position(rule.value)
            svg.line(
                x1: px, y1: frame.top, x2: px, y2: frame.bottom, stroke: "#444", class: "rule", dash: "4 3", width: 1.5)
        }
        Bars(band: band, values: x, base: x.log ? frame.left : x.position(0), vertical: false).draw(
            rows, series: series, &svg)
    }
}

/// Bars on a category band, one per row, side by side per series; upright or lying along the
/// value axis. A missing value is a short hatched bar from the base.
struct Bars {
    let band: BandScale
    let values: ContinuousScale
    let base: Double
    let vertical: Bool

    func draw(_ rows: [PlotRow], series: [String], _ svg: inout SVGWriter) {
        let index = Dictionary(band.categories.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let inner = band.bandwidth * 0.8 / Double(Swift.max(1, series.count))
        for row in rows {
            guard let i = index[row.x.label] else { continue }
            let g = Double(row.series.flatMap { series.firstIndex(of: $0) } ?? 0)
            let across = band.position(i) + band.bandwidth * 0.1 + inner * g
            guard let value = row.value else {
                rect(
                    across: across, width: inner, along: vertical ? base - 8 : base, length: 8,
                    fill: "url(#weir-missing)", class: "mark missing",
                    extra: [("stroke", PlotPalette.missing)], tooltip: row.tooltip + " (no value)", &svg)
                continue
            }
            let end = values.position(value)
            let fill = row.highlighted ? PlotPalette.highlight : Plot.color(series: row.series, in: series)
            rect(
                across: across, width: Swift.max(1, inner), along: Swift.min(end, base),
                length: Swift.max(0.5, abs(base - end)), fill: fill,
                class: "mark", extra: [], tooltip: row.tooltip, &svg)
        }
    }

    /// A rectangle `width` across the band and `length` along the value axis.
    private func rect(
        across: Double, width: Double, along: Double, length: Double, fill: String, class name: String,
        extra: [(String, String)], tooltip: String, _ svg: inout SVGWriter
    ) {
        if vertical {
            svg.rect(
                x: across, y: along, width: width, height: length, fill: fill, class: name, extra: extra,
                tooltip: tooltip)
        } else {
            svg.rect(
                x: along, y: across, width: length, height: width, fill: fill, class: name, extra: extra,
                tooltip: tooltip)
        }
    }
}

/// Axis lines, grid lines, tick labels and axis titles.
enum Axes {
    static func y(_ scale: ContinuousScale, _ frame: PlotFrame, title: String, _ svg: inout SVGWriter) {
        for tick in scale.ticks {
            let py = scale.position(tick.value)
            svg.line(x1: frame.left, y1: py, x2: frame.right, y2: py, stroke: "#eee", class: "grid")
            svg.label(tick.label, x: frame.left - 6, y: py + 4, anchor: "end", class: "tick-label")
        }
        svg.line(x1: frame.left, y1: frame.top, x2: frame.left, y2: frame.bottom, stroke: "#999", class: "axis")
        let mid = (frame.top + frame.bottom) / 2
        svg.label(
            PlotText.truncated(title, Int(frame.plotHeight / PlotText.charWidth)), x: 16, y: mid, anchor: "middle",
            class: "axis-title", fill: "#555", rotate: -90, full: title)
    }

    static func x(_ scale: ContinuousScale, _ frame: PlotFrame, title: String, _ svg: inout SVGWriter) {
        // Ticks whose labels would touch the previous one are left unlabelled.
        var lastEnd = -Double.infinity
        for tick in scale.ticks {
            let px = scale.position(tick.value)
            svg.line(x1: px, y1: frame.bottom, x2: px, y2: frame.bottom + 4, stroke: "#999", class: "tick")
            let w = PlotText.width(tick.label)
            if px - w / 2 > lastEnd + 6 && px + w / 2 <= frame.width {
                svg.label(tick.label, x: px, y: frame.bottom + 17, anchor: "middle", class: "tick-label")
                lastEnd = px + w / 2
            }
        }
        svg.line(x1: frame.left, y1: frame.bottom, x2: frame.right, y2: frame.bottom, stroke: "#999", class: "axis")
        svg.label(
            PlotText.truncated(title, Int(frame.plotWidth / PlotText.charWidth)), x: (frame.left + frame.right) / 2,
            y: frame.height - 8, anchor: "middle", class: "axis-title", fill: "#555", full: title)
    }

    static func band(_ scale: BandScale, _ frame: PlotFrame, title: String, _ svg: inout SVGWriter) {
        let limit = 14
        let widest = scale.categories.map { PlotText.width(PlotText.truncated($0, limit)) }.max() ?? 0
        let every = Swift.max(1, Int(((widest + 8) / Swift.max(scale.bandwidth, 0.01)).rounded(.up)))
        for (i, category) in scale.categories.enumerated() where i % every == 0 {
            let px = scale.position(i) + scale.bandwidth / 2
            svg.line(x1: px, y1: frame.bottom, x2: px, y2: frame.bottom + 4, stroke: "#999", class: "tick")
            svg.label(
                PlotText.truncated(category, limit), x: px, y: frame.bottom + 17, anchor: "middle", class: "tick-label",
                fill: category == PlotText.null ? "#888" : "#333", full: category)
        }
        svg.line(x1: frame.left, y1: frame.bottom, x2: frame.right, y2: frame.bottom, stroke: "#999", class: "axis")
        svg.label(
            PlotText.truncated(title, Int(frame.plotWidth / PlotText.charWidth)), x: (frame.left + frame.right) / 2,
            y: frame.height - 8, anchor: "middle", class: "axis-title", fill: "#555", full: title)
    }
}
