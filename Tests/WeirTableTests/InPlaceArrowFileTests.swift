import Foundation
import Testing
import WeirTestSupport

@testable import WeirTable

/// CSV parsed straight into its Arrow file must give the very bytes of reading it and then
/// writing the table, whether the guess made before parsing held (the values stay where they
/// were parsed) or not (the file is written the usual way).
@Suite struct InPlaceArrowFileTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var options = CSVOptions()
        /// Whether the placed columns should be found in place at the end.
        var inPlace: Bool
        /// How many columns are expected to be given a place before parsing.
        var placed: Int
        var testDescription: String { name }
    }

    static func rows(_ count: Int, _ row: (Int) -> String) -> String {
        (0..<count).map { row($0) + "\n" }.joined()
    }

    static var small: CSVOptions {
        var options = CSVOptions()
        options.chunkSize = 4096
        return options
    }

    static let cases: [Case] = {
        var declared = small
        declared.columnTypes = ["a": .float64, "c": .int64]
        var skip = small
        skip.badRows = .skip
        return [
            Case(
                name: "integers", text: "a,b,c,d\n" + rows(5000) { "\($0),\($0 * 31 % 977),\($0 % 7),\($0 & 1)" },
                options: small, inPlace: true, placed: 4),
            // The text goes after every other buffer, so the columns after it have places too.
            Case(
                name: "columns after a string column",
                text: "id,user,kind,x,ts\n"
                    + rows(3000) {
                        "\($0),\($0 * 3),k\($0 % 3),\(Double($0) / 4),2024-01-0\($0 % 9 + 1)T10:00:0\($0 % 10)"
                    },
                options: small, inPlace: true, placed: 4),
            Case(
                name: "a date and a float before integers",
                text: "day,f,n\n" + rows(3000) { "2024-02-\(10 + $0 % 19),\($0).25,\($0)" },
                options: small, inPlace: true, placed: 2),
            Case(
                name: "a null in a later chunk",
                text: "a,b,c\n" + rows(4000) { "\($0),\($0 == 3500 ? "" : "\($0)"),\($0)" },
                options: small, inPlace: false, placed: 3),
            // Widened where they were parsed; the metadata is as long for either type.
            Case(
                name: "integers widen to floats in a later chunk",
                text: "a,b\n" + rows(4000) { "\($0 == 3900 ? "0.5" : "\($0)"),\($0)" },
                options: small, inPlace: true, placed: 2),
            Case(
                name: "a column turns to text in a later chunk",
                text: "a,b,c\n" + rows(4000) { "\($0),\($0 == 3999 ? "x" : "\($0)"),\($0)" },
                options: small, inPlace: false, placed: 3),
            Case(
                name: "blank lines make fewer rows than lines",
                text: "a,b\n" + rows(4000) { $0 % 1000 == 999 ? "" : "\($0),\($0 * 2)" },
                options: small, inPlace: false, placed: 2),
            Case(
                name: "skipped bad rows",
                text: "a,b\n" + rows(4000) { $0 == 2500 ? "1,2,3" : "\($0),\($0 * 2)" },
                options: skip, inPlace: false, placed: 2),
            Case(
                name: "declared types",
                text: "a,b,c\n" + rows(3000) { "\($0),\($0 % 2 == 0 ? "t" : "f"),\($0)" },
                options: declared, inPlace: true, placed: 2),
            // Guessed as text, so the schema's metadata, and every place, moves when it is not.
            Case(
                name: "a column empty in the first rows",
                text: "a,b,c\n" + rows(4000) { "\($0),\($0 < 2000 ? "" : "\($0)"),\($0)" },
                options: small, inPlace: false, placed: 1),
            Case(
                name: "a text column empty in the first rows",
                text: "a,b,c\n" + rows(4000) { "\($0),\($0 < 2000 ? "" : "x\($0)"),\($0)" },
                options: small, inPlace: true, placed: 1),
            Case(
                name: "bad quoting re-reads the file in one piece",
                text: "a,b,c\n" + rows(4000) { $0 == 3000 ? "\($0),\"x\"y,\($0)" : "\($0),\($0),\($0)" },
                options: skip, inPlace: false, placed: 3),
            Case(name: "header only", text: "a,b\n", inPlace: false, placed: 0),
            Case(name: "one row without a newline", text: "a,b\n1,2", inPlace: true, placed: 2),
        ]
    }()

    @Test(arguments: cases)
    func parsedInPlaceGivesTheBytesOfAWrittenTable(_ example: Case) throws {
        let dir = try temporaryDirectory()
        try Data(example.text.utf8).write(to: URL(fileURLWithPath: dir + "/in.csv"))
        let read = try CSVReader.read(path: dir + "/in.csv", options: example.options)
        let expected = try ArrowWriter().bytes(read.table)

        let output = try InPlaceArrowFile(path: dir + "/out.arrow")
        let placedRead = try CSVReader.read(path: dir + "/in.csv", options: example.options, output: output)
        #expect(output.placed.count == example.placed)
        #expect(placedRead.rejects == read.rejects)
        try output.write(placedRead.table)
        #expect(output.wroteInPlace == example.inPlace)
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/out.arrow")))
        #expect(written == expected)
        // The table still reads its values after the write, from the file they now belong to.
        #expect((0..<read.table.rowCount).allSatisfy { placedRead.table.row($0) == read.table.row($0) })
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["in.csv", "out.arrow"])
    }

    @Test func aFailedReadLeavesNoFileBehind() throws {
        let dir = try temporaryDirectory()
        try Data(("a,b\n" + Self.rows(3000) { $0 == 2000 ? "1" : "\($0),\($0)" }).utf8)
            .write(to: URL(fileURLWithPath: dir + "/in.csv"))
        try Data("old".utf8).write(to: URL(fileURLWithPath: dir + "/out.arrow"))
        do {
            let output = try InPlaceArrowFile(path: dir + "/out.arrow")
            #expect { try CSVReader.read(path: dir + "/in.csv", options: Self.small, output: output) } throws: {
                "\($0)".contains("in.csv:2002")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["in.csv", "out.arrow"])
        #expect(try String(contentsOfFile: dir + "/out.arrow", encoding: .utf8) == "old")
    }

    @Test func anExistingFileIsReplacedWhole() throws {
        let dir = try temporaryDirectory()
        try Data(String(repeating: "x", count: 1 << 20).utf8).write(to: URL(fileURLWithPath: dir + "/out.arrow"))
        try Data(("a\n" + Self.rows(100) { "\($0)" }).utf8).write(to: URL(fileURLWithPath: dir + "/in.csv"))
        let output = try InPlaceArrowFile(path: dir + "/out.arrow")
        let read = try CSVReader.read(path: dir + "/in.csv", output: output)
        try output.write(read.table)
        #expect(output.wroteInPlace)
        let back = try ArrowFile.read(path: dir + "/out.arrow")
        #expect(back.rowCount == 100)
        #expect(back.row(99) == [.int64(99)])
    }

    /// The places promised before parsing are where the writer puts the values: checked on the
    /// bytes of written files, for tables of every fixed-width type around string columns.
    @Test func plannedOffsetsAreWhereTheWriterPutsValues() throws {
        for rows in [0, 1, 7, 8, 9, 1000] {
            let table = try Table(fields: [
                ("d", Column(.date, (0..<rows).map { .date(Int32($0)) })),
                ("b", Column(bool: (0..<rows).map { $0 % 3 == 0 })),
                ("s", Column(string: (0..<rows).map { "row \($0)" })),
                ("i", Column(int64: (0..<rows).map { Int64($0) * 1_000_003 })),
                ("f", Column(float64: (0..<rows).map { Double($0) + 0.5 })),
                ("u", Column(string: (0..<rows).map { String(repeating: "u", count: $0 % 11) })),
                ("t", Column(.timestamp, (0..<rows).map { .timestamp(Int64($0) * 17) })),
            ])
            let bytes = try ArrowWriter().bytes(table)
            let offsets = ArrowWriter().plannedValueOffsets(
                schema: table.schema, rowCount: rows,
                mayHaveNulls: [Bool](repeating: false, count: 7))
            #expect(offsets[2] == nil && offsets[5] == nil)
            for c in [0, 1, 3, 4, 6] {
                let column = table.columns[c]
                let count = column.type == .bool ? Bitmap.byteCount(bits: rows) : rows * column.type.fixedWidth!
                let offset = try #require(offsets[c])
                #expect(
                    Array(bytes[offset..<offset + count]) == Array(column.data.bytes.prefix(count)),
                    "column \(c), \(rows) rows")
            }
            let afterNulls = ArrowWriter().plannedValueOffsets(
                schema: table.schema, rowCount: rows,
                mayHaveNulls: [false, false, false, true, false, false, false])
            #expect(afterNulls.map { $0 != nil } == [true, true, false, false, false, false, false])
        }
    }
}
