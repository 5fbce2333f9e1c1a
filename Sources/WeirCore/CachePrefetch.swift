import Foundation

/// What a run reads from the state directory while the main thread parses the pipeline file
/// (`Background`): the pipeline's last stage states and a check (by `stat`) of every object they
/// name. Neither needs the pipeline, and on a fully cached 1,000-stage run the two take about
/// as long as parsing it.
public struct CachePrefetch: Sendable {
    public var states: [String: StageState]
    /// Per object digest: nil when it is intact, else why it cannot be used.
    public var verdicts: [String: String?]

    public static func read(ledger: Ledger, store: ObjectStore, pipelineFile: String) throws -> CachePrefetch {
        let states = try ledger.stageStates(pipelineFile: pipelineFile)
        var verdicts: [String: String?] = [:]
        for state in states.values {
            for output in state.entry?.outputs ?? [] where verdicts[output.digest] == nil {
                verdicts[output.digest] = .some(store.problem(output.digest))
            }
        }
        return CachePrefetch(states: states, verdicts: verdicts)
    }
}
