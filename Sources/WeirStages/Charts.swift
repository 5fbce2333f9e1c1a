import WeirCore
import WeirReport
import WeirTable

// The charts stage types contribute to the run report, drawn from their outputs.

/// The last `days` rows of one group in a (date, group, ...) table sorted by date.
private func groupRows(_ table: Table, group: String, days: Int) -> [Int] {
    let rows = (0..<table.rowCount).filter { table.columns[1][$0].description == group }
    return Array(rows.suffix(days))
}

extension CostSpikes: ChartSource {
    /// Per alerted group: the daily value over the last 120 days, flagged days in red.
    public func charts(_ outputs: [String: Table], stage: StageSpec) -> [Chart] {
        guard let scores = outputs["scores"], let alerts = outputs["alerts"] else { return [] }
        let groups = (0..<alerts.rowCount).map { alerts.columns[1][$0].description }
        return groups.prefix(8).map { group in
            let rows = groupRows(scores, group: group, days: 120)
            let values = rows.map { scores.columns[2].double(at: $0) }
            let markers = rows.enumerated().filter { scores.columns[6].bool(at: $0.element) }.map {
                SVGChart.Marker(
                    index: $0.offset, value: scores.columns[2].double(at: $0.element) ?? 0, color: "#d62728",
                    label: "\(scores.columns[0][$0.element]): z = \(CellFormat.cell(scores.columns[5][$0.element]))")
            }
            let means = rows.map { scores.columns[3].double(at: $0) }
            return Chart(
                title: "\(group): daily value, trailing mean and flagged days",
                svg: SVGChart.lines(
                    title: group, xLabels: rows.map { scores.columns[0][$0].description },
                    series: [
                        .init("value", values, color: SVGChart.palette[0]),
                        .init("trailing mean", means, color: "#999999"),
                    ], markers: markers))
        }
    }
}

extension CostTrend: ChartSource {
    /// Per group reversing on the latest day: MACD and signal over 120 days, crossovers marked.
    public func charts(_ outputs: [String: Table], stage: StageSpec) -> [Chart] {
        guard let series = outputs["series"], let alerts = outputs["alerts"], let crossovers = outputs["crossovers"]
        else { return [] }
        return (0..<alerts.rowCount).prefix(8).map { alerts.columns[1][$0].description }.map { group in
            let rows = groupRows(series, group: group, days: 120)
            let dates = rows.map { series.columns[0][$0].description }
            let crossings = (0..<crossovers.rowCount).filter { crossovers.columns[1][$0].description == group }
            let markers: [SVGChart.Marker] = crossings.compactMap { c in
                guard let index = dates.firstIndex(of: crossovers.columns[0][c].description) else { return nil }
                let up = crossovers.columns[2].strings[c] == "up"
                return SVGChart.Marker(
                    index: index, value: series.columns[5].double(at: rows[index]) ?? 0,
                    color: up ? "#2ca02c" : "#d62728", label: "\(dates[index]): crossover \(up ? "up" : "down")")
            }
            return Chart(
                title: "\(group): MACD and signal line, crossovers marked (green up, red down)",
                svg: SVGChart.lines(
                    title: "\(group) MACD", xLabels: dates,
                    series: [
                        .init("macd", rows.map { series.columns[5].double(at: $0) }, color: SVGChart.palette[0]),
                        .init("signal", rows.map { series.columns[6].double(at: $0) }, color: SVGChart.palette[1]),
                    ],
                    markers: markers))
        }
    }
}

extension CostTotals: ChartSource {
    public func charts(_ outputs: [String: Table], stage: StageSpec) -> [Chart] {
        guard let mtd = outputs["mtd"], mtd.rowCount > 0 else { return [] }
        let order = (0..<mtd.rowCount).sorted { mtd.columns[2].float64s[$0] > mtd.columns[2].float64s[$1] }.prefix(12)
        let month = mtd.columns[1].strings[0]
        return [
            Chart(
                title: "Month-to-date total per group, \(month)",
                svg: SVGChart.bars(
                    title: "Month to date, \(month)", labels: order.map { mtd.columns[0][$0].description },
                    values: order.map { mtd.columns[2].float64s[$0] }))
        ]
    }
}

extension PCAKMeans: ChartSource {
    /// The first two principal components, coloured by cluster (at most 3,000 points).
    public func charts(_ outputs: [String: Table], stage: StageSpec) -> [Chart] {
        guard let assignments = outputs["assignments"], let pc1 = assignments.column("pc1"),
            let pc2 = assignments.column("pc2"),
            let cluster = assignments.column("cluster"), assignments.rowCount > 0
        else { return [] }
        let step = Swift.max(1, assignments.rowCount / 3000)
        let points = stride(from: 0, to: assignments.rowCount, by: step).map {
            (pc1.float64s[$0], pc2.float64s[$0], Int(cluster.int64s[$0]))
        }
        return [
            Chart(
                title: "Clusters on the first two principal components",
                svg: SVGChart.scatter(title: "pc1 x pc2 by cluster", points: points))
        ]
    }
}

extension Apriori: ChartSource {
    public func charts(_ outputs: [String: Table], stage: StageSpec) -> [Chart] {
        guard let rules = outputs["rules"], rules.rowCount > 0, let lift = rules.column("lift") else { return [] }
        let top = (0..<rules.rowCount).sorted { lift.float64s[$0] > lift.float64s[$1] }.prefix(10)
        return [
            Chart(
                title: "Top rules by lift",
                svg: SVGChart.bars(
                    title: "Top rules by lift",
                    labels: top.map { "\(rules.columns[0].strings[$0]) → \(rules.columns[1].strings[$0])" },
                    values: top.map { lift.float64s[$0] }))
        ]
    }
}

extension LogGaps: ChartSource {
    /// The seed's timestamp-anomaly plot: the gap before each log entry over time (the longest
    /// gap of each of at most 600 buckets, so spikes survive), anomalies in red.
    public func charts(_ outputs: [String: Table], stage: StageSpec) -> [Chart] {
        guard let gaps = outputs["gaps"], gaps.rowCount > 1, (try? LogGaps.Params.decode(stage))?.group == nil
        else { return [] }
        let n = gaps.rowCount
        let buckets = min(600, n)
        let seconds = gaps.columns[2].float64s
        var picked: [Int] = []
        for b in 0..<buckets {
            let range = (n * b / buckets)..<(n * (b + 1) / buckets)
            if let longest = range.max(by: { seconds[$0] < seconds[$1] }) { picked.append(longest) }
        }
        let markers = picked.enumerated().filter { gaps.columns[3].bool(at: $0.element) }.map {
            SVGChart.Marker(
                index: $0.offset, value: seconds[$0.element], color: "#d62728",
                label: "\(gaps.columns[0][$0.element]): \(LogGaps.describe(seconds[$0.element])) without a log entry")
        }
        return [
            Chart(
                title: "Seconds between consecutive log entries (anomalies in red)",
                svg: SVGChart.lines(
                    title: "gap seconds", xLabels: picked.map { gaps.columns[1][$0].description },
                    series: [.init("gap seconds", picked.map { seconds[$0] }, color: SVGChart.palette[0])],
                    markers: markers))
        ]
    }
}
