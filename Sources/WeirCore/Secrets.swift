import Foundation
import Synchronization

/// The values `${env.X}` references read in this process, and the one place text is cleaned
/// of them before it leaves: standard output and error, the ledger, stage logs, the report and
/// notifications all pass through `redact`. A value is registered where it is read (the
/// substitution), so no path that builds text from it can forget to.
///
/// Besides the value itself, the forms it takes inside URLs and JSON are redacted: a server
/// that echoes a request path sends the value percent-encoded, and JSON escapes `/` as `\/`.
/// A value shorter than four characters is masked only where it stands as a word of its own
/// (not inside a longer word): masking every "1" or "out" inside other words would make all
/// text unreadable.
public enum Secrets {
    public static let mask = "***"
    private static let forms = Mutex<[String]>([])
    private static let shortForms = Mutex<[NSRegularExpression]>([])

    public static func register(_ value: String) {
        guard !value.isEmpty else { return }
        guard value.count >= 4 else {
            let pattern = "(?<![\\p{L}\\p{N}])" + NSRegularExpression.escapedPattern(for: value) + "(?![\\p{L}\\p{N}])"
            if let expression = try? NSRegularExpression(pattern: pattern) {
                shortForms.withLock { $0.append(expression) }
            }
            return
        }
        var variants: Set<String> = [value]
        for allowed in [CharacterSet.urlPathAllowed, .urlQueryAllowed, .urlHostAllowed, .alphanumerics] {
            if let encoded = value.addingPercentEncoding(withAllowedCharacters: allowed) { variants.insert(encoded) }
        }
        variants.insert(value.replacingOccurrences(of: "/", with: "\\/"))
        if let json = try? JSONEncoder().encode(value), let text = String(data: json, encoding: .utf8) {
            variants.insert(String(text.dropFirst().dropLast()))
        }
        forms.withLock { known in
            known = Array(Set(known).union(variants)).sorted { $0.count > $1.count }
        }
    }

    /// `text` with every registered value (longest first) replaced by `***`.
    public static func redact(_ text: String) -> String {
        let known = forms.withLock { $0 }
        let short = shortForms.withLock { $0 }
        guard !known.isEmpty || !short.isEmpty else { return text }
        var text = text
        for form in known where text.contains(form) {
            text = text.replacingOccurrences(of: form, with: mask)
        }
        for expression in short {
            text = expression.stringByReplacingMatches(
                in: text, range: NSRange(text.startIndex..., in: text), withTemplate: mask)
        }
        return text
    }

    /// True while no secret has been read: nothing to redact.
    public static var isEmpty: Bool { forms.withLock { $0.isEmpty } && shortForms.withLock { $0.isEmpty } }

    /// Redacts a file written by something Weir does not control (a command stage's output).
    public static func redactFile(_ path: String) {
        guard !isEmpty, let data = FileManager.default.contents(atPath: path) else { return }
        let text = String(decoding: data, as: UTF8.self)
        let clean = redact(text)
        if clean != text { try? Data(clean.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) }
    }
}
