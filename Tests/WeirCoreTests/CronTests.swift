import Foundation
import Testing

@testable import WeirCore

@Suite struct CronTests {
    func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    func iso(_ dates: [Date]) -> [String] { dates.map { ISO8601DateFormatter().string(from: $0) } }
    func utc(_ cron: String) throws -> CronCalendar {
        CronCalendar(try CronExpression(cron), timeZone: TimeZone(identifier: "UTC")!)
    }

    @Test func fieldsRangesStepsListsAndNames() throws {
        let cron = try CronExpression("0,30 */6 1-10/3 jan,jul mon-fri")
        #expect(cron.minutes == [0, 30])
        #expect(cron.hours == [0, 6, 12, 18])
        #expect(cron.days == [1, 4, 7, 10])
        #expect(cron.months == [1, 7])
        #expect(cron.weekdays == [1, 2, 3, 4, 5])
        #expect(try CronExpression("0 0 * * 7").weekdays == [0])
        #expect(try CronExpression("@daily").hours == [0])
        #expect(try CronExpression("5/15 * * * *").minutes == [5, 20, 35, 50])
    }

    @Test func badExpressionsSayWhatIsWrong() {
        for (text, message) in [
            ("* * * *", "has 4 fields"), ("60 * * * *", "minute '60' is not a number in 0-59"),
            ("* * * foo *", "month 'foo'"), ("*/0 * * * *", "step '0'"), ("5-1 * * * *", "runs backwards"),
        ] {
            #expect { try CronExpression(text) } throws: { "\($0)".contains(message) }
        }
    }

    @Test func everySixHoursInUTC() throws {
        let times = try utc("0 */6 * * *").fireTimes(
            after: date("2026-01-01T05:00:00Z"), through: date("2026-01-02T00:00:00Z"))
        #expect(
            iso(times) == [
                "2026-01-01T06:00:00Z", "2026-01-01T12:00:00Z", "2026-01-01T18:00:00Z", "2026-01-02T00:00:00Z",
            ])
        #expect(
            iso([try utc("0 */6 * * *").latest(atOrBefore: date("2026-01-01T11:59:59Z"))!]) == ["2026-01-01T06:00:00Z"])
        #expect(
            iso(try utc("30 9 * * mon").next(after: date("2026-01-01T00:00:00Z"), count: 2)) == [
                "2026-01-05T09:30:00Z", "2026-01-12T09:30:00Z",
            ])
    }

    @Test func eitherDayFieldMatchesWhenBothAreRestricted() throws {
        // The 13th, or any Friday (Vixie cron).
        let times = try utc("0 0 13 * fri").fireTimes(
            after: date("2026-02-01T00:00:00Z"), through: date("2026-02-28T00:00:00Z"))
        #expect(
            iso(times) == [
                "2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z", "2026-02-27T00:00:00Z",
            ])
    }

    @Test func daylightSavingChangesFireEachLocalTimeOnce() throws {
        let newYork = TimeZone(identifier: "America/New_York")!
        // 8 March 2026: 02:00 EST jumps to 03:00 EDT. 02:30 does not exist: it fires once, at the change (07:00Z).
        let spring = CronCalendar(try CronExpression("30 2 * * *"), timeZone: newYork)
        #expect(
            iso(spring.fireTimes(after: date("2026-03-07T00:00:00Z"), through: date("2026-03-10T00:00:00Z")))
                == ["2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"])
        // Every 15 minutes through the gap: 02:00-02:45 all map to the change, so one fire there.
        let quarter = CronCalendar(try CronExpression("*/15 1-3 * * *"), timeZone: newYork)
        let around = quarter.fireTimes(after: date("2026-03-08T06:50:00Z"), through: date("2026-03-08T07:20:00Z"))
        #expect(iso(around) == ["2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z"])
        // 1 November 2026: 01:30 happens twice (EDT, then EST); it fires once, the first time.
        let autumn = CronCalendar(try CronExpression("30 1 * * *"), timeZone: newYork)
        #expect(
            iso(autumn.fireTimes(after: date("2026-10-31T12:00:00Z"), through: date("2026-11-02T12:00:00Z")))
                == ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"])
    }
}
