import Foundation
import Testing
import WeirTable

@testable import WeirCore

@Suite struct ObjectStoreTests {
    func table(rows: Int, salt: Int64 = 0) throws -> Table {
        let numbers = ColumnBuilder(.int64, capacity: rows)
        let words = ColumnBuilder(.string, capacity: rows)
        for i in 0..<rows {
            numbers.append(Int64(i) &* 2_654_435_761 &+ salt)
            if i % 7 == 0 { words.appendNull() } else { words.append("row \(i) of \(rows)") }
        }
        return try Table(
            schema: Schema([Field("n", .int64), Field("w", .string)]),
            columns: [numbers.finish(), words.finish()])
    }

    func temporaries(_ store: ObjectStore) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: store.temporaryDirectory)) ?? []
    }

    /// The digest, computed while the file is written rather than from it, is the SHA-256 of
    /// the stored file, which holds the table; small tables and ones of many megabytes alike.
    @Test(arguments: [0, 3, 1_500_000])
    func theDigestIsTheStoredFilesSHA256(rows: Int) throws {
        let store = ObjectStore(root: NSTemporaryDirectory() + "weir-objects-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: store.root) }
        let original = try table(rows: rows)
        let digest = try store.put(original)
        #expect(try ContentHash.sha256(file: store.path(of: digest)) == digest)
        #expect(digest == (try ArrowWriter().bytes(original)).withUnsafeBytes { ContentHash.sha256($0) })
        let read = try store.read(digest)
        #expect(read.rowCount == rows)
        #expect(try ArrowWriter().bytes(read) == ArrowWriter().bytes(original))
        #expect(temporaries(store).isEmpty)
    }

    /// Storing what is already stored keeps the first file and leaves no temporary behind.
    @Test func storingTheSameTableTwiceKeepsOneObject() throws {
        let store = ObjectStore(root: NSTemporaryDirectory() + "weir-objects-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: store.root) }
        let first = try store.put(try table(rows: 1000))
        var before = stat()
        stat(store.path(of: first), &before)
        let second = try store.put(try table(rows: 1000))
        var after = stat()
        stat(store.path(of: first), &after)
        #expect(first == second)
        #expect(before.st_ino == after.st_ino)
        #expect(temporaries(store).isEmpty)
        let other = try store.put(try table(rows: 1000, salt: 1))
        #expect(other != first)
        #expect(store.allObjects().count == 2)
    }

    /// A store with a ledger: an unchanged object is checked by its stat, a changed one is
    /// hashed, found corrupt, moved aside; storing the table again replaces it.
    @Test func aCorruptObjectIsRefusedAndReplacedByTheNextPut() throws {
        let root = NSTemporaryDirectory() + "weir-objects-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let store = ObjectStore(root: root, seals: StatCache(ledger: try Ledger(path: root + "/weir.sqlite")))
        let original = try table(rows: 100)
        let digest = try store.put(original)
        let path = store.path(of: digest)
        #expect(try store.seals?.ledger.fileStat(path: path)?.sha256 == digest)
        try store.verify(digest, .stat)

        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(throws: ObjectStoreError.self) { _ = try store.read(digest) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/corrupt").count == 1)

        // Corrupt again in place (same inode, new ctime), then put: the new copy replaces it.
        #expect(try store.put(original) == digest)
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(try store.put(original) == digest)
        #expect(try ContentHash.sha256(file: path) == digest)
        #expect(try store.read(digest).rowCount == 100)
    }
}
