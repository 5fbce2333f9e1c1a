import Foundation

/// The tarball scripts/package made, when $WEIR_PACKAGE names one (CI makes it before the
/// tests): unpacked once per test process into an empty folder.
public enum PackagedWeir {
    public static var tarball: String? {
        ProcessInfo.processInfo.environment["WEIR_PACKAGE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The unpacked folder (bin/weir, lib/weir/libduckdb.so, share/...), or nil without a tarball.
    public static let folder: Result<String, ReferencePython.Failure>? = {
        guard let tarball else { return nil }
        do {
            let into = try temporaryDirectory()
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/bin/tar")
            tar.arguments = ["-xzf", tarball, "-C", into, "--strip-components=1"]
            try tar.run()
            tar.waitUntilExit()
            guard tar.terminationStatus == 0 else {
                return .failure(ReferencePython.Failure(description: "tar could not unpack \(tarball)"))
            }
            return .success(into)
        } catch {
            return .failure(ReferencePython.Failure(description: "unpacking \(tarball): \(error)"))
        }
    }()

    public static var binary: String? { (try? folder?.get()).map { $0 + "/bin/weir" } }
}
