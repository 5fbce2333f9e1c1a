/// `${params.name}`, `${env.NAME}` and `${env.NAME:-default}` in YAML scalars. Values taken
/// from the environment are secrets: callers must never print or hash them.
public struct Substitution: Sendable {
    public var params: [String: ParamValue]
    public var environment: [String: String]

    public init(params: [String: ParamValue], environment: [String: String]) {
        self.params = params
        self.environment = environment
    }

    public struct Result: Sendable, Hashable {
        public var text: String
        public var secret: Bool
        public var environment: [String]
    }

    /// Substitutes every reference in `text`; problems go to `diagnostics` at `location`.
    public func apply(_ text: String, at location: SourceLocation, _ diagnostics: inout DiagnosticCollector) -> Result {
        guard text.utf8.contains(UInt8(ascii: "$")), text.contains("${") else {
            return Result(text: text, secret: false, environment: [])
        }
        var output = ""
        var secret = false
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                diagnostics.error(
                    location, "unterminated '${' in \"\(text)\"", hint: "write ${params.name} or ${env.NAME}")
                return Result(text: text, secret: secret, environment: names)
            }
            let reference = String(rest[open.upperBound..<close])
            rest = rest[rest.index(after: close)...]
            if reference.hasPrefix("params.") {
                let name = String(reference.dropFirst("params.".count))
                if let value = params[name] {
                    output += value.description
                } else {
                    diagnostics.error(
                        location, "unknown pipeline parameter '\(name)' in ${\(reference)}",
                        hint: Suggest.didYouMean(name, in: Array(params.keys))
                            ?? "declare it under `params:` or pass --param \(name)=VALUE")
                }
            } else if reference.hasPrefix("env.") {
                var name = String(reference.dropFirst("env.".count))
                var fallback: String?
                if let dash = name.range(of: ":-") {
                    fallback = String(name[dash.upperBound...])
                    name = String(name[..<dash.lowerBound])
                }
                names.append(name)
                if let value = environment[name], !value.isEmpty {
                    output += value
                    secret = true
                    Secrets.register(value)
                } else if let fallback {
                    output += fallback
                } else {
                    diagnostics.error(
                        location, "environment variable \(name) is not set",
                        hint: "export \(name)=..., or give a default: ${env.\(name):-default}")
                }
            } else {
                diagnostics.error(
                    location, "unknown reference ${\(reference)}", hint: "write ${params.name} or ${env.NAME}")
            }
        }
        output += rest
        return Result(text: output, secret: secret, environment: names)
    }
}
