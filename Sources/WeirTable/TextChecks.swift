/// Checks on raw text before it becomes a table: UTF-8 validity (a utf8 column must hold
/// UTF-8, or pyarrow and polars refuse the file), and classic-Mac line ends.
public enum TextChecks {
    /// The offset of the first byte that does not begin a valid UTF-8 sequence, else nil.
    /// ASCII, the common case, is skipped eight bytes at a time.
    public static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        var i = 0
        while i < count {
            if i + 8 <= count, base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let lead = base.load(fromByteOffset: i, as: UInt8.self)
            if lead < 0x80 {
                i += 1
                continue
            }
            guard let length = sequenceLength(base, at: i, count: count) else { return i }
            i += length
        }
        return nil
    }

    /// The length of the valid multi-byte sequence at `i`, by the table of well-formed
    /// sequences in the Unicode standard (no overlongs, surrogates or values past U+10FFFF).
    private static func sequenceLength(_ base: UnsafeRawPointer, at i: Int, count: Int) -> Int? {
        func byte(_ k: Int) -> UInt8? { i + k < count ? base.load(fromByteOffset: i + k, as: UInt8.self) : nil }
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            byte(k).map(range.contains) ?? false
        }
        let lead = base.load(fromByteOffset: i, as: UInt8.self)
        switch lead {
        case 0xC2...0xDF: return continuation(1) ? 2 : nil
        case 0xE0: return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(1) && continuation(2) ? 3 : nil
        case 0xED: return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : nil
        case 0xF0: return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : nil
        case 0xF1...0xF3: return continuation(1) && continuation(2) && continuation(3) ? 4 : nil
        case 0xF4: return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : nil
        default: return nil
        }
    }

    /// Latin-1 (ISO 8859-1) text as UTF-8: every byte is the code point of the same number.
    public static func latin1ToUTF8(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8)
        for byte in bytes {
            if byte < 0x80 {
                out.append(byte)
            } else {
                out.append(0xC0 | (byte >> 6))
                out.append(0x80 | (byte & 0x3F))
            }
        }
        return out
    }

    /// For text whose first line ends in a lone CR (classic Mac line ends): the text with every
    /// CR outside quotes that is not followed by LF turned into LF; nil for any other text (the
    /// result itself included, so it is never converted twice). CRs inside quoted fields are
    /// part of their values and are kept.
    public static func macLineEndsToLF(_ bytes: UnsafeRawBufferPointer, quote: UInt8 = 0x22) -> [UInt8]? {
        var quoted = false
        var firstLineEnd: Int?
        for (i, byte) in bytes.enumerated() {
            if byte == quote { quoted.toggle() }
            if quoted { continue }
            if byte == 0x0A { return nil }
            if byte == 0x0D && (i + 1 == bytes.count || bytes[i + 1] != 0x0A) {
                firstLineEnd = i
                break
            }
        }
        guard firstLineEnd != nil else { return nil }
        var out = [UInt8](bytes)
        quoted = false
        for i in out.indices {
            let byte = out[i]
            if byte == quote { quoted.toggle() }
            if byte == 0x0D && !quoted && (i + 1 == out.count || out[i + 1] != 0x0A) { out[i] = 0x0A }
        }
        return out
    }
}
