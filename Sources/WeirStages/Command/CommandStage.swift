import Foundation
import WeirCore
import WeirSystem
import WeirTable

#if canImport(Glibc)
    import Glibc
#endif

/// `type: command, stage: NAME`: runs the command line of `stages/NAME.yaml`. Weir writes each
/// input as an Arrow file and passes, in the environment:
///
/// - `WEIR_INPUT_<PORT>` and `WEIR_OUTPUT_<PORT>` (port names upper-cased): Arrow file paths;
///   `WEIR_INPUTS` and `WEIR_OUTPUTS`: the same as JSON objects of port to path;
/// - `WEIR_PARAMS`: the stage's parameters as a JSON object;
/// - `WEIR_STAGE`: the stage id; `WEIR_MANIFEST`: the manifest's path.
///
/// The command runs in the folder holding `stages/`. A non-zero exit, a missing output, or an
/// output whose columns differ from the manifest fails the stage with a message naming the
/// manifest. The manifest and the files its command line names are part of the cache key.
struct CommandStage: StageType {
    let manifest: CommandManifest
    var name: String { "command:" + manifest.name }
    var version: String { "1:" + manifest.digest }
    var summary: String {
        manifest.description.isEmpty ? "User stage from \(manifest.file): \(manifest.run)" : manifest.description
    }
    var params: [ParamSpec] { manifest.params }
    var inputs: InputArity {
        switch manifest.inputs.count {
        case 0: .none
        case 1: .one
        default: .many
        }
    }
    var outputs: [String] { manifest.outputs.map(\.name) }

    /// What the manifest calls itself in messages: its path from the project folder.
    var manifestName: String {
        let prefix = manifest.projectDirectory + "/"
        return manifest.file.hasPrefix(prefix) ? String(manifest.file.dropFirst(prefix.count)) : manifest.file
    }

    func schema(_ port: CommandManifest.Port, _ stage: StageSpec) -> Schema {
        Schema(port.columns.map { Field(CommandManifest.substitute($0.name, stage), $0.type) })
    }

    func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        if manifest.inputs.count > 1, context.inputSchemas.count != manifest.inputs.count {
            context.error(
                nil,
                "\(manifestName) declares \(manifest.inputs.count) inputs ("
                    + manifest.inputs.map(\.name).joined(separator: ", ")
                    + "); give them in that order with `inputs: [...]`")
            return [:]
        }
        for (index, (port, schema)) in zip(manifest.inputs, context.inputSchemas).enumerated() {
            let source = context.stage.inputs[index].description
            for column in port.columns {
                let name = CommandManifest.substitute(column.name, context.stage)
                guard let field = schema[name] else {
                    context.error(
                        nil,
                        "\(manifestName) needs column '\(name)' (\(column.type)) in input '\(port.name)', but \(source) has no such column "
                            + "(it has: \(schema.names.joined(separator: ", ")))",
                        hint: Suggest.didYouMean(name, in: schema.names))
                    continue
                }
                if field.type != column.type {
                    context.error(
                        nil,
                        "\(manifestName) needs column '\(name)' of input '\(port.name)' to be \(column.type), but in \(source) it is \(field.type)"
                    )
                }
            }
        }
        var schemas: [String: Schema] = [:]
        for port in manifest.outputs { schemas[port.name] = schema(port, context.stage) }
        return schemas
    }

    func run(_ context: RunContext) throws -> [String: Table] {
        let work = try context.runFile("work")
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        var environment = ProcessInfo.processInfo.environment
        var inputPaths: [String: String] = [:]
        var outputPaths: [String: String] = [:]
        for (port, table) in zip(manifest.inputs, context.inputs) {
            let path = "\(work)/in-\(port.name).arrow"
            try ArrowWriter().write(table, toFile: path)
            inputPaths[port.name] = path
            environment["WEIR_INPUT_" + Self.variable(port.name)] = path
        }
        for port in manifest.outputs {
            let path = "\(work)/out-\(port.name).arrow"
            outputPaths[port.name] = path
            environment["WEIR_OUTPUT_" + Self.variable(port.name)] = path
        }
        var params: [String: ParamValue] = [:]
        for spec in manifest.params where spec.name != "stage" { params[spec.name] = context.param(spec.name) ?? .null }
        environment["WEIR_PARAMS"] = CanonicalJSON.encode(.map(params))
        environment["WEIR_INPUTS"] = CanonicalJSON.encode(.map(inputPaths.mapValues { .string($0) }))
        environment["WEIR_OUTPUTS"] = CanonicalJSON.encode(.map(outputPaths.mapValues { .string($0) }))
        environment["WEIR_STAGE"] = context.stage.id
        environment["WEIR_MANIFEST"] = URL(fileURLWithPath: manifest.file).path  // the command runs elsewhere

        let logPath = try context.runFile("command.log")
        let status = try execute(
            environment: environment, log: logPath, timeout: context.stage.timeout, stageID: context.stage.id)
        let output = OutputTail.read(logPath, lines: 12)
        if !output.isEmpty { context.log.info("command output (\(logPath)):\n" + output) }
        switch status {
        case .exited(0): break
        case .exited(let code):
            throw StageError(
                "\(manifestName): `\(manifest.run)` exited with status \(code)"
                    + OutputTail.quoted(output, otherwise: " and printed nothing"))
        case .signalled(let signal):
            throw StageError(
                "\(manifestName): `\(manifest.run)` was killed by signal \(signal)"
                    + OutputTail.quoted(output, otherwise: " and printed nothing"))
        case .timedOut(let seconds):
            throw StageError(
                "\(manifestName): `\(manifest.run)` ran longer than the stage's timeout (\(FloatFormat.shortest(seconds)) s) and was stopped"
            )
        }

        var tables: [String: Table] = [:]
        for port in manifest.outputs {
            let path = outputPaths[port.name]!
            guard Syscall.exists(path) else {
                throw StageError(
                    "\(manifestName): the command wrote nothing to output '\(port.name)'; "
                        + "it should write an Arrow IPC file to $WEIR_OUTPUT_\(Self.variable(port.name))")
            }
            let table: Table
            do { table = try ArrowFile.read(path: path) } catch {
                throw StageError("\(manifestName): output '\(port.name)' is not a readable Arrow IPC file: \(error)")
            }
            tables[port.name] = try conform(table, to: schema(port, context.stage), port: port.name)
        }
        return tables
    }

    /// The output in the manifest's column order; a missing, extra or mistyped column is an error.
    func conform(_ table: Table, to declared: Schema, port: String) throws -> Table {
        let actual = table.schema
        var problems: [String] = []
        for field in declared.fields {
            guard let found = actual[field.name] else {
                problems.append("column '\(field.name)' is missing")
                continue
            }
            if found.type != field.type {
                problems.append("column '\(field.name)' is \(found.type), declared \(field.type)")
            }
        }
        for field in actual.fields where declared[field.name] == nil {
            problems.append("column '\(field.name)' is not declared")
        }
        guard problems.isEmpty else {
            throw StageError(
                "\(manifestName): output '\(port)' does not match its declared schema: "
                    + problems.joined(separator: "; ")
                    + " (declared: " + declared.fields.map(\.description).joined(separator: ", ")
                    + "; written: " + actual.fields.map(\.description).joined(separator: ", ") + ")")
        }
        return try table.select(declared.names)
    }

    enum Status {
        case exited(Int32)
        case signalled(Int32)
        case timedOut(Double)
    }

    /// Runs `run` under /bin/sh, in its own process group, with stdout and stderr into `log`;
    /// at the timeout the whole group is ended (SIGTERM, then SIGKILL after a grace period),
    /// so nothing the script started runs on.
    func execute(environment: [String: String], log: String, timeout: Double?, stageID: String) throws -> Status {
        guard FileManager.default.createFile(atPath: log, contents: nil) else {
            throw StageError("cannot create \(log)")
        }
        // The script may print what it was given; its output is a log Weir keeps, so redact it.
        defer { Secrets.redactFile(log) }
        let child: ChildProcess
        do {
            child = try ChildProcess(
                shell: manifest.run, environment: environment, directory: manifest.projectDirectory, output: log,
                owner: stageID)
        } catch {
            throw StageError("\(manifestName): \(error)")
        }
        guard let ended = child.wait(timeout: timeout) else {
            child.terminateGroup()
            return .timedOut(timeout ?? 0)
        }
        switch ended {
        case .exited(let code): return .exited(code)
        case .signalled(let signal): return .signalled(signal)
        }
    }

    static func variable(_ port: String) -> String {
        String(port.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
