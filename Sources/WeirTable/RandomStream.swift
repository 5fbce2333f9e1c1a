/// SplitMix64: small, fast, and the same sequence on every platform. K-means seeds its
/// restarts with it, and tests build their data with it.
public struct RandomStream: Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    @inlinable
    public mutating func uniform() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }

    @inlinable
    public mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
