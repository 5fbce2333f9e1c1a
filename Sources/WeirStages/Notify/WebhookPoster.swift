import Foundation
import WeirCore
import WeirRemote

/// POSTs JSON with retries: a 429 waits for Retry-After, a 5xx or a network error backs off
/// (0.5 s, doubling, at most 60 s). Errors name the status and the receiver's answer, never
/// the URL (a webhook URL is a secret).
public struct WebhookPoster: Sendable {
    /// What the messages call the receiver ("the Slack webhook").
    public var label: String
    public var retries: Int
    public var timeout: Double

    public init(label: String, retries: Int, timeout: Double) {
        self.label = label
        self.retries = retries
        self.timeout = timeout
    }

    public func post(_ body: Data, to url: URL, log: (String) -> Void) throws -> (status: Int, attempts: Int) {
        var attempt = 0
        var backoff = 0.5
        while true {
            attempt += 1
            var request = HTTPRequest(url: url, method: "POST", timeout: timeout)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.body = body
            var wait: Double?
            var problem: String
            switch HTTPTransport.attempt(request) {
            case .success(let response):
                let status = response.status
                if (200..<300).contains(status) { return (status, attempt) }
                let text = String(decoding: response.body.prefix(200), as: UTF8.self)
                problem = "HTTP \(status)\(text.isEmpty ? "" : ": \(text)")"
                if status == 429 {
                    wait = Double(response.header("retry-after") ?? "") ?? backoff
                } else if status >= 500 {
                    wait = backoff
                } else {
                    throw StageError(
                        "\(label) refused the message (\(problem))", param: "webhook",
                        hint: status == 404 || status == 403
                            ? "the webhook may have been revoked; create a new one" : nil)
                }
            case .failure(let failure):
                problem =
                    switch failure {
                    case .timedOut: "timed out"
                    case .network(let reason), .file(let reason), .unavailable(let reason): reason
                    }
                // Without an HTTP client no retry can help.
                if case .unavailable = failure { wait = nil } else { wait = backoff }
            }
            guard attempt <= retries, let delay = wait else {
                throw StageError(
                    "posting to \(label) failed after \(Wording.count(attempt, "attempt")) (\(problem))",
                    param: "webhook")
            }
            log("attempt \(attempt): \(problem); retrying in \(String(format: "%.1f", Swift.min(delay, 60))) s")
            Thread.sleep(forTimeInterval: Swift.min(delay, 60))
            backoff *= 2
        }
    }
}
