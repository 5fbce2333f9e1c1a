import Foundation
import WeirCore
import WeirTable

/// Whole files: an output as CSV or Arrow, and a run's report.
struct Download: Sendable {
    let catalog: Catalog
    /// Larger outputs are refused here (`weir show` and the store serve them better).
    static let maxBytes = 1 << 30

    struct File {
        var name: String
        var type: String
        var bytes: [UInt8]
    }

    func file(pipeline: String, name: String, format: String) throws(ServeError) -> File {
        let (stage, port) = API.split(name)
        let output = try catalog.output(pipeline: pipeline, stage: stage, port: port)
        let table = try catalog.table(output)
        let base = "\(stage).\(output.port)"
        do {
            if format == "csv" {
                let text = try CSVWriter().string(table)
                guard text.utf8.count <= Self.maxBytes else {
                    throw ServeError.tooLarge("the CSV would exceed 1 GiB; use weir show")
                }
                return File(name: base + ".csv", type: "text/csv; charset=utf-8", bytes: Array(text.utf8))
            }
            var sink = MemorySink()
            try ArrowWriter().write(table, to: &sink)
            guard sink.bytes.count <= Self.maxBytes else {
                throw ServeError.tooLarge("the Arrow file would exceed 1 GiB")
            }
            return File(name: base + ".arrow", type: "application/vnd.apache.arrow.file", bytes: sink.bytes)
        } catch let error as ServeError { throw error } catch { throw .internal("cannot write \(base): \(error)") }
    }

    /// A stage's log in a run (what it printed, redacted when written), as text.
    func log(_ id: String, stage: String) throws(ServeError) -> String {
        let stages: [StageRunRecord]
        do {
            guard try catalog.workspace.ledger.run(exactly: id) != nil else {
                throw ServeError.notFound("no run '\(id)'")
            }
            stages = try catalog.workspace.ledger.stageRuns(runID: id)
        } catch let error as ServeError { throw error } catch { throw .internal("\(error)") }
        // The stage must be one the ledger names for this run: nothing else becomes a path.
        guard let known = stages.first(where: { $0.stage == stage }) else {
            throw .notFound("run \(id) has no stage '\(stage)'")
        }
        let path = catalog.workspace.runDirectory(id) + "/" + known.stage + ".log"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .notFound("stage '\(stage)' wrote no log in run \(id)")
        }
        return text
    }

    /// The report of a run named by its exact id.
    func report(_ id: String) throws(ServeError) -> String {
        let run: RunRecord?
        do { run = try catalog.workspace.ledger.run(exactly: id) } catch { throw .internal("\(error)") }
        guard let run else { throw .notFound("no run '\(id)'") }
        let path = catalog.workspace.runDirectory(run.id) + "/report.html"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .gone("run \(run.id) has no report (pruned?)")
        }
        return text
    }
}
