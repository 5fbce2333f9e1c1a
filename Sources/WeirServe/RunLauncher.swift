import Foundation
import WeirCore
import WeirSystem

/// `POST /api/v1/runs`: starts `weir run` on a pipeline file of the served project, as its own
/// process (a run holds the pipeline's lock and may take hours; the server only starts it).
struct RunLauncher: Sendable {
    /// The folder whose pipeline files may be run; nothing outside it (after resolving links).
    let project: String
    let weir: String
    let stateDirectory: String

    struct Request: Decodable {
        var pipeline: String
        var select: [String]?
        var params: [String: String]?
    }

    /// Checks the request and starts the run; the answer names the process.
    func start(_ body: Data) throws(ServeError) -> String {
        let request: Request
        do { request = try JSONDecoder().decode(Request.self, from: body) } catch {
            throw .badRequest(
                "the body must be JSON {\"pipeline\": PATH, \"select\": [...], \"params\": {...}}: \(error)")
        }
        let file = try pipelineFile(request.pipeline)
        var arguments = ["run", file, "--state-dir", stateDirectory, "--json"]
        for stage in request.select ?? [] {
            guard !stage.hasPrefix("-"), !stage.isEmpty else {
                throw .badRequest("select: '\(stage)' is not a stage pattern")
            }
            arguments += ["--select", stage]
        }
        for (name, value) in (request.params ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard name.range(of: #"^[A-Za-z_][A-Za-z0-9_]*$"#, options: .regularExpression) != nil else {
                throw .badRequest("params: '\(name)' is not a parameter name")
            }
            arguments += ["--param", "\(name)=\(value)"]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: weir)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: project)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw .internal("cannot start weir run: \(error)") }
        return JSONText.object([
            ("started", "true"), ("pid", String(process.processIdentifier)), ("pipeline", JSONText.string(file)),
        ])
    }

    /// The real path of a pipeline file inside the project; anything else is refused.
    func pipelineFile(_ path: String) throws(ServeError) -> String {
        guard !path.isEmpty, !path.contains("\0") else {
            throw .badRequest("pipeline: a path to a .yaml file is required")
        }
        let joined = path.hasPrefix("/") ? path : project + "/" + path
        guard let real = Syscall.realPath(joined) else { throw .notFound("pipeline: no file '\(path)' in the project") }
        guard real.hasPrefix(project.hasSuffix("/") ? project : project + "/") else {
            throw .forbidden("pipeline: '\(path)' is outside the served project")
        }
        guard real.hasSuffix(".yaml") || real.hasSuffix(".yml") else {
            throw .badRequest("pipeline: '\(path)' is not a .yaml file")
        }
        return real
    }
}
