import Foundation
import Testing
import WeirTestSupport

/// `notify:` against a real HTTP receiver on 127.0.0.1 (scripts/reference/webhook_server.py).
@Suite(.enabled(if: ReferencePython.available)) struct NotifyTests {
    func server(in directory: String, answering statuses: [Int]) throws -> (url: String, stop: () -> Void) {
        let (port, stop) = try startWebhookServer(in: directory, answering: statuses)
        return ("http://127.0.0.1:\(port)/hooks/alert-token-7f3e9", stop)
    }

    func accepted(_ directory: String) throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: directory + "/accepted.jsonl", encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func pipeline(_ weir: WeirProcess, failing: Bool, format: String = "json", event: String = "on_failure") throws {
        try weir.write("a.csv", "id\n1\n")
        let query = failing ? "SELECT abs(-9223372036854775807 - 1) AS v FROM a" : "SELECT id FROM a"
        try weir.write(
            "p.yaml",
            """
            pipeline: nightly
            notify: { \(event): { webhook: "${env.ALERT_URL}", format: \(format), retries: 2 } }
            stages:
              a: { type: extract.csv, path: a.csv }
              bad: { type: sql, input: a, query: "\(query)" }
              after: { type: sql, input: bad, query: "SELECT * FROM bad" }
              fine: { type: sql, input: a, query: "SELECT count(*) AS n FROM a" }

            """)
    }

    @Test func aFailedRunPostsOneMessageAfterRetrying() throws {
        var weir = try WeirProcess()
        let (url, stop) = try server(in: weir.directory, answering: [503])
        defer { stop() }
        weir.environment["ALERT_URL"] = url
        try pipeline(weir, failing: true)
        let result = try weir.run("run", "p.yaml")
        #expect(result.status == 1)
        let posts = try accepted(weir.directory)
        #expect(posts.count == 1)
        let message = try #require(posts.first)
        #expect(message["pipeline"] as? String == "nightly")
        #expect(message["status"] as? String == "failed")
        #expect((message["run_id"] as? String)?.isEmpty == false)
        let failed = try #require(message["failed"] as? [[String: Any]])
        #expect(failed.map { $0["stage"] as? String } == ["bad"])
        #expect((failed.first?["error"] as? String)?.contains("Overflow on abs") == true)
        #expect(message["skipped"] as? Int == 1)
        #expect(message["rerun"] as? String == "weir run p.yaml --select bad+")
        #expect(FileManager.default.fileExists(atPath: try #require(message["report"] as? String)))
        // The webhook URL is a secret: never printed.
        #expect(!result.stdout.contains("alert-token") && !result.stderr.contains("alert-token"))
        // A successful run with only on_failure posts nothing.
        try pipeline(weir, failing: false)
        #expect(try weir.run("run", "p.yaml").status == 0)
        #expect(try accepted(weir.directory).count == 1)
    }

    @Test func onSuccessInSlackFormat() throws {
        var weir = try WeirProcess()
        let (url, stop) = try server(in: weir.directory, answering: [])
        defer { stop() }
        weir.environment["ALERT_URL"] = url
        try pipeline(weir, failing: false, format: "slack", event: "on_success")
        #expect(try weir.run("run", "p.yaml").status == 0)
        let message = try #require(try accepted(weir.directory).first)
        #expect((message["text"] as? String)?.contains("Weir: pipeline 'nightly' ok") == true)
        #expect((message["blocks"] as? [[String: Any]])?.first?["type"] as? String == "header")
    }

    @Test func anUndeliverableMessageIsAWarningNotALostRun() throws {
        var weir = try WeirProcess()
        weir.environment["ALERT_URL"] = "http://127.0.0.1:9/hooks/alert-token-7f3e9"  // discard port: refused
        try pipeline(weir, failing: false, event: "on_success")
        let result = try weir.run("run", "p.yaml")
        #expect(result.status == 0)
        #expect(
            result.stderr.contains("warning: notify: posting to the on_success webhook failed after 3 attempts"),
            "\(result.stderr)")
        #expect(!result.stderr.contains("alert-token"))
        #expect(try weir.run("history").stdout.contains("ok"))
    }

    @Test func badNotifyKeysAreLocated() throws {
        let weir = try WeirProcess()
        try weir.write(
            "p.yaml",
            """
            notify: { on_falure: { webhook: "http://x" }, on_success: { webhook: "ftp://x", format: xml } }
            stages:
              a: { type: extract.csv, path: a.csv }

            """)
        let result = try weir.run("validate", "p.yaml")
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown key 'on_falure' in `notify`"))
        #expect(result.stderr.contains("`notify.on_success.webhook` must be an http:// or https:// URL"))
        #expect(result.stderr.contains("`notify.on_success.format` must be slack or json, found 'xml'"))
    }
}
