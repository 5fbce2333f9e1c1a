import Foundation
#if canImport(Glibc)
import Glibc
#endif
import WeirCore
import WeirTable

/// Shared by the loads: a load is a side effect. It runs when its input's digest changes, or
/// when the file it wrote last time is gone; the file is replaced atomically.
protocol FileLoad: StageType {
    func write(_ table: Table, to path: String, stage: StageSpec) throws
}

extension FileLoad {
    public var inputs: InputArity { .one }
    public var outputs: [String] { [] }

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] { [:] }

    public func sideEffectsIntact(_ context: SourceContext) -> Bool {
        guard let path = context.param("path")?.string else { return true }
        return access(context.resolvePath(path), F_OK) == 0
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        guard let path = context.param("path")?.string else { throw StageError("`path` is required", param: "path") }
        let target = context.resolvePath(path)
        let folder = (target as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let temporary = "\(target).weir-\(getpid()).tmp"
        do {
            try write(context.inputs[0], to: temporary, stage: context.stage)
            guard rename(temporary, target) == 0 else {
                throw StageError("cannot write \(path): \(String(cString: strerror(errno)))", param: "path")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        context.log.info("wrote \(context.inputs[0].rowCount) rows to \(target)")
        return [:]
    }
}

/// `load.csv`: write the input table as a CSV file.
public struct LoadCSV: FileLoad {
    public let name = "load.csv"
    public let version = "1"
    public let summary = "Write the input table to a CSV file (floats round-trip exactly, timestamps ISO 8601 UTC)."
    public let params: [ParamSpec] = [
        ParamSpec("path", .string, required: true, help: "the file to write, relative to the pipeline file"),
        ParamSpec("delimiter", .string, default: .string(","), help: "field delimiter, one byte"),
    ]

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        if let delimiter = context.param("delimiter")?.string, delimiter.utf8.count != 1 {
            context.error("delimiter", "`delimiter` must be one byte, got '\(delimiter)'")
        }
        return [:]
    }

    func write(_ table: Table, to path: String, stage: StageSpec) throws {
        let delimiter = stage.param("delimiter")?.string?.utf8.first ?? UInt8(ascii: ",")
        try CSVWriter(delimiter: delimiter).write(table, toFile: path)
    }
}

/// `load.arrow`: write the input table as an Arrow IPC file.
public struct LoadArrow: FileLoad {
    public let name = "load.arrow"
    public let version = "1"
    public let summary = "Write the input table to an Arrow IPC (Feather v2) file."
    public let params: [ParamSpec] = [
        ParamSpec("path", .string, required: true, help: "the file to write, relative to the pipeline file"),
    ]

    public init() {}

    func write(_ table: Table, to path: String, stage: StageSpec) throws {
        try ArrowWriter().write(table, toFile: path, sync: true)
    }
}
