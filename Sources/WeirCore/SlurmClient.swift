import Foundation

/// Slurm's command-line clients (`sbatch`, `squeue`, `scontrol`, `sacct`, `scancel`), which
/// find the cluster through `SLURM_CONF` or /etc/slurm as for any user. Each call has a time
/// limit, so a controller that stops answering is an error, never a hang.
public struct SlurmClient: Sendable {
    /// Seconds one command may take.
    public var timeout: Double = 60

    public init() {}

    /// A job's state as Slurm names it (`PENDING`, `RUNNING`, `COMPLETED`, `FAILED`,
    /// `CANCELLED`, `TIMEOUT`, …), the reason it waits or ended, and its exit code when known.
    public struct JobState: Sendable, Hashable {
        public var state: String
        public var reason: String
        public var exitCode: String?

        /// Slurm will not change it any more.
        public var isFinal: Bool {
            ![
                "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD",
                "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD",
            ].contains(state)
        }
        public var isRunning: Bool { ["RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT"].contains(state) }
    }

    /// Fails unless the Slurm clients can be started (`sbatch --version`, no controller needed).
    public func checkInstalled() throws {
        _ = try run("sbatch", ["--version"])
    }

    /// Submits `script` with `options`; returns the job id.
    public func submit(script: String, options: [String]) throws -> String {
        let output = try run("sbatch", ["--parsable"] + options + [script])
        // `--parsable` prints `id` or `id;cluster`.
        guard let id = output.split(separator: "\n").last?.split(separator: ";").first.map(String.init),
            !id.isEmpty, id.allSatisfy(\.isNumber)
        else {
            throw SlurmError("sbatch printed '\(output.trimmingCharacters(in: .whitespacesAndNewlines))', not a job id")
        }
        return id
    }

    /// The states of `ids` (one `squeue` call for all); a job the controller has already
    /// forgotten is looked up in the accounting records (`sacct`, then `sacct -c`). Throws when
    /// the controller cannot be asked at all, so the caller can wait for it.
    public func states(_ ids: [String]) throws -> [String: JobState] {
        guard !ids.isEmpty else { return [:] }
        var states: [String: JobState] = [:]
        var output = ""
        do {
            output = try run(
                "squeue", ["--noheader", "--states=all", "--jobs=" + ids.joined(separator: ","), "--format=%i|%T|%r"])
        } catch let error as SlurmError where error.description.contains("Invalid job id") {
            // Every job asked about is forgotten; only the accounting records know them.
        }
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            states[fields[0]] = JobState(state: fields[1], reason: fields[2])
        }
        for id in ids where states[id] == nil {
            if let state = accounted(id) { states[id] = state }
        }
        return states
    }

    /// The exit code (`status:signal`) of a finished job, from `scontrol`, else `sacct`.
    public func exitCode(_ id: String) -> String? {
        if let output = try? run("scontrol", ["show", "job", "--oneliner", id]) {
            for field in output.split(whereSeparator: \.isWhitespace) where field.hasPrefix("ExitCode=") {
                return String(field.dropFirst("ExitCode=".count))
            }
        }
        return accounted(id)?.exitCode
    }

    /// A finished job from the accounting database, else from the job completion file.
    func accounted(_ id: String) -> JobState? {
        for extra in [[], ["-c"]] {
            guard
                let output = try? run(
                    "sacct", extra + ["--noheader", "--parsable2", "--jobs=" + id, "--format=JobID,State,ExitCode"])
            else { continue }
            for line in output.split(separator: "\n") {
                let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                // `CANCELLED by 0` → `CANCELLED`.
                if fields.count == 3, fields[0] == id, let state = fields[1].split(separator: " ").first {
                    return JobState(state: String(state), reason: "", exitCode: fields[2])
                }
            }
        }
        return nil
    }

    /// Cancels `ids`; best effort, since a job may finish meanwhile.
    public func cancel(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        _ = try? run("scancel", ids)
    }

    /// Runs `tool` and returns its standard output; a non-zero exit is an error quoting its
    /// standard error.
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        do { try process.run() } catch { throw SlurmError("cannot start \(tool): \(error.localizedDescription)") }
        // Both pipes are drained while the tool runs, so neither can fill and stall it.
        let outputReader = PipeReader(out.fileHandleForReading)
        let errorReader = PipeReader(err.fileHandleForReading)
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            throw SlurmError("\(tool) did not answer within \(Int(timeout)) s")
        }
        let output = outputReader.wait()
        let errorText = String(decoding: errorReader.wait(), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            if process.terminationStatus == 127 {
                throw SlurmError("\(tool) is not installed (no Slurm client on this machine's PATH)")
            }
            throw SlurmError(errorText.isEmpty ? "\(tool) exited with status \(process.terminationStatus)" : errorText)
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// Reads a pipe to its end on a thread of its own.
private final class PipeReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
        thread.start()
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

public struct SlurmError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
