import Foundation
import Testing

/// The cache as a user sees it through `weir run --json` and `weir plan`.
@Suite struct CacheTests {
    static let pipeline = """
        pipeline: cache-test
        params: { factor: 2 }
        stages:
          a: { type: extract.csv, path: a.csv }
          b: { type: extract.csv, path: b.csv }
          count_a: { type: sql, input: a, query: "SELECT count(*) AS n FROM a" }
          doubled: { type: sql, input: a, query: "SELECT id, v * ${params.factor} AS v2 FROM a ORDER BY id" }
          report: { type: sql, inputs: [count_a, doubled], query: "SELECT n, (SELECT sum(v2) FROM doubled) AS total FROM count_a" }
          b_sum: { type: sql, input: b, query: "SELECT sum(w) AS w FROM b" }
          out: { type: load.csv, input: report, path: out/report.csv }

        """

    func setUp() throws -> WeirProcess {
        let weir = try WeirProcess()
        try weir.write("p.yaml", Self.pipeline)
        try weir.write("a.csv", "id,v\n1,10\n2,20\n3,30\n")
        try weir.write("b.csv", "w\n5\n6\n")
        return weir
    }

    @Test func partialRerunsTouchAndEarlyCutoff() throws {
        let weir = try setUp()
        let first = try weir.run("run", "p.yaml", "--json")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stages("ran") == ["a", "b", "count_a", "doubled", "report", "b_sum", "out"])
        #expect(try weir.read("out/report.csv") == "n,total\n3,120\n")

        // Unchanged: everything cached.
        let second = try weir.run("run", "p.yaml", "--json")
        #expect(second.stages("cached").count == 7)
        #expect(second.stages("ran").isEmpty)

        // A parameter change re-runs that stage and its downstream only.
        let param = try weir.run("run", "p.yaml", "--json", "--param", "factor=3")
        #expect(param.stages("ran") == ["doubled", "report", "out"])
        let reasons = Dictionary(
            uniqueKeysWithValues: param.events.filter {
                $0["event"] as? String == "stage_finished" && $0["status"] as? String == "ran"
            }
            .map { ($0["stage"] as! String, $0["reason"] as? String ?? "") })
        #expect(reasons["doubled"] == "params changed: query")
        #expect(reasons["report"] == "input changed: doubled")
        #expect(try weir.read("out/report.csv") == "n,total\n3,180\n")

        // touch without a content change: nothing runs.
        let later = Date().addingTimeInterval(5)
        try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: weir.directory + "/a.csv")
        let touched = try weir.run("run", "p.yaml", "--json", "--param", "factor=3")
        #expect(touched.stages("ran").isEmpty)
        #expect(touched.stages("cached").count == 7)

        // A content change that keeps the row count: a and its downstream run; count_a gives the
        // same bytes, so early cutoff would keep report cached if only count_a fed it; doubled changed.
        try weir.write("a.csv", "id,v\n1,10\n2,20\n3,31\n")
        let plan = try weir.run("plan", "p.yaml", "--param", "factor=3")
        #expect(plan.stdout.contains("source changed: a.csv"))
        let changed = try weir.run("run", "p.yaml", "--json", "--param", "factor=3")
        #expect(changed.stages("ran") == ["a", "count_a", "doubled", "report", "out"])
        #expect(changed.stages("cached") == ["b", "b_sum"])
    }

    @Test func earlyCutoffStopsTheRerun() throws {
        let weir = try WeirProcess()
        try weir.write(
            "p.yaml",
            """
            pipeline: cutoff
            stages:
              a: { type: extract.csv, path: a.csv }
              n: { type: sql, input: a, query: "SELECT count(*) AS n FROM a" }
              twice: { type: sql, input: n, query: "SELECT n * 2 AS m FROM n" }

            """)
        try weir.write("a.csv", "id\n1\n2\n")
        #expect(try weir.run("run", "p.yaml", "--json").stages("ran").count == 3)
        try weir.write("a.csv", "id\n7\n8\n")
        let result = try weir.run("run", "p.yaml", "--json")
        #expect(result.stages("ran") == ["a", "n"])
        #expect(result.stages("cached") == ["twice"])
    }

    @Test func planExplainsAndJSONGivesTheKeyMaterial() throws {
        let weir = try setUp()
        let never = try weir.run("plan", "p.yaml")
        #expect(never.status == 0)
        #expect(never.stdout.contains("never ran"))
        #expect(never.stdout.contains("upstream runs first: a"))
        #expect(try weir.run("run", "p.yaml").status == 0)
        try weir.write("b.csv", "w\n5\n7\n")
        let json = try weir.run("plan", "p.yaml", "--json", "--force", "--select", "count_a")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let stages = object["stages"] as! [[String: Any]]
        #expect(stages.count == 1)
        #expect(stages[0]["reason"] as? String == "forced")
        let material = stages[0]["material"] as! [String: Any]
        #expect((material["inputs"] as! [[String: Any]]).first?["name"] as? String == "a")
        #expect((stages[0]["key"] as? String)?.count == 64)
        let all = try weir.run("plan", "p.yaml", "--json")
        let byStage = Dictionary(
            uniqueKeysWithValues: ((try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as! [String: Any])[
                "stages"] as! [[String: Any]])
                .map { ($0["stage"] as! String, $0) })
        #expect(byStage["b"]?["reason"] as? String == "source changed: b.csv")
        let sources = (byStage["b"]?["material"] as? [String: Any])?["sources"] as? [[String: Any]]
        // The source digest is the file's SHA-256, as sha256sum gives it.
        let expected = try shaOf(weir.directory + "/b.csv")
        #expect(sources?.first?["digest"] as? String == expected)
    }

    @Test func deletedLoadOutputIsWrittenAgainAndSelectionNeedsCachedUpstream() throws {
        let weir = try setUp()
        #expect(try weir.run("run", "p.yaml").status == 0)
        try FileManager.default.removeItem(atPath: weir.directory + "/out/report.csv")
        let again = try weir.run("run", "p.yaml", "--json")
        #expect(again.stages("ran") == ["out"])
        #expect(FileManager.default.fileExists(atPath: weir.directory + "/out/report.csv"))

        // Selecting a stage whose upstream has no output for its current key is an error.
        try weir.write("b.csv", "w\n1\n")
        let missing = try weir.run("run", "p.yaml", "--select", "b_sum")
        #expect(missing.status == 2)
        #expect(
            missing.stderr.contains(
                "stage 'b_sum' reads 'b', which is not selected and has no cached output for its current key"))
        let withUpstream = try weir.run("run", "p.yaml", "--json", "--select", "+b_sum")
        #expect(withUpstream.stages("ran") == ["b", "b_sum"])
        #expect(withUpstream.statuses.count == 2)
        // --force re-runs selected stages even when cached; downstream of a same-bytes result stays cached.
        let forced = try weir.run("run", "p.yaml", "--json", "--force", "--select", "doubled+")
        #expect(forced.stages("ran") == ["doubled", "report", "out"])
    }

    @Test func gcRemovesUnreferencedObjectsOnly() throws {
        let weir = try setUp()
        #expect(try weir.run("run", "p.yaml").status == 0)
        let stray = weir.directory + "/.weir/objects/00/" + String(repeating: "0", count: 62) + ".arrow"
        try FileManager.default.createDirectory(
            atPath: (stray as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: stray))
        let gc = try weir.run("cache", "gc")
        #expect(gc.status == 0)
        #expect(gc.stdout.contains("removed 1 object"))
        #expect(!FileManager.default.fileExists(atPath: stray))
        #expect(try weir.run("run", "p.yaml", "--json").stages("cached").count == 7)
    }
}

func shaOf(_ path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: data, as: UTF8.self).prefix(64))
}
