import Foundation

/// `schedule:` at the top of a pipeline: when `weir schedule` runs it, and what it does about
/// missed ticks, a tick that finds the last run still going, and many pipelines on one tick.
public struct ScheduleSpec: Sendable {
    public enum Catchup: String, Sendable, CaseIterable {
        /// After downtime, run the newest missed tick only.
        case latest
        /// Run every missed tick, oldest first (at most `max_catchup`, the newest ones).
        case all
        /// Run no missed tick: only one that is on time (within `ScheduleSpec.onTime`).
        case none
    }

    public enum Overlap: String, Sendable, CaseIterable {
        /// A tick that finds the pipeline running is recorded as skipped.
        case skip
        /// A tick waits for the running one to finish, then runs.
        case wait
    }

    public var calendar: CronCalendar
    public var catchup = Catchup.latest
    public var maxCatchup = 10
    public var overlap = Overlap.skip
    /// Seconds; each tick waits a fixed share of it (by pipeline and tick), spreading pipelines that share a cron line.
    public var jitter: Double = 0
    public var location: SourceLocation

    /// How late a tick may be and still count as on time for `catchup: none`.
    public static let onTime: Double = 60

    static let keys = ["cron", "timezone", "catchup", "max_catchup", "overlap", "jitter"]

    static func parse(_ node: YAMLNode, _ diagnostics: inout DiagnosticCollector) -> ScheduleSpec? {
        guard let pairs = node.pairs else {
            diagnostics.error(
                node.location,
                "`schedule` must be a mapping such as { cron: \"0 */6 * * *\", timezone: UTC }, found \(node.kindName)")
            return nil
        }
        diagnostics.unknownKeys(pairs, allowed: keys, in: "`schedule`")
        guard let cronNode = node["cron"] else {
            diagnostics.error(node.location, "`schedule` needs `cron:`, a 5-field cron line such as \"0 */6 * * *\"")
            return nil
        }
        let cron: CronExpression
        do { cron = try CronExpression(cronNode.scalar ?? "") } catch {
            diagnostics.error(cronNode.location, "`schedule.cron`: \(error)")
            return nil
        }
        var zone = TimeZone(identifier: "UTC")!
        if let zoneNode = node["timezone"] {
            if let name = zoneNode.scalar, let found = TimeZone(identifier: name) {
                zone = found
            } else {
                diagnostics.error(
                    zoneNode.location,
                    "`schedule.timezone` must be an IANA zone such as UTC or Europe/Paris, found '\(zoneNode.scalar ?? zoneNode.kindName)'"
                )
            }
        }
        var spec = ScheduleSpec(calendar: CronCalendar(cron, timeZone: zone), location: node.location)
        spec.catchup = choice(node["catchup"], "catchup", default: .latest, &diagnostics)
        spec.overlap = choice(node["overlap"], "overlap", default: .skip, &diagnostics)
        if let value = node["max_catchup"] {
            if let text = value.scalar, let count = Int(text), count >= 1 {
                spec.maxCatchup = count
            } else {
                diagnostics.error(
                    value.location,
                    "`schedule.max_catchup` must be a whole number ≥ 1, found '\(value.scalar ?? value.kindName)'")
            }
        }
        if let value = node["jitter"] {
            if let text = value.scalar, let seconds = DurationText.seconds(text) {
                spec.jitter = seconds
            } else {
                diagnostics.error(
                    value.location,
                    "`schedule.jitter` must be a duration such as 30s or 5m, found '\(value.scalar ?? value.kindName)'")
            }
        }
        return spec
    }

    private static func choice<T: RawRepresentable & CaseIterable>(
        _ node: YAMLNode?, _ key: String, default value: T,
        _ diagnostics: inout DiagnosticCollector
    ) -> T where T.RawValue == String {
        guard let node else { return value }
        if let text = node.scalar, let found = T(rawValue: text) { return found }
        diagnostics.error(
            node.location,
            "`schedule.\(key)` must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), found '\(node.scalar ?? node.kindName)'"
        )
        return value
    }

    /// The ticks to run now, oldest first: `last` is the newest tick already recorded (nil
    /// when none ever was: then the newest due tick counts as missed).
    public func dueTicks(now: Date, last: Date?) -> [Date] {
        guard let newest = calendar.latest(atOrBefore: now), newest > (last ?? .distantPast) else { return [] }
        switch catchup {
        case .latest: return [newest]
        case .none: return now.timeIntervalSince(newest) <= Self.onTime ? [newest] : []
        case .all:
            guard let last else { return [newest] }
            return Array(calendar.fireTimes(after: last, through: now).suffix(maxCatchup))
        }
    }

    /// The delay before tick `tick` of pipeline `identity` starts: a fixed fraction of `jitter`.
    public func delay(for identity: String, tick: Date) -> Double {
        guard jitter > 0 else { return 0 }
        var hasher = StableHash()
        hasher.add(identity)
        hasher.add(String(Int64(tick.timeIntervalSince1970)))
        return jitter * Double(hasher.value % 10_000) / 10_000
    }
}

/// FNV-1a: the same value in every process (Swift's Hasher is seeded per process).
struct StableHash {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ text: String) {
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
    }
}
