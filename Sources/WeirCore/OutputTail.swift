import Foundation

/// The end of what a process printed to a log file, for the message when it fails.
public enum OutputTail {
    /// The last `lines` lines of the file's last 4 KiB, without blank space around them; ""
    /// when the file is missing or holds nothing but blank space.
    public static func read(_ path: String, lines: Int) -> String {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return "" }
        let text = String(decoding: data.suffix(4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// `"; its last output:"` and the lines, each set off with `  | `; `otherwise` when there are none.
    public static func quoted(_ output: String, otherwise: String = "") -> String {
        guard !output.isEmpty else { return otherwise }
        return "; its last output:\n"
            + output.split(separator: "\n", omittingEmptySubsequences: false).map { "  | " + $0 }.joined(
                separator: "\n")
    }
}
