#if canImport(Glibc)
    import Glibc
#endif

/// Phase timings on standard error when WEIR_TRACE is set; free otherwise.
public struct Trace {
    private let enabled: Bool
    private let name: String
    private var last: Double

    public init(_ name: String) {
        self.name = name
        enabled = getenv("WEIR_TRACE") != nil
        last = enabled ? Trace.now() : 0
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public mutating func mark(_ phase: String) {
        guard enabled else { return }
        let t = Trace.now()
        let line = "[\(name)] \(phase): \(Int((t - last) * 1000)) ms\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
        last = t
    }
}
