import Foundation

/// Fires a scheduled pipeline's due ticks: claims each in the ledger (so a tick runs once, even
/// with two schedulers), waits its jitter, applies the overlap rule against the pipeline's
/// lock, and runs `weir run` as a child process, recording how it went.
public struct TickFirer: Sendable {
    public struct Target: Sendable {
        public var pipelinePath: String
        public var pipelineName: String
        /// The pipeline's identity in the ledger (absolute path, symlinks resolved).
        public var identity: String
        public var stateDirectory: String
        public var schedule: ScheduleSpec

        public init(
            pipelinePath: String, pipelineName: String, identity: String, stateDirectory: String, schedule: ScheduleSpec
        ) {
            self.pipelinePath = pipelinePath
            self.pipelineName = pipelineName
            self.identity = identity
            self.stateDirectory = stateDirectory
            self.schedule = schedule
        }
    }

    /// What one tick came to.
    public struct Outcome: Sendable {
        public var tick: Date
        public var status: Ledger.TickStatus
        public var runID: String?
        public var detail: String
    }

    public let target: Target
    public let ledger: Ledger
    /// The weir executable the runs use.
    public let executable: String
    /// Whether to sleep the jitter (not when the instant is given with --now).
    public let sleepJitter: Bool

    public init(target: Target, ledger: Ledger, executable: String, sleepJitter: Bool) {
        self.target = target
        self.ledger = ledger
        self.executable = executable
        self.sleepJitter = sleepJitter
    }

    /// Runs every tick due at `now`, oldest first, and says what each came to.
    public func fire(now: Date, log: (String) -> Void) throws -> [Outcome] {
        let last = try ledger.lastTick(pipelineFile: target.identity)
        let due = target.schedule.dueTicks(now: now, last: last)
        var missed = 0
        if let last, let newest = due.last {
            missed = target.schedule.calendar.fireTimes(after: last, through: newest).count - due.count
        }
        var outcomes: [Outcome] = []
        for tick in due {
            guard try ledger.claimTick(pipelineFile: target.identity, tick: tick) else { continue }
            var outcome = runTick(tick, log: log)
            if missed > 0 && tick == due.last {
                outcome.detail +=
                    "; \(missed) earlier missed tick\(missed == 1 ? "" : "s") not run (catchup: \(target.schedule.catchup.rawValue))"
            }
            try ledger.finishTick(
                pipelineFile: target.identity, tick: tick, status: outcome.status, runID: outcome.runID,
                detail: outcome.detail)
            log(
                "\(target.pipelineName) tick \(ISO8601DateFormatter().string(from: tick)): \(outcome.status.rawValue) (\(outcome.detail))"
            )
            outcomes.append(outcome)
        }
        return outcomes
    }

    private func runTick(_ tick: Date, log: (String) -> Void) -> Outcome {
        let delay = target.schedule.delay(for: target.identity, tick: tick)
        if sleepJitter && delay > 0 { Thread.sleep(forTimeInterval: delay) }
        if target.schedule.overlap == .skip {
            let lock = PipelineLock(
                stateDirectory: target.stateDirectory, pipelineName: target.pipelineName, pipelineFile: target.identity)
            do {
                try lock.acquire(pipeline: target.pipelineName, wait: false)
                lock.release()
            } catch let held as PipelineLock.Held {
                return Outcome(
                    tick: tick, status: .skipped, runID: nil,
                    detail: "overlap: skip; the previous run is still going (pid \(held.pid))")
            } catch {
                return Outcome(tick: tick, status: .failed, runID: nil, detail: "\(error)")
            }
        }
        return launch(tick)
    }

    private func launch(_ tick: Date) -> Outcome {
        let stamp = Self.stamp(tick)
        let folder = "\(target.stateDirectory)/schedule"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let output = "\(folder)/\(Self.safe(target.pipelineName))-\(stamp).log"
        var arguments = [executable, "run", target.pipelinePath, "--state-dir", target.stateDirectory]
        if target.schedule.overlap == .wait { arguments.append("--wait") }
        let command = arguments.map(Self.shellQuoted).joined(separator: " ")
        let started = Date().timeIntervalSince1970
        var environment = ProcessInfo.processInfo.environment
        environment["WEIR_SCHEDULED_TICK"] = ISO8601DateFormatter().string(from: tick)
        let child: ChildProcess
        do {
            child = try ChildProcess(
                shell: command, environment: environment, directory: FileManager.default.currentDirectoryPath,
                output: output, owner: "schedule:\(target.identity)")
        } catch {
            return Outcome(tick: tick, status: .failed, runID: nil, detail: "\(error)")
        }
        let termination = child.wait(timeout: nil)
        let run = (try? ledger.runs(pipelineFile: target.identity, limit: 1))?.first { $0.startedAt >= started - 1 }
        switch termination {
        case .exited(0)?:
            return Outcome(tick: tick, status: .ok, runID: run?.id, detail: "run \(run?.id ?? "?") ok; log \(output)")
        case .exited(let code)?:
            return Outcome(
                tick: tick, status: .failed, runID: run?.id, detail: "weir run exited \(code); log \(output)")
        case .signalled(let signal)?:
            return Outcome(
                tick: tick, status: .failed, runID: run?.id,
                detail: "weir run ended by \(Interruption.name(signal)); log \(output)")
        case nil:
            return Outcome(
                tick: tick, status: .failed, runID: run?.id, detail: "lost track of weir run; log \(output)")
        }
    }

    static func stamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(
            format: "%04d%02d%02dT%02d%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    static func safe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
