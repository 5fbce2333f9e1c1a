/// Durations as pipelines write them: `90` (seconds), `90s`, `5m`, `2h`, `1d`.
public enum DurationText {
    /// The duration in seconds, or nil when the text is not a positive duration.
    public static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let last = text.last, let unit = units[last], let value = Double(text.dropLast()), value > 0 { return value * unit }
        if let value = Double(text), value > 0 { return value }
        return nil
    }
}
