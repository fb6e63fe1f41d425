import Foundation
import Testing

/// Checkpoints through the binary: an old release's checkpoint gives the same numbers, a
/// corrupted one is one line naming the file and the key, a kill never leaves a mixed one.
@Suite(.serialized) struct CheckpointCLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixture = root.appendingPathComponent("Tests/MTLEngineTests/Fixtures/checkpoint-v1").path
    static let penguins = root.appendingPathComponent("sample-data/penguins").path

    @Test func theFirstReleasesCheckpointGivesTheSameEvalAndPredictions() throws {
        let eval = try CLI.run(["eval", Self.fixture, Self.penguins, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        // The same metrics; losses to float precision, as BLAS kernels picked for another CPU
        // may round the last bits of a sum differently.
        let expected = try String(contentsOfFile: Self.fixture + "-eval.json", encoding: .utf8)
        #expect(Self.sameJSON(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)),
                              try JSONSerialization.jsonObject(with: Data(expected.utf8))), "\(eval.stdout)")
        let predict = try CLI.run(["predict", Self.fixture, Self.penguins + "/penguins.csv", "--probabilities"])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout == (try String(contentsOfFile: Self.fixture + "-predict.csv", encoding: .utf8)))
        let s = Scratch()
        let resumed = try CLI.run(["train", Self.penguins, "--resume", Self.fixture, "--epochs", "21", "--save", s.path + "/run"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let sidecar = try String(contentsOfFile: s.path + "/run/model.json", encoding: .utf8)
        #expect(sidecar.contains("\"version\" : 3") && sidecar.contains("\"fnv1a64\""))
    }

    /// A run that ends on early stopping's best epoch keeps the last trained weights beside it,
    /// so `--resume` goes on as the run that never stopped would have.
    @Test func resumingARunThatKeptAnEarlierEpochContinuesFromTheLastOne() throws {
        let s = Scratch()
        let first = try CLI.run(["train", Self.penguins, "--epochs", "11", "--seed", "1", "--save", s.path + "/part"])
        #expect(first.status == 0, "\(first.stderr)")
        try #require(first.stdout.contains("restored the parameters of epoch") || first.stderr.contains("restored the parameters of epoch"),
                     "the run must end on an earlier epoch for this test: \(first.stdout)")
        #expect(FileManager.default.fileExists(atPath: s.path + "/part/last.safetensors"))
        let resumed = try CLI.run(["train", Self.penguins, "--epochs", "30", "--resume", s.path + "/part", "--save", s.path + "/resumed"])
        let straight = try CLI.run(["train", Self.penguins, "--epochs", "30", "--seed", "1", "--save", s.path + "/straight"])
        #expect(resumed.status == 0 && straight.status == 0, "\(resumed.stderr)\(straight.stderr)")
        for file in ["model.safetensors", "optimizer.safetensors"] {
            #expect(FileManager.default.contents(atPath: s.path + "/resumed/" + file) == FileManager.default.contents(atPath: s.path + "/straight/" + file), "\(file)")
        }
    }

    /// A run that early stopping ended resumes after the epoch it stopped in (not repeating it)
    /// with patience counted afresh, so it trains on instead of stopping again at once.
    @Test func resumingAnEarlyStoppedRunTrainsOnFromTheNextEpoch() throws {
        let s = Scratch()
        let first = try CLI.run(["train", Self.penguins, "--epochs", "100", "--seed", "3", "--save", s.path + "/run"])
        #expect(first.status == 0, "\(first.stderr)")
        let stopped = try #require(first.stdout.split(separator: "\n").last { $0.hasPrefix("epoch ") }, "\(first.stdout)")
        let lastEpoch = try #require(Int(stopped.dropFirst(6).prefix { $0 != "/" }))
        try #require(lastEpoch < 100 && (first.stdout + first.stderr).contains("early stop:"), "the run must stop early for this test: \(first.stdout)")
        let resumed = try CLI.run(["train", Self.penguins, "--resume", s.path + "/run"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let epochs = resumed.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        #expect(epochs.first?.hasPrefix("epoch \(lastEpoch + 1)/100 ") == true, "\(resumed.stdout)")
        #expect(epochs.count >= 3, "\(resumed.stdout)")
        #expect((resumed.stdout + resumed.stderr).contains("patience counts afresh"), "\(resumed.stderr)")
        // An earlier release saved such a run at the stopped epoch's end (its last batch done): read
        // the same way.
        let sidecar = s.path + "/run/model.json"
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sidecar))) as? [String: Any])
        var position = try #require(json["position"] as? [String: Any])
        position["epoch"] = lastEpoch - 1
        position["batch"] = 4   // penguins' 241 training rows in batches of 64
        json["position"] = position
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: sidecar))
        let old = try CLI.run(["train", Self.penguins, "--resume", s.path + "/run"])
        #expect(old.stdout.split(separator: "\n").first { $0.hasPrefix("epoch ") }?.hasPrefix("epoch \(lastEpoch + 1)/100 ") == true, "\(old.stdout)\(old.stderr)")
    }

    /// Equal JSON trees, numbers within a relative 1e-7 (float32 rounding is about 6e-8).
    static func sameJSON(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case let (a as [String: Any], b as [String: Any]):
            return a.keys.sorted() == b.keys.sorted() && a.allSatisfy { key, value in sameJSON(value, b[key]!) }
        case let (a as [Any], b as [Any]):
            return a.count == b.count && zip(a, b).allSatisfy { sameJSON($0, $1) }
        case let (a as String, b as String):
            return a == b
        case let (a as NSNumber, b as NSNumber):
            return abs(a.doubleValue - b.doubleValue) <= 1e-7 * max(1, abs(b.doubleValue))
        case (is NSNull, is NSNull):
            return true
        default:
            return false
        }
    }

    @Test func aCorruptedCheckpointIsOneLineNamingFileAndKey() throws {
        let s = Scratch()
        let run = s.path + "/run"
        let trained = try CLI.run(["train", Self.penguins, "--epochs", "2", "--hidden", "8", "--save", run])
        #expect(trained.status == 0, "\(trained.stderr)")
        let sidecar = run + "/model.json"
        let original = try String(contentsOfFile: sidecar, encoding: .utf8)
        try original.replacingOccurrences(of: "\"batchSize\" : 64", with: "\"batchSize\" : 0")
            .write(toFile: sidecar, atomically: false, encoding: .utf8)
        for arguments in [["eval", run, Self.penguins], ["predict", run, Self.penguins + "/penguins.csv"],
                          ["train", Self.penguins, "--resume", run]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 1, "\(arguments[0])")
            #expect(result.stderrLines == ["mtl-tui: error: \(sidecar): training.batchSize: expected 1 to 16777216, got 0"],
                    "\(arguments[0]): \(result.stderr)")
        }
        // Valid JSON that does not fit its field: the key and the range, not "not valid JSON".
        try original.replacingOccurrences(of: "\"seed\" : 42", with: "\"seed\" : -1").write(toFile: sidecar, atomically: false, encoding: .utf8)
        let seed = try CLI.run(["eval", run, Self.penguins])
        #expect(seed.status == 1 && seed.stderrLines == ["mtl-tui: error: \(sidecar): training.seed: expected a whole number from 0 to 18446744073709551615, got -1"],
                "\(seed.stderr)")
        try original.write(toFile: sidecar, atomically: false, encoding: .utf8)
        try FileManager.default.removeItem(atPath: run + "/optimizer.safetensors")
        let resumed = try CLI.run(["train", Self.penguins, "--resume", run])
        #expect(resumed.status == 1)
        #expect(resumed.stderrLines == ["mtl-tui: error: \(run)/optimizer.safetensors: missing (model.json lists it)"], "\(resumed.stderr)")
        #expect(try CLI.run(["eval", run, Self.penguins]).status == 0)   // eval needs no optimizer state
    }

    /// A version-2 sidecar without its digests would let a corrupted weight file load unchecked
    /// (eval gave accuracy 0.50 with exit 0): every reader refuses it, naming the file and key.
    @Test func aVersion2SidecarWithoutDigestsIsRefusedByEveryReader() throws {
        let s = Scratch()
        let run = s.path + "/run"
        try #require(try CLI.run(["train", Self.penguins, "--epochs", "2", "--hidden", "8", "--save", run]).status == 0)
        let sidecar = run + "/model.json"
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sidecar))) as? [String: Any])
        json.removeValue(forKey: "files")
        json["version"] = 2
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: sidecar))
        var weights = try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors"))
        weights[weights.count - 10] ^= 0x40
        try weights.write(to: URL(fileURLWithPath: run + "/model.safetensors"))
        for arguments in [["eval", run, Self.penguins], ["predict", run, Self.penguins + "/penguins.csv"],
                          ["train", Self.penguins, "--resume", run, "--epochs", "4"], ["export", run, "--pytorch", s.path + "/m.py"]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 1 && result.stdout.isEmpty, "\(arguments[0]): \(result.stdout)")
            #expect(result.stderrLines == ["mtl-tui: error: \(sidecar): files: missing; a version 2 checkpoint records each weight file's size and hash (copy the checkpoint again or save anew)"],
                    "\(arguments[0]): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: s.path + "/m.py"))
    }

    /// Resuming on other rows of the same columns would train on rows the checkpoint records as
    /// held out; it is refused and the checkpoint is left as it was.
    @Test func resumeRefusesOtherRowsOfTheSameColumns() throws {
        let s = Scratch()
        let run = s.path + "/run"
        try #require(try CLI.run(["train", Self.penguins, "--epochs", "1", "--save", run]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors"))
        let lines = try String(contentsOfFile: Self.penguins + "/penguins.csv", encoding: .utf8).split(separator: "\n")
        let head = s.write("head.csv", lines.prefix(40).joined(separator: "\n") + "\n")
        let result = try CLI.run(["train", head, "--resume", run, "--epochs", "3", "--save", run])
        #expect(result.status == 1 && result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("\(head): the run saved in \(run) had other validation rows: resume on the data it trained on"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors")) == before)
        // The data it trained on resumes.
        #expect(try CLI.run(["train", Self.penguins, "--resume", run, "--epochs", "2", "--save", run]).status == 0)
    }

    /// `--epochs` at or before the checkpoint's epoch trained nothing and exited 0 with the
    /// saved model's test metrics; it is refused, and neither --save directory is touched.
    @Test func resumeRefusesEpochsThatAreNotPastTheCheckpoint() throws {
        let s = Scratch()
        let run = s.path + "/run"
        try #require(try CLI.run(["train", Self.penguins, "--epochs", "3", "--hidden", "8", "--save", run]).status == 0)
        let before = try FileManager.default.contentsOfDirectory(atPath: run).sorted().map {
            try Data(contentsOf: URL(fileURLWithPath: run + "/" + $0))
        }
        for (epochs, save) in [("3", run), ("1", s.path + "/other")] {
            let result = try CLI.run(["train", Self.penguins, "--resume", run, "--epochs", epochs, "--save", save])
            #expect(result.status == 1 && result.stdout.isEmpty, "\(result.stdout)")
            #expect(result.stderrLines == ["mtl-tui: error: --epochs: \(epochs) is not past the checkpoint's epoch 3; pass a larger --epochs to train on"],
                    "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: run).sorted().map { try Data(contentsOf: URL(fileURLWithPath: run + "/" + $0)) } == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path) == ["run"])
        #expect(try CLI.run(["train", Self.penguins, "--resume", run, "--epochs", "4", "--save", run]).status == 0)
    }

    @Test func saveRefusesADirectoryOfOtherFilesBeforeTraining() throws {
        let s = Scratch()
        s.write("mine/notes.txt", "keep me")
        let result = try CLI.run(["train", Self.penguins, "--epochs", "1", "--save", s.path + "/mine"])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1 && result.stderr.contains("--save") && result.stderr.contains("'notes.txt'"), "\(result.stderr)")
        #expect(try String(contentsOfFile: s.path + "/mine/notes.txt", encoding: .utf8) == "keep me")
    }

    /// A few kills at random moments of a run that saves every epoch (`scripts/kill_loop.sh`
    /// does a hundred and checks bit-exact resumes): each leaves a checkpoint that loads, and
    /// the next save removes what the killed one left.
    @Test func aKilledSaveLeavesACheckpointThatLoads() throws {
        let s = Scratch()
        let run = s.path + "/run"
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<4 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["train", Self.penguins, "--epochs", "100000", "--batch-size", "8", "--early-stop", "off",
                                 "--hidden", "8", "--save", run]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Wait for the first save, then kill at a random moment soon after.
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: run + "/model.json"), Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            Thread.sleep(forTimeInterval: Double.random(in: 0.01...0.2, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let eval = try CLI.run(["eval", run, Self.penguins])
            #expect(eval.status == 0, "\(eval.stderr)")
        }
        let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/model.json"))) as? [String: Any]
        let epoch = try #require((sidecar?["position"] as? [String: Any])?["epoch"] as? Int)
        let resumed = try CLI.run(["train", Self.penguins, "--resume", run, "--epochs", "\(epoch + 1)", "--save", run])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path) == ["run"])
    }
}
