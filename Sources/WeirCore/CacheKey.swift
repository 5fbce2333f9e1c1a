import WeirTable

/// Everything a stage's output depends on. Its canonical encoding, hashed with SHA-256, is the
/// stage's cache key; kept in the ledger, it lets `weir plan` say what changed since last time.
public struct KeyMaterial: Sendable, Hashable, Codable {
    public var type: String
    public var version: String
    /// Parameter name → canonical JSON of its value. Secret parameters are left out.
    public var params: [String: String]
    /// Secret parameter name → the environment variable names it used (never the values).
    public var secrets: [String: [String]]
    /// The digests of the input artifacts, in input order.
    public var inputs: [InputDigest]
    /// What a source read.
    public var sources: [SourceInput]

    public init(stage: StageSpec, version: String, inputs: [InputDigest], sources: [SourceInput]) {
        type = stage.typeName
        self.version = version
        var params: [String: String] = [:]
        var secrets: [String: [String]] = [:]
        for (name, param) in stage.params {
            if param.secret {
                secrets[name] = param.environment.sorted()
            } else {
                params[name] = CanonicalJSON.encode(param.value)
            }
        }
        self.params = params
        self.secrets = secrets
        self.inputs = inputs
        self.sources = sources
    }

    /// A stable encoding: object keys sorted, no whitespace, numbers in shortest round-trip form.
    public var canonical: String { String(decoding: canonicalBytes, as: UTF8.self) }

    public var key: String { canonicalBytes.withUnsafeBytes { ContentHash.sha256($0) } }

    /// `canonical`'s bytes, written into one buffer: a thousand stages' keys are computed on
    /// every cached run.
    private var canonicalBytes: [UInt8] {
        var out = CanonicalJSON.Writer(capacity: 256 + 160 * (inputs.count + sources.count) + 48 * params.count)
        func list(_ items: [NamedDigest]) {
            for (i, item) in items.enumerated() {
                out.raw(i > 0 ? ",{\"digest\":" : "{\"digest\":")
                out.string(item.digest)
                out.raw(",\"name\":")
                out.string(item.name)
                out.raw("}")
            }
        }
        out.raw("{\"inputs\":[")
        list(inputs)
        out.raw("],\"params\":{")
        for (i, name) in params.keys.sorted().enumerated() {
            if i > 0 { out.raw(",") }
            out.string(name)
            out.raw(":")
            out.raw(params[name] ?? "null")
        }
        out.raw("},\"secrets\":{")
        for (i, name) in secrets.keys.sorted().enumerated() {
            if i > 0 { out.raw(",") }
            out.string(name)
            out.raw(":[")
            for (j, variable) in (secrets[name] ?? []).enumerated() {
                if j > 0 { out.raw(",") }
                out.string(variable)
            }
            out.raw("]")
        }
        out.raw("},\"sources\":[")
        list(sources)
        out.raw("],\"type\":")
        out.string(type)
        out.raw(",\"version\":")
        out.string(version)
        out.raw("}")
        return out.bytes
    }

    /// Why a stage whose last material was `old` must run now, most fundamental first.
    public func changes(since old: KeyMaterial) -> [String] {
        var reasons: [String] = []
        if type != old.type || version != old.version {
            reasons.append(
                type != old.type
                    ? "stage type changed: \(old.type) -> \(type)"
                    : "code version changed: \(type) \(old.version) -> \(version)")
        }
        let paramNames = Set(params.keys).union(old.params.keys).union(secrets.keys).union(old.secrets.keys)
        let changedParams = paramNames.filter { params[$0] != old.params[$0] || secrets[$0] != old.secrets[$0] }
            .sorted()
        if !changedParams.isEmpty { reasons.append("params changed: " + changedParams.joined(separator: ", ")) }
        let oldInputs = Dictionary(old.inputs.map { ($0.name, $0.digest) }, uniquingKeysWith: { a, _ in a })
        let changedInputs = inputs.filter { oldInputs[$0.name] != $0.digest }.map(\.name)
        let removedInputs = old.inputs.map(\.name).filter { name in !inputs.contains { $0.name == name } }
        if !changedInputs.isEmpty || !removedInputs.isEmpty {
            reasons.append("input changed: " + (changedInputs + removedInputs).joined(separator: ", "))
        }
        let oldSources = Dictionary(old.sources.map { ($0.name, $0.digest) }, uniquingKeysWith: { a, _ in a })
        let newSources = Dictionary(sources.map { ($0.name, $0.digest) }, uniquingKeysWith: { a, _ in a })
        var sourceChanges: [String] = []
        for source in sources where oldSources[source.name] != source.digest {
            sourceChanges.append(oldSources[source.name] == nil ? "\(source.name) (new)" : source.name)
        }
        for source in old.sources where newSources[source.name] == nil { sourceChanges.append("\(source.name) (gone)") }
        if !sourceChanges.isEmpty { reasons.append("source changed: " + sourceChanges.joined(separator: ", ")) }
        return reasons
    }
}

/// A name with a SHA-256 as it goes into a key: an input (`stage` or `stage.port`) with the
/// digest of its Arrow file, or what a source read (a file path or URL) with its content's
/// digest (or ETag and size).
public struct NamedDigest: Sendable, Hashable, Codable {
    public var name: String
    public var digest: String

    public init(name: String, digest: String) {
        self.name = name
        self.digest = digest
    }
}

public typealias InputDigest = NamedDigest
public typealias SourceInput = NamedDigest

/// The JSON Weir hashes: one spelling for each value.
public enum CanonicalJSON {
    public static func encode(_ value: ParamValue) -> String {
        switch value {
        case .string(let s): string(s)
        case .int(let i): String(i)
        case .double(let d): d.isFinite ? FloatFormat.shortest(d) : string(String(d))
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .list(let items): "[" + items.map(encode).joined(separator: ",") + "]"
        case .map(let map):
            "{" + map.keys.sorted().map { string($0) + ":" + encode(map[$0]!) }.joined(separator: ",") + "}"
        }
    }

    /// Canonical JSON written as bytes.
    struct Writer {
        private(set) var bytes: [UInt8] = []

        init(capacity: Int) { bytes.reserveCapacity(capacity) }

        /// Text that is JSON already.
        mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

        mutating func string(_ text: String) {
            if text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                raw(CanonicalJSON.string(text))
            } else {
                bytes.append(UInt8(ascii: "\""))
                bytes.append(contentsOf: text.utf8)
                bytes.append(UInt8(ascii: "\""))
            }
        }
    }

    public static func string(_ text: String) -> String {
        // Most names and digests need no escaping: copy them whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
