import Testing
import WeirTable

@testable import WeirReport

/// Axis ticks and numbers as a reader expects them.
@Suite struct PlotScaleTests {
    @Test func ticksAreRoundAndCoverTheData() {
        let scale = ContinuousScale(values: [3, 97.5], start: 0, end: 100)
        #expect(scale.ticks.map(\.label) == ["0", "20", "40", "60", "80", "100"])
        let small = ContinuousScale(values: [0.12, 0.87], start: 0, end: 100)
        #expect(small.ticks.map(\.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let big = ContinuousScale(values: [1_250, 2_480_000], start: 0, end: 100)
        #expect(big.ticks.map(\.label) == ["0", "500,000", "1,000,000", "1,500,000", "2,000,000", "2,500,000"])
        let log = ContinuousScale(values: [0.02, 25_000], start: 0, end: 100, log: true)
        #expect(log.ticks.map(\.label) == ["0.01", "0.1", "1", "10", "100", "1,000", "10,000", "100,000"])
        #expect(abs(log.position(1) - log.position(0.01) - 2 * (log.position(10) - log.position(1))) < 1e-9)
    }

    @Test func timeTicksFollowTheSpan() {
        let day = { (y: Int, m: Int, d: Int) in Double(Temporal.days(year: y, month: m, day: d)) }
        #expect(
            TimeTicks.ticks(lowDay: day(2024, 4, 1), highDay: day(2024, 4, 5)).map(\.label) == [
                "Apr 1", "Apr 2", "Apr 3", "Apr 4", "Apr 5",
            ])
        // 2024-04-01 was a Monday: weekly ticks fall on Mondays.
        #expect(
            TimeTicks.ticks(lowDay: day(2024, 3, 28), highDay: day(2024, 5, 1)).map(\.label) == [
                "Apr 1", "Apr 8", "Apr 15", "Apr 22", "Apr 29",
            ])
        #expect(
            TimeTicks.ticks(lowDay: day(2023, 12, 3), highDay: day(2024, 4, 30)).map(\.label) == [
                "Jan 2024", "Feb", "Mar", "Apr",
            ])
        #expect(
            TimeTicks.ticks(lowDay: day(2015, 6, 1), highDay: day(2024, 2, 1)).map(\.label)
                == (2016...2024).map(String.init))
        #expect(
            TimeTicks.ticks(lowDay: day(2024, 4, 1), highDay: day(2024, 4, 1) + 0.25).map(\.label)
                == ["Apr 1", "01:00", "02:00", "03:00", "04:00", "05:00", "06:00"])
    }

    @Test func numbersHaveThousandsSeparatorsAndNoNoise() {
        #expect(NumberText.grouped(1_234_567.891, decimals: 2) == "1,234,567.89")
        #expect(NumberText.grouped(-1_000, decimals: 0) == "-1,000")
        #expect(NumberText.grouped(-0.0001, decimals: 2) == "0.00")
        #expect(NumberText.value(46.18) == "46.18" && NumberText.value(22.2) == "22.2" && NumberText.value(3) == "3")
        #expect(NumberText.tick(0.25, step: 0.05) == "0.25" && NumberText.tick(1_500, step: 500) == "1,500")
    }

    /// One element of class `mark` per row, a missing value marked as such, labels escaped.
    @Test func marksEscapingAndMissingValues() {
        let rows = [
            PlotRow(x: .text("<b>&"), value: 3, tooltip: "x: <b>&"),
            PlotRow(x: .text(nil), value: nil, tooltip: "x: (null)"),
        ]
        for mark in [PlotMark.bar, .line, .point, .pie] {
            let svg = Plot.svg(PlotSpec(mark: mark, title: "t", xTitle: "x", yTitle: "y"), rows)
            #expect(svg.components(separatedBy: "class=\"mark").count - 1 == 2, "\(mark)")
            #expect(svg.contains("mark missing") && svg.contains("&lt;b&gt;&amp;") && !svg.contains("<b>"), "\(mark)")
        }
    }
}
