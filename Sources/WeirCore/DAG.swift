/// The stage graph: edges come only from `input`/`inputs` references.
public enum DAG {
    /// Reports every cycle once, as the path that closes it.
    static func checkCycles(_ pipeline: Pipeline, _ diagnostics: inout DiagnosticCollector) {
        let byID = Dictionary(pipeline.stages.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var path: [String] = []
        var reported = Set<Set<String>>()
        func visit(_ id: String) {
            guard let stage = byID[id] else { return }
            state[id] = 1
            path.append(id)
            for ref in stage.inputs where byID[ref.stage] != nil {
                if state[ref.stage] == 1 {
                    let cycle = Array(path[path.firstIndex(of: ref.stage)!...]) + [ref.stage]
                    if reported.insert(Set(cycle)).inserted {
                        diagnostics.error(ref.location, "cycle: " + cycle.reversed().joined(separator: " -> "),
                                          hint: "a stage cannot depend, directly or through others, on its own output")
                    }
                } else if state[ref.stage] == nil {
                    visit(ref.stage)
                }
            }
            path.removeLast()
            state[id] = 2
        }
        for stage in pipeline.stages where state[stage.id] == nil { visit(stage.id) }
    }

    /// Stages in a dependency order; ties keep file order.
    public static func order(_ pipeline: Pipeline) -> [StageSpec] {
        var placed = Set<String>()
        var result: [StageSpec] = []
        var remaining = pipeline.stages
        while !remaining.isEmpty {
            guard let next = remaining.firstIndex(where: { $0.inputs.allSatisfy { placed.contains($0.stage) } }) else {
                return result + remaining  // a cycle, already reported
            }
            placed.insert(remaining[next].id)
            result.append(remaining.remove(at: next))
        }
        return result
    }

    /// Ids of the stages that read `id`'s output, directly or transitively.
    public static func downstream(of id: String, in pipeline: Pipeline) -> Set<String> {
        var result = Set<String>()
        var frontier = [id]
        while let current = frontier.popLast() {
            for stage in pipeline.stages where stage.inputs.contains(where: { $0.stage == current }) {
                if result.insert(stage.id).inserted { frontier.append(stage.id) }
            }
        }
        return result
    }

    /// Ids of the stages `id` reads from, directly or transitively.
    public static func upstream(of id: String, in pipeline: Pipeline) -> Set<String> {
        var result = Set<String>()
        var frontier = [id]
        while let current = frontier.popLast() {
            for ref in pipeline.stage(current)?.inputs ?? [] where result.insert(ref.stage).inserted {
                frontier.append(ref.stage)
            }
        }
        return result
    }
}
