#if canImport(Glibc)
import Glibc
#endif
import WeirCore
import WeirTable

/// `logs.transactions` (seed 002's "rich data"): one row per `transaction: { ... }` object
/// logged in a message, with the message's `in_sync` flag. Messages whose object cannot be
/// parsed, or whose fields have the wrong type, go to `rejects` with the file line of the
/// problem; the run goes on.
public struct LogTransactions: StageType {
    public let name = "logs.transactions"
    public let version = "1"
    public let summary = "Parse the transaction objects logged in Lambda messages into typed rows, with in_sync per message."
    public let inputs = InputArity.one
    public let outputs = ["out", "rejects"]
    public static let defaultPattern = "(?i)out of sync|not in sync|mismatch"
    public let params: [ParamSpec] = [
        ParamSpec("out_of_sync_pattern", .string, default: .string(LogTransactions.defaultPattern),
                  help: "a message with a line matching this regular expression (or an ERROR line) is not in sync"),
    ]

    public init() {}

    /// The transaction fields, in output order, with the type each must have.
    static let fields: [(name: String, type: DataType)] = [
        ("id", .string), ("type", .string), ("source", .string), ("action", .string), ("userId", .string),
        ("paymentBalance", .float64), ("updatePaymentBalance", .bool), ("currency", .string), ("amount", .float64),
        ("vat", .float64), ("oldBalance", .float64), ("newBalance", .float64), ("metadata", .string),
    ]
    /// Columns of the message table carried to every row when the input has them.
    static let carried: [(name: String, type: DataType)] = [("log_file", .string), ("line", .int64), ("request_id", .string), ("message_id", .string)]

    static let schema = Schema([Field("date_time", .timestamp)] + fields.map { Field($0.name, $0.type) }
                               + [Field("in_sync", .bool)] + carried.map { Field($0.name, $0.type) })
    static let rejectSchema = Schema([Field("log_file", .string), Field("line", .int64), Field("request_id", .string),
                                      Field("message_id", .string), Field("error", .string), Field("text", .string)])

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        _ = context.column(named: "text", param: "input", types: [.string])
        for (name, type) in Self.carried + [("started_at", .timestamp)] {
            if let field = context.inputSchemas.first?[name], field.type != type {
                context.error("input", "column '\(name)' is \(field.type.rawValue); logs.transactions expects \(type.rawValue) (as extract.logs writes it)")
            }
        }
        if let pattern = context.param("out_of_sync_pattern")?.string {
            do { _ = try TextPattern(pattern) } catch { context.error("out_of_sync_pattern", "\(error)") }
        }
        return ["out": Self.schema, "rejects": Self.rejectSchema]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let pattern: TextPattern
        do { pattern = try TextPattern(context.param("out_of_sync_pattern")?.string ?? Self.defaultPattern) } catch {
            throw StageError("\(error)", param: "out_of_sync_pattern")
        }
        let input = context.inputs[0]
        guard let text = input.column("text") else { throw StageError("the input has no 'text' column", param: "input") }
        let messages = MessageColumns(input, text: text)
        let rows = input.rowCount
        let chunks = rows == 0 ? 1 : min(rows, Parallel.coreCount * 8)
        let parts = try Parallel.map(chunks) { chunk in
            Result { () throws -> (Table, Table) in
                var extractor = TransactionExtractor(messages: messages, pattern: pattern)
                for row in (rows * chunk / chunks)..<(rows * (chunk + 1) / chunks) { extractor.extract(row) }
                return try extractor.finish()
            }
        }.map { try $0.get() }
        let out = parts.count == 1 ? parts[0].0 : try Table.concatenate(parts.map(\.0))
        let rejects = parts.count == 1 ? parts[0].1 : try Table.concatenate(parts.map(\.1))
        if rejects.rowCount > 0 {
            let first = rejects.row(0)
            context.log.note("\(rejects.rowCount) message\(rejects.rowCount == 1 ? "" : "s") could not be parsed (see the rejects output); the first: \(first[0]):\(first[1]): \(first[4])")
        }
        return ["out": out, "rejects": rejects]
    }
}

/// The message table's columns that extraction reads.
struct MessageColumns: @unchecked Sendable {
    let text: StringView
    let textNulls: Column
    let startedAt: Column?
    let carried: [Column?]

    init(_ table: Table, text: Column) {
        self.text = text.strings
        textNulls = text
        startedAt = table.column("started_at").flatMap { $0.type == .timestamp ? $0 : nil }
        carried = LogTransactions.carried.map { name, type in table.column(name).flatMap { $0.type == type ? $0 : nil } }
    }
}

/// Extracts the transactions of a range of messages into column builders.
struct TransactionExtractor {
    let messages: MessageColumns
    let pattern: TextPattern
    private let out: [ColumnBuilder]
    private let rejects: [ColumnBuilder]

    enum FieldValue {
        case null
        case string(String)
        case number(Double)
        case bool(Bool)
    }

    init(messages: MessageColumns, pattern: TextPattern) {
        self.messages = messages
        self.pattern = pattern
        out = LogTransactions.schema.fields.map { ColumnBuilder($0.type) }
        rejects = LogTransactions.rejectSchema.fields.map { ColumnBuilder($0.type) }
    }

    func finish() throws -> (Table, Table) {
        (try Table(schema: LogTransactions.schema, columns: out.map { $0.finish() }),
         try Table(schema: LogTransactions.rejectSchema, columns: rejects.map { $0.finish() }))
    }

    /// A plain word, so the pattern never fails to compile.
    private static let transactionWord = try! TextPattern("transaction")

    mutating func extract(_ row: Int) {
        guard messages.textNulls.isValid(row) else { return }
        let buffer = messages.text.utf8(row)
        let text = UnsafeRawBufferPointer(buffer)
        guard let base = text.baseAddress, Self.transactionWord.matches(text) else { return }
        var literal = JSLiteral(text)
        var sawError = false
        var rows: [(line: Int, timestamp: Int64?, values: [FieldValue])] = []
        var position = 0
        var lineIndex = 0
        while position < text.count {
            let newline = memchr(base + position, 0x0A, text.count - position).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) }
            let end = newline ?? text.count
            let kind = LambdaLine.classify(text, position, end)
            var bodyStart: Int?
            var timestamp: Int64?
            switch kind {
            case .app(let at, _, let level, let body):
                if level >= .error { sawError = true }
                bodyStart = body.lowerBound
                timestamp = at
            case .other(let at):
                bodyStart = position
                timestamp = at
            default:
                break
            }
            var nextPosition = end + 1
            var nextLineIndex = lineIndex + 1
            if let bodyStart, let brace = memchr(base + bodyStart, Int32(UInt8(ascii: "{")), end - bodyStart) {
                let start = UnsafeRawPointer(brace) - UnsafeRawPointer(base)
                do {
                    let objectEnd = try literal.parse(at: start)
                    if let transaction = literal.child(0, "transaction"), literal.nodes[transaction].kind == .object {
                        do {
                            rows.append((lineIndex, timestamp, try Self.values(literal, transaction)))
                        } catch {
                            reject(row, line: lineIndex + Self.newlines(text, start, error.offset), error.message, text)
                            return
                        }
                    }
                    // Go on after the object: the line it ends on, then the lines after it.
                    let lastLine = Self.newlines(text, position, objectEnd)
                    nextLineIndex = lineIndex + lastLine + 1
                    nextPosition = memchr(base + objectEnd, 0x0A, text.count - objectEnd).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) + 1 } ?? text.count
                } catch {
                    if Self.transactionWord.matches(UnsafeRawBufferPointer(rebasing: text[start...])) {
                        reject(row, line: lineIndex + Self.newlines(text, position, error.offset), error.message, text)
                        return
                    }
                }
            }
            position = nextPosition
            lineIndex = nextLineIndex
        }
        guard !rows.isEmpty else { return }
        let inSync = !sawError && !pattern.matches(text)
        for found in rows { append(row, found.line, found.timestamp, found.values, inSync: inSync) }
    }

    struct FieldError: Error {
        var offset: Int
        var message: String
    }

    /// The transaction's fields, typed; a field of the wrong type is an error naming it.
    static func values(_ literal: JSLiteral, _ transaction: Int) throws(FieldError) -> [FieldValue] {
        try LogTransactions.fields.map { (name, type) throws(FieldError) -> FieldValue in
            guard let index = literal.child(transaction, name) else { return .null }
            let node = literal.nodes[index]
            if node.kind == .null || node.kind == .undefined { return .null }
            func wrong(_ expected: String) -> FieldError {
                FieldError(offset: node.value.lowerBound,
                           message: "transaction.\(name): expected \(expected), found \(node.kind.article) \(literal.source(node.value).prefix(40))")
            }
            switch type {
            case .float64:
                guard let number = literal.number(index) else { throw wrong("a number") }
                return .number(number)
            case .bool:
                guard node.kind == .bool else { throw wrong("true or false") }
                return .bool(literal.bytes[node.value.lowerBound] == UInt8(ascii: "t"))
            default:
                // `metadata` may be logged as a JSON string or as an object: both keep their text.
                if node.kind == .array || (node.kind == .object && name != "metadata") { throw wrong("a string") }
                return .string(literal.text(index))
            }
        }
    }

    static func newlines(_ text: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Int {
        var count = 0
        var i = from
        while i < min(to, text.count) {
            if text[i] == 0x0A { count += 1 }
            i += 1
        }
        return count
    }

    private func append(_ row: Int, _ lineOffset: Int, _ timestamp: Int64?, _ values: [FieldValue], inSync: Bool) {
        if let timestamp { out[0].append(timestamp) }
        else if let started = messages.startedAt, started.isValid(row) { out[0].append(started.int64s[row]) }
        else { out[0].appendNull() }
        for (k, value) in values.enumerated() {
            let builder = out[1 + k]
            switch value {
            case .null: builder.appendNull()
            case .string(let s): builder.append(s)
            case .number(let d): builder.append(d)
            case .bool(let b): builder.append(b)
            }
        }
        out[1 + values.count].append(inSync)
        appendCarried(row, lineOffset: lineOffset, into: Array(out[(2 + values.count)...]))
    }

    private func appendCarried(_ row: Int, lineOffset: Int, into builders: [ColumnBuilder]) {
        for (k, column) in messages.carried.enumerated() {
            guard let column, column.isValid(row) else { builders[k].appendNull(); continue }
            if k == 1 { builders[k].append(column.int64s[row] + Int64(lineOffset)) } else { builders[k].append(utf8: UnsafeRawBufferPointer(column.strings.utf8(row))) }
        }
    }

    private func reject(_ row: Int, line: Int, _ message: String, _ text: UnsafeRawBufferPointer) {
        let carried = [rejects[0], rejects[1], rejects[2], rejects[3]]
        appendCarried(row, lineOffset: line, into: carried)
        rejects[4].append(message)
        rejects[5].append(utf8: text)
    }
}
