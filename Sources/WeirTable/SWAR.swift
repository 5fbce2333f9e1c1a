/// Byte-lane arithmetic on eight bytes of text held in one little-endian word (the first byte
/// in the low lane): finding digits and special bytes, and converting digits, without a
/// branch per byte.
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Written out: a literal array of constants is laid out at compile time, where a computed
    /// one costs a lazy-initialisation check on every use in the inner loop.
    static let powersOf10: [UInt64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]

    /// How many of the word's bytes, from the first, are ASCII digits (0...8).
    @inline(__always)
    static func leadingDigits(_ word: UInt64) -> Int {
        // A digit is 0x30...0x39: its high nibble is 3, before and after adding 6. Only a lane
        // past a non-digit can be disturbed by a carry, and only the first non-digit counts.
        let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
        let threes: UInt64 = 0x3030_3030_3030_3030
        let notDigit = ((word & high) ^ threes) | (((word &+ 0x0606_0606_0606_0606) & high) ^ threes)
        return notDigit.trailingZeroBitCount &>> 3
    }

    /// The value of the first `count` (1...8) bytes, which are digits.
    @inline(__always)
    static func value(ofLeading count: Int, digitsIn word: UInt64) -> UInt64 {
        // Move the digits to the top lanes, so the number reads as eight digits with leading
        // zeros, then combine neighbouring lanes: pairs, fours, eight.
        var v = (word &- 0x3030_3030_3030_3030) &<< UInt64(8 &* (8 &- count))
        v = (v &* 10 &+ (v &>> 8)) & 0x00FF_00FF_00FF_00FF
        v = (v &* 100 &+ (v &>> 16)) & 0x0000_FFFF_0000_FFFF
        return (v &* 10000 &+ (v &>> 32)) & 0xFFFF_FFFF
    }

    /// The index (0...8, 8 for none) of the first byte equal to any of `a`, `b` or `c`, each
    /// given repeated in every lane.
    @inline(__always)
    static func firstOf(_ word: UInt64, _ a: UInt64, _ b: UInt64, _ c: UInt64) -> Int {
        let hits = zeroLanes(word ^ a) | zeroLanes(word ^ b) | zeroLanes(word ^ c)
        return hits.trailingZeroBitCount &>> 3
    }

    /// The high bit of each zero lane set (exact up to the first zero lane, which is all that
    /// `trailingZeroBitCount` reads).
    @inline(__always)
    static func zeroLanes(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
}
