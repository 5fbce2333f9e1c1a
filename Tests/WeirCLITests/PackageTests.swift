import Foundation
import Testing
import WeirTestSupport

/// The tarball scripts/package makes ($WEIR_PACKAGE; CI sets it, WEIR_REQUIRE_PACKAGE makes a
/// missing one a failure): nothing of the Swift toolchain is needed to run it.
@Suite struct PackageTests {
    static var enabled: Bool {
        PackagedWeir.tarball != nil || ProcessInfo.processInfo.environment["WEIR_REQUIRE_PACKAGE"] != nil
    }

    static func run(_ executable: String, _ arguments: [String], in folder: String, environment: [String: String])
        throws -> (Int32, String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(.enabled(if: PackageTests.enabled)) func theTarballRunsAnExampleWithoutTheToolchain() throws {
        let folder = try #require(try PackagedWeir.folder?.get(), "WEIR_PACKAGE names no tarball")
        let weir = folder + "/bin/weir"
        let (_, libraries) = try Self.run("/usr/bin/ldd", [weir], in: folder, environment: ["PATH": "/usr/bin:/bin"])
        #expect(
            !libraries.contains("swift") && !libraries.contains("not found") && libraries.contains("libc.so.6"),
            "\(libraries)")
        for file in [
            "lib/weir/libduckdb.so", "share/bash-completion/completions/weir", "share/zsh/site-functions/_weir",
            "share/fish/vendor_completions.d/weir.fish", "share/doc/weir/licenses/swift-argument-parser.txt",
            "share/weir/pipeline.schema.json",
        ] {
            #expect(FileManager.default.fileExists(atPath: "\(folder)/\(file)"), "\(file) is not in the tarball")
        }

        // An example pipeline with nothing of the toolchain on PATH or LD_LIBRARY_PATH.
        let work = try temporaryDirectory()
        let root = ReferencePython.packageRoot
        for file in ["pipelines/orders-summary.yaml", "data/samples/orders.csv", "data/samples/order_products.csv"] {
            try FileManager.default.createDirectory(
                atPath: (work + "/" + file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: root.appendingPathComponent(file).path, toPath: work + "/" + file)
        }
        let clean = ["PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": "", "HOME": work]
        let (version, said) = try Self.run(weir, ["--version"], in: work, environment: clean)
        #expect(version == 0 && said.contains("(commit "), "\(said)")
        let (status, output) = try Self.run(
            weir, ["run", "pipelines/orders-summary.yaml"], in: work, environment: clean)
        #expect(status == 0 && output.contains("run ok"), "\(output)")
        let users = try String(contentsOfFile: work + "/out/users.csv", encoding: .utf8)
        #expect(users.hasPrefix("user_id,orders,mean_items") && users.split(separator: "\n").count > 1)
    }
}
