import ArgumentParser
import Foundation
import WeirCore
import WeirTable

struct Weir: ParsableCommand {
    static let release = "0.1.0"

    /// The version and the commit the binary was built from: scripts/package writes the commit
    /// into this stamp in the packaged binary (same length, so nothing else moves).
    static let version: String = {
        let stamp = BuildStamp.commit()
        return release + (stamp.map { " (commit \($0))" } ?? " (development build)")
    }()

    static let configuration = CommandConfiguration(
        commandName: "weir",
        abstract: "A data-pipeline DAG runner with typed stages and a content-hashed cache.",
        discussion: "Exit status: 0 success, 1 a stage failed, 2 the pipeline or the command line is invalid.",
        version: version,
        subcommands: [
            Validate.self, Plan_.self, Run.self, RunStage.self, Schedule.self, Show.self, Graph.self, History.self,
            Runs.self, Stages.self, Cache.self, Convert.self, Serve.self, Schema_.self, Init.self, LSP.self,
        ]
    )
}

/// Maps every failure to the exit codes DESIGN.md fixes: 1 when a stage (or the work itself)
/// failed, 2 when the pipeline or the command line is invalid.
@main
enum Main {
    static func main() {
        // A parent (a test runner, a scheduler's worker thread) may have blocked the signals a
        // run handles, and a blocked mask is inherited: unblock them before any thread starts.
        var handled = sigset_t()
        sigemptyset(&handled)
        for number in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&handled, number) }
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
        do {
            var command = try Weir.parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch let error as DiagnosticError {
            let sorted = error.diagnostics.enumerated().sorted {
                ($0.element.location ?? SourceLocation(file: "", line: 0, column: 0), $0.offset)
                    < ($1.element.location ?? SourceLocation(file: "", line: 0, column: 0), $1.offset)
            }.map(\.element)
            // The loader and a stage's planning may find the same problem; say it once.
            var seen = Set<String>()
            let unique = sorted.filter { seen.insert("\($0.location.map { "\($0)" } ?? ""): \($0.message)").inserted }
            Terminal.error(DiagnosticError(unique).description)
            let count = unique.filter { $0.severity == .error }.count
            Terminal.error(Wording.count(count, "error"))
            exit(2)
        } catch let error as WorkspaceError {
            Terminal.error("weir: \(error)")
            exit(2)
        } catch let error as UsageError {
            Terminal.error(error.description.hasPrefix("weir:") ? error.description : "weir: " + error.description)
            exit(2)
        } catch let error as RuntimeError {
            Terminal.error("weir: " + error.description)
            exit(1)
        } catch {
            let code = Weir.exitCode(for: error)
            if code == .success { Weir.exit(withError: error) }  // --help, --version
            if error is LedgerError || error is TableError || error is StageError {
                Terminal.error("weir: \(error)")
                exit(1)
            }
            // Anything ArgumentParser reports is a command-line problem.
            Terminal.error(Weir.fullMessage(for: error))
            exit(2)
        }
    }
}
