import Foundation
import GRDB
import Testing

@testable import WeirCore

@Suite struct LedgerJournalTests {
    func scratch() throws -> String {
        let directory = NSTemporaryDirectory() + "weir-ledger-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func localDisksUseTheWriteAheadLog() throws {
        let directory = try scratch()
        #expect(!NetworkFilesystem.contains(directory))
        let ledger = try Ledger(path: directory + "/weir.sqlite")
        #expect(ledger.journal == .wal)
        #expect(try ledger.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }

    /// What a shared (network) state directory gets; the file then has no -wal or -shm beside it.
    @Test func theRollbackJournalKeepsEverythingInOneFile() throws {
        let directory = try scratch()
        let path = directory + "/weir.sqlite"
        let ledger = try Ledger(path: path, journal: .delete)
        #expect(try ledger.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "delete")
        try ledger.startRun(
            RunRecord(id: "r1", pipeline: "p", pipelineFile: "/p.yaml", startedAt: 1, pid: 1, command: "weir run"))
        #expect(try Ledger(path: path, journal: .delete).run(id: "r1")?.pipeline == "p")
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
    }
}
