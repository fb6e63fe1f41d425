// swift-tools-version: 6.0
import PackageDescription

// libFuzzer harnesses for the readers of outside bytes. Build and run them with `fuzz/run.sh`.
//
// The product's modules are not library products of the root package, so this package builds
// them itself from the same sources: Sources/MTLData, MTLEngine, COpenBLAS and CLinux here are symbolic
// links to the root package's directories. Each harness is an executable that defines
// `LLVMFuzzerTestOneInput`; libFuzzer supplies `main` when built with `--sanitize=fuzzer`.
#if arch(x86_64)
let vectorSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell", "-Xcc", "-fno-math-errno"])]
#else
let vectorSettings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-fno-math-errno"])]
#endif

let harnesses: [(name: String, dependencies: [Target.Dependency])] = [
    ("delimited", ["MTLData"]), ("jsonl", ["MTLData"]), ("spec", ["MTLData"]), ("idx", ["MTLData"]),
    ("wordvectors", ["MTLData"]), ("safetensors", ["MTLEngine"]),
    ("checkpoint", ["CheckpointFixture"]), ("checkpoint-weights", ["CheckpointFixture"]),
]

let package = Package(
    name: "mtl-tui-fuzz",
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
        .target(name: "MTLData"),
        .target(name: "MTLEngine", dependencies: ["MTLData", "COpenBLAS", "CLinux"], swiftSettings: vectorSettings),
        .target(name: "CheckpointFixture", dependencies: ["MTLData", "MTLEngine"]),
    ] + harnesses.map { harness in
        .executableTarget(name: "fuzz-\(harness.name)",
                          dependencies: harness.dependencies,
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)
