import CCurl
import Foundation
import Synchronization
import WeirSystem

/// One request and its response on a libcurl easy handle: the only code that touches libcurl's
/// pointers. Handles go back to a small pool after use, so a later request to the same host
/// reuses the connection (and its TLS session).
final class CurlExchange {
    private let handle: UnsafeMutableRawPointer
    private var headerList: OpaquePointer?
    /// Where the body goes: memory, or an open file.
    private var file: Int32?
    private var body = Data()
    private var headers: [String: String] = [:]
    private var writeFailure: SystemError?

    /// An idle easy handle. libcurl lets a handle move between threads as long as one thread
    /// uses it at a time: the pool hands each to one exchange.
    private struct IdleHandle: @unchecked Sendable { let pointer: UnsafeMutableRawPointer }
    private static let idle = Mutex<[IdleHandle]>([])
    private static let poolSize = 8

    private init(handle: UnsafeMutableRawPointer) { self.handle = handle }

    deinit {
        if let headerList { weir_curl_list_free(headerList) }
        weir_curl_easy_reset(handle)
        let kept = Self.idle.withLock { idle in
            guard idle.count < Self.poolSize else { return false }
            idle.append(IdleHandle(pointer: handle))
            return true
        }
        if !kept { weir_curl_easy_cleanup(handle) }
    }

    /// Sends `request`; the body goes to memory, or to the file `path` (created or truncated).
    static func perform(_ request: HTTPRequest, to path: String? = nil) -> Result<HTTPResponse, HTTPTransport.Failure> {
        var reason = [CChar](repeating: 0, count: 512)
        guard weir_curl_load(&reason, reason.count) == 0 else {
            return .failure(
                .unavailable(String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        guard let handle = idle.withLock({ $0.popLast()?.pointer }) ?? weir_curl_easy_init() else {
            return .failure(.unavailable("libcurl could not make a handle"))
        }
        let exchange = CurlExchange(handle: handle)
        if let path {
            do { exchange.file = try Syscall.open(path, O_WRONLY | O_CREAT | O_TRUNC) } catch {
                return .failure(.file("cannot write \(path): \(error)"))
            }
        }
        defer { if let fd = exchange.file { try? Syscall.close(fd) } }
        return exchange.run(request)
    }

    private func run(_ request: HTTPRequest) -> Result<HTTPResponse, HTTPTransport.Failure> {
        let context = Unmanaged.passUnretained(self).toOpaque()
        let body = request.body ?? Data()
        let code: Int32 = body.withUnsafeBytes { bytes in
            var code = configure(request, context: context)
            if code == 0, request.body != nil {
                code = weir_curl_setopt_offset(
                    handle, Int32(WEIR_CURLOPT_POSTFIELDSIZE_LARGE.rawValue), Int64(bytes.count))
                // An empty body still needs a non-null pointer, or libcurl reads a C string.
                let start = bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
                if code == 0 { code = weir_curl_setopt_pointer(handle, Int32(WEIR_CURLOPT_POSTFIELDS.rawValue), start) }
            }
            return code == 0 ? weir_curl_perform(handle) : code
        }
        if let writeFailure { return .failure(.file("cannot write the download: \(writeFailure)")) }
        guard code == 0 else { return .failure(Self.failure(code)) }
        return .success(HTTPResponse(status: weir_curl_response_code(handle), headers: headers, body: self.body))
    }

    /// Sets every option of one request; returns libcurl's code for the first that failed.
    private func configure(_ request: HTTPRequest, context: UnsafeMutableRawPointer) -> Int32 {
        let idleSeconds = max(1, Int(request.timeout.rounded(.up)))
        var code = weir_curl_set_receivers(handle, Self.receiveBody, Self.receiveHeader, context)
        func set(_ option: WeirCurlOption, _ value: Int) {
            if code == 0 { code = weir_curl_setopt_long(handle, Int32(option.rawValue), value) }
        }
        func set(_ option: WeirCurlOption, _ value: String) {
            // libcurl copies string options (since 7.17), so the temporary C string may go.
            if code == 0 { code = weir_curl_setopt_pointer(handle, Int32(option.rawValue), value) }
        }
        set(WEIR_CURLOPT_URL, request.url.absoluteString)
        set(WEIR_CURLOPT_PROTOCOLS_STR, "http,https")
        set(WEIR_CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        set(WEIR_CURLOPT_FOLLOWLOCATION, 1)
        set(WEIR_CURLOPT_MAXREDIRS, 10)
        set(WEIR_CURLOPT_NOSIGNAL, 1)
        // An idle timeout, as URLSession's was: connecting, or a stretch with no byte received.
        set(WEIR_CURLOPT_CONNECTTIMEOUT, idleSeconds)
        set(WEIR_CURLOPT_LOW_SPEED_LIMIT, 1)
        set(WEIR_CURLOPT_LOW_SPEED_TIME, idleSeconds)
        switch (request.method, request.body) {
        case ("HEAD", _): set(WEIR_CURLOPT_NOBODY, 1)
        case ("GET", nil), ("POST", .some): break
        default: set(WEIR_CURLOPT_CUSTOMREQUEST, request.method)
        }
        if code == 0 { code = setHeaders(request) }
        return code
    }

    private func setHeaders(_ request: HTTPRequest) -> Int32 {
        var lines = request.headers.map { "\($0.name): \($0.value)" }
        // No "Expect: 100-continue" round trip; no form content type libcurl would add to a body.
        lines.append("Expect:")
        if request.body != nil, request.value(forHTTPHeaderField: "Content-Type") == nil {
            lines.append("Content-Type:")
        }
        if request.value(forHTTPHeaderField: "User-Agent") == nil { lines.append("User-Agent: weir") }
        for line in lines {
            guard let longer = weir_curl_list_append(headerList, line) else { return 27 }  // CURLE_OUT_OF_MEMORY
            headerList = longer
        }
        return weir_curl_setopt_pointer(handle, Int32(WEIR_CURLOPT_HTTPHEADER.rawValue), UnsafeRawPointer(headerList))
    }

    private func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let file else {
            body.append(contentsOf: bytes)
            return true
        }
        do { try Syscall.write(file, bytes) } catch {
            writeFailure = error
            return false
        }
        return true
    }

    /// One header line; a status line starts the headers again (after a redirect or a 100).
    private func receive(headerLine bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            headers = [:]
            body = Data()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        headers[name] = headers[name].map { "\($0), \(value)" } ?? value
    }

    private static let receiveBody: WeirCurlCallback = { data, size, count, context in
        guard let data, let context else { return 0 }
        let exchange = Unmanaged<CurlExchange>.fromOpaque(context).takeUnretainedValue()
        let length = size * count
        return exchange.receive(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
    }

    private static let receiveHeader: WeirCurlCallback = { data, size, count, context in
        guard let data, let context else { return 0 }
        let exchange = Unmanaged<CurlExchange>.fromOpaque(context).takeUnretainedValue()
        exchange.receive(headerLine: UnsafeRawBufferPointer(start: data, count: size * count))
        return size * count
    }

    /// libcurl's messages carry no URL (a presigned query or a webhook path is a secret).
    private static func failure(_ code: Int32) -> HTTPTransport.Failure {
        switch UInt32(code) {
        case WEIR_CURLE_OPERATION_TIMEDOUT.rawValue: .timedOut
        case WEIR_CURLE_COULDNT_CONNECT.rawValue: .network("connection refused")
        case WEIR_CURLE_COULDNT_RESOLVE_HOST.rawValue: .network("host not found")
        case WEIR_CURLE_GOT_NOTHING.rawValue, WEIR_CURLE_SEND_ERROR.rawValue, WEIR_CURLE_RECV_ERROR.rawValue,
            WEIR_CURLE_PARTIAL_FILE.rawValue:
            .network("connection lost")
        default: .network("network error \(code): \(String(cString: weir_curl_strerror(code)))")
        }
    }
}
