internal import CLibPQ
import Foundation

/// What went wrong talking to PostgreSQL: where (host, port, database; never the password) and
/// the server's or libpq's own words.
public struct PGError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var server: String
    /// SQLSTATE, when the server sent one (28P01: wrong password, 42P01: no such table, ...).
    public var code: String?

    public var description: String { "\(server): \(message)" }
}

/// One connection (libpq), used from one thread at a time: queries, COPY out and COPY in.
/// The only place libpq pointers live; each result is cleared where it is read.
public final class PGConnection {
    let handle: OpaquePointer
    /// "host:port/database" for messages.
    public let server: String

    /// Connects with a libpq connection string or URI (`sslmode=require` asks for TLS).
    public init(dsn: String) throws(PGError) {
        let target = PGConnection.describe(dsn)
        var reason = [CChar](repeating: 0, count: 600)
        guard weir_libpq_load(&reason, reason.count) == 0 else {
            throw PGError(
                message: String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                server: target)
        }
        guard let connection = PQconnectdb(dsn) else { throw PGError(message: "out of memory", server: target) }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = PGConnection.clean(PQerrorMessage(connection))
            PQfinish(connection)
            throw PGError(
                message: message, server: target,
                code: message.contains("password authentication failed") ? "28P01" : nil)
        }
        handle = connection
        server = target
        // Server notices (NOTICE: table does not exist, skipping) are not the user's business.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit { PQfinish(handle) }

    public var usesTLS: Bool { PQsslInUse(handle) == 1 }

    /// "host:port/database" of a DSN, parsed by libpq itself; the password is never part of it.
    public static func describe(_ dsn: String) -> String {
        var reason = [CChar](repeating: 0, count: 8)
        guard weir_libpq_load(&reason, reason.count) == 0 else { return "postgres" }
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(dsn, &error) else {
            if let error { PQfreemem(error) }
            return "postgres (a DSN libpq cannot read)"
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { values[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        let host = values["hostaddr"] ?? values["host"] ?? "localhost"
        return "\(host):\(values["port"] ?? "5432")/\(values["dbname"] ?? values["user"] ?? "")"
    }

    static func clean(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: " ")
    }

    func failure(_ result: OpaquePointer?) -> PGError {
        let message =
            result.map { PGConnection.clean(PQresultErrorMessage($0)) } ?? PGConnection.clean(PQerrorMessage(handle))
        let code = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        return PGError(
            message: message.isEmpty ? PGConnection.clean(PQerrorMessage(handle)) : message, server: server, code: code)
    }

    /// Runs statements that return no rows (or whose rows do not matter).
    public func execute(_ sql: String) throws(PGError) {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        let status = result.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { throw failure(result) }
    }

    /// Rows as text (for small answers: freshness probes, catalogue lookups); nil is NULL.
    public func rows(_ sql: String, _ parameters: [String] = []) throws(PGError) -> [[String?]] {
        let cParameters = parameters.map { strdup($0) }
        defer { for parameter in cParameters { free(parameter) } }
        let result = cParameters.withUnsafeBufferPointer { pointers in
            pointers.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                PQexecParams(handle, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
            }
        }
        defer { PQclear(result) }
        guard let result, PQresultStatus(result) == PGRES_TUPLES_OK else { throw failure(result) }
        return (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { field in
                PQgetisnull(result, row, field) == 1 ? nil : String(cString: PQgetvalue(result, row, field))
            }
        }
    }

    /// The names and type OIDs of what `sql` returns, without running it.
    public func describe(query sql: String) throws(PGError) -> [(name: String, type: UInt32, modifier: Int32)] {
        let prepared = PQprepare(handle, "", sql, 0, nil)
        defer { PQclear(prepared) }
        guard let prepared, PQresultStatus(prepared) == PGRES_COMMAND_OK else { throw failure(prepared) }
        let described = PQdescribePrepared(handle, "")
        defer { PQclear(described) }
        guard let described, PQresultStatus(described) == PGRES_COMMAND_OK else { throw failure(described) }
        return (0..<PQnfields(described)).map { field in
            (String(cString: PQfname(described, field)), UInt32(PQftype(described, field)), PQfmod(described, field))
        }
    }

    /// `COPY (...) TO STDOUT`: hands each chunk libpq receives to `chunk`, then checks the end.
    public func copyOut(_ sql: String, _ chunk: (UnsafeRawBufferPointer) throws -> Void) throws {
        let started = PQexec(handle, sql)
        let status = started.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        guard status == PGRES_COPY_OUT else {
            defer { PQclear(started) }
            throw failure(started)
        }
        PQclear(started)
        var buffer: UnsafeMutablePointer<CChar>?
        while true {
            let n = PQgetCopyData(handle, &buffer, 0)
            if n > 0, let data = buffer {
                defer { PQfreemem(data) }
                try chunk(UnsafeRawBufferPointer(start: data, count: Int(n)))
            } else if n == -1 {
                break
            } else {
                throw failure(nil)
            }
        }
        try finish()
    }

    /// `COPY ... FROM STDIN`: `produce` writes the data through the function it is given.
    public func copyIn(_ sql: String, _ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let started = PQexec(handle, sql)
        let status = started.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        guard status == PGRES_COPY_IN else {
            defer { PQclear(started) }
            throw failure(started)
        }
        PQclear(started)
        do {
            try produce { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
                guard PQputCopyData(handle, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count)) == 1 else {
                    throw self.failure(nil)
                }
            }
        } catch {
            _ = PQputCopyEnd(handle, "weir stopped the copy")
            while let result = PQgetResult(handle) { PQclear(result) }
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else { throw failure(nil) }
        try finish()
    }

    /// Reads the results a COPY ends with; the first error wins.
    private func finish() throws(PGError) {
        var error: PGError?
        while let result = PQgetResult(handle) {
            if error == nil && PQresultStatus(result) != PGRES_COMMAND_OK { error = failure(result) }
            PQclear(result)
        }
        if let error { throw error }
    }

    /// An identifier quoted for SQL (`"Order Lines"`), by libpq.
    public func quote(_ identifier: String) -> String {
        guard let quoted = PQescapeIdentifier(handle, identifier, identifier.utf8.count) else {
            return "\"" + identifier + "\""
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }
}
