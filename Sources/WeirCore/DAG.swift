/// The stage graph: edges come only from `input`/`inputs` references.
public enum DAG {
    /// Reports every cycle once, as the path that closes it.
    static func checkCycles(_ pipeline: Pipeline, _ diagnostics: inout DiagnosticCollector) {
        // By index, not by copies of the stages: a 1,000-stage file is checked on every load.
        let stages = pipeline.stages
        let index = Dictionary(stages.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var state = [UInt8](repeating: 0, count: stages.count)  // 1 visiting, 2 done
        var path: [Int] = []
        var reported = Set<Set<Int>>()
        func visit(_ i: Int) {
            state[i] = 1
            path.append(i)
            for ref in stages[i].inputs {
                guard let upstream = index[ref.stage] else { continue }
                if state[upstream] == 1 {
                    let cycle = Array(path[path.firstIndex(of: upstream)!...]) + [upstream]
                    if reported.insert(Set(cycle)).inserted {
                        diagnostics.error(
                            ref.location, "cycle: " + cycle.reversed().map { stages[$0].id }.joined(separator: " -> "),
                            hint: "a stage cannot depend, directly or through others, on its own output")
                    }
                } else if state[upstream] == 0 {
                    visit(upstream)
                }
            }
            path.removeLast()
            state[i] = 2
        }
        for i in stages.indices where state[i] == 0 { visit(i) }
    }

    /// Stages in a dependency order; ties keep file order.
    public static func order(_ pipeline: Pipeline) -> [StageSpec] {
        // Kahn's algorithm, always taking the ready stage that comes first in the file, by
        // index: linear in stages and edges (moving whole stages about cost 1,000-stage
        // pipelines milliseconds per call).
        let stages = pipeline.stages
        let index = Dictionary(stages.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var waiting = [Int](repeating: 0, count: stages.count)
        var readers = [[Int]](repeating: [], count: stages.count)
        for (i, stage) in stages.enumerated() {
            for input in Set(stage.inputs.map(\.stage)) {
                guard let upstream = index[input] else { continue }  // an unknown input, already reported
                waiting[i] += 1
                readers[upstream].append(i)
            }
        }
        var ready = MinHeap(stages.indices.filter { waiting[$0] == 0 })
        var result: [StageSpec] = []
        result.reserveCapacity(stages.count)
        var placed = [Bool](repeating: false, count: stages.count)
        while let next = ready.pop() {
            result.append(stages[next])
            placed[next] = true
            for reader in readers[next] {
                waiting[reader] -= 1
                if waiting[reader] == 0 { ready.push(reader) }
            }
        }
        // A cycle (already reported): its stages follow in file order.
        return result + stages.indices.filter { !placed[$0] }.map { stages[$0] }
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

/// A binary min-heap of indices: the ready stage that comes first in the file.
struct MinHeap {
    private var items: [Int]

    init(_ items: [Int]) {
        self.items = []
        for item in items { push(item) }
    }

    mutating func push(_ item: Int) {
        items.append(item)
        var child = items.count - 1
        while child > 0, items[(child - 1) / 2] > items[child] {
            items.swapAt(child, (child - 1) / 2)
            child = (child - 1) / 2
        }
    }

    mutating func pop() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return first }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            if smallest == parent { return first }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
