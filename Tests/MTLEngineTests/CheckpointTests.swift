import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// A checkpoint is all of one moment or refused with the file and key named: edited sidecars,
/// mixed files, missing files and the leftovers of killed saves.
@Suite(.serialized) struct CheckpointTests {
    /// A finished two-epoch run saved with early stopping, so every file (best included) exists.
    static func savedRun(in directory: String) -> String {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.binary, 2)]
        let model = ModelConfig(trunk: .cnn, vocabulary: 30, embedding: 4, filters: 5, kernel: 3, hidden: [6],
                                dropout: 0, features: 2, heads: SyntheticData.heads(tasks))
        var training = TrainingConfig()
        training.epochs = 2
        training.batchSize = 16
        training.earlyStop = EarlyStop(metric: "loss", patience: 5)
        var setup = SyntheticData.setup(rows: 80, tokens: 6, vocabulary: 30, features: 2, tasks: tasks, model: model, training: training)
        setup.saveDirectory = directory + "/run"
        let trainer = Trainer(setup)
        trainer.start()
        trainer.waitUntilFinished()
        return directory + "/run"
    }

    func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "mtl-tui-checkpoint-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func editSidecar(_ run: String, _ edit: (inout [String: Any]) -> Void) throws {
        let path = run + "/model.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
    }

    /// Reading fails with a CheckpointError naming `file` whose message contains `text`.
    func expectRefusal(_ run: String, file: String = "model.json", use: Checkpoint.Use = .resume, _ text: String,
                       _ name: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try Checkpoint.read(from: run, for: use)
            Issue.record("accepted a bad checkpoint: \(name) (expected: \(text))", sourceLocation: sourceLocation)
        } catch let error as CheckpointError {
            #expect(error.file.hasSuffix("/" + file), "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(text), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    /// The corruptions a hostile test of the first release found (crashes, heap corruption or
    /// silently different numbers), each refused with the key it concerns.
    @Test func editedSidecarsAreRefusedNamingTheKey() throws {
        typealias Edit = (inout [String: Any]) -> Void
        func tensor(_ i: Int, _ key: String, _ value: Any) -> Edit {
            { json in
                var tensors = json["tensors"] as! [[String: Any]]
                tensors[i][key] = value
                json["tensors"] = tensors
            }
        }
        func section(_ name: String, _ key: String, _ value: Any) -> Edit {
            { json in
                var object = json[name] as! [String: Any]
                object[key] = value
                json[name] = object
            }
        }
        let cases: [(String, Edit, String)] = [
            ("empty shape", tensor(0, "shape", [Int]()), "tensors[0]"),
            ("huge shape", tensor(0, "shape", [1 << 40, 1 << 40]), "tensors[0]"),
            ("offset 1e12", tensor(1, "offset", 1e12), "tensors[1]"),
            ("other hidden layers", section("model", "hidden", [256, 64]), "tensors[3]"),
            ("negative vocabulary", section("model", "vocabulary", -5), "model.vocabulary"),
            ("no heads", section("model", "heads", [Any]()), "model.heads"),
            ("negative epoch", section("position", "epoch", -3), "position.epoch"),
            ("batch size 0", section("training", "batchSize", 0), "training.batchSize"),
            ("a removed tensor entry", { json in json["tensors"] = (json["tensors"] as! [Any]).dropLast().map { $0 } }, "tensors"),
            ("loss weights for other tasks", section("training", "lossWeights", [1.0]), "training.lossWeights"),
            ("a frozen layer that does not exist", section("training", "frozen", ["conv9"]), "training.frozen"),
            ("a newer format", { json in json["version"] = 99 }, "version"),
            ("features that the encoder does not make", section("model", "features", 3), "model.features"),
            ("layer steps beyond the step", section("layerSteps", "conv", 1_000_000), "layerSteps.conv"),
            ("history for other tasks", { json in
                var history = json["history"] as! [[String: Any]]
                history[0]["train"] = [Any]()
                json["history"] = history
            }, "history[0]"),
        ]
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = Self.savedRun(in: directory)
        for (name, edit, key) in cases {
            let run = directory + "/edited"
            try? FileManager.default.removeItem(atPath: run)
            try FileManager.default.copyItem(atPath: original, toPath: run)
            try editSidecar(run, edit)
            expectRefusal(run, key + ":", name)
        }
        _ = try Checkpoint.read(from: original, for: .resume)   // the unedited run still loads
    }

    @Test func filesFromAnotherSaveAreRefused() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = Self.savedRun(in: directory)
        let other = directory + "/other"
        try FileManager.default.copyItem(atPath: run, toPath: other)
        // The same architecture at another moment: its weights beside this sidecar.
        var weights = try Checkpoint.read(from: other, for: .resume)
        weights.parameters[0] += 1
        let model = weights.makeModel()
        try Checkpoint.write(to: other, info: weights.info, model: model, optimizer: nil, bestParameters: nil)
        try FileManager.default.removeItem(atPath: run + "/model.safetensors")
        try FileManager.default.copyItem(atPath: other + "/model.safetensors", toPath: run + "/model.safetensors")
        expectRefusal(run, file: "model.safetensors", use: .inference, "same size, different bytes: corrupted, or from a different save")
        // Cut short: said as such, with both sizes.
        let full = try #require(FileManager.default.contents(atPath: other + "/model.safetensors"))
        try full.prefix(1000).write(to: URL(fileURLWithPath: run + "/model.safetensors"))
        expectRefusal(run, file: "model.safetensors", use: .inference, "truncated: 1000 bytes where model.json records \(full.count)")
    }

    @Test func missingOrBadWeightFilesAreRefused() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = Self.savedRun(in: directory)
        let copy = directory + "/copy"
        func fresh() throws {
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: run, toPath: copy)
        }
        try fresh()
        try FileManager.default.removeItem(atPath: copy + "/optimizer.safetensors")
        expectRefusal(copy, file: "optimizer.safetensors", use: .resume, "missing")
        _ = try Checkpoint.read(from: copy, for: .inference)   // eval and predict need no optimizer state

        try fresh()
        try FileManager.default.removeItem(atPath: copy + "/best.safetensors")
        expectRefusal(copy, file: "best.safetensors", use: .resume, "missing")

        // A version-1 sidecar has no digests: the weight files themselves are still checked.
        try fresh()
        try editSidecar(copy) { $0["version"] = 1; $0.removeValue(forKey: "files") }
        let info = try Checkpoint.read(from: copy, for: .resume).info
        var bad = try SafeTensors.decode(try [UInt8](Data(contentsOf: URL(fileURLWithPath: copy + "/model.safetensors"))), file: "x")
        bad[info.tensors[0].name]!.values[0] = .nan
        try Data(SafeTensors.encode(bad.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
            .write(to: URL(fileURLWithPath: copy + "/model.safetensors"))
        expectRefusal(copy, file: "model.safetensors", use: .inference, "holds nan")
        bad["head.task0.extra"] = SafeTensors.Tensor(shape: [1], values: [0])
        bad[info.tensors[0].name]!.values[0] = 0
        try Data(SafeTensors.encode(bad.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
            .write(to: URL(fileURLWithPath: copy + "/model.safetensors"))
        expectRefusal(copy, file: "model.safetensors", use: .inference, "'head.task0.extra' is not part of this model")

        // Version 2 records every weight file's digest: without the record a corrupted file
        // would load unchecked, so its absence is refused, and so is a weight file it does not list.
        try fresh()
        try editSidecar(copy) { $0.removeValue(forKey: "files"); $0["version"] = 2 }
        expectRefusal(copy, use: .inference, "files: missing; a version 2 checkpoint records each weight file's size and hash")
        try fresh()
        try editSidecar(copy) { $0["files"] = ($0["files"] as! [String: Any]).filter { $0.key != "model.safetensors" } }
        expectRefusal(copy, file: "model.safetensors", use: .inference, "not listed in model.json's files, so it is not from this save")
        try fresh()
        try editSidecar(copy) { $0["files"] = ($0["files"] as! [String: Any]).filter { $0.key != "optimizer.safetensors" } }
        expectRefusal(copy, file: "optimizer.safetensors", use: .resume, "not listed in model.json's files, so it is not from this save")
        _ = try Checkpoint.read(from: copy, for: .inference)   // inference reads no optimizer state
    }

    /// A sidecar that does not decode names the key and what it must be, or where the JSON
    /// breaks; it once said "cannot read: The given data was not valid JSON." for all of these.
    @Test func aSidecarThatDoesNotDecodeNamesTheKeyOrThePosition() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = Self.savedRun(in: directory)
        let sidecar = run + "/model.json"
        let original = try String(contentsOfFile: sidecar, encoding: .utf8)
        func replacing(_ pattern: String, with value: String) throws {
            let edited = original.replacingOccurrences(of: pattern, with: value, options: .regularExpression)
            #expect(edited != original, "\(pattern) is in the sidecar")
            try edited.write(toFile: sidecar, atomically: false, encoding: .utf8)
        }
        let seed = "training.seed: expected a whole number from 0 to 18446744073709551615, got "
        for (value, expected) in [("-1", seed + "-1"), ("99999999999999999999999", seed + "99999999999999999999999")] {
            try replacing(#""seed" : \d+"#, with: "\"seed\" : \(value)")
            expectRefusal(run, expected)
        }
        try replacing(#""learningRate" : [0-9.e-]+"#, with: "\"learningRate\" : 1e300")
        expectRefusal(run, "training.optimizer.learningRate: expected a number within 32-bit floats (±3.4e38), got 1e+300")
        try replacing(#""kind" : "adam""#, with: "\"kind\" : \"lion\"")
        expectRefusal(run, "training.optimizer.kind: expected one of sgd, adam, adamw, got 'lion'")
        // Cut short: where the text stops (the last line, one column past its last character).
        let lines = original.split(separator: "\n", omittingEmptySubsequences: false)
        try lines.prefix(40).joined(separator: "\n").write(toFile: sidecar, atomically: false, encoding: .utf8)
        expectRefusal(run, "not valid JSON: it ends at line 40, column \(lines[39].count + 1) before the JSON is complete")
        try original.write(toFile: sidecar, atomically: false, encoding: .utf8)
        try editSidecar(run) { json in
            var history = json["history"] as! [[String: Any]]
            history[0].removeValue(forKey: "epoch")
            json["history"] = history
        }
        expectRefusal(run, "history[0].epoch: missing")
    }

    /// An ensemble's manifest is read with the same messages as a checkpoint's sidecar.
    @Test func aBrokenEnsembleManifestSaysWhere() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Ensemble.writeManifest(EnsembleManifest(members: ["fold-1"], made: "2-fold cross-validation", seed: 1), to: directory)
        let path = directory + "/ensemble.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try String(text.prefix(20)).write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: CheckpointError.self) { try Ensemble.read(directory) }
        do { _ = try Ensemble.read(directory) } catch {
            #expect("\(error)" == "\(path): not valid JSON: it ends at line 2, column \(String(text.prefix(20)).split(separator: "\n").last!.count + 1) before the JSON is complete")
        }
        try text.replacingOccurrences(of: "\"seed\" : 1", with: "\"seed\" : \"one\"").write(toFile: path, atomically: false, encoding: .utf8)
        do { _ = try Ensemble.read(directory) } catch {
            #expect("\(error)" == "\(path): seed: expected a whole number, got a string")
        }
    }

    @Test func aSaveReplacesTheWholeDirectoryAndRefusesForeignFiles() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = Self.savedRun(in: directory)
        let checkpoint = try Checkpoint.read(from: run, for: .resume)
        // What the first release's killed saves left inside the directory goes with the old save.
        _ = FileManager.default.createFile(atPath: run + "/model.json.tmp-12345", contents: Data([1, 2, 3]))
        try Checkpoint.write(to: run, info: checkpoint.info, model: checkpoint.makeModel(), optimizer: nil, bestParameters: nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: run).sorted() == ["model.json", "model.safetensors"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["run"])

        _ = FileManager.default.createFile(atPath: run + "/notes.txt", contents: Data("mine".utf8))
        #expect(throws: CheckpointError.self) {
            try Checkpoint.write(to: run, info: checkpoint.info, model: checkpoint.makeModel(), optimizer: nil, bestParameters: nil)
        }
        #expect(FileManager.default.contents(atPath: run + "/notes.txt") == Data("mine".utf8))
        #expect(Checkpoint.problem(saving: run + "/notes.txt") == "is a file, not a directory")
        #expect(Checkpoint.problem(saving: directory + "/new") == nil)
    }

    /// A process that has exited, so its id names no live save.
    func deadProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func whatAKilledSaveLeftIsCleanedOrRecovered() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = Self.savedRun(in: directory)
        let checkpoint = try Checkpoint.read(from: run, for: .resume)
        let dead = try deadProcessID()

        // Killed while staging: the half-written staging directory is removed by the next save.
        try FileManager.default.createDirectory(atPath: directory + "/.run.saving-\(dead)", withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: directory + "/.run.saving-\(dead)/model.safetensors", contents: Data([0]))
        try Checkpoint.write(to: run, info: checkpoint.info, model: checkpoint.makeModel(), optimizer: nil, bestParameters: nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["run"])

        // Killed between the two renames of the fallback path: no target, a complete previous save.
        try FileManager.default.moveItem(atPath: run, toPath: directory + "/.run.previous-\(dead)")
        let recovered = try Checkpoint.read(from: run, for: .inference)
        #expect(recovered.parameters == checkpoint.parameters)
        try Checkpoint.write(to: run, info: checkpoint.info, model: checkpoint.makeModel(), optimizer: nil, bestParameters: nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["run"])
    }

    /// A checkpoint saved by the first release (format 1) loads with the same weights and settings.
    @Test func theFirstReleasesCheckpointStillLoads() throws {
        let fixture = try #require(Bundle.module.path(forResource: "checkpoint-v1", ofType: nil, inDirectory: "Fixtures"))
        let checkpoint = try Checkpoint.read(from: fixture, for: .resume)
        #expect(checkpoint.info.version == 1)
        #expect(checkpoint.info.files == nil)
        #expect(checkpoint.info.model.heads.map(\.name) == ["species", "sex"])
        #expect(checkpoint.first != nil && checkpoint.second != nil && checkpoint.bestParameters != nil)
        #expect(checkpoint.parameters.count == checkpoint.info.tensors.reduce(0) { $0 + $1.count })
    }
}
