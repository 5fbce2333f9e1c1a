import Foundation
import Testing
import WeirTestSupport

/// An S3 server (moto) with `bucket`, and a project whose `p.yaml` starts with `header` and runs
/// three stages (a CSV, a doubling, a total) over `a.csv`.
private func sharedProject(bucket: String, header: String) throws -> (S3TestServer, WeirProcess) {
    let server = try S3TestServer()
    try server.bucket(bucket)
    var weir = try WeirProcess()
    weir.environment = server.environment
    try weir.write("a.csv", "id,v\n1,10\n2,20\n3,30\n")
    try weir.write(
        "p.yaml",
        header + """

            stages:
              a: { type: extract.csv, path: a.csv }
              doubled: { type: sql, input: a, query: "SELECT id, v * 2 AS v2 FROM a ORDER BY id" }
              total: { type: sql, input: doubled, query: "SELECT sum(v2) AS total FROM doubled" }

            """)
    return (server, weir)
}

/// A cache shared through S3 (moto, SigV4 checked): a second state directory pulls results
/// the first computed instead of computing them again.
@Suite(.enabled(if: ReferencePython.available)) struct RemoteCacheTests {
    @Test func aSecondStateDirectoryPullsInsteadOfRecomputing() throws {
        let (server, weir) = try sharedProject(
            bucket: "weir-cache",
            header: """
                pipeline: shared
                cache: { remote: "s3://weir-cache/team/" }
                """)

        let first = try weir.run("run", "p.yaml", "--json", "--state-dir", "one")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stages("ran") == ["a", "doubled", "total"])
        let pushed = try server.counts()
        #expect(pushed["PUT"] == 6, "\(pushed)")  // three objects, three entries

        let second = try weir.run("run", "p.yaml", "--json", "--state-dir", "two")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stages("cached") == ["a", "doubled", "total"], "\(second.stdout)")
        #expect(second.digests == first.digests)
        #expect(
            try weir.run("show", "p.yaml", "total", "--format", "csv", "--state-dir", "two").stdout == "total\n120\n")
        let pulled = try server.counts()
        #expect(pulled["GET"] == 6 && pulled["PUT", default: 0] == 0, "\(pulled)")

        // Without the remote, a third directory computes everything.
        let third = try weir.run(
            "run", "p.yaml", "--json", "--state-dir", "three", "--cache-remote", "s3://weir-cache/elsewhere")
        #expect(third.stages("ran") == ["a", "doubled", "total"])
    }
}

/// `weir cache status | push | pull` against moto.
@Suite(.enabled(if: ReferencePython.available)) struct CacheSyncTests {
    @Test func pushThenPullIntoAnotherStateDirectory() throws {
        let (server, weir) = try sharedProject(bucket: "weir-sync", header: "pipeline: sync")
        let remote = ["--cache-remote", "s3://weir-sync/team"]
        #expect(try weir.run("run", "p.yaml", "--state-dir", "one").status == 0)
        func rows(_ text: String) -> [String: [String]] {
            var out: [String: [String]] = [:]
            for line in text.split(separator: "\n").dropFirst() {
                let cells = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                if cells.count >= 4, ["a", "doubled", "total"].contains(cells[0]) {
                    out[cells[0]] = Array(cells[2...3])
                }
            }
            return out
        }

        let before = try weir.run(["cache", "status", "p.yaml", "--state-dir", "one"] + remote)
        #expect(before.status == 0, "\(before.stderr)")
        #expect(
            rows(before.stdout) == ["a": ["yes", "no"], "doubled": ["yes", "no"], "total": ["yes", "no"]],
            "\(before.stdout)")
        #expect(before.stdout.contains("3 cached here, 0 in s3://weir-sync/team, 0 in neither"), "\(before.stdout)")
        _ = try server.counts()

        let push = try weir.run(["cache", "push", "p.yaml", "--state-dir", "one"] + remote)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stdout.contains("pushed 3 stages (3 objects)"), "\(push.stdout)")
        #expect(try server.counts()["PUT"] == 6)
        let again = try weir.run(["cache", "push", "p.yaml", "--state-dir", "one"] + remote)
        #expect(
            again.stdout.contains("pushed 0 stages (0 objects) to s3://weir-sync/team; 3 already there"),
            "\(again.stdout)")
        #expect(try server.counts()["PUT", default: 0] == 0)

        // A fresh directory knows every key through the remote entries alone.
        let elsewhere = try weir.run(["cache", "status", "p.yaml", "--state-dir", "two"] + remote)
        #expect(
            rows(elsewhere.stdout) == ["a": ["no", "yes"], "doubled": ["no", "yes"], "total": ["no", "yes"]],
            "\(elsewhere.stdout)")
        let peeked = try server.counts()
        #expect(peeked["PUT", default: 0] == 0 && peeked["GET", default: 0] == 3, "three entries, no object: \(peeked)")

        let pull = try weir.run(["cache", "pull", "p.yaml", "--state-dir", "two"] + remote)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains("pulled 3 stages"), "\(pull.stdout)")
        // Pulled for good: a run without the remote finds everything.
        let run = try weir.run("run", "p.yaml", "--json", "--state-dir", "two")
        #expect(run.stages("cached") == ["a", "doubled", "total"], "\(run.stdout)")

        let none = try weir.run("cache", "push", "p.yaml", "--state-dir", "two")
        #expect(none.status == 2 && none.stderr.contains("no remote cache"), "\(none.stderr)")
    }
}
