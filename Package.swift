// swift-tools-version: 6.0
import PackageDescription

// The engine's loops are written to auto-vectorise. Two flags let them:
// - a CPU level: by default the compiler targets 2003's x86-64 (SSE2: 4-wide, no blends);
//   Haswell (AVX2 + FMA, every x86 CPU since ~2015) runs them 8-wide with masked selects;
// - -fno-math-errno: otherwise each square root is a libm call (for errno), which stops the
//   Adam loop from vectorising (5× slower). Results are unchanged; only errno is not set.
#if arch(x86_64)
let vectorSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell", "-Xcc", "-fno-math-errno"])]
#else
let vectorSettings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-fno-math-errno"])]
#endif

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
        .systemLibrary(name: "CNCursesW", path: "Sources/CNCursesW"),
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
        .target(name: "MTLData"),
        .target(name: "MTLEngine", dependencies: ["MTLData", "COpenBLAS", "CLinux"], swiftSettings: vectorSettings),
        .target(name: "MTLProtocol", dependencies: ["MTLData"]),
        .target(name: "MTLTUI", dependencies: ["MTLData", "MTLEngine", "MTLProtocol", "CNCursesW"]),
        .target(
            name: "MTLCommands",
            dependencies: [
                "MTLData", "MTLEngine", "MTLTUI", "MTLProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "mtl-tui", dependencies: ["MTLCommands"]),
        .testTarget(name: "MTLDataTests", dependencies: ["MTLData"]),
        .testTarget(name: "MTLEngineTests", dependencies: ["MTLEngine", "MTLData"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MTLTUITests", dependencies: ["MTLTUI", "MTLEngine", "MTLData", "MTLProtocol"]),
        .testTarget(name: "MTLProtocolTests", dependencies: ["MTLProtocol"]),
        .testTarget(name: "MTLCommandsTests", dependencies: ["MTLCommands", "mtl-tui"]),
    ]
)
