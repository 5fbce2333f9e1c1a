import WeirTable

/// Per customer: the last purchase time, the number of distinct orders and the monetary value
/// (sum or mean of the amounts). Two cores share the work: one walks the lines in row order for
/// the latest time and the sums (per-customer state stays in cache), the other counts distinct
/// orders: in one pass when every order belongs to one customer (each order is then counted
/// for its customer when first seen), else by grouping the orders by customer with a counting
/// sort and counting each customer's distinct ones (with a mark array when the order values
/// are dense enough to index one, by sorting each customer's otherwise).
struct CustomerTotals {
    var last: [Int64]
    var frequency: [Int64]
    var monetary: [Double]

    /// `customers` holds each line's customer code (0..<groups); `orders` what frequency counts
    /// distinct values of.
    init(
        customers: [Int32], groups: Int, micros: FixedWidthView<Int64>, orders: FixedWidthView<Int64>,
        amounts: FixedWidthView<Double>, mean: Bool
    ) {
        let ((last, monetary), counted) = micros.withUnsafeBufferPointer { micros in
            orders.withUnsafeBufferPointer { orders in
                amounts.withUnsafeBufferPointer { amounts in
                    Parallel.both(
                        { Self.latestAndMonetary(customers, micros, amounts, groups: groups, mean: mean) },
                        { () -> OrderCount in
                            guard let range = DenseRange(orders) else {
                                let (start, values) = bucketed(orders, by: customers, groups: groups)
                                return .grouped(start: start, values: values)
                            }
                            if let frequency = Self.frequencyOfOwnedOrders(
                                orders, range: range, customers, groups: groups)
                            {
                                return .counted(frequency)
                            }
                            // Four bytes a line, where the values take eight.
                            let (start, slots) = bucketed(by: customers, groups: groups) {
                                Int32(truncatingIfNeeded: range.slot(orders[$0]))
                            }
                            return .slotted(start: start, slots: slots, range: range)
                        })
                }
            }
        }
        self.last = last
        self.monetary = monetary
        switch counted {
        case .counted(let frequency): self.frequency = frequency
        case .grouped(let start, let values): self.frequency = Self.distinctCounts(start: start, values: values)
        case .slotted(let start, let slots, let range):
            self.frequency = Self.distinctSlots(start: start, slots: slots, range: range)
        }
    }

    private enum OrderCount {
        case counted([Int64])
        /// Each customer's order values, for values too far apart to index an array.
        case grouped(start: [Int], values: [Int64])
        /// Each customer's order slots in `range`.
        case slotted(start: [Int], slots: [Int32], range: DenseRange)
    }

    /// Distinct orders per customer when no order value has lines of two customers; nil
    /// otherwise.
    static func frequencyOfOwnedOrders(
        _ orders: UnsafeBufferPointer<Int64>, range: DenseRange, _ customers: [Int32],
        groups: Int
    ) -> [Int64]? {
        var frequency = [Int64](repeating: 0, count: groups)
        var owner = [Int32](repeating: -1, count: range.slots)
        let owned = owner.withUnsafeMutableBufferPointer { owner in
            frequency.withUnsafeMutableBufferPointer { frequency in
                customers.withUnsafeBufferPointer { customers in
                    for row in 0..<orders.count {
                        let slot = range.slot(orders[row])
                        let customer = customers[row]
                        let previous = owner[slot]
                        if previous == customer { continue }
                        if previous >= 0 { return false }
                        owner[slot] = customer
                        frequency[Int(customer)] &+= 1
                    }
                    return true
                }
            }
        }
        return owned ? frequency : nil
    }

    /// Distinct order slots per customer: a slot counts when the mark array does not already
    /// hold its customer, so no group is sorted. Each core has its own marks.
    static func distinctSlots(start: [Int], slots: [Int32], range: DenseRange) -> [Int64] {
        slots.withUnsafeBufferPointer { slots in
            perCustomer(start.count - 1) { customers, frequency in
                var mark = [Int32](repeating: -1, count: range.slots)
                mark.withUnsafeMutableBufferPointer { mark in
                    for g in customers {
                        var count: Int64 = 0
                        let customer = Int32(truncatingIfNeeded: g)
                        for i in start[g]..<start[g &+ 1] {
                            let slot = Int(slots[i])
                            if mark[slot] != customer {
                                mark[slot] = customer
                                count &+= 1
                            }
                        }
                        frequency[g] = count
                    }
                }
            }
        }
    }

    /// Each customer's orders, sorted in place, counted.
    static func distinctCounts(start: [Int], values grouped: [Int64]) -> [Int64] {
        var values = grouped
        return values.withUnsafeMutableBufferPointer { values in
            let all = SharedBuffer(values)
            return perCustomer(start.count - 1) { customers, frequency in
                for g in customers {
                    frequency[g] = Self.distinctCount(
                        all.slice(start[g]..<start[g + 1]))
                }
            }
        }
    }

    /// A count per customer, `body` filling those of a range of customers; the ranges are split
    /// between the cores when there are many customers.
    private static func perCustomer(_ groups: Int, _ body: (Range<Int>, SharedBuffer<Int64>) -> Void) -> [Int64] {
        var counts = [Int64](repeating: 0, count: groups)
        guard groups > 0 else { return counts }
        counts.withUnsafeMutableBufferPointer { buffer in
            let out = SharedBuffer(buffer)
            let chunks = groups >= 20_000 ? Parallel.coreCount : 1
            Parallel.forEach(chunks) { c in body((groups * c / chunks)..<(groups * (c + 1) / chunks), out) }
        }
        return counts
    }

    /// The latest time and the sum (or mean) of the amounts, per customer, in row order. pandas
    /// sums lines already grouped in key order with numpy's pairwise `add.reduceat`, and others
    /// with its Kahan-compensated loop in row order; both are reproduced, so equal-looking
    /// totals rank as they do there.
    static func latestAndMonetary(
        _ customers: [Int32], _ micros: UnsafeBufferPointer<Int64>, _ amounts: UnsafeBufferPointer<Double>,
        groups: Int, mean: Bool
    ) -> (last: [Int64], monetary: [Double]) {
        let n = customers.count
        var last = [Int64](repeating: .min, count: groups)
        var monetary = [Double](repeating: 0, count: groups)
        var count = [Int](repeating: 0, count: groups)
        for row in 0..<n {
            let g = Int(customers[row])
            if micros[row] > last[g] { last[g] = micros[row] }
        }
        if zip(customers, customers.dropFirst()).allSatisfy({ $0 <= $1 }) {
            var start = 0
            while start < n {
                var end = start + 1
                while end < n && customers[end] == customers[start] { end += 1 }
                let g = Int(customers[start])
                monetary[g] = amounts[start] + pairwiseSum(UnsafeBufferPointer(rebasing: amounts[(start + 1)..<end]))
                count[g] = end - start
                start = end
            }
        } else {
            var compensation = [Double](repeating: 0, count: groups)
            for row in 0..<n {
                let g = Int(customers[row])
                let y = amounts[row] - compensation[g]
                let t = monetary[g] + y
                compensation[g] = t - monetary[g] - y
                monetary[g] = t
                count[g] &+= 1
            }
        }
        if mean { for g in 0..<groups { monetary[g] /= Double(count[g]) } }
        return (last, monetary)
    }

    /// The number of distinct values, sorting them in place (by insertion: a customer has few).
    static func distinctCount(_ values: UnsafeMutableBufferPointer<Int64>) -> Int64 {
        var values = values
        let n = values.count
        guard n > 1 else { return Int64(n) }
        if n > 32 {
            values.sort()
        } else {
            for i in 1..<n {
                let value = values[i]
                var j = i
                while j > 0 && values[j &- 1] > value {
                    values[j] = values[j &- 1]
                    j &-= 1
                }
                values[j] = value
            }
        }
        var count: Int64 = 1
        for i in 1..<n where values[i] != values[i &- 1] { count &+= 1 }
        return count
    }
}
