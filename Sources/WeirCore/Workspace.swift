import Foundation
import WeirSystem
import WeirTable

#if canImport(Glibc)
    import Glibc
#endif

/// The state directory (`.weir/` by default): the ledger, the object store, locks and run
/// folders. Several pipelines may share one.
public struct Workspace: Sendable {
    public let root: String
    public let ledger: Ledger
    public let store: ObjectStore
    /// `--cache-remote` (else `WEIR_CACHE_REMOTE`): overrides the pipeline's `cache.remote`.
    public var cacheRemote: String?

    /// What a command does with the state directory.
    public enum Access: Sendable {
        /// Runs and cache maintenance: the directory is created if missing and must be writable.
        case readWrite
        /// `validate`, `plan`, `show`, `graph`, `history`: nothing is created, and a read-only
        /// directory (a read-only mount, a shared results folder) is read as it is.
        case readOnly
    }

    /// The state directory for a pipeline in `folder` (or, with no pipeline, the working
    /// folder), found as git and DVC find theirs: `--state-dir`, else `WEIR_STATE_DIR`, else the
    /// nearest folder at or above `folder` holding `.weir/`, else the root of the git work tree
    /// `folder` is in, else `folder` itself.
    public static func locate(explicit: String?, near folder: String) -> String {
        if let chosen = explicit
            ?? ProcessInfo.processInfo.environment["WEIR_STATE_DIR"].flatMap({ $0.isEmpty ? nil : $0 })
        {
            return URL(fileURLWithPath: chosen).standardizedFileURL.path
        }
        let start = URL(fileURLWithPath: folder).standardizedFileURL
        func ancestors() -> [URL] {
            var folders: [URL] = [start]
            while folders.last!.path != "/" {
                folders.append(folders.last!.deletingLastPathComponent().standardizedFileURL)
            }
            return folders
        }
        var isFolder: ObjCBool = false
        for candidate in ancestors() {
            if FileManager.default.fileExists(
                atPath: candidate.appendingPathComponent(".weir").path, isDirectory: &isFolder),
                isFolder.boolValue
            {
                return candidate.appendingPathComponent(".weir").path
            }
        }
        // `.git` is a folder in a work tree and a file in a linked worktree or submodule.
        for candidate in ancestors()
        where FileManager.default.fileExists(atPath: candidate.appendingPathComponent(".git").path) {
            return candidate.appendingPathComponent(".weir").path
        }
        return start.appendingPathComponent(".weir").path
    }

    public init(root: String, access: Access = .readWrite) throws {
        self.root = root
        switch access {
        case .readWrite:
            do {
                try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            } catch {
                throw WorkspaceError("cannot create the state directory \(root): \(error.localizedDescription)")
            }
            if !Syscall.allows(root, W_OK) {
                throw WorkspaceError(
                    "state directory \(root) is read-only: runs record their results there; "
                        + "use --state-dir (or WEIR_STATE_DIR) for a writable one")
            }
            ledger = try Ledger(path: root + "/weir.sqlite")
        case .readOnly:
            let file = root + "/weir.sqlite"
            if !FileManager.default.fileExists(atPath: file) {
                ledger = try Ledger(inMemoryFor: file)
            } else if !Syscall.allows(root, W_OK) || !Syscall.allows(file, W_OK) {
                ledger = try Ledger(readOnlyAt: file)
            } else {
                ledger = try Ledger(path: file)
            }
        }
        store = ObjectStore(root: root, seals: StatCache(ledger: ledger, indexing: root + "/objects"))
    }

    public func runDirectory(_ runID: String) -> String { "\(root)/runs/\(runID)" }

    /// A sortable, readable id: `20261121-101500-3f2a`.
    public static func newRunID(at date: Date = Date()) -> String {
        // Temporal's formatter, not a DateFormatter: ICU's set-up cost a millisecond of every cached run.
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let stamp = Temporal.formatTimestamp(seconds * Temporal.microsPerSecond)  // 2026-12-03T23:22:55Z
            .compactMap { $0.isNumber ? $0 : $0 == "T" ? "-" : nil }
        let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return String(stamp) + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
    }
}

/// A state directory that cannot be used as asked (read-only for a run, not creatable): the
/// command cannot start, exit 2.
public struct WorkspaceError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
