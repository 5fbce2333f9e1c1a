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
    public var params: [ParamSpec] { SourceFiles.Params.specs }

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
        try SourceFiles.inputs(context, kind: "log", extensionHint: "log")
    }

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        ["out": Self.messageSchema, "invocations": Self.invocationSchema]
    }

    /// Each file is scanned into its own two tables (on all cores); a file of a glob whose
    /// tables are kept from an earlier read is not read at all.
    public func run(_ context: RunContext) throws -> [String: Table] {
        let scope = SourceFiles.Scope(context)
        let listing = try SourceFiles.Listing(scope, kind: "log", extensionHint: "log")
        var reader = PartReader(scope, listing: listing)
        let identities = reader.parts == nil ? [] : try listing.identities()
        let keys = listing.names.indices.map { i in
            reader.parts == nil ? "" : SourceParts.key([name, version, "part 1", listing.names[i], identities[i]])
        }
        var trace = Trace("extract.logs")
        let files = try reader.tables(Array(listing.names.indices), keys: keys, ports: 2) { missing in
            let local = try listing.files(missing)
            return try Parallel.map(local.count) { i in Result { try Self.fileTables(local[i]) } }.map { try $0.get() }
        }
        trace.mark("read and scan \(listing.count) files")
        reader.finish().write(to: context.log)
        var tables: [String: Table] = [:]
        for (port, (name, schema)) in [("out", Self.messageSchema), ("invocations", Self.invocationSchema)].enumerated()
        {
            let output = try reader.output(files.map { $0[port] }, keys: keys, port: port, ports: 2, schema: schema)
            tables[name] = output.deliver(name, context)
        }
        trace.mark("join files")
        return tables
    }

    /// One file's messages and invocations.
    static func fileTables(_ file: SourceFiles.File) throws -> PartReader.Parsed {
        let scan = try scan(file)
        // The text column is most of the output: size it exactly, then write it in place.
        let messages = scan.scanner.messages
        let text = try StringColumnFill(rows: messages.count, bytes: messages.reduce(0) { $0 + $1.textBytes })
        let part = try withExtendedLifetime(scan.source) {
            try tables(scan.scanner, file: file.display, text: text.writer(firstRow: 0, firstByte: 0))
        }
        var columns = part.messages.columns
        columns.insert(text.finish(), at: textIndex)
        return PartReader.Parsed(
            tables: [try Table(schema: messageSchema, columns: columns), part.invocations], keep: true)
    }

    struct LogTables: Sendable {
        var messages: Table
        var invocations: Table
    }

    /// A file's scan, with the bytes it points into.
    struct FileScan: @unchecked Sendable {
        var source: AnyObject
        var scanner: LambdaLogScanner
    }

    static func scan(_ file: SourceFiles.File) throws -> FileScan {
        let mapped: MappedFile
        do { mapped = try MappedFile(path: file.path) } catch {
            throw StageError("cannot read \(file.display): \(error)", param: "path")
        }
        var source: AnyObject = mapped
        var bytes = mapped.bytes
        if Gzip.isGzip(mapped.bytes) {
            do {
                let text = try Gzip.decompress(mapped.bytes, path: file.display)
                source = text
                bytes = text.bytes
            } catch {
                throw StageError("\(error)", param: "path")
            }
        } else {
            mapped.adviseSequential()
        }
        var scanner = LambdaLogScanner(bytes)
        scanner.scan()
        return FileScan(source: source, scanner: scanner)
    }

    static let textIndex = 5

    /// One file's tables, the message table without its text column, whose values go to `text`.
    static func tables(_ scanner: LambdaLogScanner, file: String, text: StringColumnFill.Writer) throws -> LogTables {
        LogTables(
            messages: try messageTable(scanner, file: file, text: text),
            invocations: try invocationTable(scanner, file: file))
    }

    private static func messageTable(_ scanner: LambdaLogScanner, file: String, text: StringColumnFill.Writer) throws
        -> Table
    {
        var text = text
        let messages = scanner.messages
        let n = messages.count
        let files = ColumnBuilder(.string, capacity: n)
        let requests = ColumnBuilder(.string, capacity: n)
        let ids = ColumnBuilder(.string, capacity: n)
        let started = ColumnBuilder(.timestamp, capacity: n)
        let levels = ColumnBuilder(.string, capacity: n)
        let lines = ColumnBuilder(.int64, capacity: n)
        let bytes = scanner.bytes
        let requestIDs = scanner.invocations.map(\.requestID)
        for message in messages {
            files.append(file)
            if let invocation = message.invocation {
                requests.append(requestIDs[invocation])
            } else {
                requests.appendNull()
            }
            if let id = message.messageID {
                ids.append(utf8: UnsafeRawBufferPointer(rebasing: bytes[id]))
            } else {
                ids.appendNull()
            }
            if let at = message.startedAt { started.append(at) } else { started.appendNull() }
            if let level = message.level { levels.append(level.name) } else { levels.appendNull() }
            var at = message.spanStart
            for gap in message.foreign {
                text.write(UnsafeRawBufferPointer(rebasing: bytes[at..<gap.lowerBound]))
                for i in gap where bytes[i] == 0x0A { text.write(byte: 0x0A) }
                at = gap.upperBound
            }
            text.write(UnsafeRawBufferPointer(rebasing: bytes[at..<message.spanEnd]))
            text.endValue()
            lines.append(Int64(message.line))
        }
        var schema = messageSchema.fields
        schema.remove(at: textIndex)
        return try Table(
            schema: Schema(schema), columns: [files, requests, ids, started, levels, lines].map { $0.finish() })
    }

    private static func invocationTable(_ scanner: LambdaLogScanner, file: String) throws -> Table {
        let invocations = scanner.invocations
        let n = invocations.count
        let builders = invocationSchema.fields.map { ColumnBuilder($0.type, capacity: n) }
        for invocation in invocations {
            builders[0].append(file)
            builders[1].append(invocation.requestID)
            builders[2].append(invocation.startedAt)
            if let at = invocation.endedAt { builders[3].append(at) } else { builders[3].appendNull() }
            builders[4].append(invocation.status.rawValue)
            builders[5].append(Int64(invocation.messages))
            if let ms = invocation.durationMs { builders[6].append(ms) } else { builders[6].appendNull() }
            builders[7].append(Int64(invocation.line))
        }
        return try Table(schema: invocationSchema, columns: builders.map { $0.finish() })
    }
}
