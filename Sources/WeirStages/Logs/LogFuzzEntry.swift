import WeirCore
import WeirTable

/// The Lambda log path from bytes to transactions, for the fuzz target: what `extract.logs`
/// and `logs.transactions` do to one file, with the parsers they share and no pipeline around
/// them. A parse problem must come back as a reject or a thrown error, never a trap.
public enum LambdaLogFuzzEntry {
    public static func run(_ bytes: UnsafeRawBufferPointer) throws {
        var scanner = LambdaLogScanner(bytes)
        scanner.scan()
        let rows = scanner.messages.count
        let textBytes = scanner.messages.reduce(0) { $0 + $1.textBytes }
        let text = try StringColumnFill(rows: rows, bytes: textBytes)
        let parts = try ExtractLogs.tables(scanner, file: "fuzz.log", text: text.writer(firstRow: 0, firstByte: 0))
        var columns = parts.messages.columns
        columns.insert(text.finish(), at: ExtractLogs.textIndex)
        let messages = try Table(schema: ExtractLogs.messageSchema, columns: columns)
        var extractor = TransactionExtractor(
            messages: MessageColumns(messages, text: columns[ExtractLogs.textIndex]),
            pattern: try TextPattern(LogTransactions.defaultPattern))
        for row in 0..<messages.rowCount { extractor.extract(row) }
        _ = try extractor.finish()
    }
}
