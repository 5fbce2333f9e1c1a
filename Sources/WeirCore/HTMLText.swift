/// Text for HTML (the run report, `weir serve`'s pages): the five characters that could end an
/// element or an attribute value, quoted or not, become entities.
public enum HTMLText {
    public static func escape(_ text: String) -> String {
        // Most texts (ids, names, numbers) need nothing.
        if !text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
