import ArgumentParser
import Foundation
import WeirCore
import WeirStages

/// `weir schedule`: runs pipelines at the times their `schedule:` gives, each tick once.
struct Schedule: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Run pipelines on their `schedule:` (in the foreground, or once for cron and timers).",
        discussion: """
            In the foreground (for systemd or a container) it fires each pipeline's ticks as they come, each as \
            `weir run`, until SIGTERM or Ctrl-C. With --once it runs what is due at that instant and exits. Ticks are \
            recorded in the ledger: a tick runs once, whichever scheduler gets to it. Exit status: 0, 1 when a run \
            fired by --once failed, 2 when a pipeline is invalid or has no schedule.
            """
    )

    @Argument(help: "The pipeline files (YAML), each with a `schedule:`.")
    var pipelines: [String]

    @Flag(help: "Run the ticks due now (or at --now) and exit.")
    var once = false

    @Option(
        help: ArgumentHelp(
            "The instant to act at, ISO 8601 (2026-01-01T06:00:00Z), with --once or --list; jitter is not waited.",
            valueName: "time"))
    var now: String?

    @Flag(help: "Print the next fire times of each pipeline and exit.")
    var list = false

    @Option(help: "How many fire times --list prints.")
    var count = 5

    @OptionGroup var state: StateOptions

    func validate() throws {
        if pipelines.isEmpty { throw ValidationError("name at least one pipeline file") }
        if now != nil && !once && !list { throw ValidationError("--now goes with --once or --list") }
        if once && list { throw ValidationError("--once and --list do different things; choose one") }
    }

    func run() throws {
        let instant = try now.map(Self.parseInstant) ?? Date()
        let targets = try pipelines.map(target)
        if list { return printList(targets, after: instant) }
        if once {
            let outcomes = try fire(targets, at: instant, sleepJitter: now == nil)
            if outcomes.isEmpty {
                Output.line("weir schedule: nothing due at \(ISO8601DateFormatter().string(from: instant))")
            }
            if outcomes.contains(where: { $0.status == .failed }) { throw ExitCode(1) }
            return
        }
        try foreground(targets)
    }

    static func parseInstant(_ text: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: text) else {
            throw ValidationError("--now expects an ISO 8601 instant such as 2026-01-01T06:00:00Z, got '\(text)'")
        }
        return date
    }

    private func target(_ path: String) throws -> TickFirer.Target {
        let pipeline = try PipelineLoader(registry: BuiltinStages.registry(forPipeline: path)).load(path: path)
        guard let schedule = pipeline.schedule else {
            throw UsageError(
                "\(path): the pipeline has no `schedule:` (e.g. schedule: { cron: \"0 */6 * * *\", timezone: UTC })")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let workspace = try state.workspace(.readWrite, near: folder)
        return TickFirer.Target(
            pipelinePath: URL(fileURLWithPath: path).standardizedFileURL.path, pipelineName: pipeline.name,
            identity: PipelineOptions.identity(of: path), stateDirectory: workspace.root, schedule: schedule)
    }

    private func printList(_ targets: [TickFirer.Target], after instant: Date) {
        let utc = ISO8601DateFormatter()
        for target in targets {
            let zone = target.schedule.calendar.timeZone
            let local = ISO8601DateFormatter()
            local.timeZone = zone
            Output.line(
                "\(target.pipelineName) (\(target.pipelinePath)): cron \"\(target.schedule.calendar.cron)\" in \(zone.identifier), "
                    + "catchup \(target.schedule.catchup.rawValue), overlap \(target.schedule.overlap.rawValue)")
            for time in target.schedule.calendar.next(after: instant, count: count) {
                Output.line("  \(local.string(from: time))   \(utc.string(from: time))")
            }
        }
    }

    private func fire(_ targets: [TickFirer.Target], at instant: Date, sleepJitter: Bool) throws -> [TickFirer.Outcome]
    {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var outcomes: [TickFirer.Outcome] = []
        for target in targets {
            let workspace = try Workspace(root: target.stateDirectory, access: .readWrite)
            let firer = TickFirer(
                target: target, ledger: workspace.ledger, executable: executable, sleepJitter: sleepJitter)
            outcomes += try firer.fire(now: instant) { Output.line("weir schedule: " + $0) }
        }
        return outcomes
    }

    /// Fires ticks as they come, one thread per pipeline, until a signal.
    private func foreground(_ targets: [TickFirer.Target]) throws {
        let interruption = Interruption()
        defer { interruption.restore() }
        Output.line("weir schedule: \(targets.count) pipeline\(targets.count == 1 ? "" : "s"); SIGTERM or Ctrl-C stops")
        let threads = targets.map { target in
            let thread = Thread {
                while interruption.signal == nil {
                    let now = Date()
                    do { _ = try fire([target], at: now, sleepJitter: true) } catch {
                        Terminal.error("weir schedule: \(error)")
                    }
                    let next =
                        target.schedule.calendar.next(after: Date(), count: 1).first ?? now.addingTimeInterval(3600)
                    _ = interruption.wait(seconds: max(0.5, min(60, next.timeIntervalSinceNow + 0.05)))
                }
            }
            thread.start()
            return thread
        }
        while threads.contains(where: { !$0.isFinished }) {
            if interruption.wait(seconds: 1) {
                ChildProcess.terminateAll()
                break
            }
        }
        while threads.contains(where: { !$0.isFinished }) { Thread.sleep(forTimeInterval: 0.1) }
        Output.line("weir schedule: stopped by \(Interruption.name(interruption.signal ?? SIGTERM))")
    }
}
