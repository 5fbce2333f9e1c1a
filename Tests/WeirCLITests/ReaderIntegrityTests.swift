import Foundation
import Testing
import WeirTestSupport

/// CSV and Arrow input that used to be read silently wrong, or to trap: each case either
/// reads back exactly or is refused with a located error and exit status 1 or 2.
@Suite struct ReaderIntegrityTests {
    /// `weir convert NAME.csv NAME.arrow`, then the Arrow file back to CSV text.
    func roundTrip(_ weir: WeirProcess, _ name: String, _ bytes: [UInt8], _ extra: [String] = []) throws -> (
        WeirProcess.Result, String?
    ) {
        try Data(bytes).write(to: URL(fileURLWithPath: "\(weir.directory)/\(name).csv"))
        let result = try weir.run(["convert", "\(name).csv", "\(name).arrow"] + extra)
        guard result.status == 0 else { return (result, nil) }
        let back = try weir.run("convert", "\(name).arrow", "\(name).back.csv")
        #expect(back.status == 0, "\(back.stderr)")
        return (result, try weir.read("\(name).back.csv"))
    }

    @Test func valuesKeepWhatTheTextSaid() throws {
        let weir = try WeirProcess()
        // An integer past int64 after int64 rows keeps its digits, as text.
        #expect(
            try roundTrip(weir, "big", Array("a\n1\n2\n12345678901234567891\n".utf8)).1
                == "a\n1\n2\n12345678901234567891\n")
        // -0 widened to float keeps its sign.
        #expect(try roundTrip(weir, "zero", Array("a\n1\n-0\n2.5\n".utf8)).1 == "a\n1.0\n-0.0\n2.5\n")
        // A leap second is not a timestamp Weir can hold: the column stays text.
        #expect(try roundTrip(weir, "leap", Array("t\n2016-12-31T23:59:60\n".utf8)).1 == "t\n2016-12-31T23:59:60\n")
        // CR-only line ends are line ends; a CR inside quotes stays in its value.
        #expect(try roundTrip(weir, "mac", Array("a,b\r1,\"x\ry\"\r3,4\r".utf8)).1 == "a,b\n1,\"x\ry\"\n3,4\n")
        // A leading blank line is skipped, as blank lines are everywhere else.
        #expect(try roundTrip(weir, "blank", Array("\n\na,b\n1,2\n".utf8)).1 == "a,b\n1,2\n")
        // Latin-1, declared, is converted to UTF-8.
        #expect(
            try roundTrip(weir, "latin", [0x61, 0x0A] + Array("caf".utf8) + [0xE9, 0x0A], ["--encoding", "latin1"]).1
                == "a\ncafé\n")
    }

    @Test func badTextIsALocatedError() throws {
        let weir = try WeirProcess()
        let utf8 = try roundTrip(weir, "utf8", Array("a,b\n1,ok\n2,x".utf8) + [0xFF, 0x0A])
        #expect(utf8.0.status == 1)
        #expect(
            utf8.0.stderr.contains("utf8.csv:3:4: column 'b' (field 2): text is not valid UTF-8 (byte 0xFF)"),
            "\(utf8.0.stderr)")
        let header = try roundTrip(weir, "header", Array("a,".utf8) + [0xC3, 0x28] + Array("\n1,2\n".utf8))
        #expect(header.0.status == 1)
        #expect(
            header.0.stderr.contains("header.csv:1:3: header row: column name is not valid UTF-8"), "\(header.0.stderr)"
        )
        let quote = try roundTrip(weir, "quote", Array("a\"x,b\n1,2\n".utf8))
        #expect(quote.0.status == 1)
        #expect(
            quote.0.stderr.contains("quote.csv:1:2: header row: quote character inside an unquoted column name"),
            "\(quote.0.stderr)")
        let newline = try roundTrip(weir, "delimiter", Array("a,b\n1,2\n".utf8), ["--delimiter", "\n"])
        #expect(newline.0.status == 2 || newline.0.status == 1)
        #expect(newline.0.stderr.contains("the delimiter cannot be a line end"), "\(newline.0.stderr)")
    }

    @Test func aOneColumnNullSurvivesCSV() throws {
        let weir = try WeirProcess()
        // "" is null by default; written back it must not become a blank line the reader skips.
        let (_, back) = try roundTrip(weir, "nulls", Array("a\n1\n\"\"\n3\n".utf8))
        #expect(back == "a\n1\n\"\"\n3\n")
        let again = try weir.run("convert", "nulls.back.csv", "again.arrow", "--stats")
        #expect(again.stderr.contains("rows=3"), "\(again.stderr)")
    }

    func arrowFile(_ weir: WeirProcess) throws -> String {
        try weir.write("n.csv", "id,v\n1,10\n2,\n3,30\n")
        #expect(try weir.run("convert", "n.csv", "n.arrow").status == 0)
        return weir.directory + "/n.arrow"
    }

    func mutate(_ source: String, _ target: String, _ arguments: [String]) throws {
        guard ReferencePython.available else { return }
        let script = ReferencePython.packageRoot.appendingPathComponent("scripts/testing/arrow_mutate.py").path
        try ReferencePython.run(
            "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
            [script, source, target] + arguments)
    }

    @Test(.enabled(if: ReferencePython.available)) func brokenArrowLengthsAreErrorsNotTraps() throws {
        let weir = try WeirProcess()
        let source = try arrowFile(weir)
        let cases: [(String, String, String)] = [
            ("block-body-length", "4611686018427387904", "lies outside the file"),
            ("buffer-offset", "9223372036854775800", "lies outside its record batch body"),
            ("node-length:0", "9223372036854775807", "bad field node"),  // id: no nulls
            ("node-length:1", "4611686018427387904", "bad field node"),  // v: one null
            ("big-endian", "0", "big-endian"),
        ]
        for (field, value, message) in cases {
            try mutate(source, weir.directory + "/m.arrow", [field, value])
            let result = try weir.run("convert", "m.arrow", "m.csv")
            #expect(result.status == 1, "\(field): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("m.arrow") && result.stderr.contains(message), "\(field): \(result.stderr)")
        }
    }

    @Test(.enabled(if: ReferencePython.available)) func mutantsOfAPyarrowFileNeverTrap() throws {
        let weir = try WeirProcess()
        try ReferencePython.run(
            """
            import sys, pyarrow as pa, pyarrow.feather as f
            t = pa.table({'i': pa.array([1, None, 3] * 5, pa.int64()), 'f': pa.array([0.5, 2.0, None] * 5),
                          's': pa.array(['a', None, 'ccc'] * 5), 'd': pa.array(['x', 'y', 'x'] * 5).dictionary_encode(),
                          't': pa.array([1, 2, None] * 5, pa.timestamp('ms')), 'b': pa.array([True, None, False] * 5)})
            f.write_feather(t, sys.argv[1], compression='uncompressed')
            """, [weir.directory + "/py.arrow"])
        try mutate(weir.directory + "/py.arrow", weir.directory + "/mutants", ["mutants", "300", "7"])
        for n in 0..<300 {
            let name = String(format: "mutants/mutant-%03d.arrow", n)
            let result = try weir.run(["convert", name, "/dev/null", "--format", "csv"], timeout: 20)
            // 0: the change hit padding or a value; 1: refused. A signal shows as another status.
            #expect(result.status == 0 || result.status == 1, "\(name): status \(result.status): \(result.stderr)")
        }
    }

    @Test func anArrowFileIsKnownByItsMagicNotItsName() throws {
        let weir = try WeirProcess()
        _ = try arrowFile(weir)
        try FileManager.default.copyItem(atPath: weir.directory + "/n.arrow", toPath: weir.directory + "/n.bin")
        let result = try weir.run("convert", "n.bin", "out.csv")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try weir.read("out.csv") == "id,v\n1,10\n2,\n3,30\n")
    }

    /// The fuzz seeds, the crashes and hangs fuzzing found among them, read by the binary:
    /// each converts or is refused, in bounded time, never a signal.
    @Test func theFuzzSeedsConvertOrAreRefused() throws {
        let weir = try WeirProcess()
        let root = ReferencePython.packageRoot.appendingPathComponent("fuzz/corpus").path
        for kind in ["csv", "arrow"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: "\(root)/\(kind)").sorted() {
                let format = kind == "csv" ? "arrow" : "csv"
                let result = try weir.run(
                    ["convert", "\(root)/\(kind)/\(name)", "/dev/null", "--format", format], timeout: 20)
                #expect(
                    result.status == 0 || result.status == 1,
                    "\(kind)/\(name): status \(result.status) (9: killed after 20 s): \(result.stderr)")
            }
        }
    }
}
