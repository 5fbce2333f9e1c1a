import Foundation
import Synchronization
import WeirTable

/// Runs each attempt on a thread of this process, up to `jobs` at once: stages block on I/O
/// and subprocesses, and Dispatch does not widen its pool for blocking work.
public final class ThreadExecutor: StageExecutor {
    public let traits: ExecutorTraits
    let store: ObjectStore
    let pipelineDirectory: String
    let runDirectory: String
    let memo: StageMemo
    let parts: SourceParts?
    /// The remote cache every result is sent to, if any.
    let remote: (any RemoteCache)?
    private let mailbox = Mailbox()
    /// The stage of each attempt running, whose processes a cancel ends.
    private var owners: [Int: String] = [:]

    public init(
        jobs: Int, cache: CacheView, forced: Set<String>, store: ObjectStore, pipelineDirectory: String,
        runDirectory: String,
        memo: StageMemo
    ) {
        traits = ExecutorTraits(slots: jobs)
        self.store = store
        self.pipelineDirectory = pipelineDirectory
        self.runDirectory = runDirectory
        self.memo = memo
        parts = cache.sourceParts(forced: forced)
        remote = cache.remote
    }

    public func launch(_ attempt: Attempt) throws -> String? {
        // The input tables are read on the stage's own thread.
        let context = RunContext(
            stage: attempt.stage.stage, inputs: [], outputSchemas: attempt.stage.schemas,
            pipelineDirectory: pipelineDirectory, runDirectory: runDirectory, memo: memo, log: attempt.log,
            stateDirectory: store.root, parts: parts)
        let share = attempt.material.flatMap { material in remote.map { ($0, material) } }
        let work = StageWork(
            type: attempt.stage.type, context: context, inputs: attempt.inputs, store: store, share: share)
        let (mailbox, token) = (mailbox, attempt.token)
        owners[token] = attempt.stage.stage.id
        let thread = Thread {
            switch work.execute() {
            case .success(let outputs): mailbox.post(.produced(token: token, outputs: outputs))
            case .failure(let failure): mailbox.post(.failed(token: token, message: failure.message))
            }
        }
        thread.stackSize = 16 << 20
        thread.start()
        return nil
    }

    public func wait(until deadline: Date, interruption: Interruption) -> [AttemptEvent] {
        _ = mailbox.signal.wait(timeout: .now() + max(0, deadline.timeIntervalSinceNow))
        let events = mailbox.drain()
        for event in events { owners[event.token] = nil }
        return events
    }

    /// A thread cannot be stopped, but the processes and requests its stage started can.
    public func cancel(_ tokens: [Int]) {
        let stages = Set(tokens.compactMap { owners.removeValue(forKey: $0) })
        guard !stages.isEmpty else { return }
        // Requests first: ending the processes waits out their grace period.
        StageCancellation.cancelAll(owners: stages)
        ChildProcess.terminateAll(owners: stages)
    }

    private final class Mailbox: Sendable {
        let items = Mutex<[AttemptEvent]>([])
        let signal = DispatchSemaphore(value: 0)
        func post(_ event: AttemptEvent) {
            items.withLock { $0.append(event) }
            signal.signal()
        }
        func drain() -> [AttemptEvent] {
            items.withLock { items in
                defer { items.removeAll() }
                return items
            }
        }
    }
}

/// One attempt at one stage, on its own thread: read inputs from the store, run, check the
/// outputs against the announced schemas, store them.
struct StageWork: Sendable {
    let type: any StageType
    let context: RunContext
    let inputs: [CacheOutput?]
    let store: ObjectStore
    /// The remote cache to send the outputs to, with the key material they answer; the upload
    /// happens here, on the stage's thread, so the scheduler's loop never waits on the network.
    let share: (remote: any RemoteCache, material: KeyMaterial)?

    struct Failure: Error { var message: String }

    func execute() -> Result<[CacheOutput], Failure> {
        do {
            var trace = Trace("stage \(context.stage.id)")
            var tables: [Table] = []
            for (ref, input) in zip(context.stage.inputs, inputs) {
                guard let input else { throw StageError("input '\(ref)' has no output") }
                tables.append(try store.read(input.digest))
            }
            var runContext = context
            runContext.inputs = tables
            trace.mark("read inputs")
            let produced = try type.run(runContext)
            trace.mark("run")
            var results: [CacheOutput] = []
            for port in type.outputs {
                let manifest = context.composed[port]
                guard let schema = manifest?.schema ?? produced[port]?.schema else {
                    throw StageError("\(type.name) returned no table for output '\(port)'")
                }
                if let announced = context.outputSchemas[port], !announced.admits(schema) {
                    throw StageError(
                        "\(type.name) produced \(schema) on '\(port)' but announced \(announced); this is a bug in the stage type"
                    )
                }
                if let manifest {
                    results.append(
                        CacheOutput(port: port, digest: try store.put(manifest), rows: manifest.rows, schema: schema))
                } else if let table = produced[port] {
                    results.append(
                        CacheOutput(port: port, digest: try store.put(table), rows: table.rowCount, schema: schema))
                }
            }
            trace.mark("store outputs")
            if let (remote, material) = share {
                do {
                    try remote.push(
                        key: material.key, material: material, outputs: results, written: context.log.written,
                        store: store)
                } catch { context.log.note("not shared with the remote cache \(remote.url): \(error)") }
                trace.mark("push to the remote cache")
            }
            return .success(results)
        } catch let error as StageError {
            return .failure(Failure(message: error.description))
        } catch let error as DiagnosticError {
            return .failure(Failure(message: error.description))
        } catch {
            return .failure(Failure(message: "\(error)"))
        }
    }
}
