import Foundation
import Synchronization

/// Work done on a thread of its own while the caller does something else; `value()` waits for
/// it. For the few things a run can read before it knows its pipeline.
public final class Background<Value: Sendable>: Sendable {
    private let outcome = Mutex<Result<Value, any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    public init(_ work: @escaping @Sendable () throws -> Value) {
        Thread { [self] in
            let result = Result { try work() }
            outcome.withLock { $0 = result }
            done.signal()
        }.start()
    }

    /// The work's value, or the error it threw; waits for it the first time.
    public func value() throws -> Value {
        done.wait()
        done.signal()  // a later call returns at once
        return try outcome.withLock { $0! }.get()
    }
}
