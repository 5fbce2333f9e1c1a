import Foundation
import Synchronization
import WeirCore

/// Every stage type this build of Weir knows.
public enum BuiltinStages {
    public static let all: [any StageType] = [
        ExtractCSV(), ExtractLogs(), LogTransactions(), Overdraft(), LogGaps(), SQLStage(), SelectColumns(), TopRows(),
        LoadCSV(), LoadArrow(), LoadSQLite(),
        Apriori(), RFM(), Pivot(), PCAKMeans(), Affinity(), Cohort(), Recommend(), Evaluate(), Split(),
        CostSpikes(), CostTrend(), CostTotals(), Quality(), Slack(), ChartStage(), LoadSVG(), LoadPNG(),
        ExtractPostgres(), LoadPostgres(),
    ]

    public static var registry: StageRegistry { StageRegistry(all) }

    /// The built-in types plus the user-defined stages of the nearest `stages/` folder at or
    /// above the pipeline file's folder, each as type `command:NAME`. Loaded once per folder
    /// and process: a command loads, plans and runs with the same registry.
    public static func registry(forPipeline file: String) -> StageRegistry {
        let folder = URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().path
        if let known = loaded.withLock({ $0[folder] }) { return known }
        var registry = self.registry
        if let project = projectFolder(above: folder) {
            let stages = project + "/stages"
            registry.commandFolder = displayPath(stages)
            let manifests = ((try? FileManager.default.contentsOfDirectory(atPath: stages)) ?? [])
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            for file in manifests {
                do {
                    let manifest = try CommandManifest.load(
                        path: displayPath(stages + "/" + file), projectDirectory: project)
                    registry.register(CommandStage(manifest: manifest))
                } catch {
                    registry.brokenCommands[(file as NSString).deletingPathExtension] = error.diagnostics
                }
            }
        }
        loaded.withLock { $0[folder] = registry }
        return registry
    }

    private static let loaded = Mutex<[String: StageRegistry]>([:])

    /// The nearest folder at or above `folder` that holds a `stages/` folder.
    static func projectFolder(above folder: String) -> String? {
        var current = URL(fileURLWithPath: folder)
        while true {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(
                atPath: current.appendingPathComponent("stages").path, isDirectory: &isFolder),
                isFolder.boolValue
            {
                return current.path
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return nil }
            current = parent
        }
    }

    /// Relative to the working folder when inside it, as diagnostics show paths.
    static func displayPath(_ path: String) -> String {
        let current = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(current) ? String(path.dropFirst(current.count)) : path
    }
}
