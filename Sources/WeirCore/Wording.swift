/// Counts as messages say them: "1 row", "3 rows".
public enum Wording {
    public static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
