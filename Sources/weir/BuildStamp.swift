/// The commit a packaged binary was built from. The literal below is found and overwritten in
/// the binary by scripts/package; it is read at run time, through a function the optimiser
/// may not see into, so the compiler cannot fold the placeholder into the answer.
enum BuildStamp {
    static let marker = "WEIR-BUILD-COMMIT:"
    static let slot: StaticString = "WEIR-BUILD-COMMIT:________________________________________________"

    @inline(never) @_optimize(none)
    static func raw() -> String {
        slot.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
    }

    static func commit() -> String? {
        let text = raw().dropFirst(marker.count).filter { $0 != "_" && $0 != "\0" && $0 != " " }
        return text.isEmpty ? nil : String(text)
    }
}
