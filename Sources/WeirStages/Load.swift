import Foundation
import WeirCore
import WeirSystem
import WeirTable

#if canImport(Glibc)
    import Glibc
#endif

/// Shared by the loads: a load is a side effect. It runs when its input's digest changes, or
/// when the file it wrote last time is gone; the file is replaced atomically.
protocol FileLoad: StageType {
    /// The file's bytes, into a temporary file that is hashed as it is written.
    func write(_ table: Table, to sink: inout HashingFileSink, stage: StageSpec) throws
}

/// Where a file load writes.
struct LoadTarget: StageParameters {
    var path = ""

    static let declarations: [ParamDeclaration<Self>] = [
        .param("path", \.path, required: true, help: "the file to write, relative to the pipeline file")
    ]
}

extension FileLoad {
    public var inputs: InputArity { .one }
    public var outputs: [String] { [] }

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] { [:] }

    /// Done only while the file holds the bytes this run wrote (a `stat` while it is as it was
    /// left): a file rewritten by a run with other parameters, edited or deleted is written again.
    public func sideEffectsIntact(_ context: SourceContext, written: [WrittenFile]) -> Bool {
        guard let path = try? context.parameters(LoadTarget.self).path else { return true }
        let target = context.resolvePath(path)
        guard let receipt = written.first(where: { $0.path == target }) else { return false }
        return (try? context.digest(file: target)) == receipt.sha256
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let path = try context.parameters(LoadTarget.self).path
        let target = context.resolvePath(path)
        let folder = (target as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        LoadTemporaries.removeOrphans(beside: target)
        let temporary = LoadTemporaries.path(for: target)
        let digest: String
        do {
            var sink = try HashingFileSink(path: temporary)
            try write(context.inputs[0], to: &sink, stage: context.stage)
            digest = try sink.close()
            do { try Syscall.rename(temporary, to: target) } catch {
                throw StageError("cannot write \(path): \(error)", param: "path")
            }
        } catch {
            Syscall.unlink(temporary)
            throw error
        }
        context.log.wrote(WrittenFile(path: target, sha256: digest))
        context.log.info("wrote \(context.inputs[0].rowCount) rows to \(target)")
        return [:]
    }
}

/// The temporary files a load writes beside its target, `<target>.weir-<pid>.tmp`, and the
/// removal of those whose writer died (a killed run leaves one behind).
enum LoadTemporaries {
    static func path(for target: String) -> String { "\(target).weir-\(Syscall.processID).tmp" }

    static func removeOrphans(beside target: String) {
        let url = URL(fileURLWithPath: target)
        let folder = url.deletingLastPathComponent().path
        let prefix = url.lastPathComponent + ".weir-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            guard let pid = Int32(name.dropFirst(prefix.count).dropLast(4)), pid != Syscall.processID else { continue }
            if !Syscall.isAlive(pid) { Syscall.unlink(folder + "/" + name) }
        }
    }
}

/// `load.csv`: write the input table as a CSV file.
public struct LoadCSV: FileLoad {
    public let name = "load.csv"
    // 2: a row that would be a blank line (one column, null) is written as "".
    public let version = "2"
    public let summary = "Write the input table to a CSV file (floats round-trip exactly, timestamps ISO 8601 UTC)."
    public var params: [ParamSpec] { LoadTarget.specs + Params.specs }

    struct Params: StageParameters {
        var delimiter = ","

        static let declarations: [ParamDeclaration<Self>] = [
            .param("delimiter", \.delimiter, help: "field delimiter, one byte")
        ]

        func problems(stage id: String) -> [StageError] {
            delimiter.utf8.count == 1
                ? [] : [StageError("`delimiter` must be one byte, got '\(delimiter)'", param: "delimiter")]
        }
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        _ = context.parameters(Params.self)
        return [:]
    }

    func write(_ table: Table, to sink: inout HashingFileSink, stage: StageSpec) throws {
        let delimiter = try Params.decode(stage).delimiter.utf8.first ?? UInt8(ascii: ",")
        try CSVWriter(delimiter: delimiter).write(table, to: &sink)
    }
}

/// `load.arrow`: write the input table as an Arrow IPC file.
public struct LoadArrow: FileLoad {
    public let name = "load.arrow"
    public let version = "1"
    public let summary = "Write the input table to an Arrow IPC (Feather v2) file."
    public var params: [ParamSpec] { LoadTarget.specs }

    public init() {}

    func write(_ table: Table, to sink: inout HashingFileSink, stage: StageSpec) throws {
        try ArrowWriter().write(table, to: &sink)
    }
}
