import Foundation
import Testing
import WeirCore
import WeirTable
import WeirTestSupport

@testable import WeirStages

/// Runs extract.logs on `files` (name: text) written to a fresh folder, then logs.transactions
/// on its messages.
struct LogRun {
    let directory: String
    let logs: [String: Table]
    let transactions: [String: Table]

    init(_ files: [String: String], pattern: String? = nil, gzip: Set<String> = []) throws {
        directory = try temporaryDirectory()
        for (name, text) in files {
            let compress = gzip.contains(name) && name.hasSuffix(".gz")
            let path = directory + "/" + (compress ? String(name.dropLast(3)) : name)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            if compress {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["gzip", "-f", path]
                try process.run()
                process.waitUntilExit()
            }
        }
        let extra = pattern.map { ", out_of_sync_pattern: '\($0)'" } ?? ""
        let yaml =
            "stages:\n  logs: { type: extract.logs, path: '*.log*' }\n  tx: { type: logs.transactions, input: logs\(extra) }\n"
        logs = try runStageOutputs(yaml, stage: "logs", directory: directory)
        transactions = try runStageOutputs(yaml, stage: "tx", inputs: [logs["out"]!], directory: directory)
    }

    var messages: Table { logs["out"]! }
    var invocations: Table { logs["invocations"]! }
    var rows: Table { transactions["out"]! }
    var rejects: Table { transactions["rejects"]! }

    func column(_ table: Table, _ name: String) -> [Value] { table.column(name)!.values }
}

func micros(_ iso: String) -> Int64 { Temporal.parseTimestamp(iso)! }

/// The excerpt of seed 002, exactly as the seed shows it (blank lines included).
let seedExcerpt = """
    2024-02-13T21:01:04.046Z INIT_START Runtime Version: nodejs:20.v15\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:379cd8c4d157c2e16f1b841486b613da2188da597609ef24d67497ad9c22a53e

    2024-02-13T21:01:04.792Z START RequestId: 405bb962-f57b-521d-81a1-e7272fbf6077 Version: $LATEST

    2024-02-13T21:01:04.936Z 2024-02-13T21:01:04.936Z\t405bb962-f57b-521d-81a1-e7272fbf6077\tINFO\tProcessing message 861bec95-b670-4f2a-acf9-19d5bdd7cbe5

    2024-02-13T21:01:05.050Z 2024-02-13T21:01:05.050Z\t405bb962-f57b-521d-81a1-e7272fbf6077\tINFO\tStart syncing the balance {
      transaction: {
        id: '01HPJ4BT09Y3GYQQZD1XFEGDHT',
        type: 'DEBIT',
        source: 'MANUAL_DEDUCTION',
        action: 'DELIVERY_DEDUCTION',
        userId: 'df06a87e-a8bd-4aa4-b6f0-c16c1be9bb02',
        paymentBalance: 16.4,
        updatePaymentBalance: true,
        metadata: '{"walletId":"wallet#df06a87e-a8bd-4aa4-b6f0-c16c1be9bb02","deliveryId":"ef86902c-c781-4769-8454-59c85e9cfc33","walletSk":"ef86902c-c781-4769-8454-59c85e9cfc33"}',
        currency: 'BHD',
        amount: 8,
        vat: 0,
        oldBalance: 24.4,
        newBalance: 16.4
      }
    }

    2024-02-13T21:01:05.242Z 2024-02-13T21:01:05.242Z\t405bb962-f57b-521d-81a1-e7272fbf6077\tINFO\tSubscriptionBalanceUpdated event published

    2024-02-13T21:01:05.410Z END RequestId: 405bb962-f57b-521d-81a1-e7272fbf6077

    """

/// An app line: `<ts> <ts>\t<request>\t<LEVEL>\t<body>`.
func appLine(_ ts: String, _ request: String, _ level: String, _ body: String) -> String {
    "\(ts) \(ts)\t\(request)\t\(level)\t\(body)"
}

func dump(id: String, user: String = "u1", balance: String = "16.4", extra: String = "") -> String {
    """
    Start syncing the balance {
      transaction: {
        id: '\(id)',
        type: 'DEBIT',
        userId: '\(user)',
        paymentBalance: \(balance),\(extra)
        amount: 8
      }
    }
    """
}

@Suite struct LogTests {
    @Test func seedExcerptParsesToTheSeedsRow() throws {
        let run = try LogRun(["seed.log": seedExcerpt])
        #expect(run.messages.rowCount == 1)
        #expect(run.invocations.row(0)[4] == .string("complete"))
        #expect(run.rejects.rowCount == 0)
        #expect(run.rows.rowCount == 1)
        let row = Dictionary(uniqueKeysWithValues: zip(run.rows.schema.names, run.rows.row(0)))
        #expect(row["date_time"] == .timestamp(micros("2024-02-13T21:01:05.050Z")))
        #expect(row["id"] == .string("01HPJ4BT09Y3GYQQZD1XFEGDHT"))
        #expect(row["type"] == .string("DEBIT"))
        #expect(row["source"] == .string("MANUAL_DEDUCTION"))
        #expect(row["action"] == .string("DELIVERY_DEDUCTION"))
        #expect(row["userId"] == .string("df06a87e-a8bd-4aa4-b6f0-c16c1be9bb02"))
        #expect(row["paymentBalance"] == .float64(16.4))
        #expect(row["updatePaymentBalance"] == .bool(true))
        #expect(
            row["metadata"]
                == .string(
                    #"{"walletId":"wallet#df06a87e-a8bd-4aa4-b6f0-c16c1be9bb02","deliveryId":"ef86902c-c781-4769-8454-59c85e9cfc33","walletSk":"ef86902c-c781-4769-8454-59c85e9cfc33"}"#
                ))
        #expect(row["currency"] == .string("BHD"))
        #expect(row["amount"] == .float64(8))
        #expect(row["vat"] == .float64(0))
        #expect(row["oldBalance"] == .float64(24.4))
        #expect(row["newBalance"] == .float64(16.4))
        #expect(row["in_sync"] == .bool(true))
        #expect(row["request_id"] == .string("405bb962-f57b-521d-81a1-e7272fbf6077"))
        #expect(row["message_id"] == .string("861bec95-b670-4f2a-acf9-19d5bdd7cbe5"))
        // The object starts on line 7 of the file (blank lines counted).
        #expect(row["line"] == .int64(7))
    }

    @Test func invocationsMessagesAndStatuses() throws {
        let a = "aaaaaaaa-0000-0000-0000-000000000001"
        let b = "bbbbbbbb-0000-0000-0000-000000000002"
        let c = "cccccccc-0000-0000-0000-000000000003"
        let text =
            [
                "2024-03-01T10:00:00.000Z INIT_START Runtime Version: nodejs:20.v15",
                "2024-03-01T10:00:00.100Z START RequestId: \(a) Version: $LATEST",
                appLine("2024-03-01T10:00:00.200Z", a, "INFO", "Processing message m1"),
                appLine("2024-03-01T10:00:00.300Z", a, "INFO", dump(id: "t1")),
                // b starts while a is still logging: their lines interleave.
                "2024-03-01T10:00:00.350Z START RequestId: \(b) Version: $LATEST",
                appLine("2024-03-01T10:00:00.360Z", b, "INFO", "Processing message m3"),
                appLine("2024-03-01T10:00:00.400Z", a, "INFO", "Processing message m2"),
                appLine(
                    "2024-03-01T10:00:00.410Z", b, "ERROR", "Subscription balance and payment balance are out of sync"),
                appLine("2024-03-01T10:00:00.500Z", a, "INFO", dump(id: "t2")),
                appLine("2024-03-01T10:00:00.520Z", b, "INFO", dump(id: "t3", user: "u2")),
                "2024-03-01T10:00:00.600Z END RequestId: \(a)",
                "2024-03-01T10:00:00.601Z REPORT RequestId: \(a)\tDuration: 498.25 ms\tBilled Duration: 499 ms\tMemory Size: 256 MB\tMax Memory Used: 90 MB\t",
                "2024-03-01T10:00:03.000Z \(b) Task timed out after 3.00 seconds",
                "2024-03-01T10:00:04.000Z START RequestId: \(c) Version: $LATEST",
                appLine("2024-03-01T10:00:04.100Z", c, "WARN", "No message id for this one"),
                appLine("2024-03-01T10:00:04.200Z", c, "INFO", "Processing message m4"),
                appLine("2024-03-01T10:00:04.300Z", c, "INFO", dump(id: "t4", user: "u3")),
            ].joined(separator: "\r\n") + "\r\n"
        let run = try LogRun(["a.log": text])
        #expect(run.column(run.invocations, "request_id") == [.string(a), .string(b), .string(c)])
        #expect(
            run.column(run.invocations, "status") == [.string("complete"), .string("timed_out"), .string("cut_off")])
        #expect(run.column(run.invocations, "messages") == [.int64(2), .int64(1), .int64(2)])
        #expect(run.column(run.invocations, "duration_ms") == [.float64(498.25), .null, .null])
        #expect(
            run.column(run.invocations, "ended_at") == [
                .timestamp(micros("2024-03-01T10:00:00.600Z")), .timestamp(micros("2024-03-01T10:00:03.000Z")), .null,
            ])
        #expect(
            run.column(run.messages, "message_id") == [
                .string("m1"), .string("m3"), .string("m2"), .null, .string("m4"),
            ])
        #expect(run.column(run.messages, "request_id") == [.string(a), .string(b), .string(a), .string(c), .string(c)])
        #expect(
            run.column(run.messages, "level") == [
                .string("INFO"), .string("ERROR"), .string("INFO"), .string("WARN"), .string("INFO"),
            ])
        #expect(run.column(run.messages, "line") == [.int64(3), .int64(14), .int64(15), .int64(39), .int64(40)])
        // m3's text spans lines a logged; those lines are blanked so line numbers hold.
        let m3 = run.messages.column("text")!.strings[1]
        // Lines 14 (m3), 15 (m2: blank), 16 (ERROR), 17-25 (a's dump: blank), 26-34 (t3).
        let m3Lines = m3.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        #expect(m3Lines.count == 21)
        #expect(m3Lines[1].isEmpty && m3Lines[2].contains("out of sync") && m3Lines[3].isEmpty && m3Lines[11].isEmpty)
        #expect(m3Lines[12].hasPrefix("2024-03-01T10:00:00.520Z"))
        #expect(!m3.contains("Processing message m2"))
        // Transactions: every complete object, with in_sync from its own message.
        #expect(run.column(run.rows, "id") == [.string("t1"), .string("t3"), .string("t2"), .string("t4")])
        #expect(run.column(run.rows, "in_sync") == [.bool(true), .bool(false), .bool(true), .bool(true)])
        #expect(run.column(run.rows, "line") == [.int64(4), .int64(26), .int64(17), .int64(41)])
        #expect(
            run.column(run.rows, "date_time") == [
                .timestamp(micros("2024-03-01T10:00:00.300Z")), .timestamp(micros("2024-03-01T10:00:00.520Z")),
                .timestamp(micros("2024-03-01T10:00:00.500Z")), .timestamp(micros("2024-03-01T10:00:04.300Z")),
            ])
    }

    @Test func cutOffMidObjectIsARejectAndTheRunGoesOn() throws {
        let r = "dddddddd-0000-0000-0000-000000000004"
        let good = [
            "2024-03-01T10:00:00.000Z START RequestId: \(r) Version: $LATEST",
            appLine("2024-03-01T10:00:00.100Z", r, "INFO", "Processing message m1"),
            appLine("2024-03-01T10:00:00.200Z", r, "INFO", dump(id: "ok")),
        ].joined(separator: "\n")
        let cut = [
            appLine("2024-03-01T10:00:00.300Z", r, "INFO", "Processing message m2"),
            appLine("2024-03-01T10:00:00.400Z", r, "INFO", "Start syncing the balance {"),
            "  transaction: {",
            "    id: 'cut',",
        ].joined(separator: "\n")
        let run = try LogRun(["a.log": good + "\n" + cut])
        #expect(run.column(run.rows, "id") == [.string("ok")])
        #expect(run.rejects.rowCount == 1)
        #expect(run.rejects.row(0)[0] == .string("a.log"))
        #expect(run.rejects.row(0)[1] == .int64(15))
        #expect(run.rejects.row(0)[4] == .string("the object is not closed: the text ends before its '}'"))
        #expect(run.column(run.invocations, "status") == [.string("cut_off")])
    }

    @Test func malformedDumpsAreRejectedWithTheirLine() throws {
        let r = "eeeeeeee-0000-0000-0000-000000000005"
        var lines = ["2024-03-01T10:00:00.000Z START RequestId: \(r) Version: $LATEST"]
        let broken = [
            (
                "m1", dump(id: "q1").replacingOccurrences(of: "id: 'q1',", with: "id: 'q1,"),
                "unterminated string: no closing ' on its line", 0
            ),
            (
                "m2", dump(id: "q2", balance: "'abc'"),
                "transaction.paymentBalance: expected a number, found a string 'abc'", 0
            ),
            (
                "m3", dump(id: "q3").replacingOccurrences(of: "type: 'DEBIT',", with: "type 'DEBIT',"),
                "expected ':' after key 'type', found ''DEBIT','", 0
            ),
            (
                "m4", dump(id: "q4", extra: "\n    updatePaymentBalance: 'yes',"),
                "transaction.updatePaymentBalance: expected true or false, found a string 'yes'", 0
            ),
            (
                "m5", dump(id: "q5", balance: "16.4 16.4"),
                "transaction.paymentBalance: expected a number, found a bare word 16.4 16.4", 0
            ),
        ]
        for (message, body, _, _) in broken {
            lines.append(appLine("2024-03-01T10:00:01.000Z", r, "INFO", "Processing message \(message)"))
            lines.append(appLine("2024-03-01T10:00:01.100Z", r, "INFO", body))
        }
        lines.append(appLine("2024-03-01T10:00:02.000Z", r, "INFO", "Processing message fine"))
        lines.append(
            appLine(
                "2024-03-01T10:00:02.100Z", r, "INFO",
                dump(id: "fine", extra: "\n    metadata: { nested: { deep: [1, 2] } },")))
        lines.append("2024-03-01T10:00:03.000Z END RequestId: \(r)")
        let run = try LogRun(["a.log.gz": lines.joined(separator: "\n") + "\n"], gzip: ["a.log.gz"])
        #expect(run.column(run.rows, "id") == [.string("fine")])
        #expect(run.column(run.rows, "metadata") == [.string("{ nested: { deep: [1, 2] } }")])
        #expect(run.column(run.rejects, "error") == broken.map { .string($0.2) })
        // Each message: its Processing line, then the dump; the line is the one holding the fault.
        #expect(run.column(run.rejects, "line") == [5, 18, 26, 39, 49].map { .int64($0) })
        #expect(run.column(run.rejects, "log_file") == Array(repeating: .string("a.log.gz"), count: broken.count))
    }

    @Test func outOfSyncPatternAndLevels() throws {
        let r = "ffffffff-0000-0000-0000-000000000006"
        func message(_ id: String, _ level: String, _ note: String) -> [String] {
            [
                appLine("2024-03-01T10:00:01.000Z", r, "INFO", "Processing message \(id)"),
                appLine("2024-03-01T10:00:01.100Z", r, "INFO", dump(id: id)),
                appLine("2024-03-01T10:00:01.200Z", r, level, note),
            ]
        }
        let text =
            (["2024-03-01T10:00:00.000Z START RequestId: \(r) Version: $LATEST"]
            + message("a", "INFO", "SubscriptionBalanceUpdated event published")
            + message("b", "WARN", "Balance MISMATCH for u1")
            + message("c", "WARN", "Retrying publish (attempt 2)")
            + message("d", "ERROR", "Failed to publish")
            + message("e", "INFO", "wallet is Not In Sync")
            + ["2024-03-01T10:00:03.000Z END RequestId: \(r)"]).joined(separator: "\n")
        let run = try LogRun(["a.log": text])
        #expect(
            run.column(run.rows, "in_sync") == [.bool(true), .bool(false), .bool(true), .bool(false), .bool(false)])
        let custom = try LogRun(["a.log": text], pattern: "attempt [0-9]")
        #expect(
            custom.column(custom.rows, "in_sync") == [
                .bool(true), .bool(true), .bool(false), .bool(false), .bool(true),
            ])
    }

    @Test func globThroughFoldersReadsEveryFileInPathOrder() throws {
        let directory = try temporaryDirectory()
        var expected: [Value] = []
        for (k, folder) in ["2024/02/13", "2024/02/14", "2024/03/01"].enumerated() {
            try FileManager.default.createDirectory(
                atPath: directory + "/exports/" + folder, withIntermediateDirectories: true)
            let r = "r\(k)"
            let text = [
                "2024-02-13T10:00:00.000Z START RequestId: \(r) Version: $LATEST",
                appLine("2024-02-13T10:00:00.100Z", r, "INFO", "Processing message m\(k)"),
                "2024-02-13T10:00:00.200Z END RequestId: \(r)",
            ].joined(separator: "\n")
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/exports/" + folder + "/000000.log"))
            expected.append(.string("exports/" + folder + "/000000.log"))
        }
        try Data("not a log".utf8).write(to: URL(fileURLWithPath: directory + "/exports/2024/notes.txt"))
        let yaml = "stages:\n  logs: { type: extract.logs, path: 'exports/**/*.log' }\n"
        let logs = try runStageOutputs(yaml, stage: "logs", directory: directory)
        #expect(logs["out"]!.column("log_file")!.values == expected)
        #expect(logs["out"]!.column("message_id")!.values == [.string("m0"), .string("m1"), .string("m2")])
    }

    @Test func javaScriptLiterals() throws {
        func parse(_ text: String) throws -> (JSLiteral, [String: String]) {
            var result: (JSLiteral, [String: String])?
            var copy = text
            try copy.withUTF8 { utf8 in
                var literal = JSLiteral(UnsafeRawBufferPointer(utf8))
                _ = try literal.parse(at: 0)
                var fields: [String: String] = [:]
                for (i, node) in literal.nodes.enumerated() where node.parent == 0 {
                    fields[literal.source(node.key)] = literal.text(i)
                }
                result = (literal, fields)
            }
            return result!
        }
        let (literal, fields) = try parse(
            """
            { plain: 'a', escaped: 'it\\'s \\\\ \\n \\x41\\u00e9\\u{1F600}\\ud83d\\ude00', 'quoted key': "dq", joined: 'ab' +
              'cd', n: -1.5e3, t: true, u: undefined, nl: null, when: 2024-02-13T21:01:05.050Z,
              nested: { a: [1, 'x', { b: [Object] }], }, tag: Foo { x: 1 }, arr: [ 1, 2, ... 98 more items ], }
            """)
        #expect(fields["plain"] == "a")
        #expect(fields["escaped"] == "it's \\ \n Aé😀😀")
        #expect(fields["quoted key"] == "dq")
        #expect(fields["joined"] == "abcd")
        #expect(fields["when"] == "2024-02-13T21:01:05.050Z")
        // An escape too long for a code point is kept as text, not trapped on.
        #expect(try parse("{ big: '\\u{FFFFFFFFFF}' }").1["big"] == "u{FFFFFFFFFF}")
        #expect(fields["tag"] == "{ x: 1 }")
        let n = literal.nodes.firstIndex { literal.source($0.key) == "n" }!
        #expect(literal.number(n) == -1500)
        #expect(literal.nodes[literal.child(0, "t")!].kind == .bool)
        #expect(literal.nodes[literal.child(0, "u")!].kind == .undefined)
        #expect(literal.nodes[literal.child(0, "nl")!].kind == .null)
        #expect(literal.nodes[literal.child(0, "arr")!].kind == .array)

        func error(_ text: String) -> JSLiteral.ParseError? {
            do {
                _ = try parse(text)
                return nil
            } catch let error as JSLiteral.ParseError { return error } catch { return nil }
        }
        #expect(error("{ a: 'x }")?.message == "unterminated string: no closing ' on its line")
        #expect(error("{ a 1 }")?.message == "expected ':' after key 'a', found '1 }'")
        #expect(error("{ a: 1")?.message == "the object is not closed: the text ends before its '}'")
        #expect(error("{ a: 'x' b: 2 }")?.message == "expected ',' or '}' after the value of 'a', found 'b: 2 }'")
        #expect(
            error(String(repeating: "{ a: ", count: 70) + "1" + String(repeating: " }", count: 70))?.message
                == "objects nest deeper than 64 levels")
    }

    @Test func overdraftAndGapsOnAHandTable() throws {
        func at(_ hour: Int) -> Value { .timestamp(micros("2024-03-01T00:00:00Z") + Int64(hour) * 3_600_000_000) }
        let table = try Table(fields: [
            ("userId", Column(string: ["a", "a", "a", "b", "b", "c", "c", "d"])),
            ("paymentBalance", Column(float64: [5, -1, -2, -3, nil, 4, 3, -7])),
            ("in_sync", Column(bool: [false, false, false, true, false, false, false, false])),
            ("date_time", try Column(.timestamp, [at(0), at(10), at(12), at(5), at(6), at(1), at(2), at(3)])),
        ])
        let yaml = "stages:\n  t: { type: extract.csv, path: x.csv }\n  o: { type: logs.overdraft, input: t }\n"
        let out = try runStageOutputs(yaml, stage: "o", inputs: [table])
        let users = out["users"]!
        #expect(users.column("userId")!.values == [.string("a"), .string("b"), .string("c"), .string("d")])
        #expect(users.column("first_overdraft_at")!.values == [at(10), at(5), .null, at(3)])
        #expect(users.column("first_out_of_sync_at")!.values == [at(0), .null, at(1), at(3)])
        #expect(users.column("lead_time_hours")!.values == [.float64(10), .null, .null, .float64(0)])
        #expect(users.column("predicted")!.values == [.bool(true), .bool(false), .null, .bool(false)])
        #expect(users.column("overdraft_rows")!.values == [.int64(2), .int64(1), .int64(0), .int64(1)])
        let summary = out["summary"]!
        // Out of sync: a, b (its row without a balance), c, d.
        #expect(
            summary.row(0) == [.int64(4), .int64(3), .float64(0.75), .int64(3), .int64(1), .int64(4), .float64(10)])

        let times = try Table(fields: [
            (
                "started_at",
                try Column(
                    .timestamp, [0, 60, 120, 180, 3000, 3060, 3120, 4000].map { .timestamp(Int64($0) * 1_000_000) })
            )
        ])
        let gapsYAML =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  g: { type: logs.gaps, input: t, max_gap: 15m }\n"
        let gaps = try runStageOutputs(gapsYAML, stage: "g", inputs: [times])
        #expect(gaps["gaps"]!.rowCount == 7)
        // Gaps 60 60 60 2820 60 60 880: the median is 60s; 2820s is over 10x it and over 15m, 880s only over 10x it.
        #expect(gaps["anomalies"]!.column("from")!.values == [.timestamp(180_000_000), .timestamp(3_120_000_000)])
        #expect(
            gaps["anomalies"]!.column("reason")!.values == [
                .string("47m without a log entry: 47 x the median gap of 60s; over max_gap 15m"),
                .string("14.7m without a log entry: 14.7 x the median gap of 60s"),
            ])
        let bad =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  g: { type: logs.gaps, input: t, max_gap: soon }\n"
        #expect(throws: DiagnosticError.self) { try runStageOutputs(bad, stage: "g", inputs: [times]) }
    }

    /// The committed sample (scripts/gen/balance_logs.py) with its planted truth: every overdraft,
    /// out-of-sync user and gap is found, and nothing else.
    @Test func generatedLogsYieldExactlyThePlantedTruth() throws {
        struct Truth: Decodable {
            let transactions: Int
            let rejects: Int
            let invocations: Int
            let messages: Int
            let overdraft_users: [String: String]
            let predicted_users: [String]
            let out_of_sync_users: [String]
            let overdraft_rows: Int
            let overdraft_rows_out_of_sync: Int
            let gaps: [[String]]
        }
        let folder = ReferencePython.packageRoot.appendingPathComponent("data/balance-logs").path
        let truth = try JSONDecoder().decode(
            Truth.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/truth.json")))
        let yaml = """
            stages:
              logs: { type: extract.logs, path: '*.log.gz' }
              tx: { type: logs.transactions, input: logs }
              od: { type: logs.overdraft, input: tx }
              gaps: { type: logs.gaps, input: logs.invocations }

            """
        let logs = try runStageOutputs(yaml, stage: "logs", directory: folder)
        let tx = try runStageOutputs(yaml, stage: "tx", inputs: [logs["out"]!], directory: folder)
        #expect(logs["invocations"]!.rowCount == truth.invocations)
        #expect(logs["out"]!.rowCount == truth.messages)
        #expect(tx["out"]!.rowCount == truth.transactions)
        #expect(tx["rejects"]!.rowCount == truth.rejects)
        let od = try runStageOutputs(yaml, stage: "od", inputs: [tx["out"]!], directory: folder)
        let users = od["users"]!
        var overdrawn: [String: Int64] = [:]
        var predicted: [String] = []
        var outOfSync: [String] = []
        for row in 0..<users.rowCount {
            let r = users.row(row)
            guard case .string(let user) = r[0] else { continue }
            if case .timestamp(let at) = r[2] { overdrawn[user] = at }
            if r[5] == .bool(true) { predicted.append(user) }
            if case .int64(let n) = r[7], n > 0 { outOfSync.append(user) }
        }
        #expect(overdrawn == truth.overdraft_users.mapValues(micros))
        #expect(predicted == truth.predicted_users)
        #expect(outOfSync == truth.out_of_sync_users)
        #expect(od["summary"]!.row(0)[0] == .int64(Int64(truth.overdraft_rows)))
        #expect(od["summary"]!.row(0)[1] == .int64(Int64(truth.overdraft_rows_out_of_sync)))
        let gaps = try runStageOutputs(yaml, stage: "gaps", inputs: [logs["invocations"]!], directory: folder)[
            "anomalies"]!
        let found = (0..<gaps.rowCount).map { Array(gaps.row($0).prefix(2)) }
        #expect(found == truth.gaps.map { $0.map { .timestamp(micros($0)) } })
    }
}
