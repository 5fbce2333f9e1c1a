import Foundation
import Testing
import WeirTestSupport

/// Sources over a glob or an S3 prefix parse only the files they have not parsed before, and
/// their output is byte for byte what a fresh read of every file gives (a second state
/// directory that never saw the earlier files is the independent reference).
@Suite(.serialized) struct IncrementalSourceTests {
    /// `files` of a source's `stage_finished` event.
    static func files(_ result: WeirProcess.Result, _ stage: String) -> [String: Int]? {
        result.events.first { $0["event"] as? String == "stage_finished" && $0["stage"] as? String == stage }?["files"]
            as? [String: Int]
    }

    /// port -> digest of `stage`'s current outputs in a state directory's ledger.
    static func outputs(_ weir: WeirProcess, state: String, stage: String) throws -> String {
        try sqliteShell(
            weir.directory + "/" + state + "/weir.sqlite",
            """
            SELECT o.port, o.digest FROM stage_state s JOIN cache_outputs o ON o.key = s.key WHERE s.stage = '\(stage)' ORDER BY o.port
            """)
    }

    /// Runs incrementally in `.weir`, then from scratch in a new state directory; both must
    /// agree on every output of `stage`. Returns the incremental run.
    static func runAndCompare(_ weir: WeirProcess, stage: String, round: Int, extra: [String] = []) throws
        -> WeirProcess.Result
    {
        let result = try weir.run(["run", "p.yaml", "--json"] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        let fresh = try weir.run(["run", "p.yaml", "--json", "--state-dir", "fresh-\(round)"] + extra)
        #expect(fresh.status == 0, "\(fresh.stderr)")
        let incremental = try outputs(weir, state: ".weir", stage: stage)
        let reference = try outputs(weir, state: "fresh-\(round)", stage: stage)
        #expect(!incremental.isEmpty && incremental == reference)
        return result
    }

    @Test func csvGlobParsesOnlyNewAndEditedFilesAndDropsDeletedOnes() throws {
        let weir = try WeirProcess()
        for day in 1...5 {
            try weir.write("data/day-\(day).csv", "day,amount,note\n\(day),\(day).5,a\n\(day),\(day * 10),b\n")
        }
        try weir.write(
            "p.yaml",
            """
            pipeline: daily
            stages:
              days: { type: extract.csv, path: "data/*.csv", filename_column: file }
              totals: { type: sql, input: days, query: "SELECT day, count(*) AS n FROM days GROUP BY day ORDER BY day" }

            """)
        let first = try Self.runAndCompare(weir, stage: "days", round: 1)
        #expect(Self.files(first, "days") == ["parsed": 5, "reused": 0])

        // A new day: only it is parsed.
        try weir.write("data/day-6.csv", "day,amount,note\n6,7,c\n")
        let second = try Self.runAndCompare(weir, stage: "days", round: 2)
        #expect(Self.files(second, "days") == ["parsed": 1, "reused": 5])

        // An edited day is parsed again, alone; a deleted one drops out.
        try weir.write("data/day-2.csv", "day,amount,note\n2,99.25,edited\n")
        try FileManager.default.removeItem(atPath: weir.directory + "/data/day-4.csv")
        let third = try Self.runAndCompare(weir, stage: "days", round: 3)
        #expect(Self.files(third, "days") == ["parsed": 1, "reused": 4])
        #expect(
            try weir.run("show", "p.yaml", "days", "--format", "csv").stdout.contains("2,99.25,edited,data/day-2.csv"))

        // Nothing changed: the stage is cached, no file is even looked at.
        let fourth = try weir.run("run", "p.yaml", "--json")
        #expect(fourth.stages("cached") == ["days", "totals"])

        // A file whose column is text makes every file's column text: all are read again,
        // from their bytes, so "1.5" stays "1.5".
        try weir.write("data/day-7.csv", "day,amount,note\n7,n/a,d\n")
        let fifth = try Self.runAndCompare(weir, stage: "days", round: 5)
        #expect(Self.files(fifth, "days") == ["parsed": 6, "reused": 0])
        #expect(try weir.run("show", "p.yaml", "days", "--format", "csv").stdout.contains("1,1.5,a,data/day-1.csv"))

        // --force parses everything again.
        let forced = try weir.run("run", "p.yaml", "--json", "--force")
        #expect(Self.files(forced, "days") == ["parsed": 6, "reused": 0])
    }

    @Test func filesWithRejectedRowsAreParsedEveryTimeSoTheirRejectsAreWritten() throws {
        let weir = try WeirProcess()
        try weir.write("data/a.csv", "id,x\n1,2\n")
        try weir.write("data/b.csv", "id,x\n2,3\n3,4,extra\n")
        try weir.write(
            "p.yaml",
            """
            stages:
              rows: { type: extract.csv, path: "data/*.csv", bad_rows: skip }

            """)
        let first = try Self.runAndCompare(weir, stage: "rows", round: 1)
        #expect(Self.files(first, "rows") == ["parsed": 2, "reused": 0])
        try weir.write("data/c.csv", "id,x\n4,5\n")
        let second = try Self.runAndCompare(weir, stage: "rows", round: 2)
        #expect(Self.files(second, "rows") == ["parsed": 2, "reused": 1])
        let notes = second.events.first {
            $0["stage"] as? String == "rows" && $0["event"] as? String == "stage_finished"
        }?["notes"]
        #expect("\(notes ?? "")".contains("skipped 1 malformed row"))
    }

    @Test func corruptOrCollectedPartsAreParsedAgain() throws {
        let weir = try WeirProcess()
        for day in 1...4 { try weir.write("data/\(day).csv", "day,v\n\(day),\(day)\n") }
        try weir.write("p.yaml", "stages:\n  days: { type: extract.csv, path: \"data/*.csv\" }\n")
        _ = try Self.runAndCompare(weir, stage: "days", round: 1)

        // gc keeps the parts the stage's latest read used.
        #expect(try weir.run("cache", "gc", "--prune").status == 0)
        try weir.write("data/5.csv", "day,v\n5,5\n")
        let second = try Self.runAndCompare(weir, stage: "days", round: 2)
        #expect(Self.files(second, "days") == ["parsed": 1, "reused": 4])

        // A part damaged on disk makes the stored output (a manifest of the parts) unusable:
        // the stage runs again, parses the damaged files alone, and the output is still right.
        let digests = try sqliteShell(
            weir.directory + "/.weir/weir.sqlite", "SELECT digest FROM source_parts ORDER BY key LIMIT 2")
        for digest in digests.split(separator: "\n") {
            let path = "\(weir.directory)/.weir/objects/\(digest.prefix(2))/\(digest.dropFirst(2)).arrow"
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count / 2] ^= 0xFF
            try bytes.write(to: URL(fileURLWithPath: path))
        }
        let third = try Self.runAndCompare(weir, stage: "days", round: 3)
        #expect(third.stages("ran") == ["days"])
        #expect(Self.files(third, "days") == ["parsed": 2, "reused": 3])
        #expect(third.digests["days"] == second.digests["days"])
    }

    @Test func logGlobParsesOnlyTheNewExport() throws {
        let sample = ReferencePython.packageRoot.appendingPathComponent("data/balance-logs").path
        let names = try FileManager.default.contentsOfDirectory(atPath: sample).filter { $0.hasSuffix(".gz") }.sorted()
            .prefix(7)
        let weir = try WeirProcess()
        try FileManager.default.createDirectory(atPath: weir.directory + "/logs", withIntermediateDirectories: true)
        for name in names.dropLast() {
            try FileManager.default.copyItem(atPath: sample + "/" + name, toPath: weir.directory + "/logs/" + name)
        }
        try weir.write("p.yaml", "stages:\n  logs: { type: extract.logs, path: \"logs/*.gz\" }\n")
        let first = try Self.runAndCompare(weir, stage: "logs", round: 1)
        #expect(Self.files(first, "logs") == ["parsed": 6, "reused": 0])
        try FileManager.default.copyItem(
            atPath: sample + "/" + names.last!, toPath: weir.directory + "/logs/" + names.last!)
        let second = try Self.runAndCompare(weir, stage: "logs", round: 2)
        #expect(Self.files(second, "logs") == ["parsed": 1, "reused": 6])
        #expect(try Self.outputs(weir, state: ".weir", stage: "logs").split(separator: "\n").count == 2)
    }
}

/// The same over an S3 prefix on the test server: a new object is the only one downloaded and
/// parsed. Part of S3SourceTests, whose tests run one at a time: they count the server's requests.
extension S3SourceTests {
    @Test func s3PrefixParsesOnlyNewAndChangedObjects() throws {
        let server = try Self.server.get()
        try server.bucket("weir-daily")
        var objects: [String: String] = [:]
        for day in 1...20 { objects[String(format: "daily/%02d.csv", day)] = "day,amount\n\(day),\(Double(day) / 4)\n" }
        try server.put("weir-daily", objects: objects)
        var weir = try WeirProcess()
        weir.environment = server.environment
        try weir.write("p.yaml", "stages:\n  daily: { type: extract.csv, path: \"s3://weir-daily/daily/\" }\n")
        let first = try IncrementalSourceTests.runAndCompare(weir, stage: "daily", round: 1)
        #expect(IncrementalSourceTests.files(first, "daily") == ["parsed": 20, "reused": 0])

        try server.put("weir-daily", "daily/21.csv", text: "day,amount\n21,5.25\n")
        try server.put("weir-daily", "daily/03.csv", text: "day,amount\n3,300.5\n")
        try server.delete("weir-daily", "daily/07.csv")
        _ = try server.counts()
        let second = try weir.run("run", "p.yaml", "--json")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(IncrementalSourceTests.files(second, "daily") == ["parsed": 2, "reused": 18])
        #expect(try server.counts()["GET"] == 2)  // only the new and the changed object
        let fresh = try weir.run("run", "p.yaml", "--json", "--state-dir", "fresh-2")
        #expect(fresh.status == 0, "\(fresh.stderr)")
        let incremental = try IncrementalSourceTests.outputs(weir, state: ".weir", stage: "daily")
        let reference = try IncrementalSourceTests.outputs(weir, state: "fresh-2", stage: "daily")
        #expect(!incremental.isEmpty && incremental == reference)
    }
}
