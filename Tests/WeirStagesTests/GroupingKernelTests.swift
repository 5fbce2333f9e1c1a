import Testing
import WeirTable

@testable import WeirStages

/// The grouping kernels under the analytics stages, against plain Swift on the same values.
@Suite struct GroupingKernelTests {
    /// A stable radix order is the order of a stable comparison sort: negative numbers, both
    /// zeros as one value, duplicates kept in position order.
    @Test func radixOrderIsAStableNumericSort() {
        var rng = RandomStream(seed: 5)
        let values = (0..<20_000).map { i -> Double in
            switch i % 5 {
            case 0: return -0.0
            case 1: return 0.0
            case 2: return Double(rng.int(40)) - 20
            default: return (rng.uniform() - 0.5) * 1e9
            }
        }
        let order = RadixSort.order(values.map(RadixSort.key)).map(Int.init)
        let expected = values.indices.sorted { values[$0] != values[$1] ? values[$0] < values[$1] : $0 < $1 }
        #expect(order == expected)
        let integers: [Int64] = [5, -3, .min, .max, 0, -3]
        #expect(RadixSort.order(integers.map(RadixSort.key)) == [2, 1, 5, 4, 0, 3])
        #expect(RadixSort.order([]).isEmpty)
    }

    /// Totals per customer from lines in any order agree with a direct computation; the order
    /// of a customer's lines decides nothing but the summation order. Orders are shared between
    /// customers, each a single customer's (the one-pass count), or that but too sparse to index;
    /// with enough customers, the counts are split between the cores.
    @Test(arguments: [("shared", 3_000), ("shared", 30_000), ("owned", 3_000), ("sparse", 3_000), ("sparse", 30_000)])
    func customerTotalsMatchADirectComputation(orderShape: String, groups: Int) {
        var rng = RandomStream(seed: 9)
        let lines = 50_000
        let customers = (0..<lines).map { _ in Int32(rng.int(groups)) }
        let micros = (0..<lines).map { _ in Int64(rng.int(1_000_000)) }
        let orders = customers.map { customer -> Int64 in
            switch orderShape {
            case "shared": Int64(rng.int(groups < 20_000 ? 20 : 40_000))
            case "owned": -7 + Int64(customer) * 10 + Int64(rng.int(10))
            default: Int64(customer) * 1_000_000_000 + Int64(rng.int(3))
            }
        }
        let amounts = (0..<lines).map { _ in Double(rng.int(10_000)) / 100 }
        let totals = CustomerTotals(
            customers: customers, groups: groups, micros: Column(int64Values: micros).int64s,
            orders: Column(int64Values: orders).int64s, amounts: Column(float64Values: amounts).float64s, mean: false)
        var last = [Int64](repeating: .min, count: groups)
        var seen = [Set<Int64>](repeating: [], count: groups)
        var sum = [Double](repeating: 0, count: groups)
        for row in 0..<lines {
            let g = Int(customers[row])
            last[g] = max(last[g], micros[row])
            seen[g].insert(orders[row])
            sum[g] += amounts[row]
        }
        #expect(totals.last == last)
        #expect(totals.frequency == seen.map { Int64($0.count) })
        #expect(zip(totals.monetary, sum).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}
