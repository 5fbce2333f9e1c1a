import Foundation
import Testing
import WeirTestSupport

@testable import WeirTable

/// A table of every type, with nulls in every column.
func sampleTable() throws -> Table {
    try Table(fields: [
        ("i", Column(int64: [1, nil, -3, Int64.max, Int64.min])),
        ("f", Column(float64: [1.5, -0.0, nil, 1e300, 0.1])),
        ("s", Column(string: ["a", "", nil, "ünï,cödé\n\"q\"", "long text"])),
        ("b", Column(bool: [true, false, nil, true, false])),
        (
            "ts",
            Column(
                .timestamp, [.timestamp(1_707_858_065_050_000), .null, .timestamp(-1), .timestamp(0), .timestamp(1)])
        ),
        ("d", Column(.date, [.date(0), .date(19_766), .null, .date(-1), .date(2_932_896)])),
    ])
}

func csv(_ text: String, _ options: CSVOptions = CSVOptions()) throws -> Table {
    try CSVReader.read(text: text, name: "test.csv", options: options).table
}
