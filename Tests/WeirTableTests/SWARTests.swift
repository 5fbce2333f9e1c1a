import Testing

@testable import WeirTable

/// The word-at-a-time helpers against the byte loops they replace, on words made of the bytes
/// where their lane arithmetic could go wrong: the neighbours of '0' and '9', bytes that
/// carry when six is added, zero, and the special bytes of a CSV field.
@Suite struct SWARTests {
    static let bytes: [UInt8] = [
        0x30, 0x31, 0x35, 0x39, 0x2F, 0x3A, 0x00, 0xFF, 0xFA, 0xF9, 0xB0, 0xC0, 0x2C, 0x0A, 0x22, 0x7F, 0x01, 0x80,
    ]

    static func words(seed: UInt64, count: Int) -> [[UInt8]] {
        var rng = RandomStream(seed: seed)
        return (0..<count).map { k in
            // Mostly digits, so runs of every length from 0 to 8 come up.
            let digits = k % 9
            return (0..<8).map { i in
                i < digits && rng.next() % 8 != 0
                    ? 0x30 + UInt8(rng.next() % 10) : bytes[Int(rng.next() % UInt64(bytes.count))]
            }
        }
    }

    static func word(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    @Test func leadingDigitsAndTheirValue() {
        var lengths = Set<Int>()
        for bytes in Self.words(seed: 41, count: 50_000) {
            let expected = bytes.firstIndex { !($0 >= 0x30 && $0 <= 0x39) } ?? 8
            let count = SWAR.leadingDigits(Self.word(bytes))
            #expect(count == expected, "\(bytes)")
            lengths.insert(count)
            guard count > 0 else { continue }
            let value = bytes[..<count].reduce(UInt64(0)) { $0 * 10 + UInt64($1 - 0x30) }
            #expect(SWAR.value(ofLeading: count, digitsIn: Self.word(bytes)) == value, "\(bytes)")
        }
        #expect(lengths == Set(0...8))
    }

    @Test func firstSpecialByte() {
        let (comma, newline, quote) = (0x2C &* SWAR.ones, 0x0A &* SWAR.ones, 0x22 &* SWAR.ones)
        var positions = Set<Int>()
        for bytes in Self.words(seed: 42, count: 50_000) {
            let expected = bytes.firstIndex { $0 == 0x2C || $0 == 0x0A || $0 == 0x22 } ?? 8
            let found = SWAR.firstOf(Self.word(bytes), comma, newline, quote)
            #expect(found == expected, "\(bytes)")
            positions.insert(found)
        }
        #expect(positions == Set(0...8))
    }
}
