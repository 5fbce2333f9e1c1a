import WeirTable

/// Durations as pipelines write them: `90` (seconds), `90s`, `5m`, `2h`, `1d`.
public enum DurationText {
    /// The duration in seconds, or nil when the text is not a positive duration.
    public static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let last = text.last, let unit = units[last], let value = Double(text.dropLast()), value > 0 {
            return value * unit
        }
        if let value = Double(text), value > 0 { return value }
        return nil
    }
}

extension DurationText {
    /// The largest whole unit that fits: `30d`, `12h`, `90m`, `45s`.
    public static func format(_ seconds: Double) -> String {
        for (unit, size) in [("d", 86400.0), ("h", 3600), ("m", 60)]
        where seconds >= size && seconds.truncatingRemainder(dividingBy: size) == 0 {
            return "\(Int(seconds / size))\(unit)"
        }
        return FloatFormat.shortest(seconds) + "s"
    }
}
