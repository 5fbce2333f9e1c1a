import Foundation
import WeirCore
import WeirRemote
import WeirReport
import WeirTable

/// `slack`: one Block Kit message from the stage's inputs (a header, then a section per input
/// with its rows), posted to an incoming webhook with retries: 429 waits for Retry-After, 5xx
/// and network errors back off exponentially. The webhook URL is a secret (usually
/// `${env.SLACK_WEBHOOK_URL}`) and never appears in output, logs or errors. Without a webhook
/// the payload goes to the run folder. A re-run with the same inputs is cached and posts
/// nothing; `--force` posts again.
public struct Slack: StageType {
    public let name = "slack"
    public let version = "1"
    public let summary = "Post a Block Kit message summarising the inputs to a Slack incoming webhook."
    public let inputs = InputArity.many
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        var webhook: String?
        var title: String?
        var maxRows = 10
        var postWhenEmpty = false
        var retries = 5
        var timeout = 10.0

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "webhook", \.webhook,
                help:
                    "the incoming-webhook URL, e.g. ${env.SLACK_WEBHOOK_URL}; without it the payload is written to the run folder"
            ),
            .param("title", \.title, help: "the message header (default: Weir: <stage id>)"),
            .param("max_rows", \.maxRows, help: "rows shown per input"),
            .param("post_when_empty", \.postWhenEmpty, help: "post even when every input is empty"),
            .param("retries", \.retries, help: "further attempts after a 429, a 5xx or a network error"),
            .param("timeout", \.timeout, help: "seconds to wait for each attempt"),
        ]

        func problems(stage id: String) -> [StageError] {
            guard let webhook, !webhook.isEmpty, URL(string: webhook)?.scheme?.hasPrefix("http") != true else {
                return []
            }
            // The value may be a secret: say what is wrong without repeating it.
            return [
                StageError(
                    "\(id).webhook is not an http(s) URL", param: "webhook",
                    hint: "Slack webhooks look like https://hooks.slack.com/services/…")
            ]
        }
    }

    public init() {}

    static let schema = Schema([
        Field("posted", .bool), Field("status", .int64), Field("attempts", .int64),
        Field("blocks", .int64), Field("payload_sha256", .string),
    ])

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        _ = context.parameters(Params.self)
        return ["out": Self.schema]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let params = try context.parameters(Params.self)
        let maxRows = Swift.max(1, params.maxRows)
        let title = params.title ?? "Weir: \(context.stage.id)"
        let names = context.stage.inputs.map(\.description)
        let payload = SlackPayload(
            title: title, sections: zip(names, context.inputs).map { ($0, $1) }, maxRows: maxRows)
        // Tables can quote what a failing stage said; the payload leaves the process, so it is redacted.
        let body = Data(Secrets.redact(String(decoding: try payload.json(), as: UTF8.self)).utf8)
        let digest = body.withUnsafeBytes { ContentHash.sha256($0) }
        func result(posted: Bool, status: Int, attempts: Int) throws -> [String: Table] {
            [
                "out": try Table(
                    schema: Self.schema,
                    columns: [
                        Column(bool: [posted]), Column(int64Values: [Int64(status)]),
                        Column(int64Values: [Int64(attempts)]),
                        Column(int64Values: [Int64(payload.blockCount)]), Column(string: [digest]),
                    ])
            ]
        }
        let empty = context.inputs.allSatisfy { $0.rowCount == 0 }
        if empty && !params.postWhenEmpty {
            context.log.note("nothing to report: every input is empty, so no message was posted")
            return try result(posted: false, status: 0, attempts: 0)
        }
        guard let webhook = params.webhook, !webhook.isEmpty, let url = URL(string: webhook) else {
            let path = try context.runFile("slack.json")
            try body.write(to: URL(fileURLWithPath: path))
            context.log.note("no webhook: the Slack payload was written to \(path)")
            return try result(posted: false, status: 0, attempts: 0)
        }
        let poster = WebhookPoster(
            label: "the Slack webhook", retries: Swift.max(0, params.retries),
            timeout: params.timeout)
        let (status, attempts) = try poster.post(body, to: url, log: context.log.info)
        context.log.info(
            "posted \(body.count) bytes to the webhook (HTTP \(status), \(Wording.count(attempts, "attempt")))")
        return try result(posted: true, status: status, attempts: attempts)
    }
}

/// The Block Kit message: a header, and per input a section of its first rows (Slack allows
/// 3,000 characters per section and 50 blocks per message).
struct SlackPayload {
    var blocks: [[String: Any]] = []
    let title: String

    init(title: String, sections: [(String, Table)], maxRows: Int) {
        self.title = String(title.prefix(150))
        blocks.append(["type": "header", "text": ["type": "plain_text", "text": self.title, "emoji": true]])
        for (name, table) in sections.prefix(24) {
            var lines = ["*\(name)* — \(Wording.count(table.rowCount, "row"))"]
            for row in 0..<Swift.min(maxRows, table.rowCount) {
                lines.append(
                    "• "
                        + zip(table.schema.names, table.row(row)).map { "\($0): \(CellFormat.cell($1))" }.joined(
                            separator: ", "))
            }
            if table.rowCount > maxRows { lines.append("_… and \(table.rowCount - maxRows) more_") }
            var text = lines.joined(separator: "\n")
            if text.count > 2900 { text = String(text.prefix(2900)) + "…" }
            blocks.append(["type": "section", "text": ["type": "mrkdwn", "text": text]])
            blocks.append(["type": "divider"])
        }
        if blocks.last?["type"] as? String == "divider" { blocks.removeLast() }
    }

    var blockCount: Int { blocks.count }

    func json() throws -> Data {
        try JSONSerialization.data(withJSONObject: ["text": title, "blocks": blocks], options: [.sortedKeys])
    }
}
