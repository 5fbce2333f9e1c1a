import WeirCore
import WeirTable

/// `extract.logs`: AWS Lambda CloudWatch log exports (one file or a glob, plain or `.gz`) into
/// one row per message (`out`) and one row per invocation (`invocations`). Files are read on all
/// cores; rows keep file order, then line order.
public struct ExtractLogs: StageType {
    public let name = "extract.logs"
    public let version = "1"
    public let summary = "Read AWS Lambda log exports (a path or glob, .gz too) into messages and invocations."
    public let inputs = InputArity.none
    public let outputs = ["out", "invocations"]
    public let params: [ParamSpec] = [
        ParamSpec("path", .string, required: true, help: "file or glob, relative to the pipeline file (logs/**/*.gz)"),
    ]

    public init() {}

    static let messageSchema = Schema([
        Field("log_file", .string), Field("request_id", .string), Field("message_id", .string),
        Field("started_at", .timestamp), Field("level", .string), Field("text", .string), Field("line", .int64),
    ])
    static let invocationSchema = Schema([
        Field("log_file", .string), Field("request_id", .string), Field("started_at", .timestamp),
        Field("ended_at", .timestamp), Field("status", .string), Field("messages", .int64),
        Field("duration_ms", .float64), Field("line", .int64),
    ])

    public func sources(_ context: SourceContext) throws -> [SourceInput] {
        try files(context.param("path")?.string, directory: context.pipelineDirectory).map {
            SourceInput(name: $0.display, digest: try context.digest(file: $0.path))
        }
    }

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        ["out": Self.messageSchema, "invocations": Self.invocationSchema]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let files = try files(context.param("path")?.string, directory: context.pipelineDirectory)
        let parts = Parallel.map(files.count) { i in Result { try Self.read(files[i]) } }
        let tables = try parts.map { try $0.get() }
        func joined(_ pick: (LogTables) -> Table, _ schema: Schema) throws -> Table {
            tables.count == 1 ? pick(tables[0]) : try Table.concatenate(tables.map(pick))
        }
        return ["out": try joined(\.messages, Self.messageSchema), "invocations": try joined(\.invocations, Self.invocationSchema)]
    }

    func files(_ pattern: String?, directory: String) throws -> [SourceFiles.File] {
        try SourceFiles.match(pattern ?? "", directory: directory, kind: "log", extensionHint: "log")
    }

    struct LogTables: Sendable {
        var messages: Table
        var invocations: Table
    }

    static func read(_ file: SourceFiles.File) throws -> LogTables {
        let mapped: MappedFile
        do { mapped = try MappedFile(path: file.path) } catch {
            throw StageError("cannot read \(file.display): \(error)", param: "path")
        }
        if Gzip.isGzip(mapped.bytes) {
            let text: ByteBuffer
            do { text = try Gzip.decompress(mapped.bytes, path: file.display) } catch {
                throw StageError("\(error)", param: "path")
            }
            return try withExtendedLifetime(text) { try tables(text.bytes, file: file.display) }
        }
        mapped.adviseSequential()
        return try withExtendedLifetime(mapped) { try tables(mapped.bytes, file: file.display) }
    }

    /// Scans one file's text and builds its two tables.
    static func tables(_ bytes: UnsafeRawBufferPointer, file: String) throws -> LogTables {
        var scanner = LambdaLogScanner(bytes)
        scanner.scan()
        return LogTables(messages: try messageTable(scanner, file: file), invocations: try invocationTable(scanner, file: file))
    }

    private static func messageTable(_ scanner: LambdaLogScanner, file: String) throws -> Table {
        let messages = scanner.messages
        let n = messages.count
        let files = ColumnBuilder(.string, capacity: n)
        let requests = ColumnBuilder(.string, capacity: n)
        let ids = ColumnBuilder(.string, capacity: n)
        let started = ColumnBuilder(.timestamp, capacity: n)
        let levels = ColumnBuilder(.string, capacity: n)
        let texts = ColumnBuilder(.string, capacity: n)
        let lines = ColumnBuilder(.int64, capacity: n)
        let bytes = scanner.bytes
        let requestIDs = scanner.invocations.map(\.requestID)
        var scratch: [UInt8] = []
        for message in messages {
            files.append(file)
            if let invocation = message.invocation { requests.append(requestIDs[invocation]) } else { requests.appendNull() }
            if let id = message.messageID { ids.append(utf8: UnsafeRawBufferPointer(rebasing: bytes[id])) } else { ids.appendNull() }
            if let at = message.startedAt { started.append(at) } else { started.appendNull() }
            if let level = message.level { levels.append(level.name) } else { levels.appendNull() }
            if message.foreign.isEmpty {
                texts.append(utf8: UnsafeRawBufferPointer(rebasing: bytes[message.spanStart..<message.spanEnd]))
            } else {
                scratch.removeAll(keepingCapacity: true)
                var at = message.spanStart
                for gap in message.foreign {
                    scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[at..<gap.lowerBound]))
                    for i in gap where bytes[i] == 0x0A { scratch.append(0x0A) }
                    at = gap.upperBound
                }
                scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[at..<message.spanEnd]))
                scratch.withUnsafeBytes { texts.append(utf8: $0) }
            }
            lines.append(Int64(message.line))
        }
        return try Table(schema: messageSchema, columns: [files, requests, ids, started, levels, texts, lines].map { $0.finish() })
    }

    private static func invocationTable(_ scanner: LambdaLogScanner, file: String) throws -> Table {
        let invocations = scanner.invocations
        let n = invocations.count
        let builders = invocationSchema.fields.map { ColumnBuilder($0.type, capacity: n) }
        for invocation in invocations {
            builders[0].append(file)
            builders[1].append(invocation.requestID)
            if let at = invocation.startedAt { builders[2].append(at) } else { builders[2].appendNull() }
            if let at = invocation.endedAt { builders[3].append(at) } else { builders[3].appendNull() }
            builders[4].append(invocation.status.rawValue)
            builders[5].append(Int64(invocation.messages))
            if let ms = invocation.durationMs { builders[6].append(ms) } else { builders[6].appendNull() }
            builders[7].append(Int64(invocation.line))
        }
        return try Table(schema: invocationSchema, columns: builders.map { $0.finish() })
    }
}
