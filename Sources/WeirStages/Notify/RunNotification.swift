import Foundation
import WeirCore

/// The message `notify:` posts about a finished run: the pipeline, the run, the failed stages
/// with the first lines of their errors, how many were skipped, the command that re-runs them
/// and the report's path. Redacted as a whole before it leaves the process.
public struct RunNotification {
    public let pipeline: Pipeline
    public let summary: RunSummary
    /// The pipeline file as the user named it, for the re-run command.
    public let pipelineArgument: String
    public let reportPath: String

    public init(pipeline: Pipeline, summary: RunSummary, pipelineArgument: String, reportPath: String) {
        self.pipeline = pipeline
        self.summary = summary
        self.pipelineArgument = pipelineArgument
        self.reportPath = reportPath
    }

    /// Posts to the target for this outcome, if the pipeline has one; returns a warning when the
    /// message could not be delivered (a notification never fails the run).
    public func send(log: (String) -> Void) -> String? {
        guard let notify = pipeline.notify, let target = summary.failed ? notify.onFailure : notify.onSuccess else {
            return nil
        }
        guard let url = URL(string: target.webhook) else { return "notify: the webhook is not a URL" }
        do {
            let body = Data(Secrets.redact(String(decoding: try payload(target.format), as: UTF8.self)).utf8)
            let poster = WebhookPoster(
                label: "the \(summary.failed ? "on_failure" : "on_success") webhook", retries: target.retries,
                timeout: 10)
            let (status, _) = try poster.post(body, to: url, log: log)
            log("notified the \(summary.failed ? "on_failure" : "on_success") webhook (HTTP \(status))")
            return nil
        } catch {
            return "notify: \(error)"
        }
    }

    var failures: [(stage: String, error: String)] {
        summary.outcomes.filter { $0.status == .failed }.map { outcome in
            let lines = (outcome.error ?? "failed").split(separator: "\n", omittingEmptySubsequences: true).prefix(3)
            return (outcome.stage, lines.joined(separator: "\n"))
        }
    }

    var skipped: Int { summary.outcomes.filter { $0.status == .skipped }.count }

    var rerun: String? {
        let failed = failures.map(\.stage)
        guard !failed.isEmpty else { return nil }
        return (["weir run", pipelineArgument] + failed.map { "--select \($0)+" }).joined(separator: " ")
    }

    /// The message as JSON; an object JSON cannot hold is an error, never an empty message.
    func payload(_ format: NotifySpec.Format) throws -> Data {
        let object: [String: Any] =
            switch format {
            case .json: jsonObject()
            case .slack: slackObject()
            }
        guard JSONSerialization.isValidJSONObject(object) else {
            throw StageError("the \(format.rawValue) message is not valid JSON; this is a bug in Weir")
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    private func jsonObject() -> [String: Any] {
        var object: [String: Any] = [
            "pipeline": pipeline.name, "pipeline_file": pipeline.file, "run_id": summary.runID,
            "status": summary.status.rawValue,
            "seconds": summary.seconds, "counts": summary.counts, "skipped": skipped, "report": reportPath,
            "failed": failures.map { ["stage": $0.stage, "error": $0.error] },
        ]
        if let rerun { object["rerun"] = rerun }
        return object
    }

    private func slackObject() -> [String: Any] {
        let title =
            summary.failed
            ? "Weir: pipeline '\(pipeline.name)' \(summary.status.rawValue) (run \(summary.runID))"
            : "Weir: pipeline '\(pipeline.name)' ok (run \(summary.runID))"
        var lines = failures.map { "*\($0.stage)* failed:\n```\($0.error)```" }
        let counts = summary.counts
        lines.append(
            "\(counts["ran"] ?? 0) ran, \(counts["cached"] ?? 0) cached, \(counts["failed"] ?? 0) failed, \(skipped) skipped"
        )
        var context = ["report: \(reportPath)"]
        if let rerun { context.insert("re-run: `\(rerun)`", at: 0) }
        return [
            "text": title,
            "blocks": [
                ["type": "header", "text": ["type": "plain_text", "text": String(title.prefix(150))]],
                [
                    "type": "section",
                    "text": ["type": "mrkdwn", "text": String(lines.joined(separator: "\n").prefix(2900))],
                ],
                ["type": "context", "elements": context.map { ["type": "mrkdwn", "text": String($0.prefix(2900))] }],
            ],
        ]
    }
}
