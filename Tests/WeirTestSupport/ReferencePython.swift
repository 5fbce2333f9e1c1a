import Foundation

/// The Python with the reference libraries (pyarrow, pandas, mlxtend, scikit-learn) that
/// interop and parity tests compare against: $WEIR_PYTHON, else the project's .venv
/// (scripts/venv.sh scripts/requirements/test.txt). Under CI a missing interpreter is a
/// failure, not a skip.
public enum ReferencePython {
    public static let path: String? = {
        if let explicit = ProcessInfo.processInfo.environment["WEIR_PYTHON"] { return explicit }
        let venv = packageRoot.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }()

    public static var available: Bool { path != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs `code` with `args` and returns its stdout; throws on a non-zero exit.
    @discardableResult
    public static func run(_ code: String, _ args: [String] = []) throws -> String {
        try execute(["-c", code] + args)
    }

    /// Runs the reference script `scripts/reference/NAME` with `args`; returns its stdout.
    public static func script(_ name: String, _ args: [String] = []) throws -> String {
        try execute([packageRoot.appendingPathComponent("scripts/reference/\(name)").path] + args)
    }

    /// Runs a reference script and decodes its JSON output.
    public static func json<T: Decodable>(_ type: T.Type, script name: String, _ args: [String] = []) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(script(name, args).utf8))
    }

    private static func execute(_ arguments: [String]) throws -> String {
        guard let path else {
            throw Failure(
                description: "no reference Python: run scripts/venv.sh scripts/requirements/test.txt or set WEIR_PYTHON"
            )
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr concurrently so a chatty script cannot fill its pipe and stall.
        let errors = ErrorBox()
        let reader = Thread { errors.data = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        if process.terminationStatus != 0 {
            throw Failure(
                description:
                    "python failed (\(process.terminationStatus)): \(String(decoding: errors.data, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    private final class ErrorBox: @unchecked Sendable {
        var data = Data()
    }
}

/// A fresh temporary directory per call.
public func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "weir-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
