import Foundation
import Testing
import WeirTestSupport

/// "Trust the cache": loads are done only while their files hold what they wrote, corrupt
/// objects are never served, and a killed load leaves nothing behind for good.
@Suite struct IntegrityTests {
    static let pipeline = """
        pipeline: integrity
        params: { min: 2 }
        stages:
          a: { type: extract.csv, path: a.csv }
          kept: { type: sql, input: a, query: "SELECT id, v FROM a WHERE v >= ${params.min} ORDER BY id" }
          total: { type: sql, input: kept, query: "SELECT count(*) AS n, sum(v) AS s FROM kept" }
          to_csv: { type: load.csv, input: kept, path: out/kept.csv }
          to_arrow: { type: load.arrow, input: kept, path: out/kept.arrow }
          to_sqlite: { type: load.sqlite, input: kept, path: out/kept.db, table: kept }

        """

    func setUp() throws -> WeirProcess {
        let weir = try WeirProcess()
        try weir.write("p.yaml", Self.pipeline)
        try weir.write("a.csv", "id,v\n1,1\n2,2\n3,3\n")
        return weir
    }

    func sqlite(_ weir: WeirProcess, _ query: String) throws -> String {
        try sqliteShell(weir.directory + "/out/kept.db", query)
    }

    @Test func loadsRewriteWhatAnotherRunOrAHandOverwrote() throws {
        let weir = try setUp()
        #expect(try weir.run("run", "p.yaml").status == 0)
        let csv = try weir.read("out/kept.csv")
        let arrow = try Data(contentsOf: URL(fileURLWithPath: weir.directory + "/out/kept.arrow"))
        #expect(csv == "id,v\n2,2\n3,3\n")
        #expect(try sqlite(weir, "SELECT group_concat(id) FROM kept") == "2,3\n")

        // Another parameter writes other rows; back to the default, every stage upstream is
        // cached, but the loads' files hold the other run's rows: they must be written again.
        #expect(try weir.run("run", "p.yaml", "--param", "min=1").status == 0)
        #expect(try weir.read("out/kept.csv") == "id,v\n1,1\n2,2\n3,3\n")
        let back = try weir.run("run", "p.yaml", "--json")
        #expect(back.stages("ran") == ["to_csv", "to_arrow", "to_sqlite"], "\(back.statuses)")
        #expect(try weir.read("out/kept.csv") == csv)
        #expect(try Data(contentsOf: URL(fileURLWithPath: weir.directory + "/out/kept.arrow")) == arrow)
        #expect(try sqlite(weir, "SELECT group_concat(id) FROM kept") == "2,3\n")

        // Unchanged files: all cached. A hand edit of each: each is written again.
        #expect(try weir.run("run", "p.yaml", "--json").stages("ran").isEmpty)
        try weir.write("out/kept.csv", "id,v\n9,9\n")
        _ = try sqlite(weir, "UPDATE kept SET v = 99")
        let plan = try weir.run("plan", "p.yaml")
        #expect(plan.stdout.contains("what it wrote is gone or changed"), "\(plan.stdout)")
        let healed = try weir.run("run", "p.yaml", "--json")
        #expect(healed.stages("ran") == ["to_csv", "to_sqlite"], "\(healed.statuses)")
        #expect(try weir.read("out/kept.csv") == csv)
        #expect(try sqlite(weir, "SELECT group_concat(v) FROM kept") == "2,3\n")

        // Another table in the same database is not the load's business.
        _ = try sqlite(weir, "CREATE TABLE other(x); INSERT INTO other VALUES (1)")
        #expect(try weir.run("run", "p.yaml", "--json").stages("ran").isEmpty)
    }

    func objectPath(_ weir: WeirProcess, digest: String) -> String {
        "\(weir.directory)/.weir/objects/\(digest.prefix(2))/\(digest.dropFirst(2)).arrow"
    }

    @Test func corruptOrTruncatedObjectsAreMovedAsideAndRemade() throws {
        let weir = try setUp()
        let first = try weir.run("run", "p.yaml", "--json")
        #expect(first.status == 0, "\(first.stderr)")
        let digest = try #require(
            first.events.first { $0["stage"] as? String == "kept" && $0["event"] as? String == "stage_finished" }?[
                "digest"] as? String)
        let path = objectPath(weir, digest: digest)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let original = bytes
        // The values 2, 3 of an int64 column: 3 becomes 7, and the file stays well formed.
        let values = Data([2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0])
        let found = try #require(bytes.range(of: values))
        bytes[found.lowerBound + 8] = 7
        try bytes.write(to: URL(fileURLWithPath: path))

        let plan = try weir.run("plan", "p.yaml")
        #expect(plan.stdout.contains("corrupt"), "\(plan.stdout)")
        let show = try weir.run("show", "p.yaml", "kept", "--format", "csv")
        #expect(!show.stdout.contains("7"), "a corrupt value was shown: \(show.stdout)")
        let run = try weir.run("run", "p.yaml", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stages("ran").contains("kept"))
        // The same bytes again, so downstream stays cached (early cutoff).
        #expect(run.stages("cached").contains("total"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
        let moved = try FileManager.default.contentsOfDirectory(atPath: weir.directory + "/.weir/corrupt")
        #expect(moved.count == 1 && moved[0].hasPrefix(digest))
        #expect(try weir.run("show", "p.yaml", "kept", "--format", "csv").stdout == "id,v\n2,2\n3,3\n")

        // Truncated: the next run heals it instead of failing until it is deleted by hand.
        try original.prefix(100).write(to: URL(fileURLWithPath: path))
        let truncated = try weir.run("run", "p.yaml", "--json")
        #expect(truncated.status == 0, "\(truncated.stderr)")
        #expect(truncated.stages("ran").contains("kept"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)

        // `cache verify` reads every byte and exits 1 when it finds one bad.
        #expect(try weir.run("cache", "verify").status == 0)
        try Data(original.dropLast(1) + [original.last! ^ 1]).write(to: URL(fileURLWithPath: path))
        let verify = try weir.run("cache", "verify")
        #expect(verify.status == 1)
        #expect(verify.stderr.contains("corrupt"))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aForcedRunRewritesACorruptObject() throws {
        let weir = try setUp()
        let first = try weir.run("run", "p.yaml", "--json")
        let digest = try #require(
            first.events.first { $0["stage"] as? String == "total" && $0["event"] as? String == "stage_finished" }?[
                "digest"] as? String)
        let path = objectPath(weir, digest: digest)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        try Data(original.prefix(original.count - 8)).write(to: URL(fileURLWithPath: path))
        let forced = try weir.run("run", "p.yaml", "--force", "--select", "total", "--json")
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
    }

    @Test func temporariesOfKilledLoadsAreRemoved() throws {
        let weir = try setUp()
        // A pid that is certainly dead: a child that has exited.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = child.processIdentifier
        try weir.write("out/kept.arrow.weir-\(dead).tmp", "half a file")
        try weir.write("out/kept.csv.weir-\(dead).tmp", "half a file")
        #expect(try weir.run("run", "p.yaml").status == 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: weir.directory + "/out").filter {
            $0.hasSuffix(".tmp")
        }
        #expect(left.isEmpty, "\(left)")
    }
}
