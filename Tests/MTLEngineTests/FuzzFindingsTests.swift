import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// Every input the fuzzers found crashing a reader (`fuzz/findings/NAME/`), replayed through the
/// same reader: each must now be read or refused with an error, never crash.
@Suite(.serialized) struct FuzzFindingsTests {
    static let findings = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fuzz/findings")

    static func inputs(_ harness: String) -> [[UInt8]] {
        let directory = findings.appendingPathComponent(harness).path
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        return names.compactMap { FileManager.default.contents(atPath: directory + "/" + $0).map { [UInt8]($0) } }
    }

    @Test func safetensorsFindingsAreRefused() throws {
        let found = Self.inputs("safetensors")
        #expect(!found.isEmpty, "the findings the first fuzzing run made")
        for bytes in found {
            #expect(throws: CheckpointError.self) { try SafeTensors.decode(bytes, file: "finding.safetensors") }
        }
    }

    /// The sidecar findings as model.json (and the weight findings as model.safetensors) beside a
    /// real checkpoint's other files.
    @Test(arguments: [("checkpoint", "model.json"), ("checkpoint-weights", "model.safetensors")])
    func checkpointFindingsAreRefused(_ harness: String, _ file: String) throws {
        let found = Self.inputs(harness)
        if harness == "checkpoint" { #expect(!found.isEmpty) }
        let directory = NSTemporaryDirectory() + "mtl-tui-findings-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let run = CheckpointTests.savedRun(in: directory)
        for bytes in found {
            try Data(bytes).write(to: URL(fileURLWithPath: run + "/" + file))
            #expect(throws: (any Error).self) { try Checkpoint.read(from: run, for: .resume) }
        }
    }
}

/// The IDX reader's finding: header dimensions whose product overflows.
@Suite struct IDXFindingsTests {
    @Test func idxFindingsAreRefused() throws {
        let found = FuzzFindingsTests.inputs("idx")
        #expect(!found.isEmpty)
        for bytes in found {
            // As the harness splits its input: a 2-byte label length, the labels, then the images.
            let labelLength = min(Int(bytes[0]) << 8 | Int(bytes[1]), bytes.count - 2)
            let labels = Array(bytes[2..<(2 + labelLength)]), images = Array(bytes[(2 + labelLength)...])
            #expect(throws: DataError.self) {
                try IDXReader.table(images: images, imageFile: "finding-idx3-ubyte", labels: labels, labelFile: "finding-idx1-ubyte")
            }
        }
    }
}

/// The word-vector reader's finding: a space followed by a combining mark counted as a
/// separator by bytes but not when the numbers were split, so a word got fewer numbers.
@Suite struct WordVectorFindingsTests {
    @Test func wordVectorFindingsLoadWithTheirShapeOrAreRefused() throws {
        let found = FuzzFindingsTests.inputs("wordvectors")
        #expect(!found.isEmpty)
        let vocabulary = Vocabulary(tokens: ["<pad>", "<unk>", "the", "good", "bad", "movie", "do", "n't", "don't", "film", "'s", "film's", "!", "a"])
        let path = NSTemporaryDirectory() + "mtl-tui-vectors-finding-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        for bytes in found {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let vectors = try WordVectors.load(path, for: vocabulary)
                #expect(vectors.values.count == vectors.ids.count * vectors.dimension)
            } catch {
                // Refused with a DataError (the only error `load` throws): fine.
            }
        }
        try Data("do 0.5 \u{0365}\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: DataError.self) { try WordVectors.load(path, for: vocabulary) }
    }
}
