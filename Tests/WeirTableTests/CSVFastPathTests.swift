import Foundation
import Testing

@testable import WeirTable

/// The parser converts plain numbers, strings and timestamps while it finds each field's end,
/// and writes fixed-width values straight into one buffer per column. These tests hold those
/// shortcuts to what the general path (`ValueParsing`) and a single chunk give.
@Suite struct CSVFastPaths {
    static let integerTexts: [String] = {
        var texts = [
            "0", "-0", "7", "-7", "007", "+5", "123456789012345678", "-123456789012345678",
            "1234567890123456789", "-9223372036854775808", "9223372036854775807", "42",
        ]
        var rng = RandomStream(seed: 11)
        for digits in 1...18 {
            for _ in 0..<20 {
                var text = rng.next() % 2 == 0 ? "-" : ""
                for _ in 0..<digits { text += String(rng.next() % 10) }
                texts.append(text)
            }
        }
        return texts
    }()

    static let floatTexts: [String] = {
        var texts = [
            "0.0", "-0.0", "2.0", "3.", "0.05", "-12.5", "1.5e3", "1E-7", ".5", "-.25", "+1.5",
            "123456789012345", "1234567890.12345", "1234567890.123456", "0.1234567890123456789",
            "99999999999999999", "nan", "inf", "12",
        ]
        var rng = RandomStream(seed: 12)
        for _ in 0..<400 {
            let whole = rng.next() % 1_000_000_000
            let fraction = rng.next() % 1_000_000
            texts.append(
                "\(rng.next() % 2 == 0 ? "-" : "")\(whole).\(String(fraction).leftPadded(to: Int(rng.next() % 7) + 1))")
        }
        return texts
    }()

    /// With only "" as null, numbers take the plain-rows loop; with other null texts, the
    /// numeric row path.
    @Test(arguments: ["\n", "\r\n"], [[""], ["", "NA"]])
    func numbersMatchTheFullParsers(ending: String, nullValues: [String]) throws {
        // Each value as a middle field and as the last field of its row.
        func check(_ texts: [String], type: DataType, _ parse: (String) -> Value) throws {
            let text = "a,b\n" + texts.map { "\($0),\($0)" }.joined(separator: ending) + ending
            for chunkSize in [Int.max, 64] {
                var options = CSVOptions(nullValues: nullValues)
                options.chunkSize = chunkSize
                let table = try csv(text, options)
                #expect(table.schema.fields.map(\.type) == [type, type])
                for (r, value) in texts.enumerated() {
                    // Compared as bits, so -0.0 differs from 0.0 and NaN equals NaN.
                    let expected = parse(value).bits
                    #expect(table.row(r).map(\.bits) == [expected, expected], "\(value)")
                }
            }
        }
        let integers = Self.integerTexts.filter { ValueParsing.int64(Array($0.utf8), $0.utf8.count) != nil }
        try check(integers, type: .int64) { .int64(ValueParsing.int64(Array($0.utf8), $0.utf8.count)!) }
        try check(Self.floatTexts, type: .float64) { .float64(ValueParsing.double(Array($0.utf8), $0.utf8.count)!) }
    }

    /// A number read from one word gives what the plain-number reader gives, and reads it only
    /// when the word holds it whole; checked with every byte that may follow it.
    @Test func numbersInOneWordMatchThePlainNumberReader() throws {
        var taken = 0
        let shortIntegers = stride(from: 0, to: 10_000_000, by: 9_973).map { "\($0)" } + ["0", "00", "0000007"]
        let shortDecimals =
            stride(from: 0, to: 100_000, by: 97).map { "\($0 / 1000).\($0 % 1000)" } + [
                "0.0", "28.0", "12345.6", "1.00000",
            ]
        for (texts, fraction) in [(Self.integerTexts + shortIntegers, false), (Self.floatTexts + shortDecimals, true)] {
            for text in texts {
                for follower in [",", "\n", "7", ".", "x", ",123456789"] {
                    let bytes = Array((text + follower).utf8) + [UInt8](repeating: 0x2C, count: 8)
                    let word = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
                    guard let (bits, count) = ValueParsing.numberInWord(word, fraction: fraction) else { continue }
                    taken += 1
                    let plain = try #require(
                        bytes.withUnsafeBufferPointer {
                            ValueParsing.leadingPlainNumber($0.baseAddress!, limit: $0.count, fraction: fraction)
                        }, "\(text)\(follower)")
                    #expect(plain.bits == bits && plain.count == count, "\(text)\(follower)")
                    #expect(count < 8)
                }
            }
        }
        #expect(taken > 1000)
    }

    @Test func droppedRowsArePackedOutOfEveryChunk() throws {
        // Blank lines, rejected rows and quoted newlines leave each chunk fewer rows than
        // newlines; a later float and a later timestamp widen columns chunks already filled.
        var lines: [String] = []
        var kept: [[Value]] = []
        var rng = RandomStream(seed: 5)
        for k in 0..<3000 {
            switch k == 2999 ? 9 : rng.next() % 10 {
            case 0: lines.append("")
            case 1: lines.append("\(k),oops")
            case 2:
                lines.append("\(k),\"two\nlines\",2024-01-02,\(k).5")
                kept.append([
                    .int64(Int64(k)), .string("two\nlines"), .timestamp(Temporal.parseTimestamp("2024-01-02")!),
                    .float64(Double(k) + 0.5),
                ])
            default:
                let day = k % 28 + 1
                let date = "2024-02-\(String(day).leftPadded(to: 2))"
                let value = k == 2999 ? "\(date)T06:00:00Z" : date
                lines.append("\(k),s\(k),\(value),\(k)")
                kept.append([
                    .int64(Int64(k)), .string("s\(k)"), .timestamp(Temporal.parseTimestamp(value)!),
                    .float64(Double(k)),
                ])
            }
        }
        let text = "n,s,when,x\n" + lines.joined(separator: "\n") + "\n"
        for chunkSize in [Int.max, 100, 4096] {
            var options = CSVOptions(badRows: .skip)
            options.chunkSize = chunkSize
            let result = try CSVReader.read(text: text, name: "d.csv", options: options)
            #expect(result.table.schema.fields.map(\.type) == [.int64, .string, .timestamp, .float64])
            #expect(result.table.rowCount == kept.count)
            #expect(result.rejects.count == lines.filter { $0.hasSuffix(",oops") }.count)
            for (r, row) in kept.enumerated() where result.table.row(r) != row {
                Issue.record("row \(r): \(result.table.row(r)) != \(row)")
                break
            }
        }
    }

    /// Random rows of every shape the row fast paths must leave alone (quotes, nulls, blank
    /// lines, CR line ends, wrong field counts, values that widen a column half-way) read the
    /// same as with the fast paths off.
    /// Each column kind is tried as the last field, where the line end is, and null texts that
    /// look like numbers are tried too.
    @Test(arguments: [false, true], [[0, 1, 2, 3, 4], [3, 2, 0, 4, 1], [1, 4, 3, 0, 2]])
    func fastRowsReadAsTheGeneralLoopDoes(skipBadRows: Bool, order: [Int]) throws {
        let nullValues = order[0] == 1 ? ["", "NA", "-1"] : [""]
        var rng = RandomStream(seed: skipBadRows ? 21 : 22)
        func pick(_ options: [String]) -> String { options[Int(rng.next() % UInt64(options.count))] }
        var lines: [String] = []
        var badRows = 0
        for k in 0..<4000 {
            let shape = rng.next() % 40
            if shape == 0 {
                lines.append("")
                continue
            }
            if shape == 1 && skipBadRows {
                lines.append("\(k),short")
                badRows += 1
                continue
            }
            if shape == 2 && skipBadRows {
                lines.append("\(k),a,2024-01-01,1,true,extra")
                badRows += 1
                continue
            }
            let number =
                rng.next() % 20 == 0
                ? pick(["", "+5", "-0", "007", "1e3", "\"42\"", "NA", "-1"])
                : "\(Int(rng.next() % 2_000_000) - 1_000_000)"
            let text =
                rng.next() % 15 == 0
                ? pick(["", "\"quoted, with comma\"", "\"two\nlines\"", "x\ry", "\"\"\"q\"\"\""]) : "s\(k % 97)"
            let when =
                rng.next() % 15 == 0
                ? pick(["", "2024-03-01", "2024-03-01T05:06:07.25+02:00"])
                : "2023-\(10 + k % 3)-1\(k % 10)T0\(k % 10):1\(k % 6):00"
            let amount =
                rng.next() % 20 == 0
                ? pick(["", "3", "1.5E2", "-.5", "\"2.25\"", "NA"]) : "\(rng.next() % 100_000).\(rng.next() % 100)"
            let flag = rng.next() % 20 == 0 ? pick(["", "\"true\"", "NA"]) : pick(["true", "false"])
            let fields = [number, text, when, amount, flag]
            lines.append(order.map { fields[$0] }.joined(separator: ","))
        }
        // Late in the file, one column turns to text: chunks that typed it already re-read it.
        let late = ["17", "late", "not a time", "2.5", "false"]
        lines.insert(order.map { late[$0] }.joined(separator: ","), at: 3500)
        let names = ["n", "s", "when", "x", "flag"]
        var text = order.map { names[$0] }.joined(separator: ",") + "\n"
        for line in lines { text += line + (rng.next() % 4 == 0 ? "\r\n" : "\n") }
        text.removeLast()  // the last row has no line end
        for chunkSize in [Int.max, 97, 4096] {
            var options = CSVOptions(nullValues: nullValues, badRows: skipBadRows ? .skip : .error)
            options.chunkSize = chunkSize
            let read = try Self.expectFastRowsReadAsTheGeneralLoop(text, options)
            #expect(read.table.rowCount == lines.count - badRows - lines.filter(\.isEmpty).count)
            #expect(read.rejects.count == badRows)
        }
    }

    /// A field that is exactly `YYYY-MM-DDTHH:MM:SS` is converted where it starts, before its end
    /// is looked for. Fields that only begin that way, are out of range, are quoted or end in
    /// a CR must still read as the general loop reads them, as the middle and the last field,
    /// with the column declared (bad values rejected) and inferred (the column turns to text).
    @Test(arguments: [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "-"), UInt8(ascii: ":")], [false, true])
    func plainTimestampFieldsReadAsTheGeneralLoopDoes(delimiter: UInt8, declared: Bool) throws {
        let d = String(UnicodeScalar(delimiter))
        let variants = [
            "2023-10-11T05:06:07", "2024-02-29T23:59:60", "2023-02-29T00:00:00", "2023-13-01T00:00:00",
            "2023-10-11T05:06:07x", "2023-10-11T05:06:07.5", "2023-10-11T05:06:07Z", "2023-10-11T05:06:07+01:00",
            "2023-10-11 05:06:07", "\"2023-10-11T05:06:07\"", "2023-10-11T05:06", "2023-10-11", "",
            "2023-10-11T05:06:0",
        ]
        var rng = RandomStream(seed: 23)
        var text = "a\(d)when\(d)b\(d)last\n"
        for k in 0..<3000 {
            let pick = { rng.next() % 6 == 0 ? variants[Int(rng.next() % UInt64(variants.count))] : variants[0] }
            let (middle, last) = (pick(), pick())
            let fields = ["\(k)", middle, "x\(k % 7)", last]
            // A field holding the delimiter is quoted, as a CSV writer would, except in some
            // rows, which then have too many fields.
            let quoted = k % 50 != 0
            text += fields.map { quoted && $0.utf8.contains(delimiter) && !$0.hasPrefix("\"") ? "\"\($0)\"" : $0 }
                .joined(separator: d)
            text += rng.next() % 3 == 0 ? "\r\n" : "\n"
        }
        for chunkSize in [Int.max, 512] {
            var options = CSVOptions(delimiter: delimiter, badRows: .skip)
            if declared { options.columnTypes = ["when": .timestamp, "last": .timestamp] }
            options.chunkSize = chunkSize
            let read = try Self.expectFastRowsReadAsTheGeneralLoop(text, options)
            #expect(read.table.rowCount + read.rejects.count == 3000)
            if declared { #expect(read.rejects.count > 100) }
        }
    }

    /// Reads `text` with the row fast paths on and off, expects the same table and rejects,
    /// and returns the read with them on.
    static func expectFastRowsReadAsTheGeneralLoop(
        _ text: String, _ options: CSVOptions,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CSVResult {
        var general = options
        general.fastRows = false
        let a = try CSVReader.read(text: text, name: "d.csv", options: options)
        let b = try CSVReader.read(text: text, name: "d.csv", options: general)
        #expect(a.table.schema == b.table.schema, sourceLocation: sourceLocation)
        #expect(a.table.rowCount == b.table.rowCount, sourceLocation: sourceLocation)
        #expect(a.rejects == b.rejects, sourceLocation: sourceLocation)
        #expect(a.table.columns.map(\.nullCount) == b.table.columns.map(\.nullCount), sourceLocation: sourceLocation)
        for r in 0..<min(a.table.rowCount, b.table.rowCount) where a.table.row(r) != b.table.row(r) {
            Issue.record(
                "chunk size \(options.chunkSize ?? 0), row \(r): \(a.table.row(r)) != \(b.table.row(r))",
                sourceLocation: sourceLocation)
            break
        }
        return a
    }

    /// `YYYY-MM-DDTHH:MM:SS` heads are checked eight bytes at a time. Against Foundation's
    /// Gregorian calendar, and against the byte-by-byte parser (which the same text with a
    /// space for the `T` goes through), on valid, out-of-range and corrupted texts.
    @Test func commonTimestampHeadsMatchTheCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var rng = RandomStream(seed: 31)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let corruptions: [UInt8] = [0x2F, 0x3A, 0x61, 0x20, 0xB0, 0x00, 0x2D]
        var checked = (valid: 0, invalid: 0)
        for k in 0..<20_000 {
            let (y, mo, d) = (1890 + Int(rng.next() % 220), Int(rng.next() % 14), Int(rng.next() % 33))
            let (h, mi, se) = (Int(rng.next() % 25), Int(rng.next() % 61), Int(rng.next() % 62))
            let suffix = ["", "", ".5", ".123456789", "Z", "+05:30", "-0800", ".25Z", "x"][k % 9]
            var bytes = Array("\(y)-\(two(mo))-\(two(d))T\(two(h)):\(two(mi)):\(two(se))\(suffix)".utf8)
            if k % 5 == 0 { bytes[Int(rng.next() % 19)] = corruptions[Int(rng.next() % UInt64(corruptions.count))] }
            let fast = bytes.withUnsafeBytes { Temporal.parseTimestamp($0) }
            var spaced = bytes
            if spaced[10] == 0x54 { spaced[10] = 0x20 }
            let slow = spaced.withUnsafeBytes { Temporal.parseTimestamp($0) }
            #expect(fast == slow, "\(String(decoding: bytes, as: UTF8.self))")
            guard k % 5 != 0, suffix.isEmpty else { continue }
            let parts = DateComponents(year: y, month: mo, day: d)
            let realDay =
                (1...12).contains(mo)
                && calendar.date(from: parts).map {
                    calendar.dateComponents([.year, .month, .day], from: $0)
                        == DateComponents(year: y, month: mo, day: d)
                } == true
            // A leap second (60) is refused: a timestamp cannot hold it, and the next minute is not it.
            if realDay && h <= 23 && mi <= 59 && se <= 59 {
                let date = calendar.date(
                    from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: se))!
                #expect(
                    fast == Int64((date.timeIntervalSince1970 * 1_000_000).rounded()),
                    "\(String(decoding: bytes, as: UTF8.self))")
                checked.valid += 1
            } else {
                #expect(fast == nil, "\(String(decoding: bytes, as: UTF8.self))")
                checked.invalid += 1
            }
        }
        #expect(checked.valid > 500 && checked.invalid > 500)
    }

    /// The plain-rows loop takes rows while every field converts by its short conversion (or is
    /// empty), and gives back the first row it cannot take whole, having kept nothing of it.
    @Test(
        arguments: [
            ("1,abc,2.5,2024-01-02T03:04:05,true,2024-01-02\n", true),
            (",,,,,\n", true),
            ("9223372036854775807,a,NaN,2024-01-02T03:04:05,FALSE,2024-01-02\r\n", true),
            ("-5,a much longer text than sixteen bytes,1.5e3,2024-01-02T03:04:05,false,2024-01-02\n", true),
            (",\"quoted\",,,,\n", false),
            (",,x,,,\n", false),
            (",,,2024-01-02T03:04:05.5,,\n", false),
            (",,,,yes,\n", false),
            (",,,,,\n,\n", true),
            ("\n", false),
            (",,,,\n", false),
            (",,,,,,\n", false),
        ] as [(String, Bool)])
    func plainRowsTakeWholeRowsOnly(third: String, taken: Bool) throws {
        let rows = "7,x,0.5,2023-05-06T07:08:09,true,2023-05-06\n8,y,,2023-05-06T07:08:10,,2023-05-07\n"
        let text = rows + third + rows
        let config = CSVParseConfig(
            options: CSVOptions(), columnCount: 6, declared: [InferredKind?](repeating: nil, count: 6))
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBufferPointer { buffer in
            let base = try #require(buffer.baseAddress)
            var parser = CSVChunkParser(
                config: config, base: base, start: 0, end: buffer.count,
                kinds: [.int, .string, .float, .timestamp, .bool, .date])
            #expect(parser.plainRowsApply())
            let stop = parser.appendPlainRows(from: 0)
            let thirdStart = rows.utf8.count
            if taken {
                // ",,,,,\n,\n" is a row of nulls and then a row of too few fields.
                let thirdEnd = third.hasSuffix(",\n,\n") ? thirdStart + 6 : thirdStart + third.utf8.count
                #expect(parser.rows >= 3)
                if thirdEnd == thirdStart + third.utf8.count {
                    #expect(stop == buffer.count && parser.rows == 5)
                } else {
                    #expect(stop == thirdEnd && parser.rows == 3)
                }
            } else {
                #expect(stop == thirdStart)
                #expect(parser.rows == 2)
            }
            // Every column holds exactly the rows taken, and nulls only in them.
            for c in 0..<6 {
                let column = parser.columns + c
                #expect(column.pointee.rows == parser.rows)
                let lastNull =
                    column.pointee.nullCount == 0
                    ? -1 : Int(column.pointee.nulls.load(at: column.pointee.nulls.count - 4, as: Int32.self))
                #expect(lastNull < parser.rows)
                if column.pointee.kind == .string {
                    #expect(column.pointee.offsets.count == (parser.rows + 1) * 4)
                } else {
                    #expect(column.pointee.fixed.count == parser.rows * column.pointee.kind.width)
                }
            }
        }
    }

    /// No path reads a byte past the text: it ends at a page that cannot be read, and rows of
    /// every kind end there, with and without a line end, so that an overread faults.
    @Test(arguments: [
        "12", "x", "a text of some length", "2.25", "2024-01-02T03:04:05", "2024-01-02", "true", "\"q\"", "",
    ])
    func noPathReadsPastTheText(lastField: String) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        for ending in ["", "\n", "\r\n"] {
            let text = "a,b\n" + (0..<300).map { "\($0),\(lastField)\n" }.joined() + "1,\(lastField)" + ending
            let bytes = Array(text.utf8)
            let pages = (bytes.count + page - 1) / page
            let memory = try #require(
                mmap(nil, (pages + 1) * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
            defer { munmap(memory, (pages + 1) * page) }
            #expect(mprotect(memory + pages * page, page, PROT_NONE) == 0)
            let start = memory + pages * page - bytes.count
            bytes.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            for chunkSize in [Int.max, 64] {
                var options = CSVOptions()
                options.chunkSize = chunkSize
                let read = try CSVReader.parse(
                    UnsafeRawBufferPointer(start: start, count: bytes.count), name: "t.csv", options: options)
                #expect(read.table.rowCount == 301)
            }
        }
    }

    @Test func dateColumnsArePackedToFourBytes() throws {
        var options = CSVOptions()
        options.chunkSize = 32
        let days = (0..<500).map { 19_000 + Int32($0) * 3 }
        let text = "d\n" + days.map { "\(Temporal.formatDate($0))\n\n" }.joined()
        let table = try csv(text, options)
        #expect(table.schema.fields[0].type == .date)
        #expect(table.columns[0].values == days.map { .date($0) })
    }
}

extension Value {
    fileprivate var bits: UInt64? {
        switch self {
        case .int64(let v): UInt64(bitPattern: v)
        case .float64(let v): v.bitPattern
        default: nil
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
