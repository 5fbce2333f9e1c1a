// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Weir",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "weir", targets: ["weir"]),
        .library(name: "WeirTable", targets: ["WeirTable"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "WeirTable", dependencies: ["CZlib"]),
        .executableTarget(
            name: "weir",
            dependencies: [
                "WeirTable",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "WeirTableTests", dependencies: ["WeirTable"]),
    ],
    swiftLanguageModes: [.v6]
)
