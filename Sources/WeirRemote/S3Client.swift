import Crypto
import Foundation
import WeirSystem

/// `s3://bucket/key`: a key, a prefix ending in `/`, or a glob over keys.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    public var bucket: String
    public var key: String

    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    public init(_ url: String) throws(RemoteError) {
        guard url.hasPrefix("s3://") else { throw RemoteError(.invalidURL, "'\(url)' is not an s3:// URL") }
        let rest = url.dropFirst(5)
        let bucket = rest.prefix { $0 != "/" }
        guard bucket.count >= 3 else {
            throw RemoteError(
                .invalidURL, "'\(url)': expected s3://BUCKET/KEY with a bucket name of at least 3 characters")
        }
        self.bucket = String(bucket)
        key = String(rest.dropFirst(bucket.count + 1))
    }

    public var description: String { "s3://\(bucket)/\(key)" }
}

/// An object as a listing or HEAD describes it: what goes into a source's cache key.
public struct S3Object: Sendable, Hashable {
    public var key: String
    public var size: Int
    /// Without the quotes S3 puts around it.
    public var etag: String
    public var lastModified: String

    public init(key: String, size: Int, etag: String, lastModified: String) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// The S3 REST calls Weir needs (HEAD, GET to a file, ListObjectsV2), signed with SigV4, against
/// AWS or any S3-compatible endpoint.
public struct S3Client: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    /// Nil for AWS itself.
    public var endpoint: URL?
    /// Bucket in the path (`endpoint/bucket/key`), as most S3-compatible stores want, instead
    /// of in the host name (`bucket.s3.region.amazonaws.com/key`).
    public var pathStyle: Bool
    public var transport = HTTPTransport()

    public init(credentials: AWSCredentials, region: String = "us-east-1", endpoint: URL? = nil, pathStyle: Bool? = nil)
    {
        self.credentials = credentials
        self.region = region
        self.endpoint = endpoint
        self.pathStyle = pathStyle ?? (endpoint != nil)
    }

    /// Region `AWS_REGION`/`AWS_DEFAULT_REGION` [us-east-1], endpoint `AWS_ENDPOINT_URL_S3` or
    /// `AWS_ENDPOINT_URL`, unless given.
    public static func configured(
        region: String? = nil, endpoint: String? = nil, pathStyle: Bool? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RemoteError) -> S3Client {
        let region = region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        let endpointText = endpoint ?? environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"]
        var endpointURL: URL?
        if let endpointText, !endpointText.isEmpty {
            guard let url = URL(string: endpointText), let scheme = url.scheme, ["http", "https"].contains(scheme),
                url.host != nil
            else {
                throw RemoteError(.invalidURL, "endpoint '\(endpointText)' is not an http(s):// URL")
            }
            endpointURL = url
        }
        return S3Client(
            credentials: try AWSCredentials.resolve(environment: environment), region: region,
            endpoint: endpointURL, pathStyle: pathStyle)
    }

    // MARK: Calls

    public func head(_ location: S3Location) throws(RemoteError) -> S3Object {
        let response = try send("HEAD", location, query: [])
        guard response.status == 200 else { throw error(response, location) }
        return S3Object(
            key: location.key, size: Int(response.header("content-length") ?? "") ?? 0,
            etag: Self.unquote(response.header("etag") ?? ""), lastModified: response.header("last-modified") ?? "")
    }

    /// Every object whose key starts with `prefix`, following continuation tokens.
    public func list(bucket: String, prefix: String) throws(RemoteError) -> [S3Object] {
        var objects: [S3Object] = []
        var token: String?
        let location = S3Location(bucket: bucket, key: prefix)
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try send("GET", S3Location(bucket: bucket, key: ""), query: query)
            guard response.status == 200 else { throw error(response, location) }
            guard let tree = XMLTree.parse(response.body), tree.name == "ListBucketResult" else {
                throw RemoteError(.invalidResponse, "listing \(location): the reply is not a ListBucketResult document")
            }
            for entry in tree.all("Contents") {
                guard let key = entry["Key"], let size = entry["Size"].flatMap({ Int($0) }) else {
                    throw RemoteError(.invalidResponse, "listing \(location): an entry has no Key or Size")
                }
                objects.append(
                    S3Object(
                        key: key, size: size, etag: Self.unquote(entry["ETag"] ?? ""),
                        lastModified: entry["LastModified"] ?? ""))
            }
            token = tree["IsTruncated"] == "true" ? tree["NextContinuationToken"] : nil
        } while token != nil
        return objects
    }

    /// Streams the object to `path`. With `etag`, the object must still be the one listed
    /// (If-Match), so what is read is what the cache key says.
    public func get(_ location: S3Location, to path: String, etag: String? = nil) throws(RemoteError) -> S3Object {
        var headers: [String: String] = [:]
        if let etag, !etag.isEmpty { headers["If-Match"] = "\"\(etag)\"" }
        let response = try send("GET", location, query: [], unsignedHeaders: headers, to: path)
        guard response.status == 200 else {
            let body = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
            Syscall.unlink(path)
            if response.status == 412 {
                throw RemoteError(
                    .http(412),
                    "\(location) changed while Weir was reading it (its ETag is no longer \(etag ?? "")); run again")
            }
            throw error(HTTPResponse(status: response.status, headers: response.headers, body: body), location)
        }
        let size = Syscall.status(path: path).map { Int($0.st_size) } ?? 0
        return S3Object(
            key: location.key, size: size, etag: Self.unquote(response.header("etag") ?? ""),
            lastModified: response.header("last-modified") ?? "")
    }

    /// Uploads `file` as the object (PutObject, payload signed). Objects Weir pushes are
    /// content-addressed or describe content-addressed ones, so two machines writing the same
    /// key write the same bytes.
    /// `sha256` is the file's hex SHA-256 when the caller knows it (a content-addressed object
    /// is named by it), so the file is not hashed again for the signature.
    /// With `ifAbsent` the write is conditional (`If-None-Match: *`): the first writer of a key
    /// wins and false says another got there first. A store that ignores the condition writes
    /// anyway, which for such keys is the same.
    @discardableResult
    public func put(_ location: S3Location, file: String, sha256: String? = nil, ifAbsent: Bool = false)
        throws(RemoteError) -> Bool
    {
        let body: Data
        do { body = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped) } catch {
            throw RemoteError(.io, "cannot read \(file) to upload it to \(location): \(error.localizedDescription)")
        }
        return try put(location, data: body, sha256: sha256, ifAbsent: ifAbsent)
    }

    @discardableResult
    public func put(_ location: S3Location, data body: Data, sha256: String? = nil, ifAbsent: Bool = false)
        throws(RemoteError) -> Bool
    {
        let hash = sha256 ?? SigV4.hex(SHA256.hash(data: body))
        let response = try send(
            "PUT", location, query: [], unsignedHeaders: ifAbsent ? ["If-None-Match": "*"] : [:], body: body,
            payloadHash: hash)
        // 412: the key exists; 409: a conditional write of the same key is in flight.
        if ifAbsent && (response.status == 412 || response.status == 409) { return false }
        guard response.status == 200 else { throw error(response, location) }
        return true
    }

    /// The object's bytes in memory (small objects: cache entries).
    public func data(_ location: S3Location) throws(RemoteError) -> Data {
        let response = try send("GET", location, query: [])
        guard response.status == 200 else { throw error(response, location) }
        return response.body
    }

    // MARK: Requests

    /// Host and path of a request for `location` in this client's addressing style.
    func address(_ location: S3Location) -> (base: String, host: String, path: String) {
        let keyPath = location.key.isEmpty ? "" : "/" + location.key
        if let endpoint {
            let scheme = endpoint.scheme ?? "https"
            var host = endpoint.host ?? ""
            if let port = endpoint.port, !(scheme == "http" && port == 80) && !(scheme == "https" && port == 443) {
                host += ":\(port)"
            }
            let root = endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path
            if pathStyle { return ("\(scheme)://\(host)", host, root + "/" + location.bucket + keyPath) }
            return (
                "\(scheme)://\(location.bucket).\(host)", "\(location.bucket).\(host)",
                root + (keyPath.isEmpty ? "/" : keyPath)
            )
        }
        let host = region == "us-east-1" ? "s3.amazonaws.com" : "s3.\(region).amazonaws.com"
        if pathStyle || location.bucket.contains(".") {
            return ("https://\(host)", host, "/" + location.bucket + keyPath)
        }
        return ("https://\(location.bucket).\(host)", "\(location.bucket).\(host)", keyPath.isEmpty ? "/" : keyPath)
    }

    func send(
        _ method: String, _ location: S3Location, query: [(String, String)], unsignedHeaders: [String: String] = [:],
        body: Data? = nil, payloadHash: String = SigV4.emptyPayloadHash, to file: String? = nil
    ) throws(RemoteError) -> HTTPResponse {
        let (base, host, path) = address(location)
        let signer = SigV4(credentials: credentials, region: region)
        var text = base + SigV4.encodePath(path)
        if !query.isEmpty { text += "?" + SigV4.canonicalQuery(query) }
        guard let url = URL(string: text) else {
            throw RemoteError(.invalidURL, "\(location): cannot form a request URL")
        }
        let what =
            switch method {
            case "GET": query.isEmpty ? "reading \(location)" : "listing \(location)"
            case "HEAD": "looking up \(location)"
            default: "writing \(location)"
            }
        return try transport.send(
            { _ throws(RemoteError) in
                var request = HTTPRequest(url: url, method: method)
                for (name, value) in signer.sign(
                    method: method, host: host, path: path, query: query, payloadHash: payloadHash, date: Date())
                {
                    request.setValue(value, forHTTPHeaderField: name)
                }
                if let body {
                    request.body = body
                    request.setValue(String(body.count), forHTTPHeaderField: "Content-Length")
                }
                for (name, value) in unsignedHeaders { request.setValue(value, forHTTPHeaderField: name) }
                return request
            }, to: file, what: what)
    }

    /// The error for a reply that is not a success: S3's own code and message when it sent an
    /// Error document, the bucket and key always, never a credential beyond the key id.
    func error(_ response: HTTPResponse, _ location: S3Location) -> RemoteError {
        let document = XMLTree.parse(response.body)
        let code = document?["Code"]
        let message = document?["Message"].map { ": " + $0 } ?? ""
        let detail = code.map { " (\($0)\(message))" } ?? ""
        switch response.status {
        case 403:
            var advice = ""
            switch code {
            case "SignatureDoesNotMatch": advice = "; the secret key for \(credentials.accessKeyID) is wrong"
            case "InvalidAccessKeyId": advice = "; access key \(credentials.accessKeyID) is not known to this store"
            case "ExpiredToken", "InvalidToken":
                advice = "; the session token (AWS_SESSION_TOKEN) has expired or is invalid"
            default: advice = "; check that \(credentials.accessKeyID) may read bucket '\(location.bucket)'"
            }
            return RemoteError(.accessDenied, "access denied to \(location)\(detail)\(advice)")
        case 404:
            if code == "NoSuchBucket" {
                return RemoteError(.notFound, "bucket '\(location.bucket)' does not exist (reading \(location))")
            }
            return RemoteError(.notFound, "no such key '\(location.key)' in bucket '\(location.bucket)'\(detail)")
        case 301, 307:
            let elsewhere =
                response.header("x-amz-bucket-region").map { "; it is in region \($0): set `region: \($0)`" } ?? ""
            return RemoteError(
                .http(response.status), "bucket '\(location.bucket)' is not in region \(region)\(elsewhere)")
        default:
            return RemoteError(.http(response.status), "\(location): HTTP \(response.status)\(detail)")
        }
    }

    static func unquote(_ etag: String) -> String {
        etag.count >= 2 && etag.hasPrefix("\"") && etag.hasSuffix("\"") ? String(etag.dropFirst().dropLast()) : etag
    }
}
