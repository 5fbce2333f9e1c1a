import Foundation
import Testing
import WeirTestSupport

/// A cache shared through S3 (moto, SigV4 checked): a second state directory pulls results
/// the first computed instead of computing them again.
@Suite(.enabled(if: ReferencePython.available)) struct RemoteCacheTests {
    @Test func aSecondStateDirectoryPullsInsteadOfRecomputing() throws {
        let server = try S3TestServer()
        try server.bucket("weir-cache")
        var weir = try WeirProcess()
        weir.environment = server.environment
        try weir.write("a.csv", "id,v\n1,10\n2,20\n3,30\n")
        try weir.write("p.yaml", """
            pipeline: shared
            cache: { remote: "s3://weir-cache/team/" }
            stages:
              a: { type: extract.csv, path: a.csv }
              doubled: { type: sql, input: a, query: "SELECT id, v * 2 AS v2 FROM a ORDER BY id" }
              total: { type: sql, input: doubled, query: "SELECT sum(v2) AS total FROM doubled" }

            """)
        func digests(_ result: WeirProcess.Result) -> [String: String] {
            var out: [String: String] = [:]
            for event in result.events where event["event"] as? String == "stage_finished" {
                out[event["stage"] as! String] = event["digest"] as? String
            }
            return out
        }

        let first = try weir.run("run", "p.yaml", "--json", "--state-dir", "one")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stages("ran") == ["a", "doubled", "total"])
        let pushed = try server.counts()
        #expect(pushed["PUT"] == 6, "\(pushed)")  // three objects, three entries

        let second = try weir.run("run", "p.yaml", "--json", "--state-dir", "two")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stages("cached") == ["a", "doubled", "total"], "\(second.stdout)")
        #expect(digests(second) == digests(first))
        #expect(try weir.run("show", "p.yaml", "total", "--format", "csv", "--state-dir", "two").stdout == "total\n120\n")
        let pulled = try server.counts()
        #expect(pulled["GET"] == 6 && pulled["PUT", default: 0] == 0, "\(pulled)")

        // Without the remote, a third directory computes everything.
        let third = try weir.run("run", "p.yaml", "--json", "--state-dir", "three", "--cache-remote", "s3://weir-cache/elsewhere")
        #expect(third.stages("ran") == ["a", "doubled", "total"])
    }
}
