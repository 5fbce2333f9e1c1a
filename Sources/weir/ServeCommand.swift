import ArgumentParser
import Foundation
import WeirCore
import WeirServe
import WeirStages
import WeirSystem

/// `weir serve`: pages and a JSON API over the state directory, until stopped.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve runs, reports and outputs over HTTP (pages and a JSON API under /api/v1/).",
        discussion: """
            Reads the state directory read-only (a read-only mount works). Binds 127.0.0.1 unless --host says otherwise. \
            Starting runs (POST /api/v1/runs) needs WEIR_SERVE_TOKEN set here and sent as Authorization: Bearer TOKEN; \
            only pipeline files under --project run. --port 0 picks a free port; the address is printed when listening.
            """
    )

    @OptionGroup var state: StateOptions

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port).")
    var port = 8080

    @Option(help: "The folder whose pipeline files the API may run (default: the working folder).")
    var project: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
    }

    func run() throws {
        let workspace = try state.workspace(.readOnly)
        let folder = project ?? FileManager.default.currentDirectoryPath
        guard let projectPath = Syscall.realPath(folder) else {
            throw ValidationError("--project: no folder '\(folder)'")
        }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var configuration = WeirServer.Configuration(
            project: projectPath, weir: executable,
            token: ProcessInfo.processInfo.environment["WEIR_SERVE_TOKEN"]
        ) { path in
            try PipelineLoader(registry: BuiltinStages.registry(forPipeline: path)).load(path: path)
        }
        configuration.host = host
        configuration.port = port
        let server = WeirServer(workspace: workspace, configuration: configuration)
        let host = self.host
        let finished = DispatchSemaphore(value: 0)
        let failure = Failure()
        Task {
            do {
                try await server.run { port in
                    Output.line("weir serve: listening on http://\(host):\(port) (state \(workspace.root))")
                }
            } catch { failure.set(error) }
            finished.signal()
        }
        finished.wait()
        if let error = failure.get() { throw error }
    }

    /// The server's error, handed from its task to the command.
    final class Failure: @unchecked Sendable {
        private let lock = NSLock()
        private var error: (any Error)?
        func set(_ error: any Error) { lock.withLock { self.error = error } }
        func get() -> (any Error)? { lock.withLock { error } }
    }
}
