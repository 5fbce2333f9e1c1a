import Foundation

/// A one-node Slurm cluster on 127.0.0.1 (scripts/testing/slurm-cluster.sh), started in a
/// temporary folder and stopped by `stop()`. Needs root and Debian's slurmctld, slurmd,
/// slurm-client and munge; CI installs them and sets WEIR_REQUIRE_SLURM, which turns their
/// absence into a failure instead of a skip.
public final class SlurmTestCluster {
    public let directory: String
    /// `SLURM_CONF`, for the clients `weir` runs.
    public var environment: [String: String] { ["SLURM_CONF": directory + "/slurm.conf"] }

    static let script = ReferencePython.packageRoot.appendingPathComponent("scripts/testing/slurm-cluster.sh").path

    public static var installed: Bool {
        ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch"].allSatisfy(
            FileManager.default.isExecutableFile)
            && getuid() == 0
    }

    /// Whether tests that need a cluster run: installed, or required (then they fail loudly).
    public static var available: Bool { installed || ProcessInfo.processInfo.environment["WEIR_REQUIRE_SLURM"] != nil }

    public init() throws {
        guard Self.installed else {
            throw ReferencePython.Failure(
                description: "no Slurm here: run `scripts/testing/slurm-cluster.sh install` as root")
        }
        directory = NSTemporaryDirectory() + "weir-slurm-" + UUID().uuidString.prefix(8)
        try Self.shell(["start", directory])
    }

    public func stop() { try? Self.shell(["stop", directory]) }

    /// How many jobs the controller has seen (it keeps finished ones for an hour).
    public func jobCount() throws -> Int {
        let output = try Self.run(
            "/usr/bin/squeue", ["--noheader", "--states=all", "--format=%i"], environment: environment)
        return output.split(separator: "\n").count
    }

    /// `squeue`'s state of job `id`.
    public func state(of id: String) throws -> String { try show("%T", of: id) }

    /// `squeue --format` of job `id`: `%m` its memory, `%l` its time limit, `%T` its state.
    public func show(_ format: String, of id: String) throws -> String {
        try Self.run(
            "/usr/bin/squeue", ["--noheader", "--states=all", "--jobs=\(id)", "--format=\(format)"],
            environment: environment
        )
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func shell(_ arguments: [String]) throws {
        _ = try run("/bin/bash", [script] + arguments, environment: [:])
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = NSTemporaryDirectory() + "slurm-out-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let handle = FileHandle(forWritingAtPath: out)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try? handle?.close()
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw ReferencePython.Failure(
                description:
                    "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(text)")
        }
        return text
    }
}
