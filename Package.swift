// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Weir",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "weir", targets: ["weir"]),
        .library(name: "WeirTable", targets: ["WeirTable"]),
        .library(name: "WeirCore", targets: ["WeirCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "WeirTable", dependencies: ["CZlib"]),
        .target(name: "WeirCore", dependencies: ["WeirTable", .product(name: "Yams", package: "Yams")]),
        .executableTarget(
            name: "weir",
            dependencies: [
                "WeirTable",
                "WeirCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "WeirTableTests", dependencies: ["WeirTable"]),
        .testTarget(name: "WeirCoreTests", dependencies: ["WeirCore"]),
    ],
    swiftLanguageModes: [.v6]
)
