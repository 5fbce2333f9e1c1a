import WeirTable

/// A table stored as the concatenation of other objects, in order: what a source over a glob
/// outputs when each file's table is kept as a part. Adding a file to a glob of 365 then writes
/// one part and a manifest of a few kilobytes, not the whole table again. The manifest is an
/// object like any other (`objects/ab/cdef….parts`, named by the SHA-256 of its bytes); the
/// parts are ordinary Arrow files. A consumer reads the concatenation.
///
/// The text is line-based and canonical, so equal manifests hash equal:
/// `weir-parts 1`, `schema [{"name":…,"type":…},…]`, `rows N`, then `part DIGEST ROWS` per part.
public struct PartsManifest: Sendable, Equatable {
    public struct Part: Sendable, Equatable {
        public var digest: String
        public var rows: Int

        public init(digest: String, rows: Int) {
            self.digest = digest
            self.rows = rows
        }
    }

    public var schema: Schema
    public var parts: [Part]

    public init(schema: Schema, parts: [Part]) {
        self.schema = schema
        self.parts = parts
    }

    public var rows: Int { parts.reduce(0) { $0 + $1.rows } }

    static let header = "weir-parts 1"

    var text: String {
        ([Self.header, "schema " + SchemaJSON.encode(schema), "rows \(rows)"]
            + parts.map { "part \($0.digest) \($0.rows)" })
            .joined(separator: "\n") + "\n"
    }

    /// Whether a file's first bytes are a manifest's (an Arrow file starts `ARROW1`).
    static func isManifest(_ prefix: [UInt8]) -> Bool { prefix.starts(with: Array(header.utf8)) }

    /// Parses a manifest; nil for anything that is not one exactly as `text` writes it.
    static func parse(_ text: String) -> PartsManifest? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, lines.removeFirst() == Self.header, lines.removeLast().isEmpty,
            let schemaLine = lines.first, schemaLine.hasPrefix("schema "),
            let schema = SchemaJSON.decode(String(schemaLine.dropFirst(7))),
            lines.count >= 2, lines[1].hasPrefix("rows "), let rows = Int(lines[1].dropFirst(5))
        else { return nil }
        var parts: [Part] = []
        var total = 0
        for line in lines.dropFirst(2) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == "part", fields[1].utf8.count == 64,
                fields[1].utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
                let count = Int(fields[2]), count >= 0
            else { return nil }
            parts.append(Part(digest: String(fields[1]), rows: count))
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { return nil }
            total = sum
        }
        let manifest = PartsManifest(schema: schema, parts: parts)
        guard !parts.isEmpty, total == rows, manifest.text == text else { return nil }
        return manifest
    }
}
