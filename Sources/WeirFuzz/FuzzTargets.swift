import Foundation
import WeirCore
import WeirRemote
import WeirStages
import WeirSystem
import WeirTable

/// The inputs Weir reads from users' files, each as one fuzz target: bytes in, a table, a
/// pipeline or an error out. Anything else — a trap, a hang, unbounded memory — is a bug.
enum FuzzTarget: String, CaseIterable {
    case csv, arrow, yaml, logs, xml

    func run(_ data: UnsafeRawBufferPointer) {
        switch self {
        case .csv:
            // Twice: inferred types, then every column declared, the two paths a value can take.
            _ = try? CSVReader.read(bytes: Array(data), name: "fuzz.csv")
            var options = CSVOptions()
            options.badRows = .skip
            _ = try? CSVReader.read(bytes: Array(data), name: "fuzz.csv", options: options)
        case .arrow:
            // The reader maps files, so the bytes go through one.
            let path = FuzzFiles.scratch
            guard FileManager.default.createFile(atPath: path, contents: Data(data)) else { return }
            if let table = try? ArrowFile.read(path: path) {
                for column in table.columns {
                    for row in 0..<min(column.count, 64) { _ = column.isNull(row) }
                }
                _ = try? CSVWriter().string(table)
            }
        case .yaml:
            let loader = PipelineLoader(registry: BuiltinStages.registry, environment: ["HOME": "/nonexistent"])
            _ = try? loader.loadCollecting(text: String(decoding: data, as: UTF8.self), file: "/fuzz/pipeline.yaml")
        case .logs:
            _ = try? LambdaLogFuzzEntry.run(data)
        case .xml:
            // An S3 server's reply: a listing or an error document.
            _ = XMLTree.parse(Data(data))?["Code"]
        }
    }
}

enum FuzzFiles {
    static let scratch: String = {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return "\(folder)/weir-fuzz-\(Syscall.processID).arrow"
    }()
}
