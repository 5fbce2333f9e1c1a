import Foundation
import WeirCore
import WeirTable

extension CSVOptions.Encoding: ParamChoice {}
extension CSVOptions.BadRows: ParamChoice {}

/// `extract.csv`: one CSV file, or every file a glob matches, into one table. Files of a glob
/// are read in name order and must share a header; their types are unified (a column that is
/// int64 in one file and float64 in another is float64, and anything mixed with text is text,
/// re-read from the original bytes so no value is reformatted).
public struct ExtractCSV: StageType {
    public let name = "extract.csv"
    // 2: leap seconds and over-long integers stay text, "-0" keeps its sign, invalid UTF-8 is an error.
    public let version = "2"
    public let summary =
        "Read CSV files (a path or glob, .gz too) into a table, with type inference and per-column overrides."
    public let inputs = InputArity.none
    public var params: [ParamSpec] { SourceFiles.Params.specs + Params.specs }

    struct Params: StageParameters {
        var schema = ColumnTypes()
        var delimiter = ","
        var encoding = CSVOptions.Encoding.utf8
        var nullValues = [""]
        var badRows = CSVOptions.BadRows.error
        var timestampFormat: String?
        var filenameColumn: String?

        static let declarations: [ParamDeclaration<Self>] = [
            .param("schema", \.schema, help: "types for named columns instead of inferring them"),
            .param("delimiter", \.delimiter, help: "field delimiter, one byte"),
            .param(
                "encoding", \.encoding,
                help: "the files' text encoding; latin1 is converted to UTF-8, invalid UTF-8 is an error"),
            .param("null_values", \.nullValues, help: "field texts read as null"),
            .param("bad_rows", \.badRows, help: "malformed rows: stop with an error, or skip them into a rejects file"),
            .param(
                "timestamp_format", \.timestampFormat,
                help: "strptime-style pattern for timestamps that are not ISO 8601"),
            .param("filename_column", \.filenameColumn, help: "add a column holding each row's source file"),
        ]
    }

    public init() {}

    struct Extracted: Sendable {
        var output: SourceOutput
        var rejects: [CSVReject]
        var parts = PartReader.Report()
    }

    public func sources(_ context: SourceContext) throws -> [SourceInput] {
        try SourceFiles.inputs(context, kind: "CSV")
    }

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        do {
            let extracted = try read(SourceFiles.Scope(context))
            context.memo.set("extract.csv:" + context.stage.id, extracted)
            return ["out": extracted.output.schema]
        } catch {
            context.report(error)
            return [:]
        }
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let key = "extract.csv:" + context.stage.id
        let extracted = try context.memo.value(key, as: Extracted.self) ?? read(SourceFiles.Scope(context))
        context.memo.remove(key)
        extracted.parts.write(to: context.log)
        if !extracted.rejects.isEmpty {
            let path = try context.runFile("rejects.csv")
            try CSVReject.write(extracted.rejects, toFile: path)
            context.log.note(
                "skipped \(Wording.count(extracted.rejects.count, "malformed row")); written whole to \(path)")
        }
        return extracted.output.deliver("out", context).map { ["out": $0] } ?? [:]
    }

    // MARK: Reading

    func options(_ params: Params) throws -> CSVOptions {
        var options = CSVOptions()
        let delimiter = params.delimiter
        guard delimiter.utf8.count == 1, let byte = delimiter.utf8.first else {
            throw StageError("`delimiter` must be one byte, got '\(delimiter)'", param: "delimiter")
        }
        if let problem = CSVOptions.delimiterProblem(byte) {
            throw StageError("`delimiter`: \(problem)", param: "delimiter")
        }
        options.delimiter = byte
        options.encoding = params.encoding
        options.nullValues = params.nullValues
        options.badRows = params.badRows
        options.columnTypes = params.schema.types
        if let pattern = params.timestampFormat {
            do { options.timestampFormat = try TimestampFormat(pattern) } catch {
                throw StageError("`timestamp_format`: \(error)", param: "timestamp_format")
            }
        }
        return options
    }

    /// Reads every file (a file of a glob whose parsed table is kept comes from the store),
    /// checks they share a header, and unifies their types.
    func read(_ scope: SourceFiles.Scope) throws -> Extracted {
        let params = try Params.decode(scope.stage)
        let listing = try SourceFiles.Listing(scope, kind: "CSV", extensionHint: "csv")
        var reader = PartReader(scope, listing: listing)
        let identities = reader.parts == nil ? [] : try listing.identities()
        var options = try options(params)
        let filenameColumn = params.filenameColumn
        var rejects: [Int: [CSVReject]] = [:]
        /// The part keys and tables of the files at `indices` read with `options`.
        func tables(_ indices: [Int], _ options: CSVOptions) throws -> (keys: [String], tables: [PartReader.FilePart]) {
            let keys = indices.map {
                reader.parts == nil
                    ? ""
                    : partKey(
                        options, identity: identities[$0], filenameColumn: filenameColumn, name: listing.names[$0])
            }
            let tables = try reader.tables(indices, keys: keys, ports: 1) { missing in
                try zip(missing, listing.files(missing)).map { index, file in
                    let result = try readFile(file, options, filenameColumn: filenameColumn, name: listing.names[index])
                    rejects[index] = result.rejects.isEmpty ? nil : result.rejects
                    return PartReader.Parsed(tables: [result.table], keep: result.rejects.isEmpty)
                }
            }.map { $0[0] }
            return (keys, tables)
        }
        var (keys, results) = try tables(Array(0..<listing.count), options)
        let first = results[0].schema
        for (name, result) in zip(listing.names, results).dropFirst() where result.schema.names != first.names {
            throw StageError(
                "\(name) has columns (\(result.schema.names.joined(separator: ", "))) but "
                    + "\(listing.names[0]) has (\(first.names.joined(separator: ", "))); files of one glob must share a header",
                param: "path")
        }
        for column in options.columnTypes.keys where first[column] == nil || column == filenameColumn {
            throw StageError(
                "`schema` names column '\(column)' but \(listing.names[0]) has no such column (it has: \(first.names.joined(separator: ", ")))",
                param: "schema", hint: Suggest.didYouMean(column, in: first.names))
        }
        // Unify types across files; re-read the files that disagree with the unified types declared.
        var unified = first.fields
        for result in results.dropFirst() {
            for (i, field) in result.schema.fields.enumerated() {
                unified[i].type = Self.widen(unified[i].type, field.type)
            }
        }
        let disagreeing = results.indices.filter { results[$0].schema.fields != unified }
        if !disagreeing.isEmpty {
            for field in unified where field.name != filenameColumn { options.columnTypes[field.name] = field.type }
            for i in disagreeing { rejects[i] = nil }
            let reread = try tables(disagreeing, options)
            for (position, i) in disagreeing.enumerated() {
                results[i] = reread.tables[position]
                keys[i] = reread.keys[position]
            }
        }
        let report = reader.finish()
        return Extracted(
            output: try reader.output(results, keys: keys, schema: Schema(unified)),
            rejects: rejects.keys.sorted().flatMap { rejects[$0]! }, parts: report)
    }

    /// What decides one file's parsed table: this reader's version, every option that shapes
    /// the parse (the types declared, whether by `schema` or by unification), the file's name
    /// when a column holds it, and the content.
    private func partKey(_ options: CSVOptions, identity: String, filenameColumn: String?, name: String) -> String {
        var material = [
            self.name, version, "part 1", String(options.delimiter), options.encoding.rawValue,
            options.badRows.rawValue,
            options.timestampFormat?.pattern ?? "-", String(options.nullValues.count),
        ]
        material += options.nullValues
        material += options.columnTypes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }
        material += filenameColumn.map { ["filename_column", $0, name] } ?? []
        return SourceParts.key(material + [identity])
    }

    /// One file's table, with the column of its name when `filenameColumn` asks for one.
    private func readFile(_ file: SourceFiles.File, _ options: CSVOptions, filenameColumn: String?, name: String) throws
        -> CSVResult
    {
        var result: CSVResult
        do {
            result = try CSVReader.read(path: file.path, options: options)
        } catch let error as TableError {
            throw StageError(error.description.replacingOccurrences(of: file.path, with: file.display), param: "path")
        }
        if let column = filenameColumn {
            guard result.table.schema[column] == nil else {
                throw StageError(
                    "`filename_column` '\(column)' is already a column of \(name)", param: "filename_column")
            }
            result.table = try result.table.with(
                column, Column(string: [String?](repeating: name, count: result.table.rowCount)))
        }
        return result
    }

    static func widen(_ a: DataType, _ b: DataType) -> DataType {
        if a == b { return a }
        switch (a, b) {
        case (.int64, .float64), (.float64, .int64): return .float64
        case (.date, .timestamp), (.timestamp, .date): return .timestamp
        default: return .string
        }
    }
}
