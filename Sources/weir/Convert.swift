import ArgumentParser
import Foundation
import WeirSystem
import WeirTable

/// `weir convert`: CSV (or .csv.gz) to an Arrow file, or an Arrow file to CSV, by extension.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert between CSV and Arrow IPC files.",
        discussion:
            "The output format follows the output's extension: .arrow/.feather/.ipc write Arrow, .csv writes CSV."
    )

    @Argument(help: "Input file: CSV (optionally gzipped) or Arrow IPC.")
    var input: String

    @Argument(help: "Output file.")
    var output: String

    @Option(
        name: .customLong("type"),
        help: "Declare a column's type, as column=type (int64, float64, bool, string, timestamp, date). Repeatable.")
    var types: [String] = []

    @Option(help: "Field delimiter (one byte).")
    var delimiter: String = ","

    @Option(help: "The CSV's text encoding: utf8 (invalid bytes are an error) or latin1 (converted to UTF-8).")
    var encoding: String = "utf8"

    @Option(help: "What to do with malformed rows: error or skip.")
    var badRows: String = "error"

    @Option(help: "Where to write skipped rows (with --bad-rows skip).")
    var rejects: String?

    @Option(help: "Output format, arrow or csv, when the extension does not say (e.g. /dev/null).")
    var format: String?

    @Flag(help: "Print rows, bytes and time to standard error.")
    var stats = false

    func run() throws {
        let started = Date()
        let table: Table
        var bytes = 0
        var inPlace: InPlaceArrowFile?
        // The input's format is known by its first bytes, not its name: an Arrow file called
        // data.bin must not be parsed as text.
        if try ArrowFile.startsWithMagic(path: input) {
            table = try ArrowFile.read(path: input)
        } else {
            var options = CSVOptions()
            guard let delimiterByte = delimiter.utf8.first, delimiter.utf8.count == 1 else {
                throw ValidationError("--delimiter must be one byte, got '\(delimiter)'")
            }
            if let problem = CSVOptions.delimiterProblem(delimiterByte) {
                throw ValidationError("--delimiter: \(problem)")
            }
            options.delimiter = delimiterByte
            guard let encoding = CSVOptions.Encoding(rawValue: encoding) else {
                throw ValidationError("--encoding must be utf8 or latin1, got '\(encoding)'")
            }
            options.encoding = encoding
            guard let policy = CSVOptions.BadRows(rawValue: badRows) else {
                throw ValidationError("--bad-rows must be error or skip, got '\(badRows)'")
            }
            options.badRows = policy
            for spec in types {
                let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let type = DataType(name: parts[1]) else {
                    throw ValidationError(
                        "--type expects column=type with type one of int64, float64, bool, string, timestamp, date; got '\(spec)'"
                    )
                }
                options.columnTypes[parts[0]] = type
            }
            inPlace = try placedOutput()
            let result = try CSVReader.read(path: input, options: options, output: inPlace)
            table = result.table
            bytes = result.bytes
            if !result.rejects.isEmpty {
                let path = rejects ?? output + ".rejects.csv"
                try CSVReject.write(result.rejects, toFile: path)
                FileHandle.standardError.write(
                    Data("weir: skipped \(result.rejects.count) malformed rows; written to \(path)\n".utf8))
            }
        }
        var trace = Trace("convert")
        if let inPlace {
            try inPlace.write(table)
        } else if writesArrow {
            try ArrowWriter().write(table, toFile: output)
        } else {
            try CSVWriter().write(table, toFile: output)
        }
        trace.mark(inPlace?.wroteInPlace == true ? "write around values parsed in place" : "write")
        if stats {
            let seconds = Date().timeIntervalSince(started)
            let line =
                "rows=\(table.rowCount) columns=\(table.columnCount) bytes=\(bytes) seconds=\(String(format: "%.3f", seconds))\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    private var writesArrow: Bool { format == "arrow" || (format == nil && isArrow(output)) }

    /// An Arrow output that CSV values can be parsed straight into: a regular file, or a path
    /// yet to be created. Not /dev/null or a pipe, which cannot be mapped, nor a symbolic link,
    /// which the file written beside it and renamed would replace instead of writing through.
    private func placedOutput() throws -> InPlaceArrowFile? {
        guard writesArrow else { return nil }
        if let info = Syscall.linkStatus(path: output), (info.st_mode & S_IFMT) != S_IFREG { return nil }
        return try InPlaceArrowFile(path: output)
    }

    private func isArrow(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".arrow") || lower.hasSuffix(".feather") || lower.hasSuffix(".ipc")
    }
}
