import Foundation

/// A test server written in Python (scripts/testing/NAME) that prints one JSON line when it is
/// ready, may take JSON-line commands on stdin, and stops when stdin closes.
public final class ScriptServer: @unchecked Sendable {
    /// The first line the server printed.
    public private(set) var hello: [String: Any] = [:]
    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private var buffer = Data()

    public init(_ script: String, _ arguments: [String] = []) throws {
        guard let python = ReferencePython.path else {
            throw ReferencePython.Failure(
                description: "no reference Python for \(script) (scripts/venv.sh scripts/requirements/test.txt)")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments =
            [ReferencePython.packageRoot.appendingPathComponent("scripts/testing/\(script)").path] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading
        hello = try readLine()
    }

    deinit {
        try? input.close()
        process.waitUntilExit()
    }

    /// Sends one command and returns the server's one-line answer.
    public func send(_ body: [String: Any]) throws -> [String: Any] {
        var line = try JSONSerialization.data(withJSONObject: body)
        line.append(0x0A)
        try input.write(contentsOf: line)
        return try readLine()
    }

    private func readLine() throws -> [String: Any] {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                return (try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]) ?? [:]
            }
            // availableData returns as soon as anything arrives; read(upToCount:) waits for all of it.
            let chunk = output.availableData
            guard !chunk.isEmpty else {
                throw ReferencePython.Failure(description: "test server \(process.arguments?.first ?? "") stopped")
            }
            buffer.append(chunk)
        }
    }
}
