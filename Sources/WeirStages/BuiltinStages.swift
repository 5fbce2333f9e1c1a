import Foundation
import WeirCore

/// Every stage type this build of Weir knows.
public enum BuiltinStages {
    public static let all: [any StageType] = [
        ExtractCSV(), ExtractLogs(), LogTransactions(), Overdraft(), LogGaps(), SQLStage(), SelectColumns(), TopRows(), LoadCSV(), LoadArrow(), LoadSQLite(),
        Apriori(), RFM(), Pivot(), PCAKMeans(), Affinity(), Cohort(),
        CostSpikes(), CostTrend(), CostTotals(), Quality(), Slack(),
    ]

    public static var registry: StageRegistry { StageRegistry(all) }

    /// The built-in types plus the user-defined stages of the nearest `stages/` folder at or
    /// above the pipeline file's folder, each as type `command:NAME`.
    public static func registry(forPipeline file: String) -> StageRegistry {
        var registry = self.registry
        var folder = URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent()
        while true {
            let stages = folder.appendingPathComponent("stages").path
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: stages, isDirectory: &isFolder), isFolder.boolValue {
                registry.commandFolder = displayPath(stages)
                let manifests = ((try? FileManager.default.contentsOfDirectory(atPath: stages)) ?? [])
                    .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                for file in manifests {
                    let name = (file as NSString).deletingPathExtension
                    do {
                        registry.register(CommandStage(manifest: try CommandManifest.load(path: displayPath(stages + "/" + file),
                                                                                          projectDirectory: folder.path)))
                    } catch {
                        registry.brokenCommands[name] = error.diagnostics
                    }
                }
                return registry
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { return registry }
            folder = parent
        }
    }

    /// Relative to the working folder when inside it, as diagnostics show paths.
    static func displayPath(_ path: String) -> String {
        let current = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(current) ? String(path.dropFirst(current.count)) : path
    }
}
