import Foundation
import Synchronization
import WeirSystem

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP response: status, headers with lowercased names, and the body (empty for a download,
/// whose body went to a file).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Blocking HTTP on URLSession (libcurl on Linux) with retries. Each request is waited for on
/// the calling thread while URLSession calls back on its own queue; callers that fetch many
/// objects use `forEach(concurrently:)`, which runs on threads of its own rather than on
/// Dispatch's shared pool (PLATFORM.md: blocking that pool on URLSession starves it).
public struct HTTPTransport: Sendable {
    public struct RetryPolicy: Sendable {
        public var attempts = 5
        public var firstDelay = 0.2
        public var maxDelay = 8.0
        public init() {}
    }

    public var retry = RetryPolicy()
    public var timeout: TimeInterval = 60

    public init() {}

    /// Why an attempt failed with no HTTP response.
    public enum Failure: Error, Sendable {
        case timedOut
        case network(String)
        case file(String)
    }

    /// Sends the request `build(attempt)` makes (a new one per attempt, so signatures are
    /// fresh) until it gets a response that is not worth retrying, or attempts run out.
    /// `to` downloads the body to that file instead of memory. Bodies come as the server holds
    /// them (no content coding), so a `.gz` object stays compressed and sizes match listings.
    public func send(
        _ build: (Int) throws(RemoteError) -> URLRequest, to file: String? = nil,
        what: String
    ) throws(RemoteError) -> HTTPResponse {
        var attempt = 1
        while true {
            var request = try build(attempt)
            request.timeoutInterval = timeout
            request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
            let outcome = file.map { Self.download(request, to: $0) } ?? Self.attempt(request)
            let retryable: Bool
            switch outcome {
            case .success(let response): retryable = Self.isRetryable(response)
            case .failure(.file(let reason)): throw RemoteError(.io, "\(what): \(reason)")
            case .failure: retryable = true
            }
            if !retryable || attempt >= retry.attempts {
                switch outcome {
                case .success(let response): return response
                case .failure(.timedOut):
                    throw RemoteError(
                        .network,
                        "\(what): timed out after \(attempt) attempt\(attempt == 1 ? "" : "s") (\(Int(timeout)) s each)"
                    )
                case .failure(.network(let reason)):
                    throw RemoteError(.network, "\(what): \(reason) after \(attempt) attempt\(attempt == 1 ? "" : "s")")
                case .failure(.file(let reason)):
                    throw RemoteError(.io, "\(what): \(reason)")
                }
            }
            // Exponential backoff with jitter, so parallel downloads do not retry in step.
            let delay = min(retry.maxDelay, retry.firstDelay * pow(2, Double(attempt - 1))) * Double.random(in: 0.5...1)
            Thread.sleep(forTimeInterval: delay)
            attempt += 1
        }
    }

    /// 5xx (S3's 503 SlowDown among them) and 429 are worth another try; anything else is an answer.
    static func isRetryable(_ response: HTTPResponse) -> Bool {
        response.status >= 500 || response.status == 429
    }

    /// One request, no retries: for callers with their own retry rules (Slack's Retry-After).
    public static func attempt(_ request: URLRequest) -> Result<HTTPResponse, Failure> {
        let box = Mutex<Result<HTTPResponse, Failure>>(.failure(.network("no response")))
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.withLock { $0 = outcome(response, error, body: data ?? Data()) }
            done.signal()
        }.resume()
        done.wait()
        return box.withLock { $0 }
    }

    /// Streams the body to a temporary file, then moves it to `path` (also for an error status:
    /// the caller reads the error document from there).
    static func download(_ request: URLRequest, to path: String) -> Result<HTTPResponse, Failure> {
        let box = Mutex<Result<HTTPResponse, Failure>>(.failure(.network("no response")))
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.downloadTask(with: request) { location, response, error in
            var result = outcome(response, error, body: Data())
            if case .success = result {
                if let location {
                    Syscall.unlink(path)
                    do { try FileManager.default.moveItem(at: location, to: URL(fileURLWithPath: path)) } catch {
                        result = .failure(.file("cannot write \(path): \(error.localizedDescription)"))
                    }
                } else {
                    _ = FileManager.default.createFile(atPath: path, contents: Data())
                }
            }
            box.withLock { $0 = result }
            done.signal()
        }.resume()
        done.wait()
        return box.withLock { $0 }
    }

    static func outcome(_ response: URLResponse?, _ error: (any Error)?, body: Data) -> Result<HTTPResponse, Failure> {
        if let http = response as? HTTPURLResponse, error == nil {
            var headers: [String: String] = [:]
            for (key, value) in http.allHeaderFields {
                headers[String(describing: key).lowercased()] = String(describing: value)
            }
            return .success(HTTPResponse(status: http.statusCode, headers: headers, body: body))
        }
        // URLError descriptions can carry the URL with a presigned query: keep only the kind.
        if let error = error as? URLError {
            switch error.code {
            case .timedOut: return .failure(.timedOut)
            case .cannotConnectToHost: return .failure(.network("connection refused"))
            case .cannotFindHost: return .failure(.network("host not found"))
            case .networkConnectionLost: return .failure(.network("connection lost"))
            default: return .failure(.network("network error \(error.code.rawValue)"))
            }
        }
        return .failure(.network("no response"))
    }

    /// Runs `body` for 0..<count on `width` threads of their own, stopping at the first error.
    public static func forEach(
        _ count: Int, concurrently width: Int, _ body: @escaping @Sendable (Int) throws(RemoteError) -> Void
    ) throws(RemoteError) {
        let next = Atomic<Int>(0)
        let failure = Mutex<RemoteError?>(nil)
        let group = DispatchGroup()
        for _ in 0..<max(1, min(width, count)) {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while failure.withLock({ $0 == nil }) {
                    let i = next.add(1, ordering: .relaxed).oldValue
                    guard i < count else { return }
                    do throws(RemoteError) { try body(i) } catch { failure.withLock { if $0 == nil { $0 = error } } }
                }
            }
            thread.start()
        }
        group.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
