// A tiny real checkpoint for the checkpoint harnesses: a small synthetic model trained for two
// epochs (with early stopping on, so best.safetensors and the best-epoch record exist too),
// saved once per process into a temporary directory. Each fuzz input then replaces one of its
// files in a second directory and goes through Checkpoint.read(from:).
//
// With MTL_FUZZ_SEED_DIR set, the files are also copied there: that is where the seed
// corpora fuzz/corpus/checkpoint*/ come from.
import Foundation
import MTLData
import MTLEngine

public final class CheckpointFixture: Sendable {
    /// The saved checkpoint's files, by name.
    public let files: [String: [UInt8]]
    /// Where each fuzz input is tried.
    public let directory: String
    private let root: String

    public init() {
        root = NSTemporaryDirectory() + "mtl-tui-fuzz-checkpoint-\(getpid())"
        directory = root + "/try"
        let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.binary, 2), (.regression, 1)]
        let model = ModelConfig(trunk: .cnn, vocabulary: 16, embedding: 3, filters: 4, kernel: 3, hidden: [4],
                                dropout: 0, features: 0, heads: SyntheticData.heads(tasks))
        var training = TrainingConfig()
        training.epochs = 2
        training.batchSize = 8
        training.earlyStop = EarlyStop(metric: "loss", patience: 3)
        var setup = SyntheticData.setup(rows: 40, tokens: 5, vocabulary: 16, features: 0, tasks: tasks,
                                        model: model, training: training)
        setup.saveDirectory = root + "/saved"
        let trainer = Trainer(setup)
        trainer.start()
        trainer.waitUntilFinished()
        var files: [String: [UInt8]] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/saved")) ?? []
        for name in names {
            files[name] = FileManager.default.contents(atPath: root + "/saved/" + name).map { [UInt8]($0) }
        }
        guard files["model.json"] != nil, files["model.safetensors"] != nil else {
            fatalError("the fixture run saved no checkpoint in \(root)/saved")
        }
        self.files = files
        if let seeds = ProcessInfo.processInfo.environment["MTL_FUZZ_SEED_DIR"] {
            try? FileManager.default.createDirectory(atPath: seeds, withIntermediateDirectories: true)
            for (name, bytes) in files { _ = FileManager.default.createFile(atPath: seeds + "/" + name, contents: Data(bytes)) }
        }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Writes the saved checkpoint into `directory` with `name` replaced by `bytes`, then reads it.
    public func read(replacing name: String, with bytes: UnsafeBufferPointer<UInt8>) {
        for (file, contents) in files where file != name {
            _ = FileManager.default.createFile(atPath: directory + "/" + file, contents: Data(contents))
        }
        _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(buffer: bytes))
        _ = try? Checkpoint.read(from: directory, for: .resume)   // the resume path reads every file
    }

    /// Removes the temporary directories (libFuzzer exits normally after -max_total_time).
    public func remove() { try? FileManager.default.removeItem(atPath: root) }
}
