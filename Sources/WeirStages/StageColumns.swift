import WeirCore
import WeirTable

// Reading input columns the way analytical stages need them: no nulls, as doubles, as days.

extension Column {
    /// Throws a stage error naming the column, its null count and first null row, if it has nulls.
    func requireValues(name: String, param: String, why: String? = nil) throws {
        guard hasNulls else { return }
        let row = (0..<count).first(where: isNull) ?? 0
        throw StageError(
            "column '\(name)' has \(nullCount) null value(s), the first at row \(row + 1)"
                + (why.map { "; \($0)" } ?? ""),
            param: param, hint: "drop or fill them first, e.g. a sql stage with WHERE \(name) IS NOT NULL")
    }

    /// An int64 or float64 column's values as doubles.
    var doubleValues: [Double] { type == .int64 ? int64s.map(Double.init) : Array(float64s) }

    /// The same, read in place when the column already holds doubles.
    var doubleView: FixedWidthView<Double> {
        type == .float64 ? float64s : Column(float64Values: int64s.map(Double.init)).float64s
    }

    /// A date or timestamp column's values as microseconds, read in place for a timestamp.
    var microsView: FixedWidthView<Int64> {
        type == .date ? Column(int64Values: dates.map { Int64($0) * Temporal.microsPerDay }).int64s : int64s
    }

    /// A date or timestamp column's values as UTC days since the epoch.
    var dayValues: [Int64] { type == .date ? dates.map(Int64.init) : int64s.map(Temporal.day(ofMicros:)) }
}

extension RunContext {
    /// The input column `name` (given by parameter `param`), required to have no nulls.
    func requiredColumn(_ name: String, param: String) throws -> (name: String, column: Column) {
        guard let column = inputs[0].column(name) else {
            throw StageError("no column '\(name)' in the input", param: param)
        }
        try column.requireValues(name: name, param: param)
        return (name, column)
    }
}
