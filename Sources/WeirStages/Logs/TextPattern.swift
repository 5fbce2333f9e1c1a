import Foundation

/// A regular expression searched for in log text. The usual shape, plain phrases joined by `|`
/// with an optional leading `(?i)` (`(?i)out of sync|not in sync|mismatch`), runs as a byte
/// search: each phrase is found from its rarest byte, sixteen bytes at a time, so text without
/// a candidate costs a few instructions per block. Anything else runs through
/// NSRegularExpression.
struct TextPattern: @unchecked Sendable {
    let pattern: String
    private let phrases: [Phrase]
    private let regex: NSRegularExpression?
    private let ignoreCase: Bool
    /// The distinct anchor bytes as the block search compares them (folded with `| 0x20`).
    private let anchors: [UInt8]

    private struct Phrase {
        var bytes: [UInt8]
        /// The phrase's rarest byte and its position in the phrase.
        var anchor: UInt8
        var anchorIndex: Int
    }

    init(_ pattern: String) throws {
        self.pattern = pattern
        var body = Substring(pattern)
        let ignoreCase = body.hasPrefix("(?i)")
        if ignoreCase { body = body.dropFirst(4) }
        let alternatives = body.split(separator: "|", omittingEmptySubsequences: false)
        let isPlain = !body.isEmpty && alternatives.allSatisfy { !$0.isEmpty && !$0.contains(where: { "\\.^$*+?()[]{}".contains($0) }) }
        if isPlain {
            self.ignoreCase = ignoreCase
            phrases = alternatives.map { alternative in
                let bytes = Array(alternative.utf8).map { ignoreCase ? Self.lower($0) : $0 }
                let index = bytes.indices.min { Self.rarity(bytes[$0]) < Self.rarity(bytes[$1]) } ?? 0
                return Phrase(bytes: bytes, anchor: bytes[index], anchorIndex: index)
            }
            anchors = Array(Set(phrases.map { ignoreCase ? $0.anchor | 0x20 : $0.anchor })).sorted()
            regex = nil
        } else {
            do { regex = try NSRegularExpression(pattern: pattern) } catch {
                throw StageErrorText("'\(pattern)' is not a valid regular expression")
            }
            self.ignoreCase = false
            phrases = []
            anchors = []
        }
    }

    struct StageErrorText: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
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
        // Sixteen bytes at a time: a block without any anchor byte is skipped whole.
        if n >= 16 {
            let lowerMask = SIMD16<UInt8>(repeating: ignoreCase ? 0x20 : 0)
            while i + 16 <= n {
                let block = base.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self) | lowerMask
                var hit = SIMDMask<SIMD16<Int8>>(repeating: false)
                for anchor in anchors { hit .|= block .== SIMD16<UInt8>(repeating: anchor) }
                if any(hit) {
                    for lane in 0..<16 where hit[lane] {
                        if matchesAt(text, i + lane) { return true }
                    }
                }
                i += 16
            }
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
        for phrase in phrases where phrase.anchor == b {
            let start = position - phrase.anchorIndex
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

    /// ASCII lowercase; `| 0x20` in the block search also folds a few punctuation bytes
    /// together, which only adds candidates that `matchesAt` then rejects.
    @inline(__always)
    private static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// How common a byte is in English log text: lower is rarer.
    private static func rarity(_ b: UInt8) -> Int {
        let order = Array("zqxjkvbpygfwmucldrhsnioate ".utf8)
        return order.firstIndex(of: lower(b)).map { $0 + 1 } ?? 0
    }
}
