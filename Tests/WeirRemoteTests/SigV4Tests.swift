import Foundation
import Testing

@testable import WeirRemote

@Suite struct SigV4Tests {
    let example = AWSCredentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

    /// AWS's documented example "GET Object" (sig-v4-header-based-auth), signed on 2013-05-24.
    @Test func reproducesTheDocumentedGetObjectSignature() {
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
        let headers = SigV4(credentials: example, region: "us-east-1")
            .sign(
                method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: [],
                headers: ["Range": "bytes=0-9"], date: date)
        #expect(headers["x-amz-date"] == "20130524T000000Z")
        #expect(
            headers["authorization"]
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(headers["range"] == nil && headers["host"] == nil)
    }

    /// The documented "GET Bucket (List Objects)" example: query parameters are sorted and encoded.
    @Test func reproducesTheDocumentedListObjectsSignature() {
        let date = Date(timeIntervalSince1970: 1_369_353_600)
        let headers = SigV4(credentials: example, region: "us-east-1")
            .sign(
                method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/",
                query: [("prefix", "J"), ("max-keys", "2")], date: date)
        #expect(
            headers["authorization"]?.hasSuffix(
                "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7") == true)
    }

    @Test func encodesKeysAsS3Expects() {
        #expect(SigV4.encodePath("/logs/a b+c/é.csv") == "/logs/a%20b%2Bc/%C3%A9.csv")
        #expect(SigV4.canonicalQuery([("prefix", "a/b c"), ("list-type", "2")]) == "list-type=2&prefix=a%2Fb%20c")
    }

    @Test func aSessionTokenIsSignedAndSent() {
        var credentials = example
        credentials.sessionToken = "token/with+chars"
        let headers = SigV4(credentials: credentials, region: "eu-west-1")
            .sign(method: "HEAD", host: "b.s3.eu-west-1.amazonaws.com", path: "/k", query: [], date: Date())
        #expect(headers["x-amz-security-token"] == "token/with+chars")
        #expect(
            headers["authorization"]?.contains(
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token") == true)
        #expect(!"\(credentials)".contains(credentials.secretAccessKey) && !"\(credentials)".contains("token"))
    }
}

@Suite struct CredentialsTests {
    @Test func environmentComesFirst() throws {
        let found = try AWSCredentials.resolve(environment: [
            "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "T",
        ])
        #expect(found == AWSCredentials(accessKeyID: "AK", secretAccessKey: "SK", sessionToken: "T"))
    }

    @Test func readsTheNamedProfile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("weir-cred-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: folder + "/.aws", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
        [default]
        aws_access_key_id = DEFAULTKEY
        aws_secret_access_key = defaultsecret

        # team account
        [analytics]
        aws_access_key_id=TEAMKEY
        aws_secret_access_key=teamsecret
        aws_session_token = teamtoken
        """.write(toFile: folder + "/.aws/credentials", atomically: true, encoding: .utf8)
        #expect(try AWSCredentials.resolve(environment: ["HOME": folder]).accessKeyID == "DEFAULTKEY")
        let team = try AWSCredentials.resolve(environment: ["HOME": folder, "AWS_PROFILE": "analytics"])
        #expect(
            team == AWSCredentials(accessKeyID: "TEAMKEY", secretAccessKey: "teamsecret", sessionToken: "teamtoken"))
        #expect(throws: RemoteError.self) {
            try AWSCredentials.resolve(environment: ["HOME": folder, "AWS_PROFILE": "nope"])
        }
        do {
            _ = try AWSCredentials.resolve(environment: ["HOME": folder, "AWS_PROFILE": "nope"])
        } catch {
            #expect(error.message.contains("has no profile [nope]"))
        }
    }

    @Test func missingCredentialsSayWhatToSet() {
        do {
            _ = try AWSCredentials.resolve(environment: ["HOME": "/nonexistent"])
            Issue.record("expected an error")
        } catch {
            #expect(
                error.message.contains("AWS_ACCESS_KEY_ID") && error.message.contains("/nonexistent/.aws/credentials"))
        }
    }
}

@Suite struct S3AddressTests {
    let credentials = AWSCredentials(accessKeyID: "AK", secretAccessKey: "SK")

    @Test func awsUsesVirtualHostsAndEndpointsUsePaths() {
        let aws = S3Client(credentials: credentials, region: "eu-west-1")
        #expect(
            aws.address(S3Location(bucket: "logs", key: "a/b.csv")) == (
                "https://logs.s3.eu-west-1.amazonaws.com", "logs.s3.eu-west-1.amazonaws.com", "/a/b.csv"
            ))
        let local = S3Client(credentials: credentials, endpoint: URL(string: "http://127.0.0.1:9000"))
        #expect(
            local.address(S3Location(bucket: "logs", key: "a/b.csv")) == (
                "http://127.0.0.1:9000", "127.0.0.1:9000", "/logs/a/b.csv"
            ))
        let virtual = S3Client(
            credentials: credentials, endpoint: URL(string: "https://store.example.com"), pathStyle: false)
        #expect(virtual.address(S3Location(bucket: "logs", key: "")).host == "logs.store.example.com")
    }

    @Test func locationsParse() throws {
        #expect(try S3Location("s3://bucket/a/b/").key == "a/b/")
        #expect(throws: RemoteError.self) { try S3Location("s3://ab/x") }
    }
}
