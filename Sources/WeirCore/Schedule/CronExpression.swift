/// A standard 5-field cron expression: minute, hour, day of month, month, day of week, each a
/// `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of those; months and
/// weekdays also by name (`jan`, `mon`). As in Vixie cron, when both day fields are restricted
/// a day matches if either does; 7 is Sunday too.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let days: Set<Int>
    public let months: Set<Int>
    public let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    private static let monthNames = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    private static let shortcuts = [
        "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
        "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
    ]

    public init(_ text: String) throws(ParseError) {
        self.text = text
        let expanded = Self.shortcuts[text.lowercased()] ?? text
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(
                description:
                    "cron '\(text)' has \(fields.count) fields; expected 5: minute hour day-of-month month day-of-week")
        }
        minutes = try Self.field(fields[0], "minute", 0...59, names: [])
        hours = try Self.field(fields[1], "hour", 0...23, names: [])
        days = try Self.field(fields[2], "day of month", 1...31, names: [])
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames, nameBase: 1)
        weekdays = Set(try Self.field(fields[4], "day of week", 0...7, names: Self.dayNames).map { $0 % 7 })
        daysRestricted = !fields[2].hasPrefix("*")
        weekdaysRestricted = !fields[4].hasPrefix("*")
    }

    public var description: String { text }

    /// Whether a local calendar day matches the day-of-month, month and weekday fields.
    public func matchesDay(month: Int, day: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): return days.contains(day) || weekdays.contains(weekday)
        case (true, false): return days.contains(day)
        case (false, true): return weekdays.contains(weekday)
        case (false, false): return true
        }
    }

    private static func field(
        _ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String], nameBase: Int = 0
    ) throws(ParseError) -> Set<Int> {
        var values = Set<Int>()
        for item in text.lowercased().split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else {
                throw ParseError(description: "cron \(name) '\(item)' has more than one '/'")
            }
            var step = 1
            if parts.count == 2 {
                guard let n = Int(parts[1]), n > 0 else {
                    throw ParseError(description: "cron \(name) step '\(parts[1])' must be a positive number")
                }
                step = n
            }
            let span: ClosedRange<Int>
            if parts[0] == "*" {
                span = range
            } else if let dash = parts[0].firstIndex(of: "-") {
                let low = try value(parts[0][..<dash], name, range, names, nameBase)
                let high = try value(parts[0][parts[0].index(after: dash)...], name, range, names, nameBase)
                guard low <= high else {
                    throw ParseError(description: "cron \(name) range '\(parts[0])' runs backwards")
                }
                span = low...high
            } else {
                let single = try value(parts[0], name, range, names, nameBase)
                span = single...(parts.count == 2 ? range.upperBound : single)
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    private static func value(
        _ text: Substring, _ name: String, _ range: ClosedRange<Int>, _ names: [String], _ nameBase: Int
    ) throws(ParseError) -> Int {
        if let index = names.firstIndex(of: String(text)) { return index + nameBase }
        guard let number = Int(text), range.contains(number) else {
            let allowed = names.isEmpty ? "" : " or a name (\(names.prefix(3).joined(separator: ", ")), ...)"
            throw ParseError(
                description:
                    "cron \(name) '\(text)' is not a number in \(range.lowerBound)-\(range.upperBound)\(allowed)")
        }
        return number
    }
}
