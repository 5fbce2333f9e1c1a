import CWeirSystem
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process that leads its own process group, so that it and everything it starts
/// (a shell's children, a Python script's workers) end together: on a stage's timeout and when
/// Weir is interrupted, the group gets SIGTERM, then SIGKILL after a grace period. Every
/// running child is listed in `ChildProcess.running` for the interruption to reach.
///
/// The spawn, wait and kill calls live here and nowhere else.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let finished = DispatchSemaphore(value: 0)
    private let status = Mutex<Termination?>(nil)

    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

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
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        weir_spawn_chdir(&actions, directory)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, number) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([String](["/bin/sh", "-c", command])).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var child: pid_t = 0
        let error = posix_spawn(&child, "/bin/sh", &actions, &attributes, argv, envp)
        guard error == 0 else { throw StageError("cannot start `\(command)`: \(String(cString: strerror(error)))") }
        pid = child
        Self.running.withLock { $0[child] = owner }
        let thread = Thread { [self] in reap() }
        thread.stackSize = 64 << 10
        thread.start()
    }

    private func reap() {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
        let termination: Termination = raw & 0x7F == 0 ? .exited((raw >> 8) & 0xFF) : .signalled(raw & 0x7F)
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
        kill(-pid, SIGTERM)
        if wait(timeout: Self.grace) == nil { kill(-pid, SIGKILL) }
        kill(-pid, SIGKILL)  // the leader is gone; members it left behind are not
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
        for group in groups { kill(-group, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline && running.withLock({ running in groups.contains { running[$0] != nil } }) {
            usleep(20_000)
        }
        for group in groups { kill(-group, SIGKILL) }
        return groups.count
    }
}
