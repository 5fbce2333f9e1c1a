import WeirCore
import WeirTable

#if canImport(Glibc)
    import Glibc
#endif

/// `logs.transactions` (seed 002's "rich data"): one row per `transaction: { ... }` object
/// logged in a message, with the message's `in_sync` flag. Messages whose object cannot be
/// parsed, or whose fields have the wrong type, go to `rejects` with the file line of the
/// problem; the run goes on.
public struct LogTransactions: StageType {
    public let name = "logs.transactions"
    public let version = "1"
    public let summary =
        "Parse the transaction objects logged in Lambda messages into typed rows, with in_sync per message."
    public let inputs = InputArity.one
    public let outputs = ["out", "rejects"]
    public static let defaultPattern = "(?i)out of sync|not in sync|mismatch"
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        var outOfSyncPattern = LogTransactions.defaultPattern

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "out_of_sync_pattern", \.outOfSyncPattern,
                help: "a message with a line matching this regular expression (or an ERROR line) is not in sync")
        ]

        func problems(stage id: String) -> [StageError] {
            do {
                _ = try TextPattern(outOfSyncPattern)
                return []
            } catch {
                return [StageError("\(error)", param: "out_of_sync_pattern")]
            }
        }
    }

    public init() {}

    /// The transaction fields, in output order, with the type each must have.
    static let fields: [(name: String, type: DataType)] = [
        ("id", .string), ("type", .string), ("source", .string), ("action", .string), ("userId", .string),
        ("paymentBalance", .float64), ("updatePaymentBalance", .bool), ("currency", .string), ("amount", .float64),
        ("vat", .float64), ("oldBalance", .float64), ("newBalance", .float64), ("metadata", .string),
    ]
    /// Columns of the message table carried to every row when the input has them.
    static let carried: [(name: String, type: DataType)] = [
        ("log_file", .string), ("line", .int64), ("request_id", .string), ("message_id", .string),
    ]

    static let schema = Schema(
        [Field("date_time", .timestamp)] + fields.map { Field($0.name, $0.type) }
            + [Field("in_sync", .bool)] + carried.map { Field($0.name, $0.type) })
    static let rejectSchema = Schema([
        Field("log_file", .string), Field("line", .int64), Field("request_id", .string),
        Field("message_id", .string), Field("error", .string), Field("text", .string),
    ])

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        _ = context.column(named: "text", param: "input", types: [.string])
        for (name, type) in Self.carried + [("started_at", .timestamp)] {
            if let field = context.inputSchemas.first?[name], field.type != type {
                context.error(
                    "input",
                    "column '\(name)' is \(field.type.rawValue); logs.transactions expects \(type.rawValue) (as extract.logs writes it)"
                )
            }
        }
        _ = context.parameters(Params.self)
        return ["out": Self.schema, "rejects": Self.rejectSchema]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let pattern: TextPattern
        do { pattern = try TextPattern(try context.parameters(Params.self).outOfSyncPattern) } catch {
            throw StageError("\(error)", param: "out_of_sync_pattern")
        }
        let input = context.inputs[0]
        guard let text = input.column("text") else {
            throw StageError("the input has no 'text' column", param: "input")
        }
        let messages = MessageColumns(input, text: text)
        let rows = input.rowCount
        var trace = Trace("logs.transactions")
        let chunks = rows == 0 ? 1 : min(rows, Parallel.coreCount * 8)
        let parts = try Parallel.map(chunks) { chunk in
            Result { () throws -> (Table, Table) in
                var extractor = TransactionExtractor(messages: messages, pattern: pattern)
                for row in (rows * chunk / chunks)..<(rows * (chunk + 1) / chunks) { extractor.extract(row) }
                return try extractor.finish()
            }
        }.map { try $0.get() }
        trace.mark("parse \(rows) messages")
        let out = try Table.concatenate(parts.map(\.0))
        let rejects = try Table.concatenate(parts.map(\.1))
        trace.mark("join")
        if rejects.rowCount > 0 {
            let first = rejects.row(0)
            context.log.note(
                "\(Wording.count(rejects.rowCount, "message")) could not be parsed (see the rejects output); the first: \(first[0]):\(first[1]): \(first[4])"
            )
        }
        return ["out": out, "rejects": rejects]
    }
}

/// The message table's columns that extraction reads, as bare pointers: the table outlives
/// the extraction (it is the stage's input), and per-row reference counting was a tenth of
/// the stage's time.
struct MessageColumns: @unchecked Sendable {
    let table: Table
    let text: UnownedValues
    let startedAt: UnownedValues?
    let carried: [UnownedValues?]

    init(_ table: Table, text: Column) {
        self.table = table
        self.text = text.unownedValues
        startedAt = table.column("started_at").flatMap { $0.type == .timestamp ? $0.unownedValues : nil }
        carried = LogTransactions.carried.map { name, type in
            table.column(name).flatMap { $0.type == type ? $0.unownedValues : nil }
        }
    }
}

/// Extracts the transactions of a range of messages into column builders. A message is read
/// in two steps, so a broken object anywhere in it rejects the whole message before any of its
/// rows is written: first every object is parsed and its fields checked, then the rows are
/// appended straight from the parsed bytes.
struct TransactionExtractor {
    let messages: MessageColumns
    let pattern: TextPattern
    private let out: [ColumnBuilder]
    private let rejects: [ColumnBuilder]
    private var literal = JSLiteral(UnsafeRawBufferPointer(start: nil, count: 0))
    /// The transactions found in the current message: where each object starts, its line
    /// within the message, and its line's timestamp.
    private var found: [(start: Int, line: Int, timestamp: Int64?)] = []
    /// The node of each field in the object last parsed, -1 when absent.
    private var fieldNodes = [Int](repeating: -1, count: LogTransactions.fields.count)
    private static let fieldNames = LogTransactions.fields.map { Array($0.name.utf8) }
    private static let fieldTypes = LogTransactions.fields.map(\.type)
    /// A plain word, so the pattern never fails to compile.
    private static let transactionWord = try! TextPattern("transaction")

    init(messages: MessageColumns, pattern: TextPattern) {
        self.messages = messages
        self.pattern = pattern
        out = LogTransactions.schema.fields.map { ColumnBuilder($0.type) }
        rejects = LogTransactions.rejectSchema.fields.map { ColumnBuilder($0.type) }
    }

    func finish() throws -> (Table, Table) {
        (
            try Table(schema: LogTransactions.schema, columns: out.map { $0.finish() }),
            try Table(schema: LogTransactions.rejectSchema, columns: rejects.map { $0.finish() })
        )
    }

    struct FieldError: Error {
        var offset: Int
        var message: String
    }

    mutating func extract(_ row: Int) {
        guard messages.text.isValid(row) else { return }
        let text = messages.text.utf8(row)
        guard let base = text.baseAddress, Self.transactionWord.matches(text) else { return }
        literal.reset(text)
        found.removeAll(keepingCapacity: true)
        var sawError = false
        var position = 0
        var lineIndex = 0
        while position < text.count {
            let end =
                memchr(base + position, 0x0A, text.count - position).map {
                    UnsafeRawPointer($0) - UnsafeRawPointer(base)
                } ?? text.count
            var bodyStart: Int?
            var timestamp: Int64?
            switch LambdaLine.classify(text, position, end) {
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
                            try checkFields(transaction)
                        } catch {
                            reject(row, line: lineIndex + Self.newlines(text, start, error.offset), error.message, text)
                            return
                        }
                        found.append((start, lineIndex, timestamp))
                    }
                    // Go on after the object: the line it ends on, then the lines after it.
                    nextLineIndex = lineIndex + Self.newlines(text, position, objectEnd) + 1
                    nextPosition =
                        memchr(base + objectEnd, 0x0A, text.count - objectEnd).map {
                            UnsafeRawPointer($0) - UnsafeRawPointer(base) + 1
                        } ?? text.count
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
        guard !found.isEmpty else { return }
        let inSync = !sawError && !pattern.matches(text)
        for (k, transaction) in found.enumerated() {
            // The last object parsed is still in `literal`; an earlier one is parsed again.
            if k < found.count - 1 || literal.nodes.first?.value.lowerBound != transaction.start {
                guard (try? literal.parse(at: transaction.start)) != nil, let node = literal.child(0, "transaction")
                else { continue }
                try? checkFields(node)
            }
            append(row, transaction.line, transaction.timestamp, inSync: inSync)
        }
    }

    /// Finds each field's node under `transaction` and checks its type.
    private mutating func checkFields(_ transaction: Int) throws(FieldError) {
        for k in fieldNodes.indices { fieldNodes[k] = -1 }
        var i = transaction + 1
        let bytes = literal.bytes
        while i < literal.nodes.count, Int(literal.nodes[i].parent) >= transaction {
            let node = literal.nodes[i]
            if Int(node.parent) == transaction {
                for (k, name) in Self.fieldNames.enumerated() where name.count == node.key.count {
                    if name.withUnsafeBytes({
                        memcmp($0.baseAddress!, bytes.baseAddress! + node.key.lowerBound, name.count)
                    }) == 0 {
                        fieldNodes[k] = i
                        break
                    }
                }
            }
            i += 1
        }
        for (k, field) in LogTransactions.fields.enumerated() where fieldNodes[k] >= 0 {
            let index = fieldNodes[k]
            let node = literal.nodes[index]
            if node.kind == .null || node.kind == .undefined {
                fieldNodes[k] = -1
                continue
            }
            let expected: String?
            switch field.type {
            case .float64: expected = literal.number(index) == nil ? "a number" : nil
            case .bool: expected = node.kind == .bool ? nil : "true or false"
            default:
                // `metadata` may be logged as a JSON string or as an object: both keep their text.
                expected = node.kind == .array || (node.kind == .object && field.name != "metadata") ? "a string" : nil
            }
            if let expected {
                throw FieldError(
                    offset: node.value.lowerBound,
                    message:
                        "transaction.\(field.name): expected \(expected), found \(node.kind.article) \(literal.source(node.value).prefix(40))"
                )
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

    /// One row from the fields found by `checkFields`.
    private func append(_ row: Int, _ lineOffset: Int, _ timestamp: Int64?, inSync: Bool) {
        if let timestamp {
            out[0].append(timestamp)
        } else if let started = messages.startedAt, started.isValid(row) {
            out[0].append(started.int64(row))
        } else {
            out[0].appendNull()
        }
        for k in 0..<Self.fieldTypes.count {
            let builder = out[1 + k]
            let index = fieldNodes[k]
            guard index >= 0 else {
                builder.appendNull()
                continue
            }
            switch Self.fieldTypes[k] {
            case .float64: builder.append(literal.number(index)!)
            case .bool: builder.append(literal.bytes[literal.nodes[index].value.lowerBound] == UInt8(ascii: "t"))
            default:
                if literal.isPlain(index) {
                    builder.append(utf8: literal.plainBytes(index))
                } else {
                    builder.append(literal.text(index))
                }
            }
        }
        let next = 1 + LogTransactions.fields.count
        out[next].append(inSync)
        appendCarried(row, lineOffset: lineOffset, into: out, from: next + 1)
    }

    private func appendCarried(_ row: Int, lineOffset: Int, into builders: [ColumnBuilder], from first: Int) {
        for k in 0..<messages.carried.count {
            let builder = builders[first + k]
            guard let column = messages.carried[k], column.isValid(row) else {
                builder.appendNull()
                continue
            }
            if k == 1 {
                builder.append(column.int64(row) + Int64(lineOffset))
            } else {
                builder.append(utf8: column.utf8(row))
            }
        }
    }

    private func reject(_ row: Int, line: Int, _ message: String, _ text: UnsafeRawBufferPointer) {
        appendCarried(row, lineOffset: line, into: rejects, from: 0)
        rejects[4].append(message)
        rejects[5].append(utf8: text)
    }
}
