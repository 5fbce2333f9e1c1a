import Foundation
import Testing
import WeirTable

@Suite struct FloatFormatTests {
    @Test func twoDecimalsPrintsWhatPrintfDoes() {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0, 0.125, 0.375, 1.005, 2.675, 0.004, 0.005, 0.015, 99.995, 12345.678, 1e9 + 0.5]
        for _ in 0..<5_000 { values.append(Double.random(in: 0..<10_000, using: &generator)) }
        for _ in 0..<1_000 { values.append(Double(Int.random(in: 0..<100_000, using: &generator)) / 1_000) }
        for value in values {
            #expect(FloatFormat.twoDecimals(value) == String(format: "%.2f", value), "\(value)")
        }
    }
}
