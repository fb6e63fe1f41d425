// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "mtl-tui",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mtl-tui", targets: ["mtl-tui"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .target(name: "MTLData"),
        .target(name: "MTLEngine", dependencies: ["MTLData", "COpenBLAS"]),
        .target(
            name: "MTLCommands",
            dependencies: [
                "MTLData", "MTLEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "mtl-tui", dependencies: ["MTLCommands"]),
        .testTarget(name: "MTLDataTests", dependencies: ["MTLData"]),
        .testTarget(name: "MTLEngineTests", dependencies: ["MTLEngine", "MTLData"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MTLCommandsTests", dependencies: ["MTLCommands", "mtl-tui"]),
    ]
)
