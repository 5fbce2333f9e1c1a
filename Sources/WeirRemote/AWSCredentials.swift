import Foundation

/// An access key pair (and session token), from the environment or a shared credentials file.
/// Its description never shows the secret or the token.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "access key \(accessKeyID)" }

    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN` first, as the AWS CLI
    /// does; otherwise profile `AWS_PROFILE` [default] of `AWS_SHARED_CREDENTIALS_FILE`
    /// [~/.aws/credentials].
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws(RemoteError)
        -> AWSCredentials
    {
        if let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty {
            guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
                throw RemoteError(.credentials, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
            return AWSCredentials(
                accessKeyID: key, secretAccessKey: secret,
                sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        }
        let profile = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let file =
            environment["AWS_SHARED_CREDENTIALS_FILE"]
            ?? (environment["HOME"].map { $0 + "/.aws/credentials" } ?? "~/.aws/credentials")
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw RemoteError(
                .credentials,
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or write profile [\(profile)] in \(file)"
            )
        }
        return try Self.profile(named: profile, in: text, file: file)
    }

    /// Reads one `[profile]` section of an INI credentials file.
    static func profile(named name: String, in text: String, file: String) throws(RemoteError) -> AWSCredentials {
        var section: String?
        var values: [String: String] = [:]
        var found = false
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else {
                    throw RemoteError(.credentials, "\(file):\(number + 1): expected ']' to close the section name")
                }
                section = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                if section == name { found = true }
                continue
            }
            guard section == name else { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw RemoteError(.credentials, "\(file):\(number + 1): expected 'name = value' in profile [\(name)]")
            }
            values[line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()] = line[
                line.index(after: equals)...
            ].trimmingCharacters(in: .whitespaces)
        }
        guard found else { throw RemoteError(.credentials, "\(file) has no profile [\(name)] (AWS_PROFILE)") }
        guard let key = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] else {
            throw RemoteError(
                .credentials, "profile [\(name)] in \(file) needs aws_access_key_id and aws_secret_access_key")
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: values["aws_session_token"])
    }
}
