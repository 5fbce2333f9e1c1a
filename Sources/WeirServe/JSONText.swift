import WeirCore
import WeirTable

/// JSON text for the API, written directly (the shapes are few and fixed, and a page of rows
/// is written faster this way than through Codable).
enum JSONText {
    static func string(_ text: String) -> String { CanonicalJSON.string(text) }

    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\(string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    static func number(_ value: Double?) -> String {
        guard let value else { return "null" }
        return value.isFinite ? FloatFormat.shortest(value) : string(String(value))
    }

    /// A cell: numbers and booleans as JSON ones (a non-finite float as its text, so nothing is
    /// silently changed), times as ISO 8601 text.
    static func value(_ value: Value) -> String {
        switch value {
        case .null: "null"
        case .int64(let v): String(v)
        case .float64(let v): number(v)
        case .bool(let v): v ? "true" : "false"
        case .string(let v): string(v)
        case .timestamp, .date: string(value.description)
        }
    }

    static func row(_ table: Table, _ row: Int, columns: [Int]) -> String {
        "{"
            + columns.map { "\(string(table.schema.fields[$0].name)):\(value(table.columns[$0][row]))" }.joined(
                separator: ",") + "}"
    }

    static func schema(_ schema: Schema, columns: [Int]) -> String {
        array(
            columns.map {
                object([("name", string(schema.fields[$0].name)), ("type", string(schema.fields[$0].type.rawValue))])
            })
    }

    static func run(_ run: RunRecord) -> String {
        object([
            ("run_id", string(run.id)), ("pipeline", string(run.pipeline)), ("pipeline_file", string(run.pipelineFile)),
            ("status", string(run.status.rawValue)), ("started_at", number(run.startedAt)),
            ("finished_at", number(run.finishedAt)),
            ("counts", object(["ran", "cached", "failed", "skipped"].map { ($0, String(run.counts[$0] ?? 0)) })),
        ])
    }

    static func stageRun(_ stage: StageRunRecord) -> String {
        object([
            ("stage", string(stage.stage)), ("type", string(stage.type)), ("status", string(stage.status.rawValue)),
            ("reason", stage.reason.map(string) ?? "null"), ("seconds", number(stage.seconds)),
            ("error", stage.error.map(string) ?? "null"), ("attempts", String(stage.attempts)),
            ("notes", array(stage.notes.map(string))), ("outputs", stage.outputsJSON ?? "[]"),
        ])
    }

    static func error(_ error: ServeError) -> String {
        object([("error", string(error.message)), ("status", String(error.status))])
    }
}
