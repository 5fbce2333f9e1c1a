import WeirTable

/// A loaded, checked pipeline: its stages in file order with resolved parameters.
public struct Pipeline: Sendable {
    public var name: String
    /// The pipeline file's path as given, used in diagnostics.
    public var file: String
    /// Folder that relative paths inside the pipeline are relative to.
    public var directory: String
    public var params: [String: ParamValue]
    public var stages: [StageSpec]
    /// `cache: { remote: s3://… }`: where results are shared with other machines.
    public var cacheRemote: String?
    /// `executor:`: where stages run unless the command line says otherwise.
    public var executor: ExecutorKind = .local
    /// `slurm:` at the top: defaults for every stage's Slurm job.
    public var slurm = SlurmResources()
    /// `schedule:`: when `weir schedule` runs the pipeline.
    public var schedule: ScheduleSpec?
    /// `notify:`: who hears about the pipeline's runs.
    public var notify: NotifySpec?
    /// `retention:`: how long its runs are kept.
    public var retention: RetentionSpec?

    public func stage(_ id: String) -> StageSpec? { stages.first { $0.id == id } }
    public var stageIDs: [String] { stages.map(\.id) }
}

public struct StageSpec: Sendable {
    public var id: String
    /// Where the stage's id stands in the file.
    public var location: SourceLocation
    public var typeName: String
    public var inputs: [InputRef]
    /// Every declared parameter of the stage type, defaults filled in.
    public var params: [String: ResolvedParam]
    public var retries: Int
    /// Seconds; nil for none.
    public var timeout: Double?
    /// The stage's own `slurm:` options (the pipeline's defaults not merged in).
    public var slurm = SlurmResources()

    public func param(_ name: String) -> ParamValue? {
        guard let value = params[name]?.value, value != .null else { return nil }
        return value
    }
}

/// A reference to an upstream stage's output: `stage` or `stage.port`.
public struct InputRef: Sendable, Hashable, CustomStringConvertible {
    public var stage: String
    public var port: String?
    public var location: SourceLocation

    public var description: String { port.map { "\(stage).\($0)" } ?? stage }

    /// Splits `a.b` at the last dot only when the part before it names a stage.
    public static func parse(_ text: String, stages: Set<String>, at location: SourceLocation) -> InputRef {
        if !stages.contains(text), let dot = text.lastIndex(of: "."), stages.contains(String(text[..<dot])) {
            return InputRef(
                stage: String(text[..<dot]), port: String(text[text.index(after: dot)...]), location: location)
        }
        return InputRef(stage: text, port: nil, location: location)
    }
}

public struct ResolvedParam: Sendable, Hashable {
    public var value: ParamValue
    /// Where the value was written; nil for a default.
    public var location: SourceLocation?
    /// The value came from an environment variable: never printed, logged, stored or hashed.
    public var secret: Bool
    /// Names of environment variables the value used (these are hashed instead of values).
    public var environment: [String]
}
