import Foundation
import Testing

/// `weir convert` to an Arrow file parses into the file's own pages and renames it into place;
/// through a symbolic link it writes the usual way. Both must give the same bytes.
@Suite struct ConvertTests {
    @Test func inPlaceAndWrittenThroughGiveTheSameFile() throws {
        let weir = try WeirProcess()
        // A few megabytes, so the file is parsed in several chunks.
        let rows = (0..<120_000).map { k in
            "\(k),\(k * 7919 % 100_003),\(Double(k) / 8),kind\(k % 5),2024-03-\(String(format: "%02d", k % 28 + 1))T12:00:\(String(format: "%02d", k % 60))"
        }
        try weir.write("in.csv", "id,user,amount,kind,at\n" + rows.joined(separator: "\n") + "\n")
        var traced = weir
        traced.environment["WEIR_TRACE"] = "1"
        let placed = try traced.run("convert", "in.csv", "out.arrow")
        #expect(placed.status == 0, "\(placed.stderr)")
        #expect(placed.stderr.contains("[convert] write around values parsed in place"))

        try FileManager.default.createSymbolicLink(
            atPath: weir.directory + "/link.arrow", withDestinationPath: "real.arrow")
        try Data().write(to: URL(fileURLWithPath: weir.directory + "/real.arrow"))
        let through = try traced.run("convert", "in.csv", "link.arrow")
        #expect(through.status == 0, "\(through.stderr)")
        #expect(through.stderr.contains("[convert] write:"))

        let a = try Data(contentsOf: URL(fileURLWithPath: weir.directory + "/out.arrow"))
        let b = try Data(contentsOf: URL(fileURLWithPath: weir.directory + "/real.arrow"))
        #expect(a.count > 3_000_000)
        #expect(a == b)
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: weir.directory + "/link.arrow") == "real.arrow")

        let back = try weir.run("convert", "out.arrow", "back.csv")
        #expect(back.status == 0)
        #expect(try weir.read("back.csv").split(separator: "\n").count == 120_001)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: weir.directory).filter {
            $0.hasSuffix(".tmp")
        }
        #expect(leftovers.isEmpty)
    }

    @Test func aBadRowLeavesTheOldFileAndNoPartialOne() throws {
        let weir = try WeirProcess()
        try weir.write(
            "in.csv", "a,b\n" + (0..<50_000).map { $0 == 40_000 ? "1" : "\($0),\($0)" }.joined(separator: "\n") + "\n")
        try weir.write("out.arrow", "previous")
        let result = try weir.run("convert", "in.csv", "out.arrow")
        #expect(result.status != 0)
        #expect(result.stderr.contains("in.csv:40002:1: expected 2 fields, found only 1"))
        #expect(try weir.read("out.arrow") == "previous")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: weir.directory).filter {
            $0.hasSuffix(".tmp")
        }
        #expect(leftovers.isEmpty)
    }
}
