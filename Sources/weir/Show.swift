import ArgumentParser
import Foundation
import WeirCore
import WeirStages
import WeirTable

/// `weir show`: a stage's cached output.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print a stage's cached output as a table, CSV or JSON Lines.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

    @OptionGroup var options: PipelineOptions

    @Argument(help: "The stage, or stage.port.")
    var stage: String

    @Option(help: "table, csv or json (one object per row).")
    var format: Format = .table

    @Option(help: "Only the first N rows (default: every row).")
    var head: Int?

    @Flag(help: "Print the schema (column names and types) only.")
    var schema = false

    @Flag(help: "Print per-column statistics: count, nulls, min, max, mean.")
    var stats = false

    func run() throws {
        let pipeline = try options.load()
        let workspace = try options.workspace(.readOnly)
        let ref = InputRef.parse(
            stage, stages: Set(pipeline.stageIDs), at: SourceLocation(file: "<argument>", line: 1, column: 1))
        guard pipeline.stage(ref.stage) != nil else {
            throw UsageError(
                "no stage '\(ref.stage)' in pipeline '\(pipeline.name)'"
                    + (Suggest.didYouMean(ref.stage, in: pipeline.stageIDs).map { "; \($0)" } ?? ""))
        }
        let (plan, cache) = try makePlan(pipeline, identity: options.pipelineIdentity, workspace: workspace)
        guard let stagePlan = plan[ref.stage] else { throw UsageError("stage '\(ref.stage)' could not be planned") }
        let port = ref.port ?? stagePlan.type.outputs.first
        guard let port else { throw UsageError("stage '\(ref.stage)' (\(stagePlan.type.name)) has no output to show") }
        var entry = stagePlan.entry
        if entry == nil, let last = cache.lastKey(stage: ref.stage),
            let found = cache.entry(for: last, stage: ref.stage)
        {
            Terminal.error(
                "note: '\(ref.stage)' would run again (\(stagePlan.reason)); showing the output of its last run")
            entry = found
        }
        guard let output = entry?.output(port) else {
            throw RuntimeError(
                "stage '\(ref.stage)' has no output yet; run it: weir run \(options.pipeline) --select +\(ref.stage)")
        }
        // What is shown is hashed in full first: a corrupt object is moved aside, never printed.
        var store = workspace.store
        store.readCheck = .full
        let full = try store.read(output.digest)
        let table = head.map { full.slice(0..<min($0, full.rowCount)) } ?? full
        if schema {
            Output.line(Terminal.table(["COLUMN", "TYPE"], full.schema.fields.map { [$0.name, $0.type.rawValue] }))
            return
        }
        if stats {
            Output.line(Self.stats(full))
            return
        }
        switch format {
        case .csv:
            var sink = StandardOutputSink()
            try CSVWriter().write(table, to: &sink)
            try sink.flush()
        case .json:
            var sink = StandardOutputSink()
            for row in 0..<table.rowCount {
                let fields = table.schema.fields.enumerated().map { i, field in
                    CanonicalJSON.string(field.name) + ":" + Self.json(table.columns[i], row)
                }
                try sink.write("{" + fields.joined(separator: ",") + "}\n")
            }
            try sink.flush()
        case .table:
            let rows = (0..<table.rowCount).map { row in table.columns.map { Self.text($0, row) } }
            let numeric = Set(table.schema.fields.indices.filter { table.schema.fields[$0].type.isNumeric })
            Output.line(Terminal.table(table.schema.names, rows, rightAligned: numeric))
            Output.line("(\(Terminal.count(table.rowCount)) of \(Terminal.count(full.rowCount)) rows)")
        }
    }

    static func text(_ column: Column, _ row: Int) -> String { column[row].description }

    static func json(_ column: Column, _ row: Int) -> String {
        if column.isNull(row) { return "null" }
        switch column.type {
        case .int64, .bool: return text(column, row)
        case .float64:
            let value = column.float64s[row]
            return value.isFinite ? FloatFormat.shortest(value) : "null"
        default: return CanonicalJSON.string(text(column, row))
        }
    }

    static func stats(_ table: Table) -> String {
        let rows = table.schema.fields.enumerated().map { i, field -> [String] in
            let column = table.columns[i]
            var minimum = ""
            var maximum = ""
            var mean = ""
            var values: [Double] = []
            if field.type.isNumeric || field.type == .timestamp || field.type == .date {
                for row in 0..<column.count where !column.isNull(row) {
                    switch field.type {
                    case .int64, .timestamp: values.append(Double(column.int64s[row]))
                    case .float64: values.append(column.float64s[row])
                    default: values.append(Double(column.dates[row]))
                    }
                }
                if let low = values.indices.min(by: { values[$0] < values[$1] }),
                    let high = values.indices.max(by: { values[$0] < values[$1] })
                {
                    let nonNull = (0..<column.count).filter { !column.isNull($0) }
                    minimum = text(column, nonNull[low])
                    maximum = text(column, nonNull[high])
                    if field.type.isNumeric { mean = FloatFormat.shortest(values.reduce(0, +) / Double(values.count)) }
                }
            } else if field.type == .string {
                let distinct = Set((0..<column.count).filter { !column.isNull($0) }.map { column.strings[$0] })
                mean = "\(Terminal.count(distinct.count)) distinct"
            }
            return [
                field.name, field.type.rawValue, Terminal.count(column.count - column.nullCount),
                Terminal.count(column.nullCount), minimum, maximum, mean,
            ]
        }
        return Terminal.table(["COLUMN", "TYPE", "COUNT", "NULLS", "MIN", "MAX", "MEAN"], rows, rightAligned: [2, 3])
    }
}

/// Standard output as a buffered `ByteSink`.
struct StandardOutputSink: ByteSink {
    private var buffer: [UInt8] = []

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count > 1 << 20 { try flush() }
    }

    mutating func flush() throws {
        guard buffer.withUnsafeBytes(Output.write) else { throw RuntimeError("cannot write to standard output") }
        buffer.removeAll(keepingCapacity: true)
    }
}

struct RuntimeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
