/// Which stages a command acts on: `name` (that stage), `+name` (it and its upstream),
/// `name+` (it and its downstream), combined over `--select` and removed by `--exclude`.
public struct Selection: Sendable {
    public var include: [String]
    public var exclude: [String]

    public init(include: [String] = [], exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }

    /// The selected stage ids; unknown names are errors with a suggestion.
    public func resolve(in pipeline: Pipeline) throws -> Set<String> {
        let all = Set(pipeline.stageIDs)
        var problems: [Diagnostic] = []
        func expand(_ pattern: String, flag: String) -> Set<String> {
            var name = Substring(pattern)
            let upstream = name.hasPrefix("+")
            if upstream { name = name.dropFirst() }
            let downstream = name.hasSuffix("+")
            if downstream { name = name.dropLast() }
            let id = String(name)
            guard all.contains(id) else {
                problems.append(
                    Diagnostic(
                        at: nil, "\(flag) \(pattern): no stage '\(id)' in pipeline '\(pipeline.name)'",
                        hint: Suggest.didYouMean(id, in: pipeline.stageIDs)
                            ?? "stages: \(pipeline.stageIDs.joined(separator: ", "))"))
                return []
            }
            var result: Set<String> = [id]
            if upstream { result.formUnion(DAG.upstream(of: id, in: pipeline)) }
            if downstream { result.formUnion(DAG.downstream(of: id, in: pipeline)) }
            return result
        }
        var selected =
            include.isEmpty ? all : include.reduce(into: Set<String>()) { $0.formUnion(expand($1, flag: "--select")) }
        for pattern in exclude { selected.subtract(expand(pattern, flag: "--exclude")) }
        if !problems.isEmpty { throw DiagnosticError(problems) }
        return selected
    }
}
