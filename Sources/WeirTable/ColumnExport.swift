/// Bulk reads of a column's values for engines that take them a block at a time (the SQL scan).
extension Column {
    /// Copies the values of rows `range` of a fixed-width column (int64, timestamp, float64,
    /// date) to `destination`, which has room for `range.count` of them. Null rows copy
    /// whatever their slot holds (zero).
    public func copyFixedWidth(_ range: Range<Int>, to destination: UnsafeMutableRawPointer) {
        guard let width = type.fixedWidth else { preconditionFailure("copyFixedWidth on a \(type) column") }
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "rows \(range) out of 0..<\(count)")
        withExtendedLifetime(data) {
            destination.copyMemory(
                from: data.base + (offset + range.lowerBound) * width, byteCount: range.count * width)
        }
    }
}
