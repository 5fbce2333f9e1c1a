import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import WeirCore

/// Every request passes here: a client over its rate gets 429; anything but GET and HEAD
/// needs the serve token in the `Authorization` header (never a cookie, so a page on another
/// site cannot make a browser send it); a path with `..` or a NUL, encoded or not, is refused.
/// Answers carry headers that keep them out of frames and other sites' scripts.
struct Guard: RouterMiddleware {
    typealias Context = ServeContext
    let token: String?
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let started = ContinuousClock.now
        var response = try await answer(request, context: context, next: next)
        // The time spent here, for clients and benchmarks (the Server-Timing header).
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        response.headers[HTTPField.Name("Server-Timing")!] = "app;dur=\(String(format: "%.3f", milliseconds))"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        // A response may bring a stricter policy of its own (a chart's SVG: no scripts at all).
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] =
                "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'"
        }
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }

    private func answer(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let json = request.uri.path.hasPrefix("/api/")
        let client = context.remoteAddress?.ipAddress ?? "-"
        guard limiter.admit(client) else {
            return Reply.failure(.tooMany("more than \(limiter.perSecond) requests a second; slow down"), json: json)
        }
        let path = request.uri.path
        let decoded = path.removingPercentEncoding ?? path
        if decoded.split(separator: "/").contains("..") || decoded.contains("\0") || path.lowercased().contains("%2f") {
            return Reply.failure(.badRequest("the path may not contain '..', NUL or an encoded '/'"), json: json)
        }
        if request.method != .get && request.method != .head {
            guard let token, !token.isEmpty else {
                return Reply.failure(
                    .forbidden("writes are disabled: start weir serve with WEIR_SERVE_TOKEN set"), json: true)
            }
            guard let given = request.headers[.authorization], Self.same(given, "Bearer " + token) else {
                return Reply.failure(
                    .unauthorized("this needs the header Authorization: Bearer <WEIR_SERVE_TOKEN>"), json: true)
            }
        }
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return Reply.failure(.notFound("no page \(path)"), json: json)
        } catch let error as HTTPError where error.status == .methodNotAllowed {
            return Reply.failure(.badRequest("\(request.method) is not allowed on \(path)"), json: json)
        }
    }

    /// Compares in time independent of where the texts differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// A request's context: Hummingbird's, and the client's address (for the rate limit).
struct ServeContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// A token bucket per client address.
final class RateLimiter: Sendable {
    let perSecond: Int
    private let buckets = Mutex<[String: (tokens: Double, at: Double)]>([:])

    init(perSecond: Int) { self.perSecond = perSecond }

    func admit(_ client: String) -> Bool {
        let now = Date().timeIntervalSinceReferenceDate
        let capacity = Double(perSecond * 2)
        return buckets.withLock { buckets in
            if buckets.count > 10_000 { buckets.removeAll() }
            var bucket = buckets[client] ?? (capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.at) * Double(perSecond))
            bucket.at = now
            guard bucket.tokens >= 1 else {
                buckets[client] = bucket
                return false
            }
            bucket.tokens -= 1
            buckets[client] = bucket
            return true
        }
    }
}
