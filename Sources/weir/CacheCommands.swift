import ArgumentParser
import Foundation
import WeirCore
import WeirRemote

/// `weir cache`: the local object store and the remote cache shared with other machines.
struct Cache: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Manage the object store and the remote cache.",
        subcommands: [GC.self, Verify.self, Status.self, Push.self, Pull.self])

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove objects no cache entry or kept source part references, and temporary files of dead runs.",
            discussion:
                "With --prune, first forget cache entries that are not the current output of some pipeline's stage (older parameter variants), and source parts no stage's latest read used, so their objects go too."
        )

        @OptionGroup var state: StateOptions

        @Flag(help: "Also drop cache entries that are not the latest output of any pipeline stage.")
        var prune = false

        func run() throws {
            let workspace = try state.workspace()
            var dropped = (entries: 0, parts: 0)
            if prune { dropped = try workspace.ledger.pruneEntries() }
            let referenced = workspace.store.closure(try workspace.ledger.referencedDigests())
            var removed = 0
            var bytes = 0
            for object in workspace.store.allObjects() where !referenced.contains(object.digest) {
                workspace.store.remove(object.digest)
                removed += 1
                bytes += object.bytes
            }
            let temporaries = workspace.store.removeOrphanTemporaries()
            // Report sections are drawn again when next needed.
            try? FileManager.default.removeItem(atPath: workspace.root + "/previews")
            Output.line(
                "removed \(Wording.count(removed, "object")) (\(Terminal.count(bytes)) bytes), \(Wording.count(temporaries, "temporary file"))"
                    + (prune
                        ? ", \(dropped.entries) cache entr\(dropped.entries == 1 ? "y" : "ies"), "
                            + Wording.count(dropped.parts, "source part") : ""))
        }
    }

    /// Hashes every object; a corrupt one is moved aside, so the stage that made it runs again.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Hash every object in the store and move corrupt ones aside.",
            discussion:
                "Runs check objects by their stat and hash only what changed; this reads every byte, as after a disk fault. A corrupt object goes to corrupt/ in the state directory and the stage that made it runs again on the next run. Exit status 1 when any object was corrupt."
        )

        @OptionGroup var state: StateOptions

        func run() throws {
            let workspace = try state.workspace()
            var checked = 0
            var bytes = 0
            var bad = 0
            for object in workspace.store.allObjects() {
                checked += 1
                bytes += object.bytes
                do { try workspace.store.verify(object.digest, .full) } catch {
                    bad += 1
                    Terminal.error("weir: \(error)")
                }
            }
            Output.line(
                "checked \(Wording.count(checked, "object")) (\(Terminal.count(bytes)) bytes): "
                    + (bad == 0 ? "all whole" : "\(bad) corrupt, moved aside"))
            if bad > 0 { throw ExitCode(1) }
        }
    }

    /// Where each stage's current result is: here, in the remote cache, both or neither.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show, per stage, whether its current result is cached here and in the remote cache.",
            discussion:
                "Reads only the remote cache's entries, never its objects. A stage whose upstream is in neither cache has no known key yet."
        )

        @OptionGroup var options: PipelineOptions

        func run() throws {
            let workspace = try options.workspace(.readOnly)
            let pipeline = try options.load()
            let remote = try remoteCache(pipeline, workspace: workspace)
            let (plan, cache) = try makePlan(
                pipeline, identity: options.pipelineIdentity, workspace: workspace, remoteUse: .peek)
            var here = 0
            var there = 0
            var neither = 0
            var rows: [[String]] = []
            for stagePlan in plan.stages {
                let id = stagePlan.stage.id
                guard let key = stagePlan.key else {
                    neither += 1
                    rows.append([id, "-", "-", "-", "after its upstream runs"])
                    continue
                }
                let local = cache.localEntry(for: key, stage: id) != nil
                // A stage cached but not here was planned from the remote entry just read.
                let remoteHas: Bool?
                if !local && stagePlan.status == .cached {
                    remoteHas = true
                } else {
                    do { remoteHas = try remote?.contains(key: key) } catch {
                        throw RuntimeError("remote cache \(remote?.url ?? ""): \(error)")
                    }
                }
                if local { here += 1 }
                if remoteHas == true { there += 1 }
                if !local && remoteHas != true { neither += 1 }
                let note =
                    local
                    ? (remoteHas == false ? "weir cache push sends it" : "")
                    : remoteHas == true ? "weir cache pull fetches it" : stagePlan.reason
                rows.append([
                    id, String(key.prefix(12)), local ? "yes" : "no", remoteHas.map { $0 ? "yes" : "no" } ?? "-", note,
                ])
            }
            Output.line(Terminal.table(["STAGE", "KEY", "HERE", "REMOTE", ""], rows))
            Output.line(
                "\n\(Wording.count(plan.stages.count, "stage")): \(here) cached here, "
                    + (remote.map { "\(there) in \($0.url), " } ?? "no remote cache, ") + "\(neither) in neither")
        }
    }

    /// Sends the current results of a pipeline's stages to the remote cache.
    struct Push: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Send the current cached results of a pipeline's stages to the remote cache.",
            discussion:
                "Objects the remote already holds are not sent again; each entry goes after its objects, so a reader never finds an entry without them."
        )

        @OptionGroup var options: PipelineOptions

        func run() throws {
            let (workspace, pipeline, remote) = try Cache.withRemote(options)
            let (plan, _) = try makePlan(
                pipeline, identity: options.pipelineIdentity, workspace: workspace, remoteUse: nil)
            var pushed = 0
            var present = 0
            var objects = 0
            var missing: [String] = []
            for stagePlan in plan.stages {
                let id = stagePlan.stage.id
                guard stagePlan.status == .cached, let entry = stagePlan.entry, let material = stagePlan.material else {
                    missing.append(id)
                    continue
                }
                do {
                    if try remote.contains(key: entry.key) {
                        present += 1
                        continue
                    }
                    let sent = try remote.push(
                        key: entry.key, material: material, outputs: entry.outputs,
                        written: (try? workspace.ledger.writtenFiles(key: entry.key)) ?? [], store: workspace.store)
                    objects += sent
                    pushed += 1
                    Output.line("  pushed   \(id)  (\(Wording.count(sent, "object")))")
                } catch {
                    throw RuntimeError("pushing stage '\(id)' to \(remote.url): \(error)")
                }
            }
            Output.line(
                "pushed \(Wording.count(pushed, "stage")) (\(Wording.count(objects, "object"))) to \(remote.url); "
                    + "\(present) already there"
                    + (missing.isEmpty ? "" : "; not cached here: \(missing.joined(separator: ", "))"))
        }
    }

    /// Fetches the results a pipeline's stages would otherwise compute.
    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pull",
            abstract:
                "Fetch from the remote cache every current result of a pipeline's stages that is not cached here.",
            discussion:
                "Every object is checked against its SHA-256 before it enters the store. A run pulls on a miss anyway; this fetches ahead, for example before going offline."
        )

        @OptionGroup var options: PipelineOptions

        func run() throws {
            let (workspace, pipeline, remote) = try Cache.withRemote(options)
            // One memo for both plans: remote sources are listed once.
            let memo = StageMemo()
            let (before, _) = try makePlan(
                pipeline, identity: options.pipelineIdentity, workspace: workspace, memo: memo, remoteUse: nil)
            let local = Set(before.stages.filter { $0.status == .cached }.map(\.stage.id))
            let (plan, _) = try makePlan(
                pipeline, identity: options.pipelineIdentity, workspace: workspace, memo: memo, remoteUse: .pull)
            var pulled = 0
            var bytes = 0
            var absent: [String] = []
            for stagePlan in plan.stages where !local.contains(stagePlan.stage.id) {
                guard stagePlan.status == .cached, let entry = stagePlan.entry else {
                    absent.append(stagePlan.stage.id)
                    continue
                }
                pulled += 1
                let size = entry.outputs.reduce(0) { total, output in
                    total
                        + ((try? FileManager.default.attributesOfItem(atPath: workspace.store.file(of: output.digest))[
                            .size] as? Int) ?? 0)
                }
                bytes += size
                Output.line("  pulled   \(stagePlan.stage.id)  (\(Terminal.count(size)) bytes)")
            }
            Output.line(
                "pulled \(Wording.count(pulled, "stage")) (\(Terminal.count(bytes)) bytes) from \(remote.url); \(local.count) already here"
                    + (absent.isEmpty
                        ? "" : "; in neither cache (a run computes them): \(absent.joined(separator: ", "))"))
        }
    }

    /// The workspace, the pipeline and the remote cache it must have.
    static func withRemote(_ options: PipelineOptions) throws -> (Workspace, Pipeline, any RemoteCache) {
        let workspace = try options.workspace()
        let pipeline = try options.load()
        guard let remote = try remoteCache(pipeline, workspace: workspace) else {
            throw UsageError(
                "no remote cache: set `cache: { remote: s3://bucket/prefix }` in the pipeline, --cache-remote, or WEIR_CACHE_REMOTE"
            )
        }
        return (workspace, pipeline, remote)
    }
}
