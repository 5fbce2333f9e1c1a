import Foundation

/// moto's S3 server on 127.0.0.1, checking SigV4 (scripts/testing/s3_server.py), driven over
/// its stdin: buckets and uploads go through boto3, not through Weir.
public final class S3TestServer: @unchecked Sendable {
    public private(set) var endpoint: String
    public private(set) var accessKey: String
    public private(set) var secretKey: String
    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private var buffer = Data()

    public init() throws {
        guard let python = ReferencePython.path else {
            throw ReferencePython.Failure(description: "no reference Python for the S3 test server (scripts/venv.sh scripts/requirements/test.txt)")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [ReferencePython.packageRoot.appendingPathComponent("scripts/testing/s3_server.py").path]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading
        endpoint = ""; accessKey = ""; secretKey = ""
        let hello = try readLine()
        guard let endpoint = hello["endpoint"] as? String, let key = hello["access_key"] as? String,
              let secret = hello["secret_key"] as? String else {
            throw ReferencePython.Failure(description: "the S3 test server did not start: \(hello)")
        }
        self.endpoint = endpoint
        self.accessKey = key
        self.secretKey = secret
    }

    deinit {
        try? input.close()
        process.waitUntilExit()
    }

    /// The environment a Weir process needs to reach this server.
    public var environment: [String: String] {
        ["AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secretKey,
         "AWS_REGION": "us-east-1", "AWS_SESSION_TOKEN": ""]
    }

    public func bucket(_ name: String) throws { try command(["op": "bucket", "bucket": name]) }
    public func put(_ bucket: String, _ key: String, text: String) throws { try command(["op": "put", "bucket": bucket, "key": key, "text": text]) }
    public func put(_ bucket: String, _ key: String, file: String) throws { try command(["op": "put", "bucket": bucket, "key": key, "file": file]) }
    public func put(_ bucket: String, objects: [String: String]) throws { try command(["op": "put_many", "bucket": bucket, "objects": objects]) }

    /// Requests served to clients other than the fixture since the last call, by kind: GET, HEAD, list.
    public func counts() throws -> [String: Int] {
        try send(["op": "counts"]).compactMapValues { $0 as? Int }
    }

    private func command(_ body: [String: Any]) throws {
        let answer = try send(body)
        guard answer["ok"] as? Bool == true else {
            throw ReferencePython.Failure(description: "S3 test server: \(answer["error"] ?? answer)")
        }
    }

    private func send(_ body: [String: Any]) throws -> [String: Any] {
        var line = try JSONSerialization.data(withJSONObject: body)
        line.append(0x0A)
        try input.write(contentsOf: line)
        return try readLine()
    }

    private func readLine() throws -> [String: Any] {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                return (try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]) ?? [:]
            }
            // availableData returns as soon as anything arrives; read(upToCount:) waits for all of it.
            let chunk = output.availableData
            guard !chunk.isEmpty else {
                throw ReferencePython.Failure(description: "the S3 test server stopped")
            }
            buffer.append(chunk)
        }
    }
}
