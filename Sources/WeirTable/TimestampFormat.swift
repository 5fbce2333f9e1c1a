/// A strptime-style timestamp pattern for CSV columns that are not ISO 8601, e.g.
/// `%d/%m/%Y %H:%M:%S`. Supported: %Y %m %d %H %M %S %f (fraction, up to 9 digits) %z (±HHMM,
/// ±HH:MM or Z) %b (English month abbreviation) %% and literal characters.
public struct TimestampFormat: Sendable, Hashable {
    enum Piece: Sendable, Hashable {
        case literal(UInt8)
        case year, month, day, hour, minute, second, fraction, zone, monthName
    }

    public let pattern: String
    let pieces: [Piece]

    public init(_ pattern: String) throws {
        self.pattern = pattern
        var pieces: [Piece] = []
        var bytes = Array(pattern.utf8).makeIterator()
        while let b = bytes.next() {
            guard b == 0x25 else {
                pieces.append(.literal(b))
                continue
            }
            guard let code = bytes.next() else {
                throw TableError.invalid("timestamp_format '\(pattern)' ends with a lone %")
            }
            switch code {
            case UInt8(ascii: "Y"): pieces.append(.year)
            case UInt8(ascii: "m"): pieces.append(.month)
            case UInt8(ascii: "d"): pieces.append(.day)
            case UInt8(ascii: "H"): pieces.append(.hour)
            case UInt8(ascii: "M"): pieces.append(.minute)
            case UInt8(ascii: "S"): pieces.append(.second)
            case UInt8(ascii: "f"): pieces.append(.fraction)
            case UInt8(ascii: "z"): pieces.append(.zone)
            case UInt8(ascii: "b"): pieces.append(.monthName)
            case UInt8(ascii: "%"): pieces.append(.literal(0x25))
            default:
                throw TableError.invalid(
                    "timestamp_format '\(pattern)': unsupported directive %\(Character(UnicodeScalar(code))) "
                        + "(supported: %Y %m %d %H %M %S %f %z %b %%)")
            }
        }
        self.pieces = pieces
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Microseconds since the epoch, UTC; nil when the text does not match.
    func parse(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        var i = 0
        var year = 1970
        var month = 1
        var day = 1
        var hour = 0
        var minute = 0
        var second = 0
        var micros = 0
        var offset = 0
        func number(_ maxDigits: Int) -> Int? {
            var value = 0
            var count = 0
            while i < n, count < maxDigits, ValueParsing.isDigit(p[i]) {
                value = value * 10 + Int(p[i] - 48)
                i += 1
                count += 1
            }
            return count == 0 ? nil : value
        }
        for piece in pieces {
            switch piece {
            case .literal(let b):
                guard i < n, p[i] == b else { return nil }
                i += 1
            case .year:
                guard let v = number(4) else { return nil }
                year = v
            case .month:
                guard let v = number(2), (1...12).contains(v) else { return nil }
                month = v
            case .day:
                guard let v = number(2), v >= 1 else { return nil }
                day = v
            case .hour:
                guard let v = number(2), v <= 23 else { return nil }
                hour = v
            case .minute:
                guard let v = number(2), v <= 59 else { return nil }
                minute = v
            case .second:
                guard let v = number(2), v <= 59 else { return nil }
                second = v
            case .fraction:
                let start = i
                guard let v = number(9) else { return nil }
                let digits = i - start
                var scaled = v
                if digits < 6 { for _ in digits..<6 { scaled *= 10 } } else { for _ in 6..<digits { scaled /= 10 } }
                micros = scaled
            case .zone:
                guard i < n else { return nil }
                if p[i] == UInt8(ascii: "Z") {
                    i += 1
                    continue
                }
                guard p[i] == 0x2B || p[i] == 0x2D else { return nil }
                let sign = p[i] == 0x2B ? 1 : -1
                i += 1
                guard let hh = number(2) else { return nil }
                if i < n && p[i] == 0x3A { i += 1 }
                let mm = number(2) ?? 0
                offset = sign * (hh * 3600 + mm * 60)
            case .monthName:
                guard i + 3 <= n else { return nil }
                let name = String(decoding: UnsafeBufferPointer(start: p + i, count: 3), as: UTF8.self).lowercased()
                guard let index = Self.months.firstIndex(of: name) else { return nil }
                month = index + 1
                i += 3
            }
        }
        guard i == n, Temporal.isDay(day, ofMonth: month, year: year) else { return nil }
        let days = Temporal.days(year: year, month: month, day: day)
        let seconds = Int64(hour * 3600 + minute * 60 + second - offset)
        return days * Temporal.microsPerDay + seconds * Temporal.microsPerSecond + Int64(micros)
    }
}
