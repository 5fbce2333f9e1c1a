import WeirSystem

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

    static func now() -> Double { Syscall.monotonicSeconds }

    public mutating func mark(_ phase: String) {
        guard enabled else { return }
        let t = Trace.now()
        var line = "[\(name)] \(phase): \(Int((t - last) * 1000)) ms\n"
        line.withUTF8 { try? Syscall.write(STDERR_FILENO, UnsafeRawBufferPointer($0)) }
        last = t
    }
}
