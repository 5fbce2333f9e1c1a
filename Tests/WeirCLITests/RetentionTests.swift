import Foundation
import Testing

/// `retention:` and `weir runs prune`: old runs go (ledger rows and folders), the newest stays.
@Suite struct RetentionTests {
    func runIDs(_ weir: WeirProcess) throws -> [String] {
        try sqliteShell(weir.directory + "/.weir/weir.sqlite", "SELECT id FROM runs ORDER BY started_at").split(
            separator: "\n"
        ).map(String.init)
    }

    @Test func oldRunsArePrunedAfterARunAndOnRequest() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "id\n1\n")
        try weir.write("p.yaml", "pipeline: kept\nstages:\n  a: { type: extract.csv, path: a.csv }\n")
        for _ in 0..<3 { #expect(try weir.run("run", "p.yaml").status == 0) }
        let ids = try runIDs(weir)
        #expect(ids.count == 3)
        // Age every run by 40 days: all are past a 30-day retention, yet the newest stays.
        _ = try sqliteShell(
            weir.directory + "/.weir/weir.sqlite", "UPDATE runs SET started_at = started_at - 40 * 86400")
        let pruned = try weir.run("runs", "prune", "p.yaml", "--older-than", "30d")
        #expect(pruned.stdout.contains("pruned 2 runs older than 30d"), "\(pruned.stdout)\(pruned.stderr)")
        #expect(try runIDs(weir) == [ids[2]])
        #expect(!FileManager.default.fileExists(atPath: weir.directory + "/.weir/runs/" + ids[0]))
        #expect(FileManager.default.fileExists(atPath: weir.directory + "/.weir/runs/" + ids[2]))
        #expect(
            try sqliteShell(
                weir.directory + "/.weir/weir.sqlite", "SELECT count(*) FROM stage_runs WHERE run_id = '\(ids[0])'"
            ).trimmingCharacters(in: .whitespacesAndNewlines) == "0")

        // With `retention:`, each run prunes what is past it.
        try weir.write(
            "p.yaml", "pipeline: kept\nretention: { runs: 30d }\nstages:\n  a: { type: extract.csv, path: a.csv }\n")
        _ = try sqliteShell(
            weir.directory + "/.weir/weir.sqlite", "UPDATE runs SET started_at = started_at - 40 * 86400")
        #expect(try weir.run("run", "p.yaml").status == 0)
        #expect(try runIDs(weir).count == 1)
        #expect(try weir.run("runs", "prune", "p.yaml").stdout.contains("pruned 0 runs older than 30d"))
        let bad = try weir.run("runs", "prune")
        #expect(bad.status == 2 && bad.stderr.contains("--older-than 30d"))
    }
}

/// A fully cached run: its summary keeps what the producing run noted, its report reuses the
/// stage sections already drawn, and a preview shows no giant cell.
@Suite struct CachedRunTests {
    @Test func notesAndPreviewsCarryOverToCachedRuns() throws {
        let weir = try WeirProcess()
        let long = String(repeating: "x", count: 5000)
        try weir.write("r.csv", "id,v\n1,\(long)\n3,x,9\n4,5\n")
        try weir.write("p.yaml", "stages:\n  r: { type: extract.csv, path: r.csv, bad_rows: skip }\n")
        let first = try weir.run("run", "p.yaml")
        #expect(first.stdout.contains("r: skipped 1 malformed row"))
        let second = try weir.run("run", "p.yaml")
        #expect(second.stdout.contains("0 ran, 1 cached"))
        #expect(second.stdout.contains("r: (when it ran) skipped 1 malformed row"), "\(second.stdout)")
        // Run ids of one second sort by their random part: the ledger knows which came last.
        let newest = {
            try sqliteShell(
                weir.directory + "/.weir/weir.sqlite", "SELECT id FROM runs ORDER BY started_at DESC LIMIT 1"
            )
            .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let report = try weir.read(".weir/runs/\(try newest())/report.html")
        #expect(report.contains("xxxxxxxxxx… (5000 characters)"))
        #expect(!report.contains(String(repeating: "x", count: 200)))
        // The stage's section, and the body of the fully cached run, kept whole.
        let kept = try FileManager.default.contentsOfDirectory(atPath: weir.directory + "/.weir/previews")
        #expect(kept.count == 2 && kept.filter { $0.hasPrefix("run-") }.count == 1, "\(kept)")
        // Another cached run reads that body back: same sections, nothing new kept.
        #expect(try weir.run("run", "p.yaml").status == 0)
        let again = try FileManager.default.contentsOfDirectory(atPath: weir.directory + "/.weir/previews")
        #expect(Set(again) == Set(kept))
        let body = { (text: String) in text.components(separatedBy: "<h2>Pipeline</h2>").last ?? "" }
        #expect(body(try weir.read(".weir/runs/\(try newest())/report.html")) == body(report))
    }
}
