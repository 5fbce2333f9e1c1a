import WeirTable

#if canImport(Glibc)
    import Glibc
#endif

/// Splits one Lambda log file into invocations and messages.
///
/// An invocation runs from `START RequestId: <id>` to `END RequestId: <id>` (or a
/// `Task timed out` line, or the end of the file: then it is cut off). Runtime lines name their
/// request id, so invocations whose lines interleave are still told apart; a line without a
/// prefix continues the message of the line before it. Within an invocation, `Processing message
/// <id>` starts a new message; lines before the first one form a message without an id, and
/// lines outside every invocation form messages without a request id, so no line is dropped.
///
/// A message's text is the file's bytes from its first line to its last, with lines that belong
/// to something else in between blanked (their newlines kept), so line N of the text is line
/// `line + N` of the file.
struct LambdaLogScanner {
    enum Status: String {
        case complete
        case timedOut = "timed_out"
        case cutOff = "cut_off"
    }

    struct Invocation {
        var requestID: String
        var line: Int
        var startedAt: Int64
        var endedAt: Int64?
        /// Cut off until an END or a timeout line says otherwise.
        var status = Status.cutOff
        var messages = 0
        var durationMs: Double?
        var currentMessage: Int?
        var isOpen = true
    }

    struct Message {
        var invocation: Int?
        var messageID: Range<Int>?
        var line: Int
        var startedAt: Int64?
        var level: LogLevel?
        var spanStart: Int
        var spanEnd: Int
        /// The count of non-blank lines seen when this message's last line was added; a larger
        /// count at its next line means someone else's lines came between.
        var linesSeenAtLast: Int
        /// Byte ranges inside the span that belong to other messages or to the runtime.
        var foreign: [Range<Int>] = []
        /// Bytes the blanking of `foreign` removes (all but their newlines).
        var removed = 0

        var textBytes: Int { spanEnd - spanStart - removed }
    }

    let bytes: UnsafeRawBufferPointer
    private(set) var invocations: [Invocation] = []
    private(set) var messages: [Message] = []
    /// The latest invocation of each request id; it is open until its END or timeout (a
    /// second START of the same id cuts the first one off).
    private var known: [String: Int] = [:]
    /// The message the previous non-blank line went to: where a continuation line goes.
    private var lastMessage: Int?
    /// The invocation of the last runtime line; timestamped lines of no known shape go there.
    private var lastInvocation: Int?
    private var linesSeen = 0
    /// The last request id looked up, to skip hashing on the common run of lines of one invocation.
    private var cachedID: Range<Int> = 0..<0
    private var cachedInvocation = -1

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func scan() {
        let base = bytes.baseAddress.map { UnsafeRawPointer($0) }
        var position = 0
        var lineNumber = 0
        let count = bytes.count
        while position < count {
            lineNumber += 1
            let remaining = count - position
            let newline = base.flatMap { memchr($0 + position, 0x0A, remaining) }
            let end = newline.map { UnsafeRawPointer($0) - base! } ?? count
            handle(LambdaLine.classify(bytes, position, end), start: position, end: end, line: lineNumber)
            position = end + 1
        }
    }

    private mutating func handle(_ kind: LambdaLine, start: Int, end: Int, line: Int) {
        switch kind {
        case .blank:
            return
        case .continuation:
            if let target = lastMessage {
                add(line: start, end, to: target, timestamp: nil, level: nil)
            } else {
                lastMessage = newMessage(
                    invocation: nil, id: nil, line: line, start: start, end: end, timestamp: nil, level: nil)
            }
        case .start(let timestamp, let id):
            if let previous = lookup(id, openOnly: true) { close(previous, .cutOff, at: nil) }
            lastInvocation = openInvocation(id, line: line, timestamp: timestamp)
            lastMessage = nil
        case .end(let timestamp, let id):
            if let index = lookup(id, openOnly: true) { close(index, .complete, at: timestamp) }
            lastMessage = nil
        case .timeout(let timestamp, let id):
            if let index = lookup(id, openOnly: true) { close(index, .timedOut, at: timestamp) }
            lastMessage = nil
        case .report(let id, let duration):
            if let index = lookup(id, openOnly: false) { invocations[index].durationMs = duration }
            lastMessage = nil
        case .platform:
            lastMessage = nil
        case .app(let timestamp, let id, let level, let body):
            // A request whose START is not in this file began before the file did.
            let invocation = lookup(id, openOnly: true) ?? openInvocation(id, line: line, timestamp: timestamp)
            lastInvocation = invocation
            appLine(
                invocation: invocation, body: body, start: start, end: end, line: line, timestamp: timestamp,
                level: level)
        case .other(let timestamp):
            if let invocation = lastInvocation, invocations[invocation].isOpen {
                appLine(
                    invocation: invocation, body: start..<end, start: start, end: end, line: line, timestamp: timestamp,
                    level: nil)
            } else if let target = lastMessage, messages[target].invocation == nil {
                add(line: start, end, to: target, timestamp: timestamp, level: nil)
            } else {
                lastMessage = newMessage(
                    invocation: nil, id: nil, line: line, start: start, end: end, timestamp: timestamp, level: nil)
            }
        }
        linesSeen += 1
    }

    /// A `Processing message <id>` line starts a message; so does any line of an invocation that
    /// has none yet (a message without an id). Other lines go to the invocation's message.
    private mutating func appLine(
        invocation: Int, body: Range<Int>, start: Int, end: Int, line: Int, timestamp: Int64, level: LogLevel?
    ) {
        var id: Range<Int>?
        if var idStart = LambdaLine.after(bytes, body.lowerBound, body.upperBound, "Processing message ") {
            while idStart < body.upperBound && bytes[idStart] == 0x20 { idStart += 1 }
            var idEnd = idStart
            while idEnd < body.upperBound && bytes[idEnd] != 0x20 && bytes[idEnd] != 0x09 && bytes[idEnd] != 0x0D {
                idEnd += 1
            }
            id = idStart..<idEnd
        }
        if id == nil, let message = invocations[invocation].currentMessage {
            add(line: start, end, to: message, timestamp: timestamp, level: level)
            lastMessage = message
            return
        }
        let message = newMessage(
            invocation: invocation, id: id, line: line, start: start, end: end, timestamp: timestamp, level: level)
        invocations[invocation].currentMessage = message
        invocations[invocation].messages += 1
        lastMessage = message
    }

    private mutating func newMessage(
        invocation: Int?, id: Range<Int>?, line: Int, start: Int, end: Int, timestamp: Int64?, level: LogLevel?
    ) -> Int {
        messages.append(
            Message(
                invocation: invocation, messageID: id, line: line, startedAt: timestamp, level: level,
                spanStart: start, spanEnd: end, linesSeenAtLast: linesSeen + 1))
        return messages.count - 1
    }

    private mutating func add(line start: Int, _ end: Int, to index: Int, timestamp: Int64?, level: LogLevel?) {
        if messages[index].linesSeenAtLast != linesSeen {
            let gap = (messages[index].spanEnd + 1)..<start
            messages[index].foreign.append(gap)
            messages[index].removed += gap.count - gap.reduce(0) { $0 + (bytes[$1] == 0x0A ? 1 : 0) }
        }
        messages[index].spanEnd = end
        messages[index].linesSeenAtLast = linesSeen + 1
        if messages[index].startedAt == nil { messages[index].startedAt = timestamp }
        if let level, messages[index].level.map({ $0 < level }) ?? true { messages[index].level = level }
    }

    private mutating func close(_ index: Int, _ status: Status, at timestamp: Int64?) {
        invocations[index].status = status
        invocations[index].endedAt = timestamp
        invocations[index].currentMessage = nil
        invocations[index].isOpen = false
        if lastInvocation == index { lastInvocation = nil }
    }

    private mutating func openInvocation(_ id: Range<Int>, line: Int, timestamp: Int64) -> Int {
        let index = invocations.count
        invocations.append(Invocation(requestID: string(id), line: line, startedAt: timestamp))
        known[invocations[index].requestID] = index
        cachedID = id
        cachedInvocation = index
        return index
    }

    private mutating func lookup(_ id: Range<Int>, openOnly: Bool) -> Int? {
        if cachedInvocation >= 0, id.count == cachedID.count,
            memcmp(bytes.baseAddress! + id.lowerBound, bytes.baseAddress! + cachedID.lowerBound, id.count) == 0
        {
            if !openOnly || invocations[cachedInvocation].isOpen { return cachedInvocation }
            return nil
        }
        guard let index = known[string(id)], !openOnly || invocations[index].isOpen else { return nil }
        cachedID = id
        cachedInvocation = index
        return index
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
