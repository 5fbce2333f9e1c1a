import Foundation

/// A PostgreSQL server of this test process (scripts/testing/postgres_server.py): Debian's
/// postgresql on a free port of 127.0.0.1 with a password login and TLS, stopped when the
/// process ends. Tests skip without one, unless WEIR_REQUIRE_POSTGRES is set (CI).
public final class PostgresTestServer: Sendable {
    public let url: String
    private let server: ScriptServer

    public static var installed: Bool {
        FileManager.default.fileExists(atPath: "/usr/include/postgresql/libpq-fe.h")
            && (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.isEmpty == false
    }

    public static var enabled: Bool {
        ReferencePython.available && (installed || ProcessInfo.processInfo.environment["WEIR_REQUIRE_POSTGRES"] != nil)
    }

    /// One per process, started on first use.
    public static let shared: Result<PostgresTestServer, ReferencePython.Failure> = {
        do { return .success(try PostgresTestServer()) } catch let error as ReferencePython.Failure {
            return .failure(error)
        } catch {
            return .failure(ReferencePython.Failure(description: "\(error)"))
        }
    }()

    init() throws {
        server = try ScriptServer("postgres_server.py")
        guard let url = server.hello["url"] as? String else {
            throw ReferencePython.Failure(
                description: "the PostgreSQL test server did not start: \(server.hello["error"] ?? server.hello)")
        }
        self.url = url
    }

    /// Runs SQL with the psql shell; returns its unaligned output.
    @discardableResult
    public func sql(_ text: String) throws -> String {
        let answer = try server.send(["op": "sql", "sql": text])
        guard answer["ok"] as? Bool == true else {
            throw ReferencePython.Failure(description: "psql: \(answer["error"] ?? answer)")
        }
        return answer["out"] as? String ?? ""
    }
}
