import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT, SIGTERM and SIGHUP while a run is under way: noticed by the executor's loop, which
/// stops starting stages, ends running children (`ChildProcess.terminateAll`), records what
/// was interrupted and prints its summary, instead of this process dying mid-run with its
/// children left running. The exit status is then 128 + the signal (130 for Ctrl-C).
public final class Interruption: @unchecked Sendable {  // immutable after init; signal sources are thread-safe
    private final class Flag: Sendable {
        let received = Atomic<Int32>(0)
        let wakeUp = DispatchSemaphore(value: 0)
    }
    private let flag = Flag()
    private let sources: [any DispatchSourceSignal]
    public static let signals = [SIGINT, SIGTERM, SIGHUP]

    public init() {
        var sources: [any DispatchSourceSignal] = []
        let flag = self.flag
        for number in Self.signals {
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                _ = flag.received.compareExchange(expected: 0, desired: number, ordering: .relaxed)
                flag.wakeUp.signal()
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

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

    public func restore() {
        for source in sources { source.cancel() }
        for number in Self.signals { Foundation.signal(number, SIG_DFL) }
    }

    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }
}
