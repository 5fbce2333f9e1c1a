import Foundation

/// moto's S3 server on 127.0.0.1, checking SigV4 (scripts/testing/s3_server.py), driven over
/// its stdin: buckets and uploads go through boto3, not through Weir.
public final class S3TestServer: Sendable {
    public let endpoint: String
    public let accessKey: String
    public let secretKey: String
    private let server: ScriptServer

    public init() throws {
        server = try ScriptServer("s3_server.py")
        guard let endpoint = server.hello["endpoint"] as? String, let key = server.hello["access_key"] as? String,
            let secret = server.hello["secret_key"] as? String
        else {
            throw ReferencePython.Failure(description: "the S3 test server did not start: \(server.hello)")
        }
        self.endpoint = endpoint
        self.accessKey = key
        self.secretKey = secret
    }

    /// The environment a Weir process needs to reach this server.
    public var environment: [String: String] {
        [
            "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secretKey,
            "AWS_REGION": "us-east-1", "AWS_SESSION_TOKEN": "",
        ]
    }

    public func bucket(_ name: String) throws { try command(["op": "bucket", "bucket": name]) }
    public func put(_ bucket: String, _ key: String, text: String) throws {
        try command(["op": "put", "bucket": bucket, "key": key, "text": text])
    }
    public func put(_ bucket: String, _ key: String, file: String) throws {
        try command(["op": "put", "bucket": bucket, "key": key, "file": file])
    }
    public func put(_ bucket: String, objects: [String: String]) throws {
        try command(["op": "put_many", "bucket": bucket, "objects": objects])
    }
    public func delete(_ bucket: String, _ key: String) throws {
        try command(["op": "delete", "bucket": bucket, "key": key])
    }

    /// Requests served to clients other than the fixture since the last call, by kind: GET, HEAD, list.
    public func counts() throws -> [String: Int] {
        try server.send(["op": "counts"]).compactMapValues { $0 as? Int }
    }

    private func command(_ body: [String: Any]) throws {
        let answer = try server.send(body)
        guard answer["ok"] as? Bool == true else {
            throw ReferencePython.Failure(description: "S3 test server: \(answer["error"] ?? answer)")
        }
    }
}
