import Foundation
import Testing
import WeirTestSupport

/// Runs the built `weir` binary, as a user would, in a scratch folder with its own state.
struct WeirProcess {
    /// `.build/<triple>/debug/weir`, next to the test bundle; `WEIR_BIN` overrides.
    static let binary: String = {
        if let explicit = ProcessInfo.processInfo.environment["WEIR_BIN"] { return explicit }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("weir").path
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// The `--json` events, parsed.
        var events: [[String: Any]] {
            stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
        /// stage -> status from `stage_finished` events.
        var statuses: [String: String] {
            var result: [String: String] = [:]
            for event in events where event["event"] as? String == "stage_finished" {
                result[event["stage"] as! String] = event["status"] as? String
            }
            return result
        }
        func stages(_ status: String) -> Set<String> { Set(statuses.filter { $0.value == status }.keys) }
        /// stage -> digest of its first output from `stage_finished` events ("-" for none).
        var digests: [String: String] {
            var result: [String: String] = [:]
            for event in events where event["event"] as? String == "stage_finished" {
                result[event["stage"] as! String] = event["digest"] as? String ?? "-"
            }
            return result
        }
    }

    let directory: String
    var environment: [String: String] = [:]

    init() throws {
        directory = NSTemporaryDirectory() + "weir-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws {
        let path = directory + "/" + name
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: directory + "/" + name, encoding: .utf8) }

    /// `weir` with `arguments`, run in `folder` (the scratch folder by default).
    func process(_ arguments: [String], stdout: String, stderr: String, in folder: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder ?? directory)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "WEIR_STATE_DIR")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: stdout)
        process.standardError = FileHandle(forWritingAtPath: stderr)
        return process
    }

    @discardableResult
    func run(_ arguments: String...) throws -> Result { try run(arguments) }

    /// Runs `weir` to its end; `folder` is its working folder (the scratch folder by default).
    /// Past `timeout` seconds it is killed and the status is SIGKILL's (9): a hang fails the
    /// test instead of holding the suite (or filling the disk).
    @discardableResult
    func run(_ arguments: [String], in folder: String? = nil, timeout: Double? = nil) throws -> Result {
        let id = UUID().uuidString
        let out = "\(directory)/.out-\(id)"
        let err = "\(directory)/.err-\(id)"
        let process = try process(arguments, stdout: out, stderr: err, in: folder)
        try process.run()
        if let timeout {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        return Result(
            status: process.terminationStatus, stdout: try String(contentsOfFile: out, encoding: .utf8),
            stderr: try String(contentsOfFile: err, encoding: .utf8))
    }

    /// Starts `weir` in the background; its stdout goes to `output` (relative to the folder).
    func start(_ arguments: [String], output: String) throws -> Process {
        let process = try process(
            arguments, stdout: directory + "/" + output, stderr: directory + "/" + output + ".err")
        try process.run()
        return process
    }

    /// Polls until `file` contains `text` (20 s at most).
    func waitFor(_ text: String, in file: String) throws -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let content = try? read(file), content.contains(text) { return true }
            usleep(20_000)
        }
        return false
    }
}

/// A query that takes a while (an MD5 per number: about half a second for 3 million on two
/// cores), for overlap and kill tests. `s` is the sum 1 + ... + count.
func slowQuery(_ table: String, _ count: Int = 3_000_000) -> String {
    "SELECT (SELECT count(*) FROM \(table)) AS n, sum(x) AS s FROM range(1, \(count + 1)) t(x) WHERE md5(x::VARCHAR) <> ''"
}

/// The sqlite3 shell's answer to `sql` on `database`, fields separated by `|`: how a user (or
/// another program) sees what a load wrote.
func sqliteShell(_ database: String, _ sql: String) throws -> String {
    let shell = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    let process = Process()
    process.executableURL = URL(
        fileURLWithPath: try #require(shell, "install the sqlite3 shell (apt-get install sqlite3)"))
    process.arguments = ["-separator", "|", database, sql]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// The stand-in webhook (scripts/reference/webhook_server.py) on 127.0.0.1, answering
/// `statuses` first (then 200), recording requests in `directory`; its port, and how to stop it.
func startWebhookServer(in directory: String, answering statuses: [Int], echoPath: Bool = false) throws -> (
    port: String, stop: () -> Void
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try #require(ReferencePython.path))
    process.arguments =
        [ReferencePython.packageRoot.appendingPathComponent("scripts/reference/webhook_server.py").path, directory]
        + statuses.map(String.init)
    if echoPath { process.environment = ProcessInfo.processInfo.environment.merging(["WEBHOOK_ECHO_PATH": "1"]) { $1 } }
    try process.run()
    let portFile = directory + "/port"
    let deadline = Date().addingTimeInterval(10)
    while !FileManager.default.fileExists(atPath: portFile) && Date() < deadline { usleep(20_000) }
    let port = try String(contentsOfFile: portFile, encoding: .utf8)
    return (
        port,
        {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    )
}
