import Foundation

/// The state directory (`.weir/` by default): the ledger, the object store, locks and run
/// folders. Several pipelines may share one.
public struct Workspace: Sendable {
    public let root: String
    public let ledger: Ledger
    public let store: ObjectStore
    /// `--cache-remote` (else `WEIR_CACHE_REMOTE`): overrides the pipeline's `cache.remote`.
    public var cacheRemote: String?

    /// `--state-dir`, else `WEIR_STATE_DIR`, else `.weir` in the working directory.
    public static func defaultRoot(_ explicit: String?) -> String {
        let chosen = explicit ?? ProcessInfo.processInfo.environment["WEIR_STATE_DIR"] ?? ".weir"
        return URL(fileURLWithPath: chosen).standardizedFileURL.path
    }

    public init(root: String) throws {
        self.root = root
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw LedgerError("cannot create the state directory \(root): \(error.localizedDescription)")
        }
        ledger = try Ledger(path: root + "/weir.sqlite")
        store = ObjectStore(root: root, seals: StatCache(ledger: ledger))
    }

    public func runDirectory(_ runID: String) -> String { "\(root)/runs/\(runID)" }

    /// A sortable, readable id: `20261121-101500-3f2a`.
    public static func newRunID() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return formatter.string(from: Date()) + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
    }
}
