import Foundation

/// A regular expression searched for in log text. The usual shape, plain phrases joined by `|`
/// with an optional leading `(?i)` (`(?i)out of sync|not in sync|mismatch`), runs as a byte
/// search: each phrase is looked for by its rarest pair of adjacent bytes, sixteen positions at a
/// time, so text without a candidate costs a few vector instructions per block. Anything else runs
/// through NSRegularExpression.
struct TextPattern: @unchecked Sendable {
    let pattern: String
    private let phrases: [Phrase]
    private let regex: NSRegularExpression?
    private let ignoreCase: Bool
    /// The distinct anchor pairs as the block search compares them (folded with `| 0x20` when
    /// case is ignored), each byte repeated across a vector.
    private let anchorVectors: [(first: SIMD16<UInt8>, second: SIMD16<UInt8>)]

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
        let isPlain =
            !body.isEmpty
            && alternatives.allSatisfy { $0.utf8.count >= 2 && !$0.contains(where: { "\\.^$*+?()[]{}".contains($0) }) }
        if isPlain {
            self.ignoreCase = ignoreCase
            phrases = alternatives.map { alternative in
                let bytes = Array(alternative.utf8).map { ignoreCase ? Self.lower($0) : $0 }
                let anchor =
                    (0..<(bytes.count - 1)).min {
                        Self.rarity(bytes[$0]) + Self.rarity(bytes[$0 + 1]) < Self.rarity(bytes[$1])
                            + Self.rarity(bytes[$1 + 1])
                    } ?? 0
                return Phrase(bytes: bytes, anchor: anchor)
            }
            let fold: UInt8 = ignoreCase ? 0x20 : 0
            var pairs: [(UInt64, UInt64)] = []
            for phrase in phrases {
                let pair = (UInt64(phrase.bytes[phrase.anchor] | fold), UInt64(phrase.bytes[phrase.anchor + 1] | fold))
                if !pairs.contains(where: { $0 == pair }) { pairs.append(pair) }
            }
            anchorVectors = pairs.map {
                (
                    SIMD16<UInt8>(repeating: UInt8(truncatingIfNeeded: $0.0)),
                    SIMD16<UInt8>(repeating: UInt8(truncatingIfNeeded: $0.1))
                )
            }
            regex = nil
        } else {
            do { regex = try NSRegularExpression(pattern: pattern) } catch {
                throw InvalidPattern(pattern: pattern)
            }
            self.ignoreCase = false
            phrases = []
            anchorVectors = []
        }
    }

    struct InvalidPattern: Error, CustomStringConvertible {
        var pattern: String
        var description: String { "'\(pattern)' is not a valid regular expression" }
    }

    /// Whether the pattern occurs anywhere in `text`.
    func matches(_ text: UnsafeRawBufferPointer) -> Bool {
        if let regex {
            let string = String(decoding: text, as: UTF8.self)
            return regex.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil
        }
        let n = text.count
        guard let base = text.baseAddress else { return false }
        var i = 0
        // Sixteen positions at a time: the bytes at i and at i + 1 are compared with each anchor
        // pair; a lane where both match is a candidate, checked exactly.
        let fold = SIMD16<UInt8>(repeating: ignoreCase ? 0x20 : 0)
        let zero = SIMD16<UInt8>(repeating: 0)
        while i + 17 <= n {
            let first = base.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self) | fold
            let second = base.loadUnaligned(fromByteOffset: i + 1, as: SIMD16<UInt8>.self) | fold
            var hits = zero
            for pair in anchorVectors {
                hits |=
                    zero.replacing(with: 0xFF, where: first .== pair.first)
                    & zero.replacing(with: 0xFF, where: second .== pair.second)
            }
            let words = unsafeBitCast(hits, to: SIMD2<UInt64>.self)
            if words[0] | words[1] != 0 {
                for lane in 0..<16 where hits[lane] != 0 {
                    if matchesAt(text, i + lane) { return true }
                }
            }
            i += 16
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

    /// ASCII lowercase. (`| 0x20` in the block search also folds a few punctuation bytes
    /// together, which only adds candidates that `matchesAt` then rejects.)
    @inline(__always)
    private static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// How common a byte is in English log text: lower is rarer.
    private static func rarity(_ b: UInt8) -> Int {
        let order = Array("zqxjkvbpygfwmucldrhsnioate ".utf8)
        return order.firstIndex(of: lower(b)).map { $0 + 1 } ?? 0
    }
}
