import Foundation
import WeirCore
import WeirSystem
import WeirTable

/// Rasterises SVG with librsvg's `rsvg-convert` (Debian: librsvg2-bin), when it is installed.
enum SVGRaster {
    static let missing = "rsvg-convert is not installed (Debian: apt-get install librsvg2-bin)"

    static var converter: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/rsvg-convert" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// The PNG of `svg`, as bytes.
    static func png(_ svg: String) throws -> Data {
        guard let converter else { throw StageError(missing) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "weir-png-\(Syscall.processID)-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("chart.svg")
        let output = folder.appendingPathComponent("chart.png")
        try Data(svg.utf8).write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: converter)
        process.arguments = ["--format", "png", "--output", output.path, input.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let png = try? Data(contentsOf: output) else {
            throw StageError(
                "rsvg-convert failed: "
                    + String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return png
    }
}

/// The charts of a run as files in its folder: `<stage>.svg`, and `<stage>.png` for
/// `format: png`, for cached chart stages as much as for those that ran.
public enum ChartFiles {
    /// Writes them; returns warnings (a PNG that could not be made), never throws.
    public static func write(_ summary: RunSummary, runDirectory: String, read: (String) throws -> Table) -> [String] {
        var warnings: [String] = []
        for outcome in summary.outcomes
        where outcome.type == "chart" && (outcome.status == .ran || outcome.status == .cached) {
            guard let port = outcome.outputs.first(where: { $0.port == "chart" }) else { continue }
            do {
                let table = try read(port.digest)
                guard table.rowCount == 1, let picture = table.column("svg")?[0].description,
                    let format = table.column("format")?[0].description
                else {
                    warnings.append("chart '\(outcome.stage)': its chart output is not one picture")
                    continue
                }
                // The run folder is Weir's own record: nothing secret goes in it.
                let svg = Secrets.redact(picture)
                try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
                try Data(svg.utf8).write(
                    to: URL(fileURLWithPath: "\(runDirectory)/\(outcome.stage).svg"), options: .atomic)
                if format == "png" {
                    try SVGRaster.png(svg).write(
                        to: URL(fileURLWithPath: "\(runDirectory)/\(outcome.stage).png"), options: .atomic)
                }
            } catch {
                warnings.append("chart '\(outcome.stage)': \(error)")
            }
        }
        return warnings
    }
}
