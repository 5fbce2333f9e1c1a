#if canImport(Glibc)
    import Glibc
#endif

/// Parsers for CSV field text, on raw bytes: no String is made for a number.
public enum ValueParsing {
    @inline(__always)
    public static func isDigit(_ b: UInt8) -> Bool { b &- 48 < 10 }

    /// Optional sign and 1...19 digits that fit Int64.
    @inline(__always)
    public static func int64(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        guard n > 0 else { return nil }
        var i = 0
        var negative = false
        if p[0] == 0x2D {
            negative = true
            i = 1
        } else if p[0] == 0x2B {
            i = 1
        }
        let digits = n &- i
        guard digits > 0, digits <= 19 else { return nil }
        var value: UInt64 = 0
        while i < n {
            let d = p[i] &- 48
            guard d < 10 else { return nil }
            value = value &* 10 &+ UInt64(d)
            i &+= 1
        }
        if negative {
            guard value <= UInt64(Int64.max) + 1 else { return nil }
            return Int64(truncatingIfNeeded: 0 &- value)
        }
        guard value <= UInt64(Int64.max) else { return nil }
        return Int64(value)
    }

    /// Appends the digits from `p[i]` on to `mantissa` (wrapping: callers bound the count) and
    /// moves `i` past them.
    ///
    /// Eight bytes at a time while eight are left: a number's length then costs no mispredicted
    /// branch per digit, which is most of a byte loop's time on fields of varying width.
    @inline(__always)
    static func appendDigits(_ p: UnsafePointer<UInt8>, _ i: inout Int, limit: Int, to mantissa: inout UInt64) {
        while i &+ 8 <= limit {
            let word = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
            let count = SWAR.leadingDigits(word)
            if count == 0 { return }
            mantissa = mantissa &* SWAR.powersOf10[count] &+ SWAR.value(ofLeading: count, digitsIn: word)
            i &+= count
            if count < 8 { return }
        }
        while i < limit {
            let d = p[i] &- 48
            if d >= 10 { return }
            mantissa = mantissa &* 10 &+ UInt64(d)
            i &+= 1
        }
    }

    /// Exact doubles, written out for the reason `SWAR.powersOf10` is.
    private static let powersOf10: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
        1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// A plain number at the start of `p[0..<limit]`, for a CSV parser that converts while it
    /// scans: an optional `-`, digits, and (with `fraction`) a `.` and more digits. Returns the
    /// value as `int64(_:_:)` or `double(_:_:)` would give it and the bytes it spans, or nil when
    /// the text is not that simple (no digits, a `+`, an exponent, more than 15 digits for a
    /// double or 18 for an integer); the caller then checks what follows and falls back to
    /// the full parsers.
    @inline(__always)
    static func leadingPlainNumber(_ p: UnsafePointer<UInt8>, limit: Int, fraction: Bool) -> (bits: UInt64, count: Int)?
    {
        var i = 0
        let negative = limit > 0 && p[0] == 0x2D
        if negative { i = 1 }
        var mantissa: UInt64 = 0
        let integerStart = i
        appendDigits(p, &i, limit: limit, to: &mantissa)
        var digits = i &- integerStart
        guard digits > 0 else { return nil }
        if !fraction {
            guard digits <= 18 else { return nil }
            let value = Int64(truncatingIfNeeded: mantissa)
            return (UInt64(bitPattern: negative ? 0 &- value : value), i)
        }
        var scale = 0
        if i < limit && p[i] == 0x2E {
            i &+= 1
            let fractionStart = i
            appendDigits(p, &i, limit: limit, to: &mantissa)
            scale = i &- fractionStart
            digits &+= scale
        }
        // At most 15 digits: the mantissa is below 2^53 and the exponent small, which is
        // `double`'s exact path, so both give the same bits.
        guard digits <= 15 else { return nil }
        var value = Double(mantissa)
        if scale > 0 { value /= powersOf10[scale] }
        return ((negative ? -value : value).bitPattern, i)
    }

    /// A plain number held whole in `word`, the text's first eight bytes: 1...7 digits, or with
    /// `fraction`, digits, a point and digits in seven bytes at most. Returns what
    /// `leadingPlainNumber` returns for it, or nil to leave the text to that: one word read and
    /// no loop, for the short numbers most columns hold.
    @inline(__always)
    static func numberInWord(_ word: UInt64, fraction: Bool) -> (bits: UInt64, count: Int)? {
        let whole = SWAR.leadingDigits(word)
        guard whole > 0 && whole < 8 else { return nil }
        let integer = SWAR.value(ofLeading: whole, digitsIn: word)
        if !fraction { return (integer, whole) }
        guard whole < 6, (word &>> UInt64(8 &* whole)) & 0xFF == 0x2E else { return nil }
        let rest = word &>> UInt64(8 &* (whole &+ 1))
        let places = SWAR.leadingDigits(rest)
        let count = whole &+ 1 &+ places
        guard places > 0, count < 8 else { return nil }
        let mantissa = integer &* SWAR.powersOf10[places] &+ SWAR.value(ofLeading: places, digitsIn: rest)
        return ((Double(mantissa) / powersOf10[places]).bitPattern, count)
    }

    /// A decimal floating-point number (`1`, `-2.5`, `.5`, `3.`, `1e-7`), or nan / inf / infinity
    /// in any case. Correctly rounded: a fast exact path (Clinger) for up to 15 significant
    /// digits and small exponents, strtod otherwise.
    public static func double(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        guard n > 0 else { return nil }
        var i = 0
        var negative = false
        if p[0] == 0x2D {
            negative = true
            i = 1
        } else if p[0] == 0x2B {
            i = 1
        }
        guard i < n else { return nil }
        if !isDigit(p[i]) && p[i] != 0x2E { return special(p + i, n - i, negative: negative) }
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        var sawDigit = false
        var truncated = false
        while i < n, isDigit(p[i]) {
            sawDigit = true
            let d = UInt64(p[i] &- 48)
            if significant < 19 {
                mantissa = mantissa &* 10 &+ d
                if mantissa != 0 { significant += 1 }
            } else {
                exponent += 1
                if d != 0 { truncated = true }
            }
            i += 1
        }
        if i < n && p[i] == 0x2E {
            i += 1
            while i < n, isDigit(p[i]) {
                sawDigit = true
                let d = UInt64(p[i] &- 48)
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ d
                    if mantissa != 0 { significant += 1 }
                    exponent -= 1
                } else if d != 0 {
                    truncated = true
                }
                i += 1
            }
        }
        guard sawDigit else { return nil }
        if i < n && (p[i] == 0x65 || p[i] == 0x45) {
            i += 1
            var expNegative = false
            if i < n && (p[i] == 0x2D || p[i] == 0x2B) {
                expNegative = p[i] == 0x2D
                i += 1
            }
            guard i < n, isDigit(p[i]) else { return nil }
            var e = 0
            while i < n, isDigit(p[i]) {
                if e < 100_000 { e = e * 10 + Int(p[i] &- 48) }
                i += 1
            }
            exponent += expNegative ? -e : e
        }
        guard i == n else { return nil }
        if !truncated && mantissa <= (1 << 53) && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            value = exponent < 0 ? value / powersOf10[-exponent] : value * powersOf10[exponent]
            return negative ? -value : value
        }
        return slow(p, n)
    }

    private static func special(_ p: UnsafePointer<UInt8>, _ n: Int, negative: Bool) -> Double? {
        func matches(_ word: StaticString) -> Bool {
            guard word.utf8CodeUnitCount == n else { return false }
            let w = word.utf8Start
            for k in 0..<n where p[k] | 0x20 != w[k] { return false }
            return true
        }
        if matches("nan") { return .nan }
        if matches("inf") || matches("infinity") { return negative ? -.infinity : .infinity }
        return nil
    }

    private static func slow(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buffer in
            for k in 0..<n { buffer[k] = CChar(bitPattern: p[k]) }
            buffer[n] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }

    /// `true` / `false` in any case.
    @inline(__always)
    public static func bool(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool? {
        if n == 4 && p[0] | 0x20 == 0x74 && p[1] | 0x20 == 0x72 && p[2] | 0x20 == 0x75 && p[3] | 0x20 == 0x65 {
            return true
        }
        if n == 5 && p[0] | 0x20 == 0x66 && p[1] | 0x20 == 0x61 && p[2] | 0x20 == 0x6C && p[3] | 0x20 == 0x73
            && p[4] | 0x20 == 0x65
        {
            return false
        }
        return nil
    }

    @inline(__always)
    public static func date(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        guard n == 10 else { return nil }
        return Temporal.dateAt(UnsafeRawBufferPointer(start: p, count: n))
    }

    @inline(__always)
    public static func timestamp(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        guard n >= 10 else { return nil }
        return Temporal.parseTimestamp(UnsafeRawBufferPointer(start: p, count: n))
    }
}
