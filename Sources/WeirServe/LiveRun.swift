import Foundation
import WeirCore

/// A running run, as server-sent events: every half second the stages that finished since the
/// last look (`event: stage`), and the run's status when it ends (`event: run`), then the
/// stream closes. A run that already ended sends its stages and status at once.
struct LiveRun: Sendable {
    let catalog: Catalog
    let id: String
    static let interval = Duration.milliseconds(500)
    /// A stream ends after this long even if the run does not (a client reconnects).
    static let longest = Duration.seconds(3600)

    /// Calls `send` with each event's text until the run ends.
    func stream(_ send: (String) async throws -> Void) async throws {
        var seen: [String: StageStatus] = [:]
        let started = ContinuousClock.now
        while ContinuousClock.now - started < Self.longest {
            guard let run = try catalog.workspace.ledger.run(exactly: id) else {
                try await send(Self.event("error", JSONText.object([("error", JSONText.string("no run '\(id)'"))])))
                return
            }
            for stage in try catalog.workspace.ledger.stageRuns(runID: id) where seen[stage.stage] != stage.status {
                seen[stage.stage] = stage.status
                try await send(Self.event("stage", JSONText.stageRun(stage)))
            }
            if run.status != .running {
                try await send(Self.event("run", JSONText.run(run)))
                return
            }
            try await Task.sleep(for: Self.interval)
        }
    }

    static func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }
}

/// The pipelines that have run here and say `schedule:`, with their next fire times and the
/// ticks recorded in the ledger.
struct SchedulesPage: Sendable {
    let catalog: Catalog
    /// Reads a pipeline file (the stage registry lives with the command).
    let load: @Sendable (String) throws -> Pipeline

    func html() throws(ServeError) -> String {
        let pipelines: [Ledger.PipelineSummary]
        do { pipelines = try catalog.workspace.ledger.pipelines() } catch { throw .internal("\(error)") }
        var sections: [String] = []
        for summary in pipelines {
            guard let pipeline = try? load(summary.file), let schedule = pipeline.schedule else { continue }
            let next = schedule.calendar.next(after: Date(), count: 5).map {
                "<li>\(Pages.time($0.timeIntervalSince1970))</li>"
            }.joined()
            let ticks = ((try? catalog.workspace.ledger.ticks(pipelineFile: summary.file, limit: 10)) ?? []).map {
                tick in
                "<tr><td>\(Pages.time(tick.tick.timeIntervalSince1970))</td><td class=\"\(tick.status.rawValue)\">\(tick.status.rawValue)</td>"
                    + "<td>\(tick.runID.map { "<a href=\"/runs/\(Pages.segment($0))\">\(Pages.escape($0))</a>" } ?? "")</td>"
                    + "<td>\(Pages.escape(tick.detail ?? ""))</td></tr>"
            }.joined()
            sections.append(
                "<h2>\(Pages.escape(pipeline.name))</h2><p><code>\(Pages.escape(schedule.calendar.cron.description))</code> in "
                    + "\(Pages.escape(schedule.calendar.timeZone.identifier)) · catchup \(schedule.catchup.rawValue) · overlap \(schedule.overlap.rawValue)</p>"
                    + "<p>next:</p><ul class=\"next\">\(next)</ul>"
                    + (ticks.isEmpty
                        ? "<p class=\"note\">no ticks recorded yet</p>"
                        : "<table class=\"ticks\"><tr><th>tick</th><th>status</th><th>run</th><th>detail</th></tr>\(ticks)</table>")
            )
        }
        return Pages.document(
            "Schedules",
            sections.isEmpty ? "<p class=\"note\">no pipeline that has run here says schedule:</p>" : sections.joined())
    }
}
