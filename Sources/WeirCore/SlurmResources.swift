/// What a stage asks of a Slurm cluster: the pipeline's `slurm:` defaults, overridden key by
/// key by a stage's own `slurm:`. Not part of any cache key: where a stage runs does not change
/// what it computes.
public struct SlurmResources: Sendable, Hashable {
    public var partition: String?
    public var cpus: Int?
    /// As Slurm writes it: `512M`, `8G`.
    public var mem: String?
    /// Minutes, rounded up from the duration written.
    public var minutes: Int?
    public var account: String?
    public var qos: String?
    /// Further `sbatch` options, passed as written (`--gres=gpu:1`).
    public var options: [String] = []

    public init() {}

    public static let keys = ["partition", "cpus", "mem", "time", "account", "qos", "options"]

    /// `self` with every key `stage` sets taken from it.
    public func overridden(by stage: SlurmResources) -> SlurmResources {
        var merged = self
        merged.partition = stage.partition ?? partition
        merged.cpus = stage.cpus ?? cpus
        merged.mem = stage.mem ?? mem
        merged.minutes = stage.minutes ?? minutes
        merged.account = stage.account ?? account
        merged.qos = stage.qos ?? qos
        merged.options = options + stage.options
        return merged
    }

    /// The `sbatch` options; a stage with a `timeout` and no `time` gets the timeout plus a
    /// minute, so Slurm's limit never cuts off Weir's own timeout message.
    public func sbatchArguments(timeout: Double?) -> [String] {
        var arguments: [String] = []
        if let partition { arguments.append("--partition=\(partition)") }
        if let cpus { arguments.append("--cpus-per-task=\(cpus)") }
        if let mem { arguments.append("--mem=\(mem)") }
        if let minutes = minutes ?? timeout.map({ Int(($0 / 60).rounded(.up)) + 1 }) {
            arguments.append("--time=\(minutes)")
        }
        if let account { arguments.append("--account=\(account)") }
        if let qos { arguments.append("--qos=\(qos)") }
        return arguments + options
    }

    /// Reads a `slurm:` mapping; every problem is a diagnostic at its key or value.
    public static func parse(_ node: YAMLNode, _ diagnostics: inout DiagnosticCollector) -> SlurmResources {
        var resources = SlurmResources()
        guard let pairs = node.pairs else {
            diagnostics.error(
                node.location,
                "`slurm` must be a mapping such as { partition: batch, cpus: 4, mem: 8G, time: 2h }, found \(node.kindName)"
            )
            return resources
        }
        for pair in pairs {
            let value = pair.value
            func text() -> String? {
                if let scalar = value.scalar, !scalar.isEmpty { return scalar }
                diagnostics.error(value.location, "`slurm.\(pair.key)` must be a value, found \(value.kindName)")
                return nil
            }
            switch pair.key {
            case "partition": resources.partition = text()
            case "account": resources.account = text()
            case "qos": resources.qos = text()
            case "cpus":
                if let scalar = value.scalar, let cpus = Int(scalar), cpus >= 1 {
                    resources.cpus = cpus
                } else {
                    diagnostics.error(
                        value.location,
                        "`slurm.cpus` must be a whole number ≥ 1, found '\(value.scalar ?? value.kindName)'")
                }
            case "mem":
                if let scalar = value.scalar, isMemory(scalar) {
                    resources.mem = scalar.uppercased()
                } else {
                    diagnostics.error(
                        value.location,
                        "`slurm.mem` must be a size such as 512M, 8G or 1T, found '\(value.scalar ?? value.kindName)'")
                }
            case "time":
                if let scalar = value.scalar, let seconds = DurationText.seconds(scalar) {
                    resources.minutes = Int((seconds / 60).rounded(.up))
                } else {
                    diagnostics.error(
                        value.location,
                        "`slurm.time` must be a duration such as 90s, 30m, 2h or 1d, found '\(value.scalar ?? value.kindName)'"
                    )
                }
            case "options":
                let items = value.items ?? [value]
                for item in items {
                    if let scalar = item.scalar, scalar.hasPrefix("--") {
                        resources.options.append(scalar)
                    } else {
                        diagnostics.error(
                            item.location,
                            "`slurm.options` holds sbatch options such as --gres=gpu:1, found '\(item.scalar ?? item.kindName)'"
                        )
                    }
                }
            default:
                diagnostics.unknownKeys([pair], allowed: keys, in: "`slurm`")
            }
        }
        return resources
    }

    static func isMemory(_ text: String) -> Bool {
        var digits = Substring(text)
        if let last = digits.last, "KkMmGgTt".contains(last) { digits = digits.dropLast() }
        return !digits.isEmpty && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
            && Int(digits).map { $0 > 0 } == true
    }
}

/// Where a pipeline's stages run.
public enum ExecutorKind: String, Sendable, CaseIterable {
    /// Threads of this process.
    case local
    /// One `sbatch` job per stage.
    case slurm
}
