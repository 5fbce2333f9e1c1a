import Foundation

/// One HTTP request as Weir sends it: method, URL, headers (set by name, case-insensitively),
/// an optional body, and how long the exchange may stay idle.
public struct HTTPRequest: Sendable {
    public var url: URL
    public var method = "GET"
    public private(set) var headers: [(name: String, value: String)] = []
    public var body: Data?
    /// Seconds without progress (connecting, or no byte received) before the attempt gives up.
    public var timeout: TimeInterval

    public init(url: URL, method: String = "GET", timeout: TimeInterval = 60) {
        self.url = url
        self.method = method
        self.timeout = timeout
    }

    /// Sets (or with nil removes) the header `name`, replacing any value it had.
    public mutating func setValue(_ value: String?, forHTTPHeaderField name: String) {
        headers.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        if let value { headers.append((name, value)) }
    }

    public func value(forHTTPHeaderField name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// One HTTP response: status, headers with lowercased names, and the body (empty for a download,
/// whose body went to a file).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The standard reason phrase for a status ("Not Found"), or "" for one without a name.
    public static func reason(for status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 416: "Range Not Satisfiable"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: ""
        }
    }
}
