import Foundation
import Testing

/// `weir schedule` with `--now`: which ticks run, once each, under every catch-up rule, across a
/// daylight-saving change, and when the previous run still holds the pipeline.
@Suite struct ScheduleTests {
    func pipeline(
        _ weir: WeirProcess, schedule: String, name: String = "p.yaml", query: String = "SELECT count(*) AS n FROM a"
    ) throws {
        try weir.write("a.csv", "id\n1\n2\n")
        try weir.write(
            name,
            """
            pipeline: scheduled
            schedule: \(schedule)
            stages:
              a: { type: extract.csv, path: a.csv }
              n: { type: sql, input: a, query: "\(query)" }

            """)
    }

    /// Ticks the command reports as fired, as "HH:MM status".
    func fired(_ result: WeirProcess.Result) -> [String] {
        result.stdout.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: " tick ") else { return nil }
            let rest = line[range.upperBound...]
            let time = rest.dropFirst(11).prefix(5)
            let status = rest.split(separator: " ")[1]
            return "\(rest.prefix(10)) \(time) \(status)"
        }
    }

    @Test func aTickRunsOnceAndTheNextWhenItComes() throws {
        let weir = try WeirProcess()
        try pipeline(weir, schedule: "{ cron: \"0 */6 * * *\", timezone: UTC }")
        let first = try weir.run("schedule", "p.yaml", "--once", "--now", "2026-01-01T06:00:10Z")
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(fired(first) == ["2026-01-01 06:00 ok"])
        // The same instant again, or a little later: that tick has run.
        let again = try weir.run("schedule", "p.yaml", "--once", "--now", "2026-01-01T07:30:00Z")
        #expect(fired(again).isEmpty)
        #expect(again.stdout.contains("nothing due"))
        let next = try weir.run("schedule", "p.yaml", "--once", "--now", "2026-01-01T12:00:00Z")
        #expect(fired(next) == ["2026-01-01 12:00 ok"])
        // The second run of unchanged sources is all cached.
        let history = try weir.run("history")
        #expect(history.stdout.contains("ok"))
        let list = try weir.run("schedule", "--list", "p.yaml", "--now", "2026-01-01T12:00:00Z", "--count", "3")
        #expect(list.stdout.contains("2026-01-01T18:00:00Z") && list.stdout.contains("2026-01-02T06:00:00Z"))
    }

    @Test func catchupLatestAllAndNone() throws {
        for (rule, expected) in [
            ("latest", ["2026-01-02 00:00 ok"]),
            ("all", ["2026-01-01 12:00 ok", "2026-01-01 18:00 ok", "2026-01-02 00:00 ok"]),
            ("none", []),
        ] {
            let weir = try WeirProcess()
            try pipeline(weir, schedule: "{ cron: \"0 */6 * * *\", catchup: \(rule) }")
            _ = try weir.run("schedule", "p.yaml", "--once", "--now", "2026-01-01T06:00:00Z")
            // Down from 06:00 to 00:30 the next day: three ticks missed.
            let late = try weir.run("schedule", "p.yaml", "--once", "--now", "2026-01-02T00:30:00Z")
            #expect(fired(late) == expected, "\(rule): \(late.stdout)")
            if rule == "latest" { #expect(late.stdout.contains("2 earlier missed ticks not run (catchup: latest)")) }
            if rule == "none" {
                // On time (within a minute) it runs.
                #expect(
                    fired(try weir.run("schedule", "p.yaml", "--once", "--now", "2026-01-02T06:00:30Z")) == [
                        "2026-01-02 06:00 ok"
                    ])
            }
        }
        // `all` stops at max_catchup, keeping the newest.
        let weir = try WeirProcess()
        try pipeline(weir, schedule: "{ cron: \"0 * * * *\", catchup: all, max_catchup: 2 }")
        _ = try weir.run("schedule", "p.yaml", "--once", "--now", "2026-01-01T00:00:00Z")
        #expect(
            fired(try weir.run("schedule", "p.yaml", "--once", "--now", "2026-01-01T05:10:00Z"))
                == ["2026-01-01 04:00 ok", "2026-01-01 05:00 ok"])
    }

    @Test func aSkippedHourRunsOnceAcrossTheChange() throws {
        let weir = try WeirProcess()
        // 02:30 New York time does not exist on 8 March 2026 (02:00 EST -> 03:00 EDT = 07:00Z).
        try pipeline(weir, schedule: "{ cron: \"30 2 * * *\", timezone: America/New_York, catchup: all }")
        _ = try weir.run("schedule", "p.yaml", "--once", "--now", "2026-03-07T07:30:00Z")
        let day = try weir.run("schedule", "p.yaml", "--once", "--now", "2026-03-08T07:00:30Z")
        #expect(fired(day) == ["2026-03-08 07:00 ok"])
        #expect(fired(try weir.run("schedule", "p.yaml", "--once", "--now", "2026-03-08T08:00:00Z")).isEmpty)
        #expect(
            fired(try weir.run("schedule", "p.yaml", "--once", "--now", "2026-03-09T06:30:00Z")) == [
                "2026-03-09 06:30 ok"
            ])
    }

    @Test func overlapSkipRecordsATickThatFindsTheLastRunGoing() throws {
        let weir = try WeirProcess()
        try pipeline(weir, schedule: "{ cron: \"* * * * *\", overlap: skip }", query: slowQuery("a", 30_000_000))
        let slow = try weir.start(["run", "p.yaml"], output: "slow.txt")
        defer { slow.waitUntilExit() }
        #expect(try weir.waitFor("start    n", in: "slow.txt"))
        let tick = try weir.run("schedule", "p.yaml", "--once", "--now", "2026-01-01T06:00:00Z")
        #expect(fired(tick) == ["2026-01-01 06:00 skipped"], "\(tick.stdout)")
        #expect(tick.stdout.contains("overlap: skip; the previous run is still going"))
        kill(slow.processIdentifier, SIGTERM)
    }

    @Test func aFailedRunIsAFailedTickAndExitOne() throws {
        let weir = try WeirProcess()
        try pipeline(
            weir, schedule: "{ cron: \"0 6 * * *\" }", query: "SELECT abs(-9223372036854775807 - 1) AS v FROM a")
        let result = try weir.run("schedule", "p.yaml", "--once", "--now", "2026-01-01T06:00:00Z")
        #expect(result.status == 1)
        #expect(fired(result) == ["2026-01-01 06:00 failed"])
        let noSchedule = try WeirProcess()
        try noSchedule.write("q.yaml", "stages:\n  a: { type: extract.csv, path: a.csv }\n")
        #expect(try noSchedule.run("schedule", "q.yaml", "--once").status == 2)
        try pipeline(noSchedule, schedule: "{ cron: \"0 25 * * *\" }")
        let bad = try noSchedule.run("validate", "p.yaml")
        #expect(bad.stderr.contains("`schedule.cron`: cron hour '25' is not a number in 0-23"), "\(bad.stderr)")
    }
}
