/// Stable ordering by 64-bit keys with a least-significant-digit radix sort: eight passes of
/// one byte, each skipped when every key has the same byte there. Ranking a hundred thousand
/// values this way takes a millisecond, against ten for a comparison sort with a closure.
public enum RadixSort {
    /// The positions `0..<keys.count` in ascending key order; equal keys keep their positions'
    /// order, so a rank taken from this order breaks ties by position (pandas' `method='first'`).
    public static func order(_ keys: [UInt64]) -> [Int32] {
        let n = keys.count
        precondition(n <= Int(Int32.max), "radix order of more than 2^31 keys")
        var histograms = [Int](repeating: 0, count: 8 * 256)
        histograms.withUnsafeMutableBufferPointer { h in
            for key in keys {
                for digit in 0..<8 { h[digit &* 256 &+ Int((key &>> UInt64(digit &* 8)) & 0xFF)] &+= 1 }
            }
        }
        // Keys and order move between two pairs of buffers, one pass to the next.
        let keysA = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: n)
        let keysB = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: n)
        let orderA = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
        let orderB = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
        defer {
            keysA.deallocate()
            keysB.deallocate()
            orderA.deallocate()
            orderB.deallocate()
        }
        _ = keysA.initialize(from: keys)
        for i in 0..<n { orderA[i] = Int32(truncatingIfNeeded: i) }
        var (keysIn, keysOut, orderIn, orderOut) = (keysA, keysB, orderA, orderB)
        var cursor = [Int](repeating: 0, count: 256)
        for digit in 0..<8 {
            let base = digit * 256
            // A byte every key shares leaves the order as it is.
            if n == 0 || histograms[base + Int((keys[0] &>> UInt64(digit * 8)) & 0xFF)] == n { continue }
            var total = 0
            for b in 0..<256 {
                cursor[b] = total
                total += histograms[base + b]
            }
            let shift = UInt64(digit * 8)
            cursor.withUnsafeMutableBufferPointer { cursor in
                for i in 0..<n {
                    let key = keysIn[i]
                    let b = Int((key &>> shift) & 0xFF)
                    let at = cursor[b]
                    cursor[b] = at &+ 1
                    keysOut[at] = key
                    orderOut[at] = orderIn[i]
                }
            }
            swap(&keysIn, &keysOut)
            swap(&orderIn, &orderOut)
        }
        return Array(orderIn)
    }

    /// A key whose unsigned order is the numeric order of `value`: negative zero sorts as zero,
    /// NaN after every number.
    @inlinable
    public static func key(_ value: Double) -> UInt64 {
        if value.isNaN { return .max }
        let bits = (value == 0 ? 0.0 : value).bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    /// A key whose unsigned order is the numeric order of `value`.
    @inlinable
    public static func key(_ value: Int64) -> UInt64 { UInt64(bitPattern: value) ^ (1 << 63) }
}
