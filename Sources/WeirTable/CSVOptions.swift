/// How to read a CSV file.
public struct CSVOptions: Sendable {
    public enum BadRows: String, Sendable, CaseIterable {
        /// A malformed row stops the read with an error naming file, line and column.
        case error
        /// Malformed rows are left out of the table, counted, and returned as rejects.
        case skip
    }

    /// How the file's text is encoded. Columns are UTF-8: latin1 text is converted as it is
    /// read; UTF-8 text that is not valid UTF-8 is an error naming its line and column.
    public enum Encoding: String, Sendable, CaseIterable {
        case utf8
        case latin1
    }

    public var delimiter: UInt8 = UInt8(ascii: ",")
    public var encoding: Encoding = .utf8
    /// Field texts read as null. A quoted empty field is null too when "" is listed.
    public var nullValues: [String] = [""]
    /// Types for named columns, instead of inferring them.
    public var columnTypes: [String: DataType] = [:]
    public var badRows: BadRows = .error
    /// A pattern for timestamps that are not ISO 8601; used for inference and declared columns.
    public var timestampFormat: TimestampFormat?
    /// Bytes per parallel chunk; chosen from the file size when nil.
    public var chunkSize: Int?
    /// Threads to parse on; all cores when nil.
    public var threads: Int?
    /// Whether rows may take the parser's fast paths; off only in tests that compare them with
    /// the general loop.
    var fastRows = true
    /// Bytes of text one string column may hold: Arrow's 32-bit offsets address 2 GiB. Lowered
    /// only in tests.
    var textLimit = Int(Int32.max)

    /// Why `byte` cannot separate fields (it ends lines or quotes them), else nil.
    public static func delimiterProblem(_ byte: UInt8) -> String? {
        switch byte {
        case 0x0A, 0x0D: "the delimiter cannot be a line end (\\n or \\r)"
        case 0x22: "the delimiter cannot be the quote character (\")"
        default: nil
        }
    }

    public init(
        delimiter: UInt8 = UInt8(ascii: ","), nullValues: [String] = [""], columnTypes: [String: DataType] = [:],
        badRows: BadRows = .error, timestampFormat: TimestampFormat? = nil
    ) {
        self.delimiter = delimiter
        self.nullValues = nullValues
        self.columnTypes = columnTypes
        self.badRows = badRows
        self.timestampFormat = timestampFormat
    }
}

/// A row left out under `bad_rows: skip`, kept whole so nothing is lost silently.
public struct CSVReject: Sendable, Hashable {
    public var location: TextLocation
    public var message: String
    /// The row exactly as it stood in the file, without its line ending.
    public var text: String
}

public struct CSVResult: Sendable {
    public var table: Table
    public var rejects: [CSVReject]
    /// Bytes of CSV text parsed (after decompression).
    public var bytes: Int
}

extension CSVReject {
    /// Writes rejects as a CSV of `file,line,column,error,row` so they can be inspected and fixed.
    public static func write(_ rejects: [CSVReject], toFile path: String) throws {
        let table = try Table(fields: [
            ("file", Column(string: rejects.map(\.location.path))),
            ("line", Column(int64: rejects.map { Int64($0.location.line) })),
            ("column", Column(int64: rejects.map { $0.location.column.map(Int64.init) })),
            ("error", Column(string: rejects.map(\.message))),
            ("row", Column(string: rejects.map(\.text))),
        ])
        try CSVWriter().write(table, toFile: path)
    }
}
