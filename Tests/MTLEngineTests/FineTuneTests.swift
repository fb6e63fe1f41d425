import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// `--from`: a new run starts from a saved model, matching tensors by name.
@Suite(.serialized) final class FineTuneTests {
    let directory = NSTemporaryDirectory() + "mtl-tui-finetune-\(UUID().uuidString)"

    init() { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// A small text dataset: the topic shows in the words, the mood in another set of words.
    /// `extra` adds words the first dataset never has.
    func writeData(_ name: String, extra: Bool = false) throws -> String {
        var random = SeededRandom(seed: 9, stream: 1)
        let topics = [["ball", "goal", "team"], ["vote", "law", "senate"], ["chip", "code", "cloud"]]
        let moods = [["sad", "bad"], ["glad", "great"]]
        var lines = ["text,topic,mood"]
        for r in 0..<150 {
            let t = r % 3, m = (r / 3) % 2
            var words = (0..<6).map { _ in topics[t][Int(random.nextFloat() * 2.999)] } + [moods[m][r % 2], "the", "a"]
            if extra { words += ["novel\(r % 5)", "unseen"] }
            words.shuffle(using: &random)
            lines.append("\(words.joined(separator: " ")),\(["sport", "politics", "tech"][t]),\(["no", "yes"][m])")
        }
        let path = directory + "/\(name).csv"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func options(_ data: String, tasks: [String], save: String? = nil, from: String? = nil) -> RunOptions {
        var o = RunOptions(data: data)
        o.tasks = tasks.map { ($0, nil) }
        o.epochs = 1
        o.batchSize = 16
        o.embedding = 8
        o.filters = 8
        o.kernel = 3
        o.hidden = [8]
        o.vectors = "none"
        o.saveDirectory = save
        o.fromDirectory = from
        return o
    }

    func train(_ setup: TrainingSetup) -> TrainerSnapshot {
        let trainer = Trainer(setup)
        trainer.start()
        trainer.waitUntilFinished()
        return trainer.snapshot
    }

    /// The source model: trained on the topic task only.
    func source() throws -> (data: String, checkpoint: String) {
        let data = try writeData("data")
        let saved = directory + "/topic-only"
        var o = options(data, tasks: ["topic"], save: saved)
        o.inputs = ["text"]   // else the mood column would be one of its inputs
        _ = train(try RunPreparation.prepare(o).setup)
        return (data, saved)
    }

    func tensors(_ checkpoint: String) throws -> [String: [Float]] {
        let c = try Checkpoint.read(from: checkpoint)
        return Dictionary(uniqueKeysWithValues: c.info.tensors.map { ($0.name, Array(c.parameters[$0.offset..<$0.offset + $0.count])) })
    }

    @Test func loadsTheTrunkAndSharedHeadsByNameAndGivesANewTaskANewHead() throws {
        let (data, saved) = try source()
        let prepared = try RunPreparation.prepare(options(data, tasks: ["topic", "mood"], from: saved))
        #expect(prepared.notes.contains { $0.contains("loaded embedding, conv, dense, wide.topic, head.topic; new: wide.mood, head.mood") }, "\(prepared.notes)")
        // The run's model before any step, as the trainer builds it.
        let trainer = Trainer(prepared.setup, startPaused: true)
        trainer.start()
        trainer.send(.save(directory + "/before"))
        trainer.send(.stop)
        trainer.waitUntilFinished()
        let before = try tensors(directory + "/before"), old = try tensors(saved)
        #expect(Set(before.keys) == Set(old.keys).union(["head.mood.weight", "head.mood.bias", "wide.mood.weight", "wide.mood.bias"]))
        for (name, values) in old { #expect(before[name] == values, "\(name)") }
        // The new head is initialised as any new head is (same seed, same architecture).
        let fresh = Model(prepared.setup.model, seed: prepared.setup.training.seed)
        let head = fresh.tensors.first { $0.name == "head.mood.weight" }!
        #expect(before["head.mood.weight"] == Array(fresh.parameters.array[head.offset..<head.offset + head.count]))
        #expect(prepared.setup.encoder.text?.vocabulary == (try Checkpoint.read(from: saved)).info.encoder.text?.vocabulary)
    }

    @Test func aFrozenTrunkStaysBitIdenticalWhileTheHeadsLearn() throws {
        let (data, saved) = try source()
        var o = options(data, tasks: ["topic", "mood"], save: directory + "/tuned", from: saved)
        o.freeze = ["trunk"]
        let snapshot = train(try RunPreparation.prepare(o).setup)
        #expect(snapshot.state == .finished)
        let after = try tensors(directory + "/tuned"), old = try tensors(saved)
        for name in ["trunk.embedding.weight", "trunk.conv.weight", "trunk.conv.bias", "trunk.dense.weight", "trunk.dense.bias"] {
            #expect(after[name] != nil && after[name] == old[name], "\(name)")
        }
        #expect(after["head.topic.weight"] != old["head.topic.weight"])
    }

    /// Started frozen, the trunk learns once unfrozen mid-run (the workbench's f key).
    @Test func aFrozenTrunkUnfrozenLiveStartsLearning() throws {
        let (data, saved) = try source()
        var o = options(data, tasks: ["topic", "mood"], from: saved)
        o.freeze = ["trunk"]
        let trainer = Trainer(try RunPreparation.prepare(o).setup, startPaused: true)
        trainer.start()
        // Commands sent together apply at one batch boundary: wait for each step count.
        func stepAndWait(_ n: Int, until step: Int) {
            trainer.send(.step(n))
            let deadline = Date().addingTimeInterval(10)
            while trainer.snapshot.step < step, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        }
        stepAndWait(3, until: 3)
        trainer.send(.save(directory + "/frozen"))
        trainer.send(.unfreeze("trunk"))
        stepAndWait(3, until: 6)
        trainer.send(.save(directory + "/unfrozen"))
        trainer.send(.stop)
        trainer.waitUntilFinished()
        let old = try tensors(saved), frozen = try tensors(directory + "/frozen"), unfrozen = try tensors(directory + "/unfrozen")
        #expect(frozen["trunk.conv.weight"] == old["trunk.conv.weight"])
        #expect(frozen["head.mood.weight"] != nil)
        #expect(unfrozen["trunk.conv.weight"] != old["trunk.conv.weight"])
    }

    @Test func extendVocabAddsEmbeddingRowsForNewWordsAndKeepsTheSavedOnes() throws {
        let (_, saved) = try source()
        let newData = try writeData("more", extra: true)
        let plain = try RunPreparation.prepare(options(newData, tasks: ["topic"], from: saved))
        var o = options(newData, tasks: ["topic"], from: saved)
        o.extendVocabulary = true
        let grown = try RunPreparation.prepare(o)
        let oldVocabulary = try Checkpoint.read(from: saved).info.encoder.text!.vocabulary
        #expect(plain.setup.model.vocabulary == oldVocabulary.count)
        // novel0…novel4 and unseen.
        #expect(grown.setup.model.vocabulary == oldVocabulary.count + 6)
        let vocabulary = grown.setup.encoder.text!.vocabulary
        #expect(Array(vocabulary.tokens.prefix(oldVocabulary.count)) == oldVocabulary.tokens)
        #expect(vocabulary.id("unseen") >= Int32(oldVocabulary.count))
        #expect(plain.setup.encoder.text!.vocabulary.id("unseen") == Vocabulary.unknown)
        let model = Model(grown.setup.model, seed: grown.setup.training.seed)
        let freshRows = model.parameters.array
        grown.setup.warmStart!.apply(to: model)
        let table = model.tensors.first { $0.name == "trunk.embedding.weight" }!
        let old = try tensors(saved)["trunk.embedding.weight"]!
        #expect(Array(model.parameters.array[table.offset..<table.offset + old.count]) == old)
        // The new rows keep their fresh initialisation.
        #expect(Array(model.parameters.array[(table.offset + old.count)..<(table.offset + table.count)])
            == Array(freshRows[(table.offset + old.count)..<(table.offset + table.count)]))
    }

    @Test func badSourcesAreOneLineErrorsNamingTheFlag() throws {
        let (data, saved) = try source()
        func message(_ o: RunOptions) -> String? {
            do { _ = try RunPreparation.prepare(o); return nil } catch { return "\(error)" }
        }
        let notCheckpoint = message(options(data, tasks: ["topic"], from: directory))
        #expect(notCheckpoint?.hasPrefix("--from: ") == true && notCheckpoint?.contains("not a checkpoint directory") == true)
        // A tabular model cannot start a run on text.
        let table = directory + "/numbers.csv"
        try (["x,y,label"] + (0..<60).map { "\(Double($0) / 7),\(Double($0 % 5)),\($0 % 2 == 0 ? "even" : "odd")" })
            .joined(separator: "\n").write(toFile: table, atomically: true, encoding: .utf8)
        var tabular = RunOptions(data: table)
        tabular.epochs = 1
        tabular.saveDirectory = directory + "/tabular"
        _ = train(try RunPreparation.prepare(tabular).setup)
        let kind = message(options(data, tasks: ["topic"], from: directory + "/tabular"))
        #expect(kind?.hasPrefix("--from: ") == true && kind?.contains("tabular inputs") == true && kind?.contains("text inputs") == true)
        var trunk = options(data, tasks: ["topic"], from: saved)
        trunk.trunk = .gru
        #expect(message(trunk)?.hasPrefix("--from: ") == true)
        var extend = options(data, tasks: ["topic"])
        extend.extendVocabulary = true
        #expect(message(extend)?.hasPrefix("--extend-vocab: ") == true)
        let overwrite = message(options(data, tasks: ["topic"], save: saved, from: saved))
        #expect(overwrite?.hasPrefix("--save: must differ from --from") == true)
        // A column the saved model reads as an input cannot become a task.
        let readsMood = directory + "/reads-mood"
        _ = train(try RunPreparation.prepare(options(data, tasks: ["topic"], save: readsMood)).setup)
        let input = message(options(data, tasks: ["topic", "mood"], from: readsMood))
        #expect(input?.hasPrefix("--from: ") == true && input?.contains("reads column 'mood' as an input") == true)
        for text in [notCheckpoint, kind, input] { #expect(text?.contains("\n") == false) }
        #expect(FileManager.default.fileExists(atPath: saved + "/model.json"))
    }
}
