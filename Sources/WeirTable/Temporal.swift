/// Calendar arithmetic, ISO 8601 parsing and formatting for date and timestamp columns.
/// Proleptic Gregorian calendar, UTC; the day algorithms are Howard Hinnant's.
import CWeirSystem

#if canImport(Glibc)
    import Glibc
#endif

public enum Temporal {
    public static let microsPerSecond: Int64 = 1_000_000
    public static let microsPerDay: Int64 = 86_400_000_000

    /// Days since 1970-01-01 of a civil date.
    @inline(__always)
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day number.
    public static func civil(days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    /// Whether `day` (any number) is a day of `month` (1...12) in `year`. Every month has 28
    /// days: the month's length is looked up only past them.
    @inline(__always)
    static func isDay(_ day: Int, ofMonth month: Int, year: Int) -> Bool {
        day >= 1 && (day <= 28 || day <= daysInMonth(year: year, month: month))
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Floor division, for negative timestamps.
    @inline(__always)
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// The UTC day (days since the epoch) of a timestamp in microseconds.
    @inline(__always)
    public static func day(ofMicros micros: Int64) -> Int64 { floorDiv(micros, microsPerDay) }

    // MARK: Formatting

    public static func formatDate(_ days: Int32) -> String {
        let (y, m, d) = civil(days: Int64(days))
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// ISO 8601 in UTC with a `Z`: whole seconds, milliseconds or microseconds, whichever is exact.
    public static func formatTimestamp(_ micros: Int64) -> String {
        let day = floorDiv(micros, microsPerDay)
        // Exact in wrapping arithmetic: the true value lies in 0..<microsPerDay, though the
        // product alone can pass Int64.min for the earliest timestamps.
        let rest = micros &- day &* microsPerDay
        let seconds = Int(rest / microsPerSecond)
        let fraction = Int(rest % microsPerSecond)
        var text =
            formatDate(Int32(truncatingIfNeeded: day)) + "T" + pad(seconds / 3600, 2) + ":"
            + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
        if fraction != 0 {
            text += fraction % 1000 == 0 ? "." + pad(fraction / 1000, 3) : "." + pad(fraction, 6)
        }
        return text + "Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(abs(value))
        let sign = value < 0 ? "-" : ""
        return sign + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    // MARK: Parsing

    /// `YYYY-MM-DD` → days since the epoch.
    public static func parseDate(_ text: String) -> Int32? {
        var text = text
        return text.withUTF8 { parseDate(UnsafeRawBufferPointer($0)) }
    }

    /// ISO 8601 timestamp → microseconds since the epoch, UTC.
    public static func parseTimestamp(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parseTimestamp(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    static func digit(_ b: UInt8) -> Int? {
        let d = Int(b) &- 48
        return d >= 0 && d <= 9 ? d : nil
    }

    @inline(__always)
    static func digits(_ p: UnsafeRawBufferPointer, _ at: Int, _ n: Int) -> Int? {
        var value = 0
        for i in at..<(at + n) {
            guard let d = digit(p[i]) else { return nil }
            value = value * 10 + d
        }
        return value
    }

    public static func parseDate(_ p: UnsafeRawBufferPointer) -> Int32? {
        guard p.count == 10 else { return nil }
        return dateAt(p).map { Int32(truncatingIfNeeded: $0) }
    }

    /// The date in bytes 0..<10, which must be `YYYY-MM-DD`.
    @inline(__always)
    static func dateAt(_ p: UnsafeRawBufferPointer) -> Int64? {
        guard p.count >= 10, p[4] == 0x2D, p[7] == 0x2D,
            let y = digits(p, 0, 4), let m = digits(p, 5, 2), let d = digits(p, 8, 2),
            m >= 1, m <= 12, isDay(d, ofMonth: m, year: y)
        else { return nil }
        return days(year: y, month: m, day: d)
    }

    /// Accepts `YYYY-MM-DD`, then optionally `T` or space, `HH:MM`, `:SS`, a fraction of any
    /// length (truncated to microseconds), and `Z`, `±HH`, `±HHMM` or `±HH:MM`.
    /// A timestamp without a zone is taken as UTC.
    public static func parseTimestamp(_ p: UnsafeRawBufferPointer) -> Int64? {
        var micros: Int64
        var seconds: Int
        var i: Int
        let n = p.count
        if let head = commonHead(p) {
            (micros, seconds, i) = (head.day * microsPerDay, head.seconds, 19)
        } else {
            guard let day = dateAt(p) else { return nil }
            micros = day * microsPerDay
            if n == 10 { return micros }
            guard n >= 16, p[10] == 0x54 || p[10] == 0x20 || p[10] == 0x74, p[13] == 0x3A,
                let hh = digits(p, 11, 2), let mm = digits(p, 14, 2), hh <= 23, mm <= 59
            else { return nil }
            seconds = hh * 3600 + mm * 60
            i = 16
            guard i < n && p[i] == 0x3A else { return zoned(micros + Int64(seconds) * microsPerSecond, p, at: i) }
            guard i + 3 <= n, let ss = digits(p, i + 1, 2), ss <= 59 else { return nil }
            seconds += ss
            i += 3
        }
        if i < n && (p[i] == 0x2E || p[i] == 0x2C) {
            i += 1
            var fraction = 0
            var scale = 100_000
            let start = i
            while i < n, let d = digit(p[i]) {
                fraction += d * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
            micros += Int64(fraction)
        }
        return zoned(micros + Int64(seconds) * microsPerSecond, p, at: i)
    }

    /// A text that is exactly `YYYY-MM-DDTHH:MM:SS` (19 bytes, UTC), in microseconds: what
    /// `parseTimestamp` gives it, without looking for a fraction or a zone.
    @inline(__always)
    static func plainTimestamp(_ p: UnsafeRawBufferPointer) -> Int64? {
        guard p.count == 19, let head = commonHead(p) else { return nil }
        return head.day * microsPerDay + Int64(head.seconds) * microsPerSecond
    }

    /// The most common head, `YYYY-MM-DDTHH:MM:SS`, checked eight bytes at a time: its day and
    /// its seconds into the day, or nil to leave the text to the byte-by-byte parser.
    @inline(__always)
    static func commonHead(_ p: UnsafeRawBufferPointer) -> (day: Int64, seconds: Int)? {
        guard p.count >= 19, let base = p.baseAddress else { return nil }
        // XOR with the layout leaves digits as their values and separators as zero; adding
        // 0x76 to a digit lane or 0x7F to a separator lane sets its top bit exactly when it is
        // out of range. A carry into the next lane comes only from a lane already out of range.
        func lanes(at offset: Int, layout: UInt64, limit: UInt64) -> UInt64? {
            let a = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) ^ layout
            return (a | (a &+ limit)) & 0x8080_8080_8080_8080 == 0 ? a : nil
        }
        // "YYYY-MM-", "DDTHH:MM" and "HH:MM:SS", little-endian.
        guard let date = lanes(at: 0, layout: 0x2D30_302D_3030_3030, limit: 0x7F76_767F_7676_7676),
            let dayT = lanes(at: 8, layout: 0x3030_3A30_3054_3030, limit: 0x7676_7F76_767F_7676),
            let time = lanes(at: 11, layout: 0x3030_3A30_303A_3030, limit: 0x7676_7F76_767F_7676)
        else { return nil }
        func lane(_ word: UInt64, _ k: Int) -> Int { Int(truncatingIfNeeded: (word >> UInt64(8 * k)) & 0xFF) }
        let year = lane(date, 0) * 1000 + lane(date, 1) * 100 + lane(date, 2) * 10 + lane(date, 3)
        let month = lane(date, 5) * 10 + lane(date, 6)
        let day = lane(dayT, 0) * 10 + lane(dayT, 1)
        let hh = lane(time, 0) * 10 + lane(time, 1)
        let mm = lane(time, 3) * 10 + lane(time, 4)
        let ss = lane(time, 6) * 10 + lane(time, 7)
        guard month >= 1, month <= 12, isDay(day, ofMonth: month, year: year),
            hh <= 23, mm <= 59, ss <= 59
        else { return nil }
        return (days(year: year, month: month, day: day), hh * 3600 + mm * 60 + ss)
    }

    /// Applies the zone that follows a timestamp's time at `i`: none (UTC), `Z`, `±HH`,
    /// `±HHMM` or `±HH:MM`.
    @inline(__always)
    static func zoned(_ micros: Int64, _ p: UnsafeRawBufferPointer, at start: Int) -> Int64? {
        var i = start
        let n = p.count
        if i == n { return micros }
        switch p[i] {
        case 0x5A, 0x7A:  // Z
            return i + 1 == n ? micros : nil
        case 0x2B, 0x2D:  // + -
            let sign: Int64 = p[i] == 0x2B ? 1 : -1
            i += 1
            guard i + 2 <= n, let oh = digits(p, i, 2) else { return nil }
            i += 2
            var om = 0
            if i < n && p[i] == 0x3A { i += 1 }
            if i < n {
                guard i + 2 == n, let m = digits(p, i, 2) else { return nil }
                om = m
            }
            guard oh <= 23, om <= 59 else { return nil }
            return micros - sign * Int64(oh * 3600 + om * 60) * microsPerSecond
        default:
            return nil
        }
    }
}

/// Float formatting that round-trips: the shortest text that parses back to the same double.
public enum FloatFormat {
    /// `value` as `%.2f` prints it, through C's printf: a report prints thousands, and
    /// Foundation's String(format:) costs microseconds each.
    public static func twoDecimals(_ value: Double) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let count = weir_two_decimals(value, buffer.baseAddress, 64)
            guard count > 0 && count < 64 else { return String(value) }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(count)), as: UTF8.self)
        }
    }

    public static func shortest(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return value.description
    }
}
