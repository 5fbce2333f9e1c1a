/// pandas' `Series.quantile(q)` (interpolation 'linear') of `count` values in ascending order,
/// with the same floating-point steps: pandas hands numpy q in percent, numpy divides it back,
/// and numpy's `_lerp` interpolates from the upper neighbour when the fraction is ≥ 0.5.
func pandasQuantile(_ q: Double, count n: Int, sorted value: (Int) -> Double) -> Double {
    let fraction = (q * 100.0) / 100.0
    let virtual = Double(n - 1) * fraction
    let previous = virtual.rounded(.down)
    let low = Int(previous)
    let high = Swift.min(low + 1, n - 1)
    let a = value(low)
    let b = value(high)
    let gamma = virtual - previous
    let diff = b - a
    return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma
}
