import Foundation

/// When a cron expression fires in a time zone. Local times that a daylight-saving change
/// skips fire once, at the change (as cron does: "right after"); local times that happen twice
/// fire once, at the first.
public struct CronCalendar: Sendable {
    public let cron: CronExpression
    public let timeZone: TimeZone
    private let calendar: Calendar

    public init(_ cron: CronExpression, timeZone: TimeZone) {
        self.cron = cron
        self.timeZone = timeZone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// Fire times in `(after, through]`, oldest first.
    public func fireTimes(after: Date, through: Date) -> [Date] {
        guard after < through else { return [] }
        var found = Set<Date>()
        var day = calendar.startOfDay(for: after)
        // Whole local days, plus one either side for instants a DST change moves across midnight.
        day = calendar.date(byAdding: .day, value: -1, to: day) ?? day
        while day <= through {
            for time in fires(on: day) where time > after && time <= through { found.insert(time) }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return found.sorted()
    }

    /// The latest fire time at or before `now`, looking back at most `days` local days.
    public func latest(atOrBefore now: Date, days: Int = 4_000) -> Date? {
        var day = calendar.startOfDay(for: now)
        for _ in 0...days {
            if let time = fires(on: day).filter({ $0 <= now }).max() { return time }
            guard let previous = calendar.date(byAdding: .day, value: -1, to: day) else { return nil }
            day = previous
        }
        return nil
    }

    /// The first `count` fire times after `now`.
    public func next(after now: Date, count: Int, days: Int = 4_000) -> [Date] {
        var result: [Date] = []
        var day = calendar.startOfDay(for: now)
        for _ in 0...days where result.count < count {
            result += fires(on: day).filter { $0 > now && !result.contains($0) }.sorted().prefix(count - result.count)
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return result
    }

    /// The instants the expression fires on the local day starting at `day`.
    func fires(on day: Date) -> [Date] {
        let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
        guard let year = parts.year, let month = parts.month, let dayOfMonth = parts.day, let weekday = parts.weekday,
            cron.matchesDay(month: month, day: dayOfMonth, weekday: weekday - 1)
        else { return [] }
        var times = Set<Date>()
        for hour in cron.hours {
            for minute in cron.minutes {
                if let time = instant(year: year, month: month, day: dayOfMonth, hour: hour, minute: minute) {
                    times.insert(time)
                }
            }
        }
        return times.sorted()
    }

    /// The instant of a local wall-clock time; for one a DST change skips, the change itself.
    private func instant(year: Int, month: Int, day: Int, hour: Int, minute: Int) -> Date? {
        let wanted = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)
        guard let date = calendar.date(from: wanted) else { return nil }
        let got = calendar.dateComponents([.day, .hour, .minute], from: date)
        if got.day == day && got.hour == hour && got.minute == minute { return date }
        // Skipped: the transition is the first instant after the wall time that exists.
        return timeZone.nextDaylightSavingTimeTransition(after: date.addingTimeInterval(-3 * 3600)) ?? date
    }
}
