import Foundation
import Synchronization

/// What a run reads from the state directory while the main thread parses the pipeline file:
/// the pipeline's last stage states and a check (by `stat`) of every object they name. Neither
/// needs the pipeline, and on a fully cached 1,000-stage run the two take as long as parsing.
public final class CachePrefetch: Sendable {
    /// The states, and per object digest: nil when it is intact, else why it cannot be used.
    public struct Found: Sendable {
        public var states: [String: StageState]
        public var verdicts: [String: String?]
    }

    private let outcome = Mutex<Result<Found, any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// Starts reading on a thread of its own.
    public init(ledger: Ledger, store: ObjectStore, pipelineFile: String) {
        let thread = Thread { [self] in
            let result = Result { () throws -> Found in
                let states = try ledger.stageStates(pipelineFile: pipelineFile)
                return Found(states: states, verdicts: Self.verify(states, in: store))
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the reading, then gives what it found (or the error reading the ledger).
    public func wait() throws -> Found {
        done.wait()
        done.signal()  // a second wait returns at once
        return try outcome.withLock { $0! }.get()
    }

    private static func verify(_ states: [String: StageState], in store: ObjectStore) -> [String: String?] {
        var verdicts: [String: String?] = [:]
        for state in states.values {
            for output in state.entry?.outputs ?? [] where verdicts[output.digest] == nil {
                do {
                    try store.verify(output.digest, .stat)
                    verdicts[output.digest] = .some(nil)
                } catch {
                    verdicts[output.digest] = "\(error)"
                }
            }
        }
        return verdicts
    }
}
