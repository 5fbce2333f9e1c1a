import Foundation
import Testing

/// Drives `weir lsp` over stdio as an editor does: framed JSON-RPC in, answers and
/// notifications out.
final class LSPClient {
    let process = Process()
    let input = Pipe(), output = Pipe()
    private var buffer = Data()
    private var nextID = 0
    /// Notifications received while waiting for answers, in order.
    private(set) var notifications: [[String: Any]] = []

    init(directory: String) throws {
        process.executableURL = URL(fileURLWithPath: WeirProcess.binary)
        process.arguments = ["lsp"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    func send(_ message: [String: Any]) throws {
        var object = message
        object["jsonrpc"] = "2.0"
        let body = try JSONSerialization.data(withJSONObject: object)
        input.fileHandleForWriting.write(Data("Content-Length: \(body.count)\r\n\r\n".utf8) + body)
    }

    func read() throws -> [String: Any] {
        while true {
            if let end = buffer.range(of: Data("\r\n\r\n".utf8)) {
                let header = String(decoding: buffer[buffer.startIndex..<end.lowerBound], as: UTF8.self)
                let length = Int(header.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                if buffer.count - (end.upperBound - buffer.startIndex) >= length {
                    let body = buffer[end.upperBound..<(end.upperBound + length)]
                    buffer.removeSubrange(buffer.startIndex..<(end.upperBound + length))
                    return try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] ?? [:]
                }
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw CocoaError(.fileReadUnknown) }
            buffer.append(chunk)
        }
    }

    /// Sends a request and returns its result, keeping notifications that come first.
    func request(_ method: String, _ params: [String: Any]) throws -> Any? {
        nextID += 1
        try send(["id": nextID, "method": method, "params": params])
        while true {
            let message = try read()
            if message["id"] as? Int == nextID { return message["result"] }
            notifications.append(message)
        }
    }

    func notify(_ method: String, _ params: [String: Any]) throws { try send(["method": method, "params": params]) }

    /// The next diagnostics published for `uri`.
    func diagnostics(_ uri: String) throws -> [[String: Any]] {
        while true {
            if let index = notifications.firstIndex(where: {
                ($0["params"] as? [String: Any])?["uri"] as? String == uri
            }) {
                let found = notifications.remove(at: index)
                return (found["params"] as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []
            }
            notifications.append(try read())
        }
    }
}

@Suite struct LSPTests {
    static let pipeline = """
        pipeline: shop
        stages:
          orders:
            type: extract.csv
            path: orders.csv
          totals:
            type: sql
            input: orders
            query: SELECT customer, sum(amount) AS spent FROM orders GROUP BY customer
          best:
            type: top
            input: totals
            by: spent
            n: 3
            

        """

    func labels(_ result: Any?) -> [String] { (result as? [[String: Any]] ?? []).compactMap { $0["label"] as? String } }

    @Test func anEditorGetsDiagnosticsCompletionsHoverAndDefinitions() throws {
        let weir = try WeirProcess()
        try weir.write("orders.csv", "order_id,customer,amount,at\n1,ann,10.5,2024-01-01\n2,bob,3,2024-01-02\n")
        let uri = URL(fileURLWithPath: weir.directory + "/p.yaml").absoluteString
        let client = try LSPClient(directory: weir.directory)
        let initialized = try #require(
            client.request("initialize", ["processId": NSNull(), "rootUri": NSNull(), "capabilities": [:]])
                as? [String: Any])
        let capabilities = try #require(initialized["capabilities"] as? [String: Any])
        #expect(capabilities["hoverProvider"] as? Bool == true && capabilities["definitionProvider"] as? Bool == true)
        try client.notify("initialized", [:])

        // A misspelt column: the diagnostic of weir validate, over the word, on its line.
        try client.notify(
            "textDocument/didOpen",
            [
                "textDocument": [
                    "uri": uri, "languageId": "yaml", "version": 1,
                    "text": Self.pipeline.replacingOccurrences(of: "by: spent", with: "by: spnt"),
                ]
            ])
        let broken = try client.diagnostics(uri)
        let first = try #require(broken.first)
        #expect(
            broken.count == 1 && (first["message"] as? String ?? "").contains("best.by names column 'spnt'"),
            "\(broken)")
        let range = first["range"] as? [String: [String: Int]]
        #expect(
            range?["start"]?["line"] == 12 && range?["start"]?["character"] == 8 && range?["end"]?["character"] == 12,
            "\(String(describing: range))")

        try client.notify(
            "textDocument/didChange",
            ["textDocument": ["uri": uri, "version": 2], "contentChanges": [["text": Self.pipeline]]])
        #expect(try client.diagnostics(uri).isEmpty)

        func complete(_ line: Int, _ character: Int) throws -> [String] {
            labels(
                try client.request(
                    "textDocument/completion",
                    ["textDocument": ["uri": uri], "position": ["line": line, "character": character]]))
        }
        // Stage types after `type: `, keys of the stage's type, upstream stages, upstream columns.
        let types = try complete(6, 10)
        #expect(types.contains("sql") && types.contains("extract.postgres"), "\(types)")
        let keys = try complete(14, 4)
        #expect(
            keys.contains("ascending") && keys.contains("retries") && !keys.contains("by") && !keys.contains("type"),
            "\(keys)")
        #expect(try complete(11, 11) == ["orders", "totals"])
        #expect(try complete(12, 8) == ["spent"], "by: takes a number column of totals")
        let hover =
            try client.request(
                "textDocument/hover", ["textDocument": ["uri": uri], "position": ["line": 11, "character": 13]])
            as? [String: Any]
        let shown = (hover?["contents"] as? [String: Any])?["value"] as? String ?? ""
        #expect(shown.contains("**totals** (`sql`)") && shown.contains("customer string, spent float64"), "\(shown)")
        let help =
            try client.request(
                "textDocument/hover", ["textDocument": ["uri": uri], "position": ["line": 13, "character": 4]])
            as? [String: Any]
        let helpText = (help?["contents"] as? [String: Any])?["value"] as? String
        #expect(helpText?.contains("**n**") == true, "\(String(describing: helpText))")
        let target =
            try client.request(
                "textDocument/definition", ["textDocument": ["uri": uri], "position": ["line": 11, "character": 12]])
            as? [String: Any]
        #expect(
            (target?["range"] as? [String: [String: Int]])?["start"] == ["line": 5, "character": 2],
            "\(String(describing: target))")
        #expect(try client.request("shutdown", [:]) is NSNull)
        try client.notify("exit", [:])
    }

    /// A 1,000-stage file: diagnostics follow each change (scripts/bench/lsp times them).
    @Test func diagnosticsFollowEachChangeOfAThousandStages() throws {
        let weir = try WeirProcess()
        try weir.write("src.csv", "x\n1\n")
        var text = "pipeline: big\nstages:\n  s0: { type: extract.csv, path: src.csv }\n"
        for i in 1..<1000 {
            text += "  s\(i): { type: sql, input: s\(i - 1), query: \"SELECT x + 1 AS x FROM s\(i - 1)\" }\n"
        }
        let uri = URL(fileURLWithPath: weir.directory + "/big.yaml").absoluteString
        let client = try LSPClient(directory: weir.directory)
        _ = try client.request("initialize", ["processId": NSNull(), "capabilities": [:]])
        try client.notify(
            "textDocument/didOpen", ["textDocument": ["uri": uri, "languageId": "yaml", "version": 1, "text": text]])
        #expect(try client.diagnostics(uri).isEmpty)
        for version in 2...4 {
            let changed = text.replacingOccurrences(of: "FROM s998", with: version == 3 ? "FROM s99" : "FROM s998")
            try client.notify(
                "textDocument/didChange",
                ["textDocument": ["uri": uri, "version": version], "contentChanges": [["text": changed]]])
            let found = try client.diagnostics(uri)
            #expect(found.isEmpty == (version != 3), "\(found)")
        }
    }
}
