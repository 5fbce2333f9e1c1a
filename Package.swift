// swift-tools-version: 6.1
import Foundation
import PackageDescription

// DuckDB's C library, built once per machine by scripts/duckdb.sh (WEIR_DUCKDB overrides).
let duckdbVersion = "1.5.6"
let duckdbPrefix =
    ProcessInfo.processInfo.environment["WEIR_DUCKDB"]
    ?? "\(ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache")/weir/duckdb-\(duckdbVersion)"
// Every Swift module that sees WeirSQL's interface loads the CDuckDB module, so each needs the header path.
let duckdbHeaders: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-I\(duckdbPrefix)/include"])]
// The library is not linked: CDuckDB opens it when a sql stage first needs it (weir starts faster).
let duckdbLoader: [CSetting] = [
    .unsafeFlags(["-I\(duckdbPrefix)/include"]),
    .define("WEIR_DUCKDB_LIBRARY", to: "\"\(duckdbPrefix)/lib/libduckdb.so\""),
]

// libpq's headers (Debian: libpq-dev); the library itself is opened when a postgres stage needs it.
let libpqHeaders = "/usr/include/postgresql"

let package = Package(
    name: "Weir",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "weir", targets: ["weir"]),
        .library(name: "WeirTable", targets: ["WeirTable"]),
        .library(name: "WeirCore", targets: ["WeirCore"]),
        .library(name: "WeirStages", targets: ["WeirStages"]),
        .library(name: "WeirReport", targets: ["WeirReport"]),
        .library(name: "WeirRemote", targets: ["WeirRemote"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(name: "CWeirSystem", path: "Sources/CWeirSystem"),
        .target(name: "CDuckDB", cSettings: duckdbLoader, linkerSettings: [.linkedLibrary("dl")]),
        // Every system call, in one file: EINTR retried, errno as a typed error.
        .target(name: "WeirSystem", dependencies: ["CWeirSystem"]),
        .target(name: "WeirTable", dependencies: ["CWeirSystem", "WeirSystem"]),
        .target(
            name: "CLibPQ", cSettings: [.unsafeFlags(["-I\(libpqHeaders)"])], linkerSettings: [.linkedLibrary("dl")]),
        // PostgreSQL: connections, binary COPY in and out.
        .target(
            name: "WeirPostgres", dependencies: ["CLibPQ", "WeirTable", "WeirSystem"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(libpqHeaders)"])]),
        .target(name: "WeirSQL", dependencies: ["CDuckDB", "WeirTable", "WeirSystem"], swiftSettings: duckdbHeaders),
        // libcurl's easy interface, opened when a request is first sent (weir starts faster).
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("dl")]),
        .target(
            name: "WeirRemote",
            dependencies: ["CCurl", "WeirSystem", .product(name: "Crypto", package: "swift-crypto")]),
        // The S3 implementation of WeirCore's RemoteCache: the engine itself needs no network client.
        .target(name: "WeirRemoteCache", dependencies: ["WeirCore", "WeirRemote", "WeirTable", "WeirSystem"]),
        .target(
            name: "WeirCore",
            dependencies: [
                "CWeirSystem",
                "WeirSystem",
                "WeirTable",
                // For its libyaml (CYaml): YAMLComposer reads libyaml's events directly.
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "WeirReport", dependencies: ["WeirTable", "WeirCore", "WeirSystem"]),
        // `weir serve`: pages and a JSON API over a state directory, read-only.
        .target(
            name: "WeirServe",
            dependencies: [
                "WeirTable",
                "WeirCore",
                "WeirSystem",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "WeirStages",
            dependencies: [
                "CWeirSystem",
                "WeirSystem",
                "WeirTable",
                "WeirCore",
                "WeirReport",
                "WeirRemote",
                "WeirSQL",
                "WeirPostgres",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: duckdbHeaders
        ),
        .executableTarget(
            name: "weir",
            dependencies: [
                "WeirSystem",
                "WeirTable",
                "WeirCore",
                "WeirStages",
                "WeirReport",
                "WeirRemote",
                "WeirRemoteCache",
                "WeirServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: duckdbHeaders
        ),
        // Fuzz targets over the readers of user input: scripts/fuzz builds it with libFuzzer;
        // built plainly it replays a corpus.
        .executableTarget(
            name: "weir-fuzz", dependencies: ["WeirTable", "WeirCore", "WeirStages", "WeirRemote"],
            path: "Sources/WeirFuzz",
            swiftSettings: duckdbHeaders),
        .target(name: "WeirTestSupport", path: "Tests/WeirTestSupport"),
        .testTarget(name: "WeirTableTests", dependencies: ["WeirTable", "WeirTestSupport"]),
        .testTarget(name: "WeirCoreTests", dependencies: ["WeirCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "WeirRemoteTests", dependencies: ["WeirRemote", "WeirTestSupport"]),
        .testTarget(name: "WeirReportTests", dependencies: ["WeirReport", "WeirTable"]),
        .testTarget(
            name: "WeirStagesTests", dependencies: ["WeirStages", "WeirCore", "WeirTable", "WeirTestSupport"],
            swiftSettings: duckdbHeaders),
        .testTarget(
            name: "WeirCLITests", dependencies: ["weir", "WeirTable", "WeirTestSupport"], swiftSettings: duckdbHeaders),
    ],
    swiftLanguageModes: [.v6]
)
