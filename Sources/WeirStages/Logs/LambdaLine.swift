import WeirTable

/// One line of an AWS Lambda CloudWatch log export, classified from its bytes.
///
/// The export puts an ISO timestamp before every event (`2024-02-13T21:01:04.936Z `), and the
/// Node runtime's own lines carry a second one: `<ts>\t<request id>\t<LEVEL>\t<message>`. Lines
/// of a multi-line message (a JavaScript object dump) after the first have no prefix at all.
/// Byte ranges are offsets into the file.
enum LambdaLine: Equatable {
    case blank
    /// A line without a timestamp prefix: the next line of the message before it.
    case continuation
    case start(timestamp: Int64, requestID: Range<Int>)
    case end(timestamp: Int64, requestID: Range<Int>)
    case report(requestID: Range<Int>, durationMs: Double?)
    /// `<request id> Task timed out after 3.00 seconds`: the invocation ends without `END`.
    case timeout(timestamp: Int64, requestID: Range<Int>)
    /// `INIT_START`, `INIT_REPORT`, `EXTENSION`, `TELEMETRY`: the runtime's own lines.
    case platform
    /// A runtime log line: `<ts>\t<request id>\t<LEVEL>\t<body>`.
    case app(timestamp: Int64, requestID: Range<Int>, level: LogLevel, body: Range<Int>)
    /// A timestamped line of no known shape; it belongs to the message being logged.
    case other(timestamp: Int64)

    /// Classifies `bytes[start..<end]` (without its newline).
    static func classify(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> LambdaLine {
        var end = end
        if end > start && bytes[end - 1] == 0x0D { end -= 1 }
        if end == start { return .blank }
        var i = start
        var timestamp: Int64?
        // Up to two timestamp prefixes: the export's (then a space) and the runtime's (then a tab).
        for _ in 0..<2 {
            guard let (micros, tokenEnd) = timestampToken(bytes, i, end) else { break }
            timestamp = micros
            guard tokenEnd < end else { return .other(timestamp: micros) }
            if bytes[tokenEnd] == 0x09 {
                return app(bytes, timestamp: micros, from: tokenEnd + 1, end) ?? .other(timestamp: micros)
            }
            i = tokenEnd + 1
        }
        guard let timestamp else {
            var j = start
            while j < end && (bytes[j] == 0x20 || bytes[j] == 0x09) { j += 1 }
            return j == end ? .blank : .continuation
        }
        if let idStart = after(bytes, i, end, "START RequestId: ") {
            return .start(timestamp: timestamp, requestID: token(bytes, idStart, end))
        }
        if let idStart = after(bytes, i, end, "END RequestId: ") {
            return .end(timestamp: timestamp, requestID: token(bytes, idStart, end))
        }
        if let idStart = after(bytes, i, end, "REPORT RequestId: ") {
            let id = token(bytes, idStart, end)
            return .report(requestID: id, durationMs: reportDuration(bytes, id.upperBound, end))
        }
        if has(bytes, i, end, "INIT_") || has(bytes, i, end, "EXTENSION") || has(bytes, i, end, "TELEMETRY") {
            return .platform
        }
        let id = token(bytes, i, end)
        if id.count >= 8, has(bytes, id.upperBound, end, " Task timed out after") {
            return .timeout(timestamp: timestamp, requestID: id)
        }
        return .other(timestamp: timestamp)
    }

    /// `<request id>\t<LEVEL>\t<body>` after the runtime's timestamp and tab.
    private static func app(_ bytes: UnsafeRawBufferPointer, timestamp: Int64, from i: Int, _ end: Int) -> LambdaLine? {
        var j = i
        while j < end && bytes[j] != 0x09 { j += 1 }
        guard j < end, j > i else { return nil }
        let id = i..<j
        var k = j + 1
        while k < end && bytes[k] != 0x09 { k += 1 }
        guard let level = LogLevel(bytes, j + 1, k) else { return nil }
        let body = k < end ? (k + 1)..<end : end..<end
        return .app(timestamp: timestamp, requestID: id, level: level, body: body)
    }

    /// A timestamp token (`YYYY-MM-DDTHH:MM:SS.sssZ`) at `i`, ending at a space or tab.
    @inline(__always)
    static func timestampToken(_ bytes: UnsafeRawBufferPointer, _ i: Int, _ end: Int) -> (Int64, Int)? {
        guard end - i >= 20, ValueParsing.isDigit(bytes[i]), bytes[i + 4] == 0x2D, bytes[i + 10] == 0x54 else {
            return nil
        }
        var j = i + 11
        while j < end && bytes[j] != 0x20 && bytes[j] != 0x09 { j += 1 }
        guard let micros = Temporal.parseTimestamp(UnsafeRawBufferPointer(rebasing: bytes[i..<j])) else { return nil }
        return (micros, j)
    }

    /// Where `literal` ends when the bytes at `i` start with it.
    @inline(__always)
    static func after(_ bytes: UnsafeRawBufferPointer, _ i: Int, _ end: Int, _ literal: StaticString) -> Int? {
        let n = literal.utf8CodeUnitCount
        guard end - i >= n else { return nil }
        let p = literal.utf8Start
        for k in 0..<n where bytes[i + k] != p[k] { return nil }
        return i + n
    }

    @inline(__always)
    static func has(_ bytes: UnsafeRawBufferPointer, _ i: Int, _ end: Int, _ literal: StaticString) -> Bool {
        after(bytes, i, end, literal) != nil
    }

    /// The bytes from `i` to the next space, tab or the end.
    private static func token(_ bytes: UnsafeRawBufferPointer, _ i: Int, _ end: Int) -> Range<Int> {
        var j = i
        while j < end && bytes[j] != 0x20 && bytes[j] != 0x09 { j += 1 }
        return i..<j
    }

    /// `Duration: 12.34 ms` in a REPORT line.
    private static func reportDuration(_ bytes: UnsafeRawBufferPointer, _ i: Int, _ end: Int) -> Double? {
        var j = i
        while j < end {
            if bytes[j] == 0x09 || bytes[j] == 0x20, let numberStart = after(bytes, j + 1, end, "Duration: ") {
                let number = token(bytes, numberStart, end)
                return ValueParsing.double(
                    bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + number.lowerBound, number.count)
            }
            j += 1
        }
        return nil
    }
}

/// The level of a runtime log line, in increasing severity.
enum LogLevel: Int8, Comparable, CaseIterable {
    case trace, debug, info, warn, error, fatal

    var name: String {
        switch self {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warn: "WARN"
        case .error: "ERROR"
        case .fatal: "FATAL"
        }
    }

    init?(_ bytes: UnsafeRawBufferPointer, _ i: Int, _ end: Int) {
        switch end - i {
        case 4 where LambdaLine.has(bytes, i, end, "INFO"): self = .info
        case 4 where LambdaLine.has(bytes, i, end, "WARN"): self = .warn
        case 5 where LambdaLine.has(bytes, i, end, "ERROR"): self = .error
        case 5 where LambdaLine.has(bytes, i, end, "DEBUG"): self = .debug
        case 5 where LambdaLine.has(bytes, i, end, "TRACE"): self = .trace
        case 5 where LambdaLine.has(bytes, i, end, "FATAL"): self = .fatal
        default: return nil
        }
    }

    static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}
