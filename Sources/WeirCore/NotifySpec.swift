/// `notify:` at the top of a pipeline: a webhook told when a run fails (and, if asked, when one
/// succeeds). The URL usually comes from `${env.X}` and is then a secret.
public struct NotifySpec: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        /// Slack's incoming-webhook message (text and blocks).
        case slack
        /// One JSON object describing the run.
        case json
    }

    public struct Target: Sendable {
        public var webhook: String
        public var format: Format
        /// Further attempts after a 429, a 5xx or a network error.
        public var retries: Int
    }

    public var onFailure: Target?
    public var onSuccess: Target?

    static let events = ["on_failure", "on_success"]
    static let keys = ["webhook", "format", "retries"]

    static func parse(_ node: YAMLNode, substitution: Substitution, _ diagnostics: inout DiagnosticCollector)
        -> NotifySpec?
    {
        guard let pairs = node.pairs else {
            diagnostics.error(
                node.location,
                "`notify` must be a mapping such as { on_failure: { webhook: \"${env.ALERT_URL}\", format: slack } }, found \(node.kindName)"
            )
            return nil
        }
        var spec = NotifySpec()
        diagnostics.unknownKeys(pairs, allowed: events, in: "`notify`")
        for pair in pairs where events.contains(pair.key) {
            guard let target = target(pair.value, event: pair.key, substitution: substitution, &diagnostics) else {
                continue
            }
            if pair.key == "on_failure" { spec.onFailure = target } else { spec.onSuccess = target }
        }
        return spec
    }

    private static func target(
        _ node: YAMLNode, event: String, substitution: Substitution, _ diagnostics: inout DiagnosticCollector
    ) -> Target? {
        guard let pairs = node.pairs else {
            diagnostics.error(
                node.location,
                "`notify.\(event)` must be a mapping such as { webhook: \"${env.ALERT_URL}\", format: json }, found \(node.kindName)"
            )
            return nil
        }
        diagnostics.unknownKeys(pairs, allowed: keys, in: "`notify.\(event)`")
        var format = Format.slack
        if let formatNode = node["format"] {
            if let text = formatNode.scalar, let found = Format(rawValue: text) {
                format = found
            } else {
                diagnostics.error(
                    formatNode.location,
                    "`notify.\(event).format` must be slack or json, found '\(formatNode.scalar ?? formatNode.kindName)'"
                )
            }
        }
        var retries = 5
        if let retriesNode = node["retries"] {
            if let text = retriesNode.scalar, let count = Int(text), count >= 0 {
                retries = count
            } else {
                diagnostics.error(retriesNode.location, "`notify.\(event).retries` must be a whole number ≥ 0")
            }
        }
        guard let webhookNode = node["webhook"] else {
            diagnostics.error(
                node.location, "`notify.\(event)` needs `webhook:`, the URL to post to (e.g. \"${env.ALERT_URL}\")")
            return nil
        }
        var secret = false
        var environment: [String] = []
        let substituted = PipelineLoader.substitute(
            webhookNode, substitution, &diagnostics, secret: &secret, environment: &environment)
        guard let url = substituted.scalar, url.hasPrefix("http://") || url.hasPrefix("https://") else {
            // Never echo the value: it may be a secret.
            diagnostics.error(webhookNode.location, "`notify.\(event).webhook` must be an http:// or https:// URL")
            return nil
        }
        return Target(webhook: url, format: format, retries: retries)
    }
}
