import CWeirSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: errno, turned into text once.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public let errno: Int32

    public init(errno: Int32) { self.errno = errno }

    /// The error the last call left in `errno`.
    public static var last: SystemError { SystemError(errno: Glibc.errno) }

    public var description: String { String(cString: strerror(errno)) }
    public var isNotFound: Bool { errno == ENOENT }
}

/// Every system call Weir makes, in one place (the model: swift-system's Syscalls.swift): an
/// interrupted call is retried, a failure is a `SystemError` carrying errno, and callers never
/// read `errno` after something else may have changed it.
public enum Syscall {
    /// Runs `call` again while it fails with EINTR; `-1` becomes the error.
    @inline(__always)
    static func retrying<T: FixedWidthInteger>(_ call: () -> T) throws(SystemError) -> T {
        while true {
            let result = call()
            if result != -1 { return result }
            if Glibc.errno != EINTR { throw .last }
        }
    }

    // MARK: Files

    public static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws(SystemError) -> Int32 {
        try retrying { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// Closes `fd`; Linux releases the descriptor even when close reports EINTR, so it is never retried.
    public static func close(_ fd: Int32) throws(SystemError) {
        if Glibc.close(fd) != 0 && Glibc.errno != EINTR { throw .last }
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the file.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        try retrying { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Reads up to `buffer.count` bytes at `offset`, leaving the file position alone.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SystemError)
        -> Int
    {
        try retrying { Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// Writes every byte (a short write continues where it stopped).
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            done += try retrying { Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done) }
        }
    }

    /// Writes every byte at `offset`, leaving the file position alone.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            done += try retrying {
                Glibc.pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            }
        }
    }

    /// Appends the whole file `path` to `out` at its position, copied in the kernel where it
    /// can be (copy_file_range), else read and written in 1 MiB blocks.
    public static func append(contentsOf path: String, to out: Int32) throws(SystemError) {
        let input = try open(path, O_RDONLY)
        defer { try? close(input) }
        while true {
            let copied = weir_copy_range(input, out, 1 << 30)
            if copied > 0 { continue }
            if copied == 0 { return }
            let code = Glibc.errno
            if code == EINTR { continue }
            guard code == ENOSYS || code == EXDEV || code == EINVAL || code == EOPNOTSUPP else {
                throw SystemError(errno: code)
            }
            break
        }
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { block.deallocate() }
        while true {
            let count = try read(input, into: block)
            if count == 0 { return }
            try write(out, UnsafeRawBufferPointer(rebasing: block[..<count]))
        }
    }

    /// Moves the file position `count` bytes on (a hole when nothing is written there).
    public static func skip(_ fd: Int32, _ count: Int) throws(SystemError) {
        _ = try retrying { lseek(fd, off_t(count), SEEK_CUR) }
    }

    public static func sync(_ fd: Int32) throws(SystemError) { _ = try retrying { fsync(fd) } }

    public static func truncate(_ fd: Int32, to length: Int) throws(SystemError) {
        _ = try retrying { ftruncate(fd, off_t(length)) }
    }

    /// Allocates disk blocks for the first `length` bytes (no zero-filling fallback).
    public static func reserve(_ fd: Int32, _ length: Int) throws(SystemError) {
        _ = try retrying { weir_reserve(fd, length) }
    }

    /// Starts writeback of a range without waiting for it.
    public static func startWriteback(_ fd: Int32, offset: Int, count: Int) {
        _ = weir_start_writeback(fd, offset, count)
    }

    /// Takes `fd`'s exclusive lock; without `wait`, false when another process holds it.
    public static func lock(_ fd: Int32, wait: Bool) throws(SystemError) -> Bool {
        while flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            switch Glibc.errno {
            case EINTR: continue
            case EWOULDBLOCK: return false
            default: throw .last
            }
        }
        return true
    }

    public static func unlock(_ fd: Int32) { _ = flock(fd, LOCK_UN) }

    public static func status(_ fd: Int32) throws(SystemError) -> stat {
        var info = stat()
        _ = try retrying { fstat(fd, &info) }
        return info
    }

    /// The file's status, following symbolic links.
    public static func status(at path: String) throws(SystemError) -> stat {
        var info = stat()
        _ = try retrying { stat(path, &info) }
        return info
    }

    /// The file's status, following symbolic links; nil when it cannot be read.
    public static func status(path: String) -> stat? { try? status(at: path) }

    /// The status of the link itself, not its target; nil when it cannot be read.
    public static func linkStatus(path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Whether this process may `mode` (R_OK, W_OK, X_OK) the file.
    public static func allows(_ path: String, _ mode: Int32) -> Bool { access(path, mode) == 0 }

    /// Removes a file; false when it could not be (already gone, most often).
    @discardableResult
    public static func unlink(_ path: String) -> Bool { Glibc.unlink(path) == 0 }

    /// Replaces `target` with `source` atomically.
    public static func rename(_ source: String, to target: String) throws(SystemError) {
        if Glibc.rename(source, target) != 0 { throw .last }
    }

    /// The canonical absolute path, symbolic links resolved; nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether the filesystem holding `folder` has no blocks left for this user.
    public static func isFull(_ folder: String) -> Bool {
        var info = statvfs()
        return statvfs(folder, &info) == 0 && info.f_bavail == 0
    }

    /// statfs's filesystem type of a path; 0 when it cannot be read.
    public static func filesystemType(_ path: String) -> UInt { UInt(weir_filesystem_type(path)) }

    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Seconds on the monotonic clock.
    public static var monotonicSeconds: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    // MARK: Memory

    /// Maps `size` bytes of `fd` read-only and private.
    public static func mapReadOnly(_ fd: Int32, size: Int) throws(SystemError) -> UnsafeRawPointer {
        guard let memory = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), memory != MAP_FAILED else { throw .last }
        return UnsafeRawPointer(memory)
    }

    /// Maps `size` bytes of `fd` for reading and writing, shared with the file.
    public static func mapShared(_ fd: Int32, size: Int) throws(SystemError) -> UnsafeMutableRawPointer {
        guard let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), memory != MAP_FAILED else {
            throw .last
        }
        return memory
    }

    public static func unmap(_ memory: UnsafeRawPointer, size: Int) {
        _ = munmap(UnsafeMutableRawPointer(mutating: memory), size)
    }

    /// A hint about how memory will be used (MADV_*); ignored when the kernel declines.
    public static func advise(_ memory: UnsafeRawPointer, size: Int, _ advice: Int32) {
        _ = madvise(UnsafeMutableRawPointer(mutating: memory), size, advice)
    }

    /// The size of a memory page.
    public static var pageSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// Cores online (at least 1).
    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    // MARK: Processes

    public static var processID: Int32 { getpid() }

    public static var userID: UInt32 { getuid() }

    /// Whether a process with this id exists (it may belong to another user).
    public static func isAlive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || Glibc.errno != ESRCH }

    /// Sends `signal`; false when there was no such process or it could not be signalled.
    @discardableResult
    public static func send(_ signal: Int32, to pid: Int32) -> Bool { kill(pid, signal) == 0 }

    /// Ignores `signal` in the process (a dispatch source still sees it).
    public static func ignore(_ signal: Int32) { Glibc.signal(signal, SIG_IGN) }

    /// Restores `signal`'s default disposition and sends it to this process: it ends as it
    /// would have without a handler.
    public static func dieOf(_ signal: Int32) {
        Glibc.signal(signal, SIG_DFL)
        kill(getpid(), signal)
    }

    /// Starts `/bin/sh -c command` in `directory` leading a new process group, stdin from
    /// /dev/null, stdout and stderr appended to `output`, with the signals a parent may ignore
    /// or block (SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT) back at their defaults.
    public static func spawnShell(_ command: String, environment: [String: String], directory: String, output: String)
        throws(SystemError) -> pid_t
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
        let argv: [UnsafeMutablePointer<CChar>?] = [String](["/bin/sh", "-c", command]).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var child: pid_t = 0
        let error = posix_spawn(&child, "/bin/sh", &actions, &attributes, argv, envp)
        guard error == 0 else { throw SystemError(errno: error) }
        return child
    }

    /// How a child ended: its exit status, or the signal that ended it.
    public enum Exit: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// Waits for child `pid` to end.
    public static func waitForExit(_ pid: pid_t) -> Exit {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && Glibc.errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
        return raw & 0x7F == 0 ? .exited((raw >> 8) & 0xFF) : .signalled(raw & 0x7F)
    }
}
