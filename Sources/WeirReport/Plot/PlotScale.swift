import Foundation
import WeirTable

/// A tick on an axis: where it is (in data units) and what it says.
public struct PlotTick: Sendable, Equatable {
    public var value: Double
    public var label: String
}

/// A continuous axis mapping data values to pixels: linear, or logarithmic for values that
/// span orders of magnitude. The domain is widened to round numbers ("nice"), as d3 and
/// matplotlib do, so the first and last ticks sit on the axis ends.
struct ContinuousScale {
    var low: Double
    var high: Double
    var start: Double
    var end: Double
    var log: Bool
    var ticks: [PlotTick]

    /// A scale over `values` (and `include`, e.g. zero for bars) onto pixels `start...end`.
    init(
        values: [Double], include: [Double] = [], start: Double, end: Double, log: Bool = false, tickCount: Int = 6,
        format: (Double, Double) -> String = NumberText.tick
    ) {
        self.start = start
        self.end = end
        self.log = log
        let all = (values + include).filter(\.isFinite)
        var lo = all.min() ?? 0
        var hi = all.max() ?? 1
        if log {
            lo = Foundation.log10(Swift.max(lo, Double.leastNormalMagnitude))
            hi = Foundation.log10(Swift.max(hi, Double.leastNormalMagnitude))
            lo = lo.rounded(.down)
            hi = Swift.max(hi.rounded(.up), lo + 1)
            low = lo
            high = hi
            // Every decade up to ten of them, then every second, third, ...
            ticks = stride(from: lo, through: hi, by: Swift.max(1, ((hi - lo) / 10).rounded(.up)))
                .map { PlotTick(value: pow(10, $0), label: format(pow(10, $0), pow(10, $0))) }
            return
        }
        if hi == lo {
            lo -= lo == 0 ? 1 : abs(lo) * 0.1
            hi += hi == 0 ? 1 : abs(hi) * 0.1
        }
        let step = NiceStep.step(span: hi - lo, count: tickCount)
        low = (lo / step).rounded(.down) * step
        high = (hi / step).rounded(.up) * step
        var ticks: [PlotTick] = []
        var k = (low / step).rounded()
        while k * step <= high + step * 1e-9 {
            let v = k * step
            ticks.append(
                PlotTick(value: abs(v) < step * 1e-9 ? 0 : v, label: format(abs(v) < step * 1e-9 ? 0 : v, step)))
            k += 1
        }
        self.ticks = ticks
    }

    func position(_ value: Double) -> Double {
        let v = log ? Foundation.log10(Swift.max(value, Double.leastNormalMagnitude)) : value
        return start + (end - start) * (v - low) / (high - low)
    }
}

/// Steps of 1, 2 or 5 times a power of ten giving about `count` intervals over `span`.
enum NiceStep {
    static func step(span: Double, count: Int) -> Double {
        let raw = span / Double(Swift.max(1, count))
        let magnitude = pow(10, Foundation.log10(raw).rounded(.down))
        let ratio = raw / magnitude
        let nice: Double = ratio <= 1 ? 1 : ratio <= 2 ? 2 : ratio <= 5 ? 5 : 10
        return nice * magnitude
    }
}

/// Categories placed side by side, in the order given.
struct BandScale {
    var categories: [String]
    var start: Double
    var end: Double

    var bandwidth: Double { categories.isEmpty ? 0 : (end - start) / Double(categories.count) }

    func position(_ index: Int) -> Double { start + bandwidth * Double(index) }
}

/// Ticks for a time axis: days, weeks (Mondays), months, quarters or years, as the span needs.
enum TimeTicks {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Ticks between `low` and `high`, both in days since 1970-01-01 (fractions for times of day).
    static func ticks(lowDay low: Double, highDay high: Double) -> [PlotTick] {
        let span = high - low
        if span <= 2 { return hourly(low, high) }
        let first = Int64(low.rounded(.up))
        let last = Int64(high.rounded(.down))
        guard first <= last else { return [] }
        if span <= 16 { return (first...last).map { day($0) } }
        if span <= 120 {
            // Mondays: 1970-01-01 was a Thursday (weekday 3 counting Monday as 0).
            let weekday = (first + 3) - Temporal.floorDiv(first + 3, 7) * 7
            let start = first + (7 - weekday) % 7
            let step: Int64 = span <= 60 ? 7 : 14
            return stride(from: start, through: last, by: Int(step)).map { day($0) }
        }
        let years = span / 365.25
        let monthStep = years <= 1 ? 1 : years <= 2 ? 2 : years <= 4 ? 3 : years <= 8 ? 6 : 12
        let (y0, m0, d0) = Temporal.civil(days: first)
        var year = y0
        var month = m0 + (d0 == 1 ? 0 : 1)
        if month > 12 {
            month = 1
            year += 1
        }
        while (month - 1) % monthStep != 0 {
            month += 1
            if month > 12 {
                month = 1
                year += 1
            }
        }
        var ticks: [PlotTick] = []
        while true {
            let d = Temporal.days(year: year, month: month, day: 1)
            if d > last { break }
            let label =
                monthStep == 12 || month == 1
                ? (monthStep == 12 ? "\(year)" : "\(months[month - 1]) \(year)") : months[month - 1]
            ticks.append(PlotTick(value: Double(d), label: label))
            month += monthStep
            while month > 12 {
                month -= 12
                year += 1
            }
        }
        return ticks
    }

    /// A date, with hours and minutes when the value has a time of day.
    static func dateLabel(_ d: Double) -> String {
        let day = Int64(d.rounded(.down))
        var text = Temporal.formatDate(Int32(clamping: day))
        let minutes = Int(((d - Double(day)) * 1440).rounded())
        if minutes > 0 { text += String(format: " %02d:%02d", minutes / 60, minutes % 60) }
        return text
    }

    static func day(_ d: Int64) -> PlotTick {
        let (_, m, dd) = Temporal.civil(days: d)
        return PlotTick(value: Double(d), label: "\(months[m - 1]) \(dd)")
    }

    static func hourly(_ low: Double, _ high: Double) -> [PlotTick] {
        let hours = (high - low) * 24
        let step = hours <= 6 ? 1.0 : hours <= 12 ? 2 : hours <= 24 ? 4 : 6
        var h = (low * 24 / step).rounded(.up) * step
        var ticks: [PlotTick] = []
        while h <= high * 24 + 1e-9 {
            let hourOfDay = Int(h.truncatingRemainder(dividingBy: 24) + 24) % 24
            let label =
                hourOfDay == 0 ? day(Int64((h / 24).rounded(.down))).label : String(format: "%02d:00", hourOfDay)
            ticks.append(PlotTick(value: h / 24, label: label))
            h += step
        }
        return ticks
    }
}

/// How numbers are written on charts: thousands separated, as many decimals as the tick step
/// needs, never scientific notation for everyday magnitudes.
public enum NumberText {
    /// `value` with thousands separators and `decimals` digits after the point.
    public static func grouped(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞") }
        if abs(value) >= 1e15 { return String(format: "%.3g", value) }
        let text = String(format: "%.\(Swift.max(0, decimals))f", abs(value))
        let parts = text.split(separator: ".", maxSplits: 1)
        var integer = ""
        for (i, ch) in parts[0].reversed().enumerated() {
            if i > 0 && i % 3 == 0 { integer.append(",") }
            integer.append(ch)
        }
        let sign = value < 0 && text.contains(where: { $0 != "0" && $0 != "." }) ? "-" : ""
        return sign + String(integer.reversed()) + (parts.count > 1 ? "." + parts[1] : "")
    }

    /// A tick label: decimals as the step needs (a step of 0.25 shows two).
    static func tick(_ value: Double, step: Double) -> String {
        var decimals = 0
        var s = step
        while decimals < 10 && abs(s - s.rounded()) > 1e-9 * Swift.max(1, abs(s)) {
            s *= 10
            decimals += 1
        }
        return grouped(value, decimals: decimals)
    }

    /// A value in a tooltip or label: integers whole, others to about four significant digits.
    public static func value(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return grouped(value, decimals: 0) }
        let magnitude = abs(value) < 1e-12 ? 0 : Int(Foundation.log10(abs(value)).rounded(.down))
        var text = grouped(value, decimals: Swift.min(10, Swift.max(0, 3 - magnitude)))
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
}
