import Foundation
import Testing

/// Scheduling, failure, interruption and locking, through the built binary.
@Suite struct RunTests {
    func slowPipeline(_ weir: WeirProcess, name: String = "slow", file: String = "p.yaml", count: Int = 3_000_000)
        throws
    {
        try weir.write("a.csv", "id\n1\n2\n")
        try weir.write(
            file,
            """
            pipeline: \(name)
            stages:
              a: { type: extract.csv, path: a.csv }
              slow1: { type: sql, input: a, query: "\(slowQuery("a", count))", schema: { n: int64, s: int64 } }
              slow2: { type: sql, input: a, query: "\(slowQuery("a", count + 1))", schema: { n: int64, s: int64 } }
              after: { type: sql, inputs: [slow1, slow2], query: "SELECT slow1.s + slow2.s AS total FROM slow1, slow2" }

            """)
    }

    /// Stage start/finish events in order, as (stage, "start"|"end").
    func timeline(_ result: WeirProcess.Result) -> [(String, String)] {
        result.events.compactMap { event in
            switch event["event"] as? String {
            case "stage_started": (event["stage"] as! String, "start")
            case "stage_finished" where event["status"] as? String == "ran": (event["stage"] as! String, "end")
            default: nil
            }
        }
    }

    @Test func independentStagesOverlapOnlyWithTwoJobs() throws {
        let weir = try WeirProcess()
        try slowPipeline(weir)
        let parallel = try weir.run("run", "p.yaml", "--json", "--jobs", "2")
        #expect(parallel.status == 0, "\(parallel.stderr)")
        let events = timeline(parallel).filter { $0.0.hasPrefix("slow") }
        // Both slow stages start before either ends.
        #expect(events.map(\.1) == ["start", "start", "end", "end"])

        let serial = try weir.run("run", "p.yaml", "--json", "--jobs", "1", "--force")
        let serialEvents = timeline(serial).filter { $0.0.hasPrefix("slow") }
        #expect(serialEvents.map(\.1) == ["start", "end", "start", "end"])
    }

    @Test func failureSkipsDownstreamAndIndependentBranchRuns() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "id\n1\n")
        try weir.write(
            "p.yaml",
            """
            pipeline: failing
            stages:
              a: { type: extract.csv, path: a.csv }
              bad: { type: sql, input: a, query: "SELECT abs(-9223372036854775807 - 1) AS v FROM a", schema: { v: int64 } }
              after_bad: { type: sql, input: bad, query: "SELECT v FROM bad" }
              good: { type: sql, input: a, query: "SELECT id * 2 AS twice FROM a" }

            """)
        let result = try weir.run("run", "p.yaml", "--json")
        #expect(result.status == 1)
        #expect(result.statuses == ["a": "ran", "bad": "failed", "after_bad": "skipped", "good": "ran"])
        let failure = result.events.first {
            $0["stage"] as? String == "bad" && $0["event"] as? String == "stage_finished"
        }
        #expect((failure?["error"] as? String)?.contains("Overflow on abs(-9223372036854775808)") == true)
        let finished = result.events.last
        #expect(finished?["event"] as? String == "run_finished")
        #expect(finished?["status"] as? String == "failed")
        #expect((finished?["counts"] as? [String: Int]) == ["ran": 2, "cached": 0, "failed": 1, "skipped": 1])

        // Text output names the command that re-runs just the failed stages and their downstream.
        let text = try weir.run("run", "p.yaml")
        #expect(text.status == 1)
        #expect(text.stdout.contains("weir run p.yaml --select bad+"))
        let retry = try weir.run("run", "p.yaml", "--json", "--retry-failed")
        #expect(retry.status == 1)
        #expect(Set(retry.statuses.keys) == ["bad", "after_bad"])

        // --fail-fast: nothing new starts after the first failure.
        let history = try weir.run("history", "--json")
        #expect(history.stdout.split(separator: "\n").count == 3)
    }

    @Test func failFastStartsNothingAfterAFailure() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "id\n1\n")
        try weir.write(
            "p.yaml",
            """
            pipeline: fail-fast
            stages:
              a: { type: extract.csv, path: a.csv }
              bad: { type: sql, input: a, query: "SELECT abs(-9223372036854775807 - 1) AS v FROM a", schema: { v: int64 } }
              x: { type: sql, input: a, query: "SELECT id FROM a" }
              y: { type: sql, input: x, query: "SELECT id FROM x" }

            """)
        let result = try weir.run("run", "p.yaml", "--json", "--jobs", "1", "--fail-fast")
        #expect(result.status == 1)
        #expect(result.statuses == ["a": "ran", "bad": "failed", "x": "skipped", "y": "skipped"])
        // Without it, the independent branch still runs.
        let carryOn = try weir.run("run", "p.yaml", "--json", "--jobs", "1")
        #expect(carryOn.statuses == ["a": "cached", "bad": "failed", "x": "ran", "y": "ran"])
    }

    @Test func retriesAndTimeouts() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "id\n1\n")
        try weir.write(
            "p.yaml",
            """
            pipeline: retrying
            stages:
              a: { type: extract.csv, path: a.csv }
              flaky: { type: sql, input: a, retries: 2, query: "SELECT abs(-9223372036854775807 - 1) AS v FROM a", schema: { v: int64 } }
              slow: { type: sql, input: a, timeout: 0.3s, query: "\(slowQuery("a", 50_000_000))", schema: { n: int64, s: int64 } }

            """)
        let started = Date()
        let result = try weir.run("run", "p.yaml", "--json", "--jobs", "2")
        #expect(result.status == 1)
        let retries = result.events.filter { $0["event"] as? String == "stage_retrying" }
        #expect(retries.map { $0["attempt"] as? Int } == [1, 2])
        let slow = result.events.first {
            $0["stage"] as? String == "slow" && $0["event"] as? String == "stage_finished"
        }
        #expect(slow?["status"] as? String == "failed")
        #expect(slow?["error"] as? String == "timed out after 0.3 s")
        // The run did not wait for the abandoned attempt.
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func killDuringAStageThenRerun() throws {
        let weir = try WeirProcess()
        try slowPipeline(weir, count: 20_000_000)
        let process = try weir.start(["run", "p.yaml", "--json", "--jobs", "1"], output: "first.jsonl")
        #expect(
            try weir.waitFor("\"stage\":\"slow2\"", in: "first.jsonl")
                || weir.waitFor("\"stage_started\",\"stage\":\"slow1\"", in: "first.jsonl"))
        // Wait for the first slow stage to finish so one finished stage is recorded, then kill mid-stage.
        #expect(try weir.waitFor("\"stage_finished\",\"stage\":\"slow1\"", in: "first.jsonl"))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let history = try weir.run("history")
        #expect(history.stdout.contains("interrupted"))
        let second = try weir.run("run", "p.yaml", "--json", "--jobs", "1")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.statuses == ["a": "cached", "slow1": "cached", "slow2": "ran", "after": "ran"])
        // Every stored object is whole: its name is the SHA-256 of its bytes; no temporaries remain.
        let objects = weir.directory + "/.weir/objects"
        for prefix in try FileManager.default.contentsOfDirectory(atPath: objects) {
            for name in try FileManager.default.contentsOfDirectory(atPath: objects + "/" + prefix) {
                #expect(try shaOf("\(objects)/\(prefix)/\(name)") == prefix + name.dropLast(6))
            }
        }
        let temporaries = (try? FileManager.default.contentsOfDirectory(atPath: weir.directory + "/.weir/tmp")) ?? []
        #expect(temporaries.isEmpty)
    }

    @Test func secondRunOfSamePipelineExitsTwoWhileOtherPipelineRuns() throws {
        let weir = try WeirProcess()
        try slowPipeline(weir, count: 20_000_000)
        try slowPipeline(weir, name: "other", file: "other.yaml", count: 1_000)
        let first = try weir.start(["run", "p.yaml", "--json"], output: "first.jsonl")
        #expect(try weir.waitFor("stage_started", in: "first.jsonl"))
        let started = Date()
        let second = try weir.run("run", "p.yaml")
        #expect(second.status == 2)
        #expect(second.stderr.contains("pipeline 'slow' is already running (pid \(first.processIdentifier)"))
        #expect(Date().timeIntervalSince(started) < 2)
        // A different pipeline sharing the state directory runs at the same time.
        let other = try weir.run("run", "other.yaml", "--json")
        #expect(other.status == 0, "\(other.stderr)")
        #expect(first.isRunning)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        // --wait waits for the lock instead.
        #expect(try weir.run("run", "p.yaml", "--wait").status == 0)
    }

    @Test func secretsNeverLeave() throws {
        var weir = try WeirProcess()
        let secret = "hunter2-super-secret-token"
        weir.environment["WEIR_TEST_TOKEN"] = secret
        try weir.write("a.csv", "id\n1\n")
        try weir.write(
            "p.yaml",
            """
            pipeline: secrets
            stages:
              a: { type: extract.csv, path: a.csv }
              leak: { type: sql, input: a, query: "SELECT abs(-9223372036854775807 - 1) AS v, '${env.WEIR_TEST_TOKEN}' AS t FROM a", schema: { v: int64, t: string } }

            """)
        let result = try weir.run("run", "p.yaml", "--json")
        #expect(result.status == 1)
        #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        let plan = try weir.run("plan", "p.yaml", "--json")
        #expect(!plan.stdout.contains(secret))
        #expect(plan.stdout.contains("WEIR_TEST_TOKEN"))
        let ledger = try Data(contentsOf: URL(fileURLWithPath: weir.directory + "/.weir/weir.sqlite"))
        #expect(ledger.range(of: Data(secret.utf8)) == nil)
        let history = try weir.run("history", "--json")
        #expect(!history.stdout.contains(secret))
    }
}
