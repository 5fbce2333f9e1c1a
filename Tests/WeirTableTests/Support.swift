import Foundation
import Testing
@testable import WeirTable

/// The Python with pyarrow that interop tests use: $WEIR_PYTHON, else the project's .venv.
/// Under CI a missing interpreter is a failure, not a skip.
enum ReferencePython {
    static let path: String? = {
        if let explicit = ProcessInfo.processInfo.environment["WEIR_PYTHON"] { return explicit }
        let venv = packageRoot.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }()

    static var available: Bool { path != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `code` with `args`; returns stdout. Fails the test on a non-zero exit.
    @discardableResult
    static func run(_ code: String, _ args: [String] = []) throws -> String {
        guard let path else {
            Issue.record("no reference Python: run scripts/venv.sh scripts/requirements/test.txt or set WEIR_PYTHON")
            return ""
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-c", code] + args
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            Issue.record("python failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// A fresh temporary directory per call.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "weir-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A table of every type, with nulls in every column.
func sampleTable() throws -> Table {
    try Table(fields: [
        ("i", Column(int64: [1, nil, -3, Int64.max, Int64.min])),
        ("f", Column(float64: [1.5, -0.0, nil, 1e300, 0.1])),
        ("s", Column(string: ["a", "", nil, "ünï,cödé\n\"q\"", "long text"])),
        ("b", Column(bool: [true, false, nil, true, false])),
        ("ts", Column(.timestamp, [.timestamp(1_707_858_065_050_000), .null, .timestamp(-1), .timestamp(0), .timestamp(1)])),
        ("d", Column(.date, [.date(0), .date(19_766), .null, .date(-1), .date(2_932_896)])),
    ])
}

func csv(_ text: String, _ options: CSVOptions = CSVOptions()) throws -> Table {
    try CSVReader.read(text: text, name: "test.csv", options: options).table
}
