import Foundation

/// A regular expression searched for in log text. The usual shape, plain phrases joined by `|`
/// with an optional leading `(?i)` (`(?i)out of sync|not in sync|mismatch`), runs as a byte
/// search: each phrase is looked for by its rarest pair of adjacent bytes, eight positions at a
/// time, so text without a candidate costs a few instructions per word. Anything else runs
/// through NSRegularExpression.
struct TextPattern: @unchecked Sendable {
    let pattern: String
    private let phrases: [Phrase]
    private let regex: NSRegularExpression?
    private let ignoreCase: Bool
    /// The distinct anchor pairs as the word search compares them (folded with `| 0x20` when
    /// case is ignored), each byte repeated across a 64-bit word.
    private let anchorWords: [(first: UInt64, second: UInt64)]

    private struct Phrase {
        var bytes: [UInt8]
        /// Where the phrase's rarest pair of bytes starts.
        var anchor: Int
    }

    init(_ pattern: String) throws {
        self.pattern = pattern
        var body = Substring(pattern)
        let ignoreCase = body.hasPrefix("(?i)")
        if ignoreCase { body = body.dropFirst(4) }
        let alternatives = body.split(separator: "|", omittingEmptySubsequences: false)
        let isPlain = !body.isEmpty && alternatives.allSatisfy { $0.utf8.count >= 2 && !$0.contains(where: { "\\.^$*+?()[]{}".contains($0) }) }
        if isPlain {
            self.ignoreCase = ignoreCase
            phrases = alternatives.map { alternative in
                let bytes = Array(alternative.utf8).map { ignoreCase ? Self.lower($0) : $0 }
                let anchor = (0..<(bytes.count - 1)).min { Self.rarity(bytes[$0]) + Self.rarity(bytes[$0 + 1]) < Self.rarity(bytes[$1]) + Self.rarity(bytes[$1 + 1]) } ?? 0
                return Phrase(bytes: bytes, anchor: anchor)
            }
            let fold: UInt8 = ignoreCase ? 0x20 : 0
            var pairs: [(UInt64, UInt64)] = []
            for phrase in phrases {
                let pair = (UInt64(phrase.bytes[phrase.anchor] | fold) &* Self.ones, UInt64(phrase.bytes[phrase.anchor + 1] | fold) &* Self.ones)
                if !pairs.contains(where: { $0 == pair }) { pairs.append(pair) }
            }
            anchorWords = pairs
            regex = nil
        } else {
            do { regex = try NSRegularExpression(pattern: pattern) } catch {
                throw StageErrorText("'\(pattern)' is not a valid regular expression")
            }
            self.ignoreCase = false
            phrases = []
            anchorWords = []
        }
    }

    struct StageErrorText: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

    /// The high bit of each byte of `x` that is zero, exactly (no borrow between bytes).
    @inline(__always)
    private static func zeroBytes(_ x: UInt64) -> UInt64 { ~(((x & lows) &+ lows) | x | lows) }

    /// Whether the pattern occurs anywhere in `text`.
    func matches(_ text: UnsafeRawBufferPointer) -> Bool {
        if let regex {
            let string = String(decoding: text, as: UTF8.self)
            return regex.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil
        }
        let n = text.count
        guard let base = text.baseAddress else { return false }
        var i = 0
        // Eight positions at a time: the word at i and the word at i + 1 are compared with each
        // anchor pair's bytes; a lane where both match is a candidate, checked exactly.
        let fold: UInt64 = ignoreCase ? 0x2020_2020_2020_2020 : 0
        while i + 9 <= n {
            let first = base.loadUnaligned(fromByteOffset: i, as: UInt64.self) | fold
            let second = base.loadUnaligned(fromByteOffset: i + 1, as: UInt64.self) | fold
            var hits: UInt64 = 0
            for pair in anchorWords {
                hits |= Self.zeroBytes(first ^ pair.first) & Self.zeroBytes(second ^ pair.second)
            }
            while hits != 0 {
                let lane = hits.trailingZeroBitCount >> 3
                if matchesAt(text, i + lane) { return true }
                hits &= hits &- 1
            }
            i += 8
        }
        while i < n {
            if matchesAt(text, i) { return true }
            i += 1
        }
        return false
    }

    /// Whether a phrase occurs with its anchor at `position`.
    @inline(__always)
    private func matchesAt(_ text: UnsafeRawBufferPointer, _ position: Int) -> Bool {
        let b = ignoreCase ? Self.lower(text[position]) : text[position]
        for phrase in phrases where phrase.bytes[phrase.anchor] == b {
            let start = position - phrase.anchor
            guard start >= 0, start + phrase.bytes.count <= text.count else { continue }
            var k = 0
            while k < phrase.bytes.count {
                let c = ignoreCase ? Self.lower(text[start + k]) : text[start + k]
                if c != phrase.bytes[k] { break }
                k += 1
            }
            if k == phrase.bytes.count { return true }
        }
        return false
    }

    /// ASCII lowercase. (`| 0x20` in the word search also folds a few punctuation bytes
    /// together, which only adds candidates that `matchesAt` then rejects.)
    @inline(__always)
    private static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// How common a byte is in English log text: lower is rarer.
    private static func rarity(_ b: UInt8) -> Int {
        let order = Array("zqxjkvbpygfwmucldrhsnioate ".utf8)
        return order.firstIndex(of: lower(b)).map { $0 + 1 } ?? 0
    }
}
