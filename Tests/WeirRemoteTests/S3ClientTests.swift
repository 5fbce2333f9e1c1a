import Foundation
import Testing
import WeirTestSupport

@testable import WeirRemote

/// The client against moto's S3 server, which verifies every signature.
@Suite(.serialized, .enabled(if: ReferencePython.available)) struct S3ClientTests {
    static let server = Result { try S3TestServer() }

    func client(secret: String? = nil) throws -> S3Client {
        let server = try Self.server.get()
        return S3Client(
            credentials: AWSCredentials(accessKeyID: server.accessKey, secretAccessKey: secret ?? server.secretKey),
            endpoint: URL(string: server.endpoint))
    }

    @Test func listsPagesHeadsAndDownloads() throws {
        let server = try Self.server.get()
        try server.bucket("client-test")
        var objects: [String: String] = [:]
        for i in 0..<1005 { objects[String(format: "many/part-%04d.csv", i)] = "n\n\(i)\n" }
        objects["many/odd name+é.csv"] = "n\n-1\n"
        try server.put("client-test", objects: objects)
        _ = try server.counts()

        let s3 = try client()
        let listed = try s3.list(bucket: "client-test", prefix: "many/")
        #expect(listed.count == 1006)
        #expect(Set(listed.map(\.key)) == Set(objects.keys))
        #expect(try server.counts()["list"] == 2)  // 1000 + 6: one continuation

        let head = try s3.head(S3Location(bucket: "client-test", key: "many/odd name+é.csv"))
        #expect(head.size == 5 && head.etag.count == 32)
        let file = try temporaryDirectory() + "/odd.csv"
        let got = try s3.get(S3Location(bucket: "client-test", key: "many/odd name+é.csv"), to: file, etag: head.etag)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "n\n-1\n")
        #expect(got.etag == head.etag)
    }

    @Test func putsObjectsThatReadBack() throws {
        let server = try Self.server.get()
        try server.bucket("client-put")
        let s3 = try client()
        let bytes = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try s3.put(S3Location(bucket: "client-put", key: "cache/objects/ab/cd.arrow"), data: bytes)
        #expect(try s3.data(S3Location(bucket: "client-put", key: "cache/objects/ab/cd.arrow")) == bytes)
        #expect(try s3.head(S3Location(bucket: "client-put", key: "cache/objects/ab/cd.arrow")).size == 100_000)
    }

    /// Concurrent writers of one cache entry: the first stays.
    @Test func aConditionalPutKeepsTheFirstWriter() throws {
        let server = try Self.server.get()
        try server.bucket("client-cond")
        let s3 = try client()
        let entry = S3Location(bucket: "client-cond", key: "cache/entries/k.json")
        #expect(try s3.put(entry, data: Data("first".utf8), ifAbsent: true))
        #expect(try !s3.put(entry, data: Data("second".utf8), ifAbsent: true))
        #expect(try s3.data(entry) == Data("first".utf8))
        try s3.put(entry, data: Data("third".utf8))
        #expect(try s3.data(entry) == Data("third".utf8))
    }

    @Test func aWrongSecretIsAccessDeniedNamingTheKeyNotTheSecret() throws {
        let server = try Self.server.get()
        try server.bucket("client-deny")
        try server.put("client-deny", "a.csv", text: "x\n1\n")
        let wrong = try client(secret: "not-the-secret")
        do throws(RemoteError) {
            _ = try wrong.head(S3Location(bucket: "client-deny", key: "a.csv"))
            Issue.record("expected access denied")
        } catch {
            #expect(error.kind == .accessDenied)
            #expect(error.message.contains("s3://client-deny/a.csv"))
            #expect(!error.message.contains("not-the-secret") && !error.message.contains(server.secretKey))
        }
        do throws(RemoteError) {
            _ = try wrong.list(bucket: "client-deny", prefix: "")
            Issue.record("expected access denied")
        } catch {
            #expect(error.message.contains("SignatureDoesNotMatch"), "\(error)")
        }
    }

    @Test func aMissingKeyNamesBucketAndKey() throws {
        let server = try Self.server.get()
        try server.bucket("client-missing")
        let s3 = try client()
        #expect { try s3.head(S3Location(bucket: "client-missing", key: "nope.csv")) } throws: { error in
            "\(error)" == "no such key 'nope.csv' in bucket 'client-missing'"
        }
        let file = try temporaryDirectory() + "/x"
        #expect { try s3.get(S3Location(bucket: "client-missing", key: "nope.csv"), to: file) } throws: { error in
            "\(error)".hasPrefix("no such key 'nope.csv' in bucket 'client-missing' (NoSuchKey")
        }
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect { try s3.list(bucket: "no-such-bucket", prefix: "") } throws: { error in
            "\(error)".contains("bucket 'no-such-bucket' does not exist")
        }
    }
}
