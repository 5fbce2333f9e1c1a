import Foundation
import Testing
import WeirTestSupport

/// The slack stage against a real HTTP server on 127.0.0.1 (scripts/reference/webhook_server.py).
@Suite(
    .enabled(
        if: ReferencePython.available, "needs the reference Python (scripts/venv.sh scripts/requirements/test.txt)"))
struct SlackWebhookTests {
    /// Starts the stand-in webhook answering `statuses` first; returns its URL and a stop action.
    func server(in directory: String, answering statuses: [Int]) throws -> (url: String, stop: () -> Void) {
        let (port, stop) = try startWebhookServer(in: directory, answering: statuses)
        return ("http://127.0.0.1:\(port)/services/T000/B000/secret-token-xyz", stop)
    }

    func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func retriesAfter429PostsOnceAndNotAgainWhenCached() throws {
        var weir = try WeirProcess()
        let (url, stop) = try server(in: weir.directory, answering: [429])
        defer { stop() }
        weir.environment["SLACK_WEBHOOK_URL"] = url
        try weir.write(
            "alerts.csv",
            "service,date,cost,z\nAmazon EC2,2025-02-03,3494.11,9.18\nAmazon DynamoDB,2025-02-03,1742.4,15.86\n")
        try weir.write(
            "p.yaml",
            """
            stages:
              alerts: { type: extract.csv, path: alerts.csv }
              notify: { type: slack, input: alerts, webhook: "${env.SLACK_WEBHOOK_URL}", title: Cost alerts }

            """)
        let first = try weir.run("run", "p.yaml", "--json")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(lines(weir.directory + "/requests.jsonl").count == 2)  // the 429, then the retry
        let accepted = lines(weir.directory + "/accepted.jsonl")
        #expect(accepted.count == 1)
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(accepted[0].utf8)) as? [String: Any])
        let blocks = try #require(payload["blocks"] as? [[String: Any]])
        #expect(blocks.first?["type"] as? String == "header")
        #expect(blocks.contains { ($0["text"] as? [String: Any])?["text"] as? String == "Cost alerts" })
        let section = blocks.first { $0["type"] as? String == "section" }
        #expect(((section?["text"] as? [String: Any])?["text"] as? String)?.contains("Amazon DynamoDB") == true)

        // Same inputs: cached, nothing posted. --force posts again.
        let second = try weir.run("run", "p.yaml", "--json")
        #expect(second.statuses["notify"] == "cached")
        #expect(lines(weir.directory + "/accepted.jsonl").count == 1)
        let forced = try weir.run("run", "p.yaml", "--select", "notify", "--force")
        #expect(forced.status == 0)
        #expect(lines(weir.directory + "/accepted.jsonl").count == 2)

        // The URL is a secret: not in any output, log or ledger.
        for output in [first, second, forced] {
            #expect(!output.stdout.contains("secret-token") && !output.stderr.contains("secret-token"))
        }
        let grep = Process()
        grep.executableURL = URL(fileURLWithPath: "/bin/grep")
        grep.arguments = ["-r", "-l", "-a", "secret-token-xyz", weir.directory + "/.weir"]
        grep.standardOutput = FileHandle.nullDevice
        try grep.run()
        grep.waitUntilExit()
        #expect(grep.terminationStatus == 1, "the webhook URL was written under .weir")
    }

    @Test func aRefusedMessageFailsWithTheStatusButNotTheURL() throws {
        var weir = try WeirProcess()
        let (url, stop) = try server(in: weir.directory, answering: [404])
        defer { stop() }
        weir.environment["SLACK_WEBHOOK_URL"] = url
        try weir.write("a.csv", "x\n1\n")
        try weir.write(
            "p.yaml",
            "stages:\n  a: { type: extract.csv, path: a.csv }\n  n: { type: slack, input: a, webhook: \"${env.SLACK_WEBHOOK_URL}\" }\n"
        )
        let result = try weir.run("run", "p.yaml")
        #expect(result.status == 1)
        #expect(result.stdout.contains("HTTP 404") || result.stderr.contains("HTTP 404"))
        #expect(!result.stdout.contains("secret-token") && !result.stderr.contains("secret-token"))
    }

    @Test func withoutAWebhookThePayloadGoesToTheRunFolder() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "x\n1\n")
        try weir.write("p.yaml", "stages:\n  a: { type: extract.csv, path: a.csv }\n  n: { type: slack, input: a }\n")
        let result = try weir.run("run", "p.yaml")
        #expect(result.status == 0)
        #expect(result.stdout.contains("slack.json"))
    }
}
