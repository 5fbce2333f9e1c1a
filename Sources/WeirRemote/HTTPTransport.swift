import Foundation
import Synchronization
import WeirSystem

/// Blocking HTTP on libcurl with retries. Each request runs on the calling thread; callers that
/// fetch many objects use `forEach(concurrently:)`, which runs on threads of its own rather than
/// on Dispatch's shared pool (PLATFORM.md: blocking that pool starves it).
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
        /// No HTTP client here (libcurl missing): no retry can help.
        case unavailable(String)
    }

    /// Sends the request `build(attempt)` makes (a new one per attempt, so signatures are
    /// fresh) until it gets a response that is not worth retrying, or attempts run out.
    /// `to` downloads the body to that file instead of memory. Bodies come as the server holds
    /// them (no content coding), so a `.gz` object stays compressed and sizes match listings.
    public func send(
        _ build: (Int) throws(RemoteError) -> HTTPRequest, to file: String? = nil,
        what: String
    ) throws(RemoteError) -> HTTPResponse {
        var attempt = 1
        while true {
            var request = try build(attempt)
            request.timeout = timeout
            request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
            let outcome = file.map { Self.download(request, to: $0) } ?? Self.attempt(request)
            let retryable: Bool
            switch outcome {
            case .success(let response): retryable = Self.isRetryable(response)
            case .failure(.file(let reason)): throw RemoteError(.io, "\(what): \(reason)")
            case .failure(.unavailable(let reason)): throw RemoteError(.network, "\(what): \(reason)")
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
                case .failure(.unavailable(let reason)):
                    throw RemoteError(.network, "\(what): \(reason)")
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
    public static func attempt(_ request: HTTPRequest) -> Result<HTTPResponse, Failure> {
        CurlExchange.perform(request)
    }

    /// Streams the body to `path` (also for an error status: the caller reads the error
    /// document from there).
    static func download(_ request: HTTPRequest, to path: String) -> Result<HTTPResponse, Failure> {
        CurlExchange.perform(request, to: path)
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
