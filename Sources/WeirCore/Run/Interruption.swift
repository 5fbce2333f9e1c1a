import Foundation
import Synchronization
import WeirSystem

#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT, SIGTERM and SIGHUP while a run is under way: noticed by the executor's loop, which
/// stops starting stages, ends running children (`ChildProcess.terminateAll`), records what
/// was interrupted and prints its summary, instead of this process dying mid-run with its
/// children left running. The exit status is then 128 + the signal (130 for Ctrl-C).
public final class Interruption: Sendable {
    private final class Flag: Sendable {
        let received = Atomic<Int32>(0)
        let wakeUp = DispatchSemaphore(value: 0)
    }
    private let flag = Flag()
    public static let signals = [SIGINT, SIGTERM, SIGHUP]

    public init() { Hub.shared.listen(flag) }

    /// The first signal received, if any.
    public var signal: Int32? {
        let value = flag.received.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Waits up to `seconds`; true once interrupted.
    public func wait(seconds: Double) -> Bool {
        _ = flag.wakeUp.wait(timeout: .now() + seconds)
        return signal != nil
    }

    /// Stops listening: with no run listening, a signal ends the process as it would by default.
    public func restore() { Hub.shared.ignore(flag) }

    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }

    /// The process's one set of signal sources. libdispatch installs its handler for a signal
    /// once per process, and any later `signal()` call would replace it, so the sources are made
    /// once and live as long as the process; runs come and go as listeners.
    private final class Hub: @unchecked Sendable {  // `sources` is only kept alive, never touched
        static let shared = Hub()
        let listeners = Listeners()
        private let sources: [any DispatchSourceSignal]

        private init() {
            var sources: [any DispatchSourceSignal] = []
            let listeners = self.listeners
            for number in Interruption.signals {
                Syscall.ignore(number)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { listeners.deliver(number) }
                source.resume()
                sources.append(source)
            }
            self.sources = sources
        }

        func listen(_ flag: Flag) { listeners.flags.withLock { $0[ObjectIdentifier(flag)] = flag } }
        func ignore(_ flag: Flag) { _ = listeners.flags.withLock { $0.removeValue(forKey: ObjectIdentifier(flag)) } }
    }

    private final class Listeners: Sendable {
        let flags = Mutex<[ObjectIdentifier: Flag]>([:])

        func deliver(_ number: Int32) {
            let listening = flags.withLock { Array($0.values) }
            guard !listening.isEmpty else {
                // Nobody is running: die of the signal, as without Weir's handling.
                Syscall.dieOf(number)
                return
            }
            for flag in listening {
                _ = flag.received.compareExchange(expected: 0, desired: number, ordering: .relaxed)
                flag.wakeUp.signal()
            }
        }
    }
}
