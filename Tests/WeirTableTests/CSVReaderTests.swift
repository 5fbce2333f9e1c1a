import Foundation
import Testing
import WeirTestSupport

@testable import WeirTable

@Suite struct CSVInference {
    @Test func infersEachType() throws {
        let t = try csv(
            "i,f,s,b,d,ts\n1,1.5,x,true,2024-02-13,2024-02-13T21:01:05.050Z\n-2,2,y,FALSE,2020-02-29,2024-02-13 21:01:05+03:00\n"
        )
        #expect(t.schema.fields.map(\.type) == [.int64, .float64, .string, .bool, .date, .timestamp])
        #expect(
            t.row(0) == [
                .int64(1), .float64(1.5), .string("x"), .bool(true), .date(19_766), .timestamp(1_707_858_065_050_000),
            ])
        #expect(t.row(1)[5] == .timestamp(1_707_858_065_000_000 - 3 * 3_600_000_000))
        #expect(t.row(1)[3] == .bool(false))
    }

    @Test func widensOverTheWholeFile() throws {
        var options = CSVOptions()
        options.chunkSize = 16  // many chunks: the widening value sits in a later chunk
        let body = (1...200).map { "\($0),\($0),\($0),2024-01-0\($0 % 9 + 1)" }.joined(separator: "\n")
        let text = "a,b,c,d\n" + body + "\n3.5,abc,7,2024-01-01T10:00:00\n"
        let t = try csv(text, options)
        #expect(t.schema.fields.map(\.type) == [.float64, .string, .int64, .timestamp])
        #expect(t.rowCount == 201)
        #expect(t.row(0) == [.float64(1), .string("1"), .int64(1), .timestamp(Temporal.parseTimestamp("2024-01-02")!)])
        #expect(
            t.row(200) == [
                .float64(3.5), .string("abc"), .int64(7), .timestamp(Temporal.parseTimestamp("2024-01-01T10:00:00Z")!),
            ])
        // The same file in one chunk gives the same table.
        let single = try csv(text)
        for r in 0..<t.rowCount { #expect(single.row(r) == t.row(r)) }
    }

    @Test func nullsAndAllNullColumns() throws {
        let t = try csv("a,b,c\n1,,\n,NA,\n3,x,\n", CSVOptions(nullValues: ["", "NA"]))
        #expect(t.schema.fields.map(\.type) == [.int64, .string, .string])
        #expect(t.columns.map(\.nullCount) == [1, 2, 3])
        #expect(t.row(2) == [.int64(3), .string("x"), .null])
    }

    @Test func integersTooLongForInt64StayText() throws {
        let t = try csv("id\n12345678901234567890123\n1\n")
        #expect(t.schema.fields[0].type == .string)
        #expect(t.row(0)[0] == .string("12345678901234567890123"))
    }

    @Test func floatsParseExactly() throws {
        var rng = SystemRandomNumberGenerator()
        let values =
            (0..<2000).map { _ in Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF) } + [
                0.1, Double.leastNonzeroMagnitude, Double.leastNormalMagnitude, Double.greatestFiniteMagnitude,
                123_456_789_012_345_680,
            ]
        let text = "x\n" + values.map { "\($0)" }.joined(separator: "\n") + "\n"
        let t = try csv(text)
        for (i, v) in values.enumerated() { #expect(t.columns[0].float64s[i].bitPattern == v.bitPattern, "\(v)") }
    }

    @Test func declaredTypesOverrideInference() throws {
        let t = try csv("zip,n\n00501,1\n02134,2\n", CSVOptions(columnTypes: ["zip": .string, "n": .float64]))
        #expect(t.row(0) == [.string("00501"), .float64(1)])
    }

    @Test func timestampFormat() throws {
        var options = CSVOptions()
        options.timestampFormat = try TimestampFormat("%d/%m/%Y %H:%M")
        let t = try csv("when\n13/02/2024 21:01\n", options)
        #expect(t.row(0) == [.timestamp(Temporal.parseTimestamp("2024-02-13T21:01:00Z")!)])
    }
}

@Suite struct CSVSyntax {
    @Test func quotesEscapesNewlinesCRLFAndBOM() throws {
        let text = "\u{FEFF}\"na,me\",v\r\n\"a \"\"b\"\"\",1\r\n\"multi\r\nline\",2\r\nplain,3\r\n"
        let t = try csv(text)
        #expect(t.schema.names == ["na,me", "v"])
        #expect(t.rowCount == 3)
        #expect(t.row(0) == [.string("a \"b\""), .int64(1)])
        #expect(t.row(1) == [.string("multi\r\nline"), .int64(2)])
        #expect(t.row(2) == [.string("plain"), .int64(3)])
    }

    @Test func customDelimiterBlankLinesAndNoFinalNewline() throws {
        let t = try csv("a;b\n\n1;x y\n\r\n2;z", CSVOptions(delimiter: UInt8(ascii: ";")))
        #expect(t.rowCount == 2)
        #expect(t.row(1) == [.int64(2), .string("z")])
    }

    @Test func chunkBoundariesNeverSplitQuotedNewlines() throws {
        var rows: [String] = []
        for k in 0..<500 {
            let text = k % 3 == 0 ? "\"line\nbreak \(k), \"\"q\"\"\"" : "v\(k)"
            rows.append("\(k),\(text),\(k % 2 == 0)")
        }
        let text = "k,text,even\n" + rows.joined(separator: "\n") + "\n"
        let reference = try csv(text)
        #expect(reference.rowCount == 500)
        for size in [1, 7, 64, 333] {
            var options = CSVOptions()
            options.chunkSize = size
            let t = try csv(text, options)
            #expect(t.rowCount == 500)
            for r in 0..<500 { #expect(t.row(r) == reference.row(r)) }
        }
        #expect(reference.row(3)[1] == .string("line\nbreak 3, \"q\""))
    }

    /// A file read from disk lets go of each part of its mapping once parsed; what is read
    /// again afterwards (a chunk re-read as text when its column widens late, the text of
    /// rejected rows) must still be the file's bytes.
    @Test func readingAFileLetsGoOfItsPartsAndRereadsThem() throws {
        var text = "id,value,note\n"
        for k in 0..<20_000 {
            let value = k == 19_990 ? "late text" : "\(k * 7)"
            text += k % 997 == 0 ? "\(k),\(value)\n" : "\(k),\(value),note \(k % 13)\n"
        }
        let dir = try temporaryDirectory()
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/big.csv"))
        var options = CSVOptions(badRows: .skip)
        options.chunkSize = 8192
        let fromFile = try CSVReader.read(path: dir + "/big.csv", options: options)
        let inMemory = try CSVReader.read(text: text, name: dir + "/big.csv", options: options)
        #expect(fromFile.table.schema.fields.map(\.type) == [.int64, .string, .string])
        #expect(fromFile.table.rowCount == 20_000 - 21)
        #expect(fromFile.table.rowCount == inMemory.table.rowCount)
        #expect((0..<fromFile.table.rowCount).allSatisfy { fromFile.table.row($0) == inMemory.table.row($0) })
        #expect(fromFile.rejects == inMemory.rejects)
        #expect(fromFile.rejects.count == 21)
        #expect(fromFile.rejects.last?.text == "19940,139580")
    }

    @Test func gzipInput() throws {
        let dir = try temporaryDirectory()
        try Data("a,b\n1,x\n2,y\n".utf8).write(to: URL(fileURLWithPath: dir + "/t.csv"))
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", dir + "/t.csv"]
        try gzip.run()
        gzip.waitUntilExit()
        let t = try CSVReader.read(path: dir + "/t.csv.gz").table
        #expect(t.rowCount == 2)
        #expect(t.row(1) == [.int64(2), .string("y")])
        // A truncated gzip file is an error naming the file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/t.csv.gz"))
        try bytes.prefix(bytes.count - 12).write(to: URL(fileURLWithPath: dir + "/cut.csv.gz"))
        #expect { try CSVReader.read(path: dir + "/cut.csv.gz") } throws: {
            "\($0)".contains("cut.csv.gz: gzip data is truncated")
        }
    }

    @Test func headerOnlyAndUnnamedColumns() throws {
        let t = try csv(",a\n")
        #expect(t.schema.names == ["Unnamed: 0", "a"])
        #expect(t.rowCount == 0)
    }
}

@Suite struct CSVErrors {
    func message(_ text: String, _ options: CSVOptions = CSVOptions()) -> String {
        do {
            _ = try csv(text, options)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    /// A column's text past what 32-bit offsets address is an error, not offsets that wrap.
    /// The limit is lowered here: the real one needs 2 GiB of text.
    @Test func textBeyondWhatAColumnHoldsIsAnError() {
        var options = CSVOptions()
        options.textLimit = 1000
        options.chunkSize = 64
        // 1 + 999 bytes fit; the text of a column that turned to text late is counted too.
        let fits = "n,s\n" + (0..<9).map { "\($0),\(String(repeating: "x", count: 111))\n" }.joined() + "9,y\n"
        #expect(message(fits, options) == "no error")
        let over = "n,s\n" + (0..<10).map { "\($0),\(String(repeating: "x", count: 100))\n" }.joined() + "10,z\n"
        #expect(
            message(over, options) == "test.csv:1: column 's' (field 2): the column holds 1001 bytes of text, "
                + "more than the 1000 one column can (Arrow's 32-bit offsets); split the file into smaller ones")
        let late = "s\n" + (0..<30).map { "\($0 * 1000)\n" }.joined() + "x\n"
        options.textLimit = 100
        #expect(message(late, options).contains("the column holds 138 bytes of text"))
    }

    @Test func wrongFieldCount() {
        #expect(message("a,b\n1,2\n3,4,5\n") == "test.csv:3:1: expected 2 fields, found 3")
        #expect(message("a,b\n1,2\n3\n") == "test.csv:3:1: expected 2 fields, found only 1")
    }

    @Test func unterminatedQuote() {
        #expect(
            message("a,b\n1,\"open\n2,3\n")
                == "test.csv:2:3: column 'b' (field 2): unterminated quoted field: no closing quote before the end of the file"
        )
    }

    @Test func strayQuotes() {
        #expect(
            message("a,b\n1,ab\"c\n")
                == "test.csv:2:5: column 'b' (field 2): quote character inside an unquoted field; quote the whole field and double the quotes inside it"
        )
        #expect(
            message("a,b\n\"x\"y,1\n")
                == "test.csv:2:4: column 'a' (field 1): unexpected character after a closing quote; expected the delimiter or the end of the line"
        )
    }

    @Test func declaredTypeMismatchNamesLineColumnAndField() {
        #expect(
            message("id,amount\n1,2.5\n2,abc\n", CSVOptions(columnTypes: ["amount": .float64]))
                == "test.csv:3:3: column 'amount' (field 2): expected float64 (declared in schema), found \"abc\"")
        #expect(
            message("id,amount\nx,1\n", CSVOptions(columnTypes: ["amount": .int64, "id": .int64]))
                == "test.csv:2:1: column 'id' (field 1): expected int64 (declared in schema), found \"x\"")
    }

    @Test func headerProblems() {
        #expect(message("") == "test.csv:1: the file is empty; a header row is required")
        // Leading blank lines are skipped like any other; a file of nothing else has no header.
        #expect(message("\n1,2\n") == "no error")
        #expect(
            message("\n\r\n\n")
                == "test.csv:1:1: header row: the file holds only blank lines; a header row naming the columns is required"
        )
        #expect(message("a,b,a\n1,2,3\n") == "test.csv:1:1: header row: duplicate column name 'a' (fields 1 and 3)")
        #expect(
            message("a,b\n1,2\n", CSVOptions(columnTypes: ["c": .int64]))
                == "test.csv:1: the schema names column 'c', which the header does not have (columns: a, b)")
    }

    @Test func firstErrorInFileOrderWinsAcrossChunks() {
        var options = CSVOptions()
        options.chunkSize = 8
        let text = "a,b\n" + (1...100).map { $0 == 40 || $0 == 90 ? "\($0)" : "\($0),x" }.joined(separator: "\n") + "\n"
        #expect(message(text, options) == "test.csv:41:1: expected 2 fields, found only 1")
    }
}

@Suite struct CSVBadRowsSkip {
    @Test func skippedRowsAreCountedAndKeptWhole() throws {
        var options = CSVOptions(columnTypes: ["n": .int64], badRows: .skip)
        options.chunkSize = 12
        let text = "n,s\n1,a\n2,b,extra\n3,c\nx,\"multi\nline\"\n4,d\n5\n"
        let result = try CSVReader.read(text: text, name: "in.csv", options: options)
        #expect(result.table.rowCount == 3)
        #expect(result.table.columns[0].values == [.int64(1), .int64(3), .int64(4)])
        #expect(result.rejects.map(\.location.line) == [3, 5, 8])
        #expect(result.rejects.map(\.text) == ["2,b,extra", "x,\"multi\nline\"", "5"])
        #expect(result.rejects[1].message == "column 'n' (field 1): expected int64 (declared in schema), found \"x\"")
        // A rejected row never widens an inferred column.
        #expect(result.table.schema.fields[1].type == .string)

        let dir = try temporaryDirectory()
        try CSVReject.write(result.rejects, toFile: dir + "/rejects.csv")
        let back = try CSVReader.read(path: dir + "/rejects.csv").table
        #expect(back.schema.names == ["file", "line", "column", "error", "row"])
        #expect(back.column("row")!.values == result.rejects.map { .string($0.text) })
    }

    @Test func badQuotingFallsBackToOneChunk() throws {
        var options = CSVOptions(badRows: .skip)
        options.chunkSize = 8
        let text = "a,b\n1,x\n2,bad\"quote\n3,y\n4,\"ok\"\n"
        let result = try CSVReader.read(text: text, name: "q.csv", options: options)
        #expect(result.table.rowCount == 3)
        #expect(result.rejects.map(\.text) == ["2,bad\"quote"])
    }
}

@Suite struct CSVWriting {
    @Test func roundTripsEveryTypeExactly() throws {
        let table = try sampleTable()
        let text = try CSVWriter().string(table)
        var options = CSVOptions()
        options.columnTypes = Dictionary(uniqueKeysWithValues: table.schema.fields.map { ($0.name, $0.type) })
        let back = try csv(text, options)
        for r in 0..<table.rowCount {
            var expected = table.row(r)
            // CSV has one null: an empty string reads back as null.
            if expected[2] == .string("") { expected[2] = .null }
            #expect(back.row(r) == expected)
        }
    }

    @Test func quotingAndFormats() throws {
        let table = try Table(fields: [
            ("s", Column(string: ["a,b", "say \"hi\"", "two\nlines", "plain", nil])),
            ("f", Column(float64: [0.1, 1e-7, 1e21, -0.0, .nan])),
        ])
        #expect(
            try CSVWriter().string(table)
                == "s,f\n\"a,b\",0.1\n\"say \"\"hi\"\"\",1e-07\n\"two\nlines\",1e+21\nplain,-0.0\n,NaN\n")
    }
}

@Suite struct Temporals {
    @Test func civilDaysRoundTrip() {
        for days in stride(from: Int64(-800_000), to: 800_000, by: 997) {
            let (y, m, d) = Temporal.civil(days: days)
            #expect(Temporal.days(year: y, month: m, day: d) == days)
        }
        #expect(Temporal.parseDate("2000-02-29") == 11_016)
        #expect(Temporal.parseDate("2001-02-29") == nil)
        #expect(Temporal.formatTimestamp(-1) == "1969-12-31T23:59:59.999999Z")
        #expect(Temporal.parseTimestamp("2024-02-13T21:01:05.050123456+0530") == 1_707_838_265_050_123)
        #expect(Temporal.parseTimestamp("2024-02-13T25:01") == nil)
    }
}
