import Foundation
import WeirRemote
import WeirSystem

/// Plain `http(s)://` sources: HEAD for the validators, GET streamed to a file. Redirects are
/// followed (libcurl does, up to 10); errors give the status and the URL.
enum HTTPSource {
    static func request(_ method: String, _ url: String, to file: String? = nil) throws(RemoteError) -> HTTPResponse {
        guard let target = URL(string: url), target.host != nil else {
            throw RemoteError(.invalidURL, "'\(url)' is not a valid URL")
        }
        let verb = method == "HEAD" ? "looking up" : "reading"
        return try HTTPTransport().send(
            { _ throws(RemoteError) in
                HTTPRequest(url: target, method: method)
            }, to: file, what: "\(verb) \(url)")
    }

    /// Downloads `object` to `path` and returns its size; the resource must still be the
    /// version planned (same ETag), or the cache key would not describe what was read.
    static func download(_ object: RemoteSource.Object, to path: String) throws(RemoteError) -> Int {
        let response = try request("GET", object.url, to: path)
        guard (200..<300).contains(response.status) else {
            Syscall.unlink(path)
            throw error(response, object.url)
        }
        if let planned = object.etag, let now = response.header("etag"), planned != now {
            Syscall.unlink(path)
            throw RemoteError(
                .invalidResponse,
                "\(object.url) changed while Weir was reading it (ETag \(planned), now \(now)); run again")
        }
        return RemoteSource.fileSize(path) ?? 0
    }

    static func error(_ response: HTTPResponse, _ url: String) -> RemoteError {
        let reason = HTTPResponse.reason(for: response.status)
        let kind: RemoteError.Kind =
            switch response.status {
            case 401, 403: .accessDenied
            case 404, 410: .notFound
            default: .http(response.status)
            }
        return RemoteError(kind, "\(url): HTTP \(response.status)\(reason.isEmpty ? "" : " " + reason)")
    }
}
