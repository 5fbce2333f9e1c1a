import Testing

@testable import WeirTable

/// Key coding, the grouping kernels' first step, against plain Swift on the same values.
@Suite struct KeyCodesTests {
    /// Keys that share eight-byte heads, differ only in length or past byte 8, are empty or
    /// not ASCII. With 300,000 rows the table is built on every core and merged.
    @Test(arguments: [50, 300_000])
    func stringCodesFollowByteOrderAndFirstAppearance(rows: Int) {
        var rng = SplitMix(seed: 11)
        let stems = ["", "a", "customer", "customer-", "customer-000", "customér", "ß", "customer\u{0}", "zz"]
        let values = (0..<rows).map { _ -> String in
            let stem = stems[rng.int(stems.count)]
            return rng.int(3) == 0 ? stem : stem + String(rng.int(rows / 5 + 1))
        }
        let keys = KeyCodes(keysOf: Column(string: values))!
        let distinct = Array(Set(values)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        #expect(keys.count == distinct.count)
        let codeOf = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, Int32($0)) })
        #expect(keys.codes == values.map { codeOf[$0]! })
        var first: [String: Int] = [:]
        for (row, value) in values.enumerated() where first[value] == nil { first[value] = row }
        #expect(keys.firstRow == distinct.map { first[$0]! })
    }

    /// Integer keys too far apart for a lookup table (their span overflows Int64) are coded in
    /// value order by the hashing path; close ones by the table, with the same numbering.
    @Test func integerCodesFollowValueOrderHoweverFarApart() throws {
        let far: [Int64] = [.max, -1, .min, -1, 0]
        let keys = try #require(KeyCodes(keysOf: Column(int64Values: far)))
        #expect(keys.codes == [3, 1, 0, 1, 2])
        #expect(keys.firstRow == [2, 1, 4, 0])
        let near = try #require(KeyCodes(keysOf: Column(int64Values: [7, 5, 9, 5])))
        #expect(near.codes == [1, 0, 2, 0])
        #expect(near.firstRow == [1, 0, 2])
    }

    @Test func aNullOrATypeThatCannotBeAKeyIsRefused() {
        #expect(KeyCodes(keysOf: Column(float64Values: [1.5, 2.5])) == nil)
        #expect(KeyCodes(keysOf: Column(string: ["a", nil])) == nil)
        #expect(KeyCodes(keysOf: Column(string: ["a", "b"])) != nil)
    }
}

/// A seeded generator (SplitMix64), so the keys are the same on every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
