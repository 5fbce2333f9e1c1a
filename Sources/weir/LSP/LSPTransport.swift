import Foundation

/// JSON-RPC messages over stdio, framed as the Language Server Protocol frames them: a
/// `Content-Length` header, a blank line, then that many bytes of JSON.
final class LSPTransport {
    private let input = FileHandle.standardInput
    private var buffer = Data()

    /// The next message, or nil when the editor closed the stream.
    func read() -> [String: Any]? {
        while true {
            if let message = takeMessage() { return message }
            let chunk = input.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }

    private func takeMessage() -> [String: Any]? {
        let separator = Data("\r\n\r\n".utf8)
        guard let end = buffer.range(of: separator) else { return nil }
        let header = String(decoding: buffer[buffer.startIndex..<end.lowerBound], as: UTF8.self)
        var length: Int?
        for line in header.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                length = Int(parts[1].trimmingCharacters(in: .whitespaces))
            }
        }
        guard let length, length >= 0 else {
            buffer.removeSubrange(buffer.startIndex..<end.upperBound)  // a header without a length: skip it
            return nil
        }
        guard buffer.count - (end.upperBound - buffer.startIndex) >= length else { return nil }
        let body = buffer[end.upperBound..<(end.upperBound + length)]
        buffer.removeSubrange(buffer.startIndex..<(end.upperBound + length))
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    func send(_ message: [String: Any]) {
        var object = message
        object["jsonrpc"] = "2.0"
        guard let body = try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]) else {
            return
        }
        var framed = Data("Content-Length: \(body.count)\r\n\r\n".utf8)
        framed.append(body)
        FileHandle.standardOutput.write(framed)
    }
}
