import Foundation
import Testing
import WeirTestSupport

/// `s3://` sources end to end: the `weir` binary against moto's S3 server, which checks every
/// request's signature, with uploads made by boto3.
@Suite(.serialized, .enabled(if: ReferencePython.available)) struct S3SourceTests {
    static let server = Result { try S3TestServer() }

    static let pipeline = """
        pipeline: s3-orders
        stages:
          parts: { type: extract.csv, path: "s3://weir-e2e/parts/", filename_column: source }
          zipped: { type: extract.csv, path: "s3://weir-e2e/archive/orders-*.csv.gz" }
          totals: { type: sql, input: parts, query: "SELECT count(*) AS n, sum(amount) AS total, count(DISTINCT source) AS files FROM parts" }
          zipped_totals: { type: sql, input: zipped, query: "SELECT count(*) AS n, sum(qty) AS qty FROM zipped" }
          out: { type: load.csv, input: totals, path: out/totals.csv }
          zipped_out: { type: load.csv, input: zipped_totals, path: out/zipped.csv }

        """

    @Test func extractsPagesCachesByETagAndRerunsOnlyWhatChanged() throws {
        let server = try Self.server.get()
        try server.bucket("weir-e2e")
        var objects: [String: String] = [:]
        for i in 0..<1001 {
            objects[String(format: "parts/part-%04d.csv", i)] = "order_id,amount\n\(i),\(Double(i) / 4)\n"
        }
        try server.put("weir-e2e", objects: objects)
        let weir = try WeirProcess()
        try weir.write("orders.csv", "order_id,qty\n1,3\n2,4\n3,5\n")
        try gzip(weir, "orders.csv", to: "orders.csv.gz")
        try server.put("weir-e2e", "archive/orders-2024.csv.gz", file: weir.directory + "/orders.csv.gz")
        try server.put("weir-e2e", "archive/readme.txt", text: "not matched by the glob")
        try weir.write("p.yaml", Self.pipeline)
        var runner = weir
        runner.environment = server.environment
        _ = try server.counts()

        let first = try runner.run("run", "p.yaml", "--json")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stages("ran").count == 6)
        let total = (0..<1001).reduce(0.0) { $0 + Double($1) / 4 }
        #expect(try weir.read("out/totals.csv") == "n,total,files\n1001,\(total),1001\n")
        #expect(try weir.read("out/zipped.csv") == "n,qty\n3,12\n")
        let firstCounts = try server.counts()
        #expect(firstCounts["GET"] == 1002, "\(firstCounts)")  // every object once

        // Nothing changed: the listings are all it costs; no object is downloaded.
        let second = try runner.run("run", "p.yaml", "--json")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stages("cached").count == 6)
        let secondCounts = try server.counts()
        #expect(secondCounts["GET", default: 0] == 0 && secondCounts["list", default: 0] == 3, "\(secondCounts)")

        // One object changes: only its extract and downstream run, and only it is downloaded
        // (by the plan, which reads it to check the schema; the run reuses that copy).
        try server.put("weir-e2e", "parts/part-0500.csv", text: "order_id,amount\n500,1000\n")
        _ = try server.counts()
        let plan = try runner.run("plan", "p.yaml")
        #expect(plan.stdout.contains("source changed: s3://weir-e2e/parts/part-0500.csv"), "\(plan.stdout)")
        let third = try runner.run("run", "p.yaml", "--json")
        #expect(third.stages("ran") == ["parts", "totals", "out"])
        #expect(third.stages("cached") == ["zipped", "zipped_totals", "zipped_out"])
        let thirdCounts = try server.counts()
        #expect(thirdCounts["GET"] == 1, "\(thirdCounts)")
        #expect(try weir.read("out/totals.csv") == "n,total,files\n1001,\(total - 125 + 1000),1001\n")
    }

    /// extract.logs over a `**` glob of gzipped exports in a bucket gives what it gives locally.
    @Test func extractsLogsFromABucketAsFromDisk() throws {
        let server = try Self.server.get()
        try server.bucket("weir-logs")
        let sample = ReferencePython.packageRoot.appendingPathComponent("data/balance-logs").path
        let files = try FileManager.default.contentsOfDirectory(atPath: sample).filter { $0.hasSuffix(".gz") }.sorted()
            .prefix(20)
        let weir = try WeirProcess()
        for (i, file) in files.enumerated() {
            try FileManager.default.createDirectory(
                atPath: weir.directory + "/local/\(i % 3)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                atPath: sample + "/" + file, toPath: weir.directory + "/local/\(i % 3)/" + file)
            try server.put("weir-logs", "exports/\(i % 3)/\(file)", file: sample + "/" + file)
        }
        try server.put("weir-logs", "exports/notes.txt", text: "skipped by the glob")
        try weir.write(
            "p.yaml",
            """
            pipeline: s3-logs
            stages:
              remote: { type: extract.logs, path: "s3://weir-logs/exports/**/*.gz" }
              local: { type: extract.logs, path: "local/**/*.gz" }
              compare:
                type: sql
                inputs: [remote, local]
                query: |
                  SELECT (SELECT count(*) FROM remote) AS remote_rows, (SELECT count(*) FROM local) AS local_rows,
                         (SELECT count(*) FROM remote r JOIN local l
                            ON r.line = l.line AND r.text = l.text AND substr(r.log_file, 24) = substr(l.log_file, 7)) AS same
              out: { type: load.csv, input: compare, path: compare.csv }

            """)
        var runner = weir
        runner.environment = server.environment
        let result = try runner.run("run", "p.yaml")
        #expect(result.status == 0, "\(result.stderr)")
        let row = try weir.read("compare.csv").split(separator: "\n")[1].split(separator: ",").map { Int($0) ?? -1 }
        #expect(row[0] > 100 && row[0] == row[1] && row[1] == row[2], "\(row)")
    }

    @Test func wrongCredentialsAndAMissingKeyAreClearErrors() throws {
        let server = try Self.server.get()
        try server.bucket("weir-errors")
        try server.put("weir-errors", "a.csv", text: "x\n1\n")
        let weir = try WeirProcess()
        try writeSourcePipeline(weir, "a", path: "s3://weir-errors/a.csv")
        var runner = weir
        runner.environment = server.environment
        runner.environment["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-value"
        let denied = try runner.run("run", "p.yaml")
        #expect(denied.status == 2)
        #expect(denied.stderr.contains("access denied to s3://weir-errors/a.csv"), "\(denied.stderr)")
        #expect(denied.stderr.contains("p.yaml:3:"), "\(denied.stderr)")
        #expect(!denied.stderr.contains("wrong-secret-value") && !denied.stdout.contains("wrong-secret-value"))

        runner.environment = server.environment
        try writeSourcePipeline(weir, "a", path: "s3://weir-errors/missing.csv")
        let missing = try runner.run("run", "p.yaml")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such key 'missing.csv' in bucket 'weir-errors'"), "\(missing.stderr)")
    }
}

/// `http(s)://` sources end to end against a local static server with ETags and a redirect.
@Suite(.enabled(if: ReferencePython.available)) struct HTTPSourceTests {
    /// Runs `body` with the endpoint of a static server over the folder's `served/`.
    func serving(_ weir: WeirProcess, _ body: (String) throws -> Void) throws {
        let server = try ScriptServer("http_server.py", [weir.directory + "/served"])
        try withExtendedLifetime(server) { try body(try #require(server.hello["endpoint"] as? String)) }
    }

    func gets(_ endpoint: String) throws -> Int {
        let data = try Data(contentsOf: URL(string: endpoint + "/__counts")!)
        return (try JSONSerialization.jsonObject(with: data) as? [String: Int])?["GET"] ?? -1
    }

    @Test func followsRedirectsReadsGzipAndCachesByETag() throws {
        let weir = try WeirProcess()
        try weir.write("served/orders.csv", "order_id,qty\n1,3\n2,4\n")
        try gzip(weir, "served/orders.csv", to: "served/orders.csv.gz")
        try serving(weir) { endpoint in
            try weir.write(
                "p.yaml",
                """
                pipeline: http-orders
                stages:
                  orders: { type: extract.csv, path: "\(endpoint)/moved/orders.csv.gz" }
                  total: { type: sql, input: orders, query: "SELECT sum(qty) AS qty FROM orders" }
                  out: { type: load.csv, input: total, path: total.csv }

                """)
            let first = try weir.run("run", "p.yaml", "--json")
            #expect(first.status == 0, "\(first.stderr)")
            #expect(try weir.read("total.csv") == "qty\n7\n")
            #expect(try gets(endpoint) == 1)

            let second = try weir.run("run", "p.yaml", "--json")
            #expect(second.stages("cached").count == 3)
            #expect(try gets(endpoint) == 0)

            try weir.write("served/new.csv", "order_id,qty\n1,3\n2,40\n")
            try gzip(weir, "served/new.csv", to: "served/orders.csv.gz")
            let third = try weir.run("run", "p.yaml", "--json")
            #expect(third.stages("ran") == ["orders", "total", "out"])
            #expect(try weir.read("total.csv") == "qty\n43\n")
        }
    }

    @Test func retriesServerErrorsThenGivesTheStatus() throws {
        let weir = try WeirProcess()
        try weir.write("served/x.csv", "a\n1\n2\n")
        try serving(weir) { endpoint in
            // Two 503s, then the file: the HEAD is retried and the run goes through.
            try writeSourcePipeline(weir, "x", path: "\(endpoint)/flaky/2/x.csv")
            let recovered = try weir.run("run", "p.yaml", "--json")
            #expect(recovered.status == 0, "\(recovered.stderr)")
            // A server that keeps failing: the status, after every attempt.
            try writeSourcePipeline(weir, "x", path: "\(endpoint)/flaky/99/x.csv")
            let failed = try weir.run("run", "p.yaml")
            #expect(failed.status == 2)
            #expect(
                failed.stderr.contains("\(endpoint)/flaky/99/x.csv: HTTP 503 Service Unavailable"), "\(failed.stderr)")
        }
    }

    @Test func aMissingResourceGivesItsStatus() throws {
        let weir = try WeirProcess()
        try weir.write("served/x.csv", "a\n1\n")
        try serving(weir) { endpoint in
            try writeSourcePipeline(weir, "orders", path: "\(endpoint)/nope.csv")
            let result = try weir.run("run", "p.yaml")
            #expect(result.status == 2)
            #expect(result.stderr.contains("\(endpoint)/nope.csv: HTTP 404 Not Found"), "\(result.stderr)")
        }
    }
}

/// Compresses `source` (relative to the folder) into `target` with gzip.
func gzip(_ weir: WeirProcess, _ source: String, to target: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-c", weir.directory + "/" + source]
    _ = FileManager.default.createFile(atPath: weir.directory + "/" + target, contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: weir.directory + "/" + target)
    try process.run()
    process.waitUntilExit()
}

/// Writes p.yaml: one extract.csv stage `id` reading `path`.
func writeSourcePipeline(_ weir: WeirProcess, _ id: String, path: String) throws {
    try weir.write(
        "p.yaml",
        """
        pipeline: remote-source
        stages:
          \(id): { type: extract.csv, path: "\(path)" }

        """)
}
