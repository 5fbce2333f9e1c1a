/// A failure talking to S3 or an HTTP server. The message names the bucket and key or the URL,
/// and the status; it never holds a secret.
public struct RemoteError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case credentials
        case accessDenied
        case notFound
        case http(Int)
        case network
        case invalidResponse
        case invalidURL
        case io
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
