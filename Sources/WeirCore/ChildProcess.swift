import Foundation
import Synchronization
import WeirSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A child process that leads its own process group, so that it and everything it starts
/// (a shell's children, a Python script's workers) end together: on a stage's timeout and when
/// Weir is interrupted, the group gets SIGTERM, then SIGKILL after a grace period. Every
/// running child is listed in `ChildProcess.running` for the interruption to reach.
///
/// The spawn, wait and kill calls themselves are in WeirSystem's `Syscall`.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let finished = DispatchSemaphore(value: 0)
    private let status = Mutex<Termination?>(nil)

    public typealias Termination = Syscall.Exit

    /// Seconds between SIGTERM and SIGKILL.
    public static let grace: Double = {
        ProcessInfo.processInfo.environment["WEIR_KILL_GRACE"].flatMap(Double.init) ?? 5
    }()

    /// Starts `/bin/sh -c command` in `directory`, stdin from /dev/null, stdout and stderr to
    /// `output` (a file it opens for appending), with signal dispositions reset to their
    /// defaults (Weir ignores SIGINT and SIGTERM while it handles them; children must not).
    /// `owner` names the stage the child works for, so a stage's timeout reaches its children.
    public init(shell command: String, environment: [String: String], directory: String, output: String, owner: String)
        throws
    {
        let child: pid_t
        do {
            child = try Syscall.spawnShell(command, environment: environment, directory: directory, output: output)
        } catch {
            throw StageError("cannot start `\(command)`: \(error)")
        }
        pid = child
        Self.running.withLock { $0[child] = owner }
        let thread = Thread { [self] in reap() }
        thread.stackSize = 64 << 10
        thread.start()
    }

    private func reap() {
        let termination = Syscall.waitForExit(pid)
        status.withLock { $0 = termination }
        Self.running.withLock { _ = $0.removeValue(forKey: pid) }
        finished.signal()
    }

    /// How the child ended; nil when `timeout` seconds passed first.
    public func wait(timeout: Double?) -> Termination? {
        if finished.wait(timeout: timeout.map { .now() + $0 } ?? .distantFuture) == .timedOut { return nil }
        finished.signal()  // later waits return at once
        return status.withLock { $0 }
    }

    /// Ends the whole group: SIGTERM, then SIGKILL to whatever is left after the grace period.
    public func terminateGroup() {
        Syscall.send(SIGTERM, to: -pid)
        if wait(timeout: Self.grace) == nil { Syscall.send(SIGKILL, to: -pid) }
        Syscall.send(SIGKILL, to: -pid)  // the leader is gone; members it left behind are not
        _ = wait(timeout: nil)
    }

    /// Process group ids of the children running now, with the stage each works for.
    public static let running = Mutex<[pid_t: String]>([:])

    /// Ends the groups of every running child (of the stages `owners` only, when given):
    /// SIGTERM at once to all, SIGKILL to the groups still alive after the grace period.
    /// Returns how many groups were signalled.
    @discardableResult
    public static func terminateAll(owners: Set<String>? = nil) -> Int {
        let groups = running.withLock { $0.filter { owners?.contains($0.value) ?? true }.map(\.key) }
        guard !groups.isEmpty else { return 0 }
        for group in groups { Syscall.send(SIGTERM, to: -group) }
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline && running.withLock({ running in groups.contains { running[$0] != nil } }) {
            Thread.sleep(forTimeInterval: 0.02)
        }
        for group in groups { Syscall.send(SIGKILL, to: -group) }
        return groups.count
    }
}
