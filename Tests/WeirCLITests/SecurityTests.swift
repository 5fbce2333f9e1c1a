import Foundation
import Testing
import WeirTestSupport

/// Secrets, the state directory's place, and read-only or full state directories, as a user
/// (or an attacker) meets them through the binary.
@Suite struct SecurityTests {
    /// Every file under `folder`, as bytes, with its path.
    func files(under folder: String) -> [(String, Data)] {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var found: [(String, Data)] = []
        while let name = enumerator?.nextObject() as? String {
            let path = folder + "/" + name
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
                let data = FileManager.default.contents(atPath: path)
            {
                found.append((path, data))
            }
        }
        return found
    }

    @Test(.enabled(if: ReferencePython.available))
    func secretsAreRedactedWhereverTextLeaves() throws {
        var weir = try WeirProcess()
        let secret = "hunter2-T0KEN+x/yz"
        let encoded = "hunter2-T0KEN%2Bx%2Fyz"
        // The webhook answers 500 and quotes the request path, which holds the secret.
        let (port, stop) = try startWebhookServer(
            in: weir.directory, answering: Array(repeating: 500, count: 8), echoPath: true)
        defer { stop() }
        weir.environment["HOOK_SECRET"] = secret
        weir.environment["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE"
        weir.environment["AWS_SECRET_ACCESS_KEY"] = "not-a-real-key"
        try weir.write("alerts.csv", "service,cost\nEC2,3494.11\n")
        try weir.write(
            "p.yaml",
            """
            stages:
              alerts: { type: extract.csv, path: alerts.csv }
              notify: { type: slack, input: alerts, webhook: "http://127.0.0.1:\(port)/hook/${env.HOOK_SECRET}", retries: 1 }

            """)
        let run = try weir.run("run", "p.yaml", "--json")
        #expect(run.status == 1)
        #expect(run.stdout.contains("***"), "the failure should show where the secret was: \(run.stdout)")
        let runID = try #require(run.events.first?["run_id"] as? String)
        let history = try weir.run("history", runID)
        let plain = try weir.run("run", "p.yaml")
        for (what, text) in [
            ("run --json", run.stdout + run.stderr), ("history", history.stdout + history.stderr),
            ("run", plain.stdout + plain.stderr),
        ] {
            #expect(!text.contains(secret) && !text.contains(encoded) && !text.contains("hunter2"), "\(what): \(text)")
        }
        // A secret in a source path, at a store that cannot be reached: the error names the path.
        try weir.write(
            "s3.yaml",
            """
            stages:
              orders: { type: extract.csv, path: "s3://bucket/${env.HOOK_SECRET}/k.csv", endpoint: "http://127.0.0.1:9" }

            """)
        let s3 = try weir.run("plan", "s3.yaml")
        #expect(s3.status != 0)
        #expect(s3.stderr.contains("s3://bucket/***/k.csv"), "\(s3.stderr)")
        #expect(!(s3.stdout + s3.stderr).contains("hunter2"))
        // Nothing in the state directory holds it: ledger, logs, report, payloads.
        for (path, data) in files(under: weir.directory + "/.weir") {
            #expect(data.range(of: Data("hunter2".utf8)) == nil, "\(path) holds the secret")
        }
    }

    @Test func theStateDirectoryIsFoundFromThePipelineNotTheShell() throws {
        let weir = try WeirProcess()
        try weir.write("project/.git/HEAD", "ref: refs/heads/main\n")
        try weir.write("project/pipelines/a.csv", "x\n1\n2\n")
        try weir.write(
            "project/pipelines/p.yaml",
            """
            stages:
              a: { type: extract.csv, path: a.csv }
              n: { type: sql, input: a, query: "SELECT count(*) AS n FROM a" }

            """)
        try weir.write("elsewhere/keep", "")
        // Read-only commands leave nothing behind where they run, or anywhere.
        for command in [["validate"], ["plan"], ["graph"]] {
            #expect(try weir.run(command + ["project/pipelines/p.yaml"]).status == 0)
        }
        #expect(try weir.run("history").status == 0)
        #expect(!FileManager.default.fileExists(atPath: weir.directory + "/.weir"))
        #expect(!FileManager.default.fileExists(atPath: weir.directory + "/project/.weir"))

        // A run from the folder above puts the state at the git work tree's root...
        #expect(try weir.run("run", "project/pipelines/p.yaml").status == 0)
        #expect(FileManager.default.fileExists(atPath: weir.directory + "/project/.weir/weir.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: weir.directory + "/.weir"))
        // ...and a plan from another folder finds it: everything cached.
        let plan = try weir.run(
            ["plan", weir.directory + "/project/pipelines/p.yaml"], in: weir.directory + "/elsewhere")
        #expect(plan.stdout.contains("0 of 2 stages would run"), "\(plan.stdout)")
        #expect(!FileManager.default.fileExists(atPath: weir.directory + "/elsewhere/.weir"))
        // --state-dir still decides when given.
        let explicit = try weir.run("plan", "project/pipelines/p.yaml", "--state-dir", "mine")
        #expect(explicit.stdout.contains("2 of 2 stages would run"))
    }

    func mount(_ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// A copy of `state/` on a read-only tmpfs at `ro/` (the caller unmounts it), or nil where
    /// mounting is not allowed.
    func readOnlyCopy(of weir: WeirProcess) throws -> String? {
        let mounted = weir.directory + "/ro"
        try FileManager.default.createDirectory(atPath: mounted, withIntermediateDirectories: true)
        guard mount(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mounted]) else { return nil }
        #expect(mount(["cp", "-a", weir.directory + "/state/.", mounted + "/"]))
        #expect(mount(["mount", "-o", "remount,ro", mounted]))
        return mounted
    }

    /// Root ignores permission bits, so a read-only state directory is a read-only mount
    /// (tmpfs); without the right to mount (not root), the test has nothing to check.
    @Test(.enabled(if: getuid() == 0)) func aReadOnlyStateDirectoryIsReadAndRunsSayWhy() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "x\n1\n2\n")
        try weir.write(
            "p.yaml",
            """
            stages:
              a: { type: extract.csv, path: a.csv }
              n: { type: sql, input: a, query: "SELECT count(*) AS n FROM a" }

            """)
        #expect(try weir.run("run", "p.yaml", "--state-dir", "state").status == 0)
        guard let mounted = try readOnlyCopy(of: weir) else { return }
        defer { _ = mount(["umount", mounted]) }

        let plan = try weir.run("plan", "p.yaml", "--state-dir", "ro")
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("0 of 2 stages would run"), "\(plan.stdout)")
        let show = try weir.run("show", "p.yaml", "n", "--format", "csv", "--state-dir", "ro")
        #expect(show.stdout == "n\n2\n", "\(show.stderr)")
        let history = try weir.run("history", "--state-dir", "ro")
        #expect(history.status == 0 && history.stdout.contains(" ok "), "\(history.stdout) \(history.stderr)")
        #expect(try weir.run("graph", "p.yaml", "--state-dir", "ro").status == 0)
        let run = try weir.run("run", "p.yaml", "--state-dir", "ro")
        #expect(run.status == 2)
        #expect(run.stderr.contains("state directory \(mounted) is read-only"), "\(run.stderr)")
    }

    /// A ledger copied while its WAL still held changes (its writer had not closed it) is read
    /// with them from a read-only mount: `immutable` alone would show it as it was before them.
    @Test(.enabled(if: getuid() == 0 && ReferencePython.available)) func aReadOnlyCopyWithAPendingWALIsReadWhole()
        throws
    {
        let weir = try WeirProcess()
        try weir.write("a.csv", "x\n1\n")
        try weir.write("p.yaml", "stages:\n  a: { type: extract.csv, path: a.csv }\n")
        #expect(try weir.run("run", "p.yaml", "--state-dir", "state").status == 0)
        // A second run's row, committed to the WAL and left there (no checkpoint, no close).
        _ = try ReferencePython.run(
            """
            import os, sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("PRAGMA wal_autocheckpoint = 0")
            db.execute("INSERT INTO runs SELECT 'pending-run', pipeline, pipeline_file, started_at + 1, "
                       "finished_at + 1, status, pid, command, ran, cached, failed, skipped FROM runs")
            db.commit()
            os._exit(0)
            """, [weir.directory + "/state/weir.sqlite"])
        guard let mounted = try readOnlyCopy(of: weir) else { return }
        defer { _ = mount(["umount", mounted]) }
        let history = try weir.run("history", "--state-dir", "ro")
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.contains("pending-run"), "\(history.stdout)")
    }

    @Test(.enabled(if: getuid() == 0)) func aFullDiskSaysSo() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "x\n1\n2\n")
        try weir.write("p.yaml", "stages:\n  a: { type: extract.csv, path: a.csv }\n")
        let mounted = weir.directory + "/full"
        try FileManager.default.createDirectory(atPath: mounted, withIntermediateDirectories: true)
        guard mount(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mounted]) else { return }
        defer { _ = mount(["umount", mounted]) }
        _ = mount(["dd", "if=/dev/zero", "of=\(mounted)/filler", "bs=4k", "count=64"])
        let run = try weir.run("run", "p.yaml", "--state-dir", "full/state")
        #expect(run.status != 0)
        #expect(run.stderr.contains("no space left on device writing \(mounted)/state/"), "\(run.stderr)")
    }

    @Test func anAliasBombIsRefusedInBoundedTimeAndMemory() throws {
        let weir = try WeirProcess()
        var lines = ["x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            lines.append(
                "x-\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]")
            previous = name
        }
        try weir.write(
            "bomb.yaml", lines.joined(separator: "\n") + "\nstages:\n  a: { type: extract.csv, path: a.csv }\n")
        let started = Date()
        let bomb = try weir.run("validate", "bomb.yaml")
        #expect(bomb.status == 2)
        // The position is the alias whose use passes the bound (x-f names 9^5 values).
        #expect(
            bomb.stderr.contains("bomb.yaml:6:") && bomb.stderr.contains("expands to more than 250000 values"),
            "\(bomb.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)

        try weir.write(
            "deep.yaml", "stages: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n")
        let deep = try weir.run("validate", "deep.yaml")
        #expect(deep.status == 2)
        #expect(deep.stderr.contains("YAML nests deeper than 1000 levels"), "\(deep.stderr)")
    }

    @Test func mergeKeysAndAnchorsWork() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "x;y\n1;2\n")
        try weir.write(
            "p.yaml",
            """
            x-csv: &csv { type: extract.csv, delimiter: ";" }
            stages:
              a: { <<: *csv, path: a.csv }
              b:
                <<: [*csv]
                path: a.csv
                delimiter: ","

            """)
        #expect(try weir.run("run", "p.yaml").status == 0)
        #expect(try weir.run("show", "p.yaml", "a", "--format", "csv").stdout == "x,y\n1,2\n")
        #expect(try weir.run("show", "p.yaml", "b", "--format", "csv").stdout == "x;y\n1;2\n")
    }

    @Test func dollarNameInSQLIsBoundNotSpliced() throws {
        let weir = try WeirProcess()
        try weir.write("c.csv", "id,city\n1,sp\n2,rj\n3,x' OR 1=1 --\n")
        try weir.write(
            "p.yaml",
            """
            params: { city: sp, min: 1 }
            stages:
              a: { type: extract.csv, path: c.csv }
              q: { type: sql, input: a, query: "SELECT id FROM a WHERE city = $city AND id >= $min ORDER BY id" }

            """)
        #expect(try weir.run("run", "p.yaml").status == 0)
        #expect(try weir.run("show", "p.yaml", "q", "--format", "csv").stdout == "id\n1\n")
        // Quotes in the value are part of the value: it matches the row that holds them, and
        // never turns into SQL that matches every row.
        let quoted = ["--param", "city=x' OR 1=1 --"]
        let run = try weir.run(["run", "p.yaml", "--json"] + quoted)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.events.first { $0["stage"] as? String == "q" && $0["event"] as? String == "stage_finished" }?["reason"]
                as? String
                == "params changed: $city")
        #expect(try weir.run(["show", "p.yaml", "q", "--format", "csv"] + quoted).stdout == "id\n3\n")
        // A typed value: the integer param compares as a number.
        #expect(try weir.run("run", "p.yaml", "--param", "min=2", "--param", "city=rj").status == 0)
        #expect(
            try weir.run("show", "p.yaml", "q", "--format", "csv", "--param", "min=2", "--param", "city=rj").stdout
                == "id\n2\n")
        // A $name that is no pipeline param is a located error.
        try weir.write(
            "bad.yaml",
            """
            params: { min: 1 }
            stages:
              a: { type: extract.csv, path: c.csv }
              q: { type: sql, input: a, query: "SELECT id FROM a WHERE id >= $mni" }

            """)
        let bad = try weir.run("validate", "bad.yaml")
        #expect(bad.status == 2)
        #expect(
            bad.stderr.contains("bad.yaml:4:")
                && bad.stderr.contains("q.query binds $mni, but the pipeline has no param 'mni'"), "\(bad.stderr)")
        #expect(bad.stderr.contains("did you mean 'min'"))
    }

    @Test func aShortSecretIsMaskedWhereItStandsAlone() throws {
        var weir = try WeirProcess()
        weir.environment["DIR"] = "q7x"
        try weir.write("p.yaml", "stages:\n  a: { type: extract.csv, path: \"${env.DIR}/nope.csv\" }\n")
        let result = try weir.run("validate", "p.yaml")
        #expect(result.status == 2)
        #expect(result.stderr.contains("no such file '***/nope.csv'"), "\(result.stderr)")
        #expect(!result.stderr.contains("q7x"))
    }
}
