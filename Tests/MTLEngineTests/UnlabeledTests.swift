import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// `--unlabeled FILE`: its rows join training after the data's, leave the encoders alone, and
/// take a pseudo-label only where the model is at least as sure as the threshold.
@Suite struct UnlabeledTests {
    static let words = ["a": "apple", "b": "bread", "c": "cheese"]

    /// Labelled rows whose topic follows the word; unlabeled rows that are clear (one topic's
    /// word), mixed (all three words) or made of words the data never had.
    static func files() -> (data: String, unlabeled: String) {
        let directory = NSTemporaryDirectory() + "mtl-tui-unlabeled-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = "text,topic\n" + (0..<60).map { i in
            let topic = ["a", "b", "c"][i % 3]
            return "\(words[topic]!) \(words[topic]!) item,\(topic)"
        }.joined(separator: "\n") + "\n"
        // Labels may be there (ignored) or absent; extra columns are ignored.
        var unlabeled = "note,text,topic\n"
        for i in 0..<30 { unlabeled += "x,\(words[["a", "b", "c"][i % 3]]!) item,\(i % 2 == 0 ? "a" : "")\n" }
        for _ in 0..<10 { unlabeled += "y,apple bread cheese,\n" }
        for i in 0..<10 { unlabeled += "z,zebra\(i) quokka,\n" }
        _ = FileManager.default.createFile(atPath: directory + "/data.csv", contents: Data(data.utf8))
        _ = FileManager.default.createFile(atPath: directory + "/unlabeled.csv", contents: Data(unlabeled.utf8))
        return (directory + "/data.csv", directory + "/unlabeled.csv")
    }

    static func options(_ data: String, unlabeled: String?) -> RunOptions {
        var o = RunOptions(data: data)
        o.unlabeled = unlabeled
        o.pseudoLabel = PseudoLabel(threshold: 0.6, startEpoch: 3)
        o.trunk = .mlp
        o.epochs = 4
        o.learningRate = 0.01
        o.earlyStop = nil
        o.batchSize = 16
        return o
    }

    @Test func rowsJoinTrainingWithTheLabelledDatasEncoders() throws {
        let (data, unlabeled) = Self.files()
        let plain = try RunPreparation.prepare(Self.options(data, unlabeled: nil))
        let with = try RunPreparation.prepare(Self.options(data, unlabeled: unlabeled))
        #expect(with.unlabeled == 50 && with.setup.training.unlabeledRows == 50)
        // The encoders are the labelled data's: the unlabeled file's new words are not in the vocabulary.
        let vocabulary = try #require(with.setup.encoder.text?.vocabulary), plainVocabulary = try #require(plain.setup.encoder.text?.vocabulary)
        #expect(vocabulary.count == plainVocabulary.count)
        #expect(vocabulary.id("zebra0") == vocabulary.id("never-seen-word"))
        // Training only: the split of the labelled rows is unchanged, the new rows follow them.
        #expect(with.setup.split.train == plain.setup.split.train + Array(60..<110))
        #expect(with.setup.split.validation == plain.setup.split.validation && with.setup.split.test == plain.setup.split.test)
        // No labels, even where the file had one; the table shows their inputs.
        let targets = with.setup.inputs.rows.targets[0]
        #expect(with.setup.inputs.rows.count == 110 && targets.mask.count == 110)
        #expect(targets.mask[60...].allSatisfy { $0 == 0 } && targets.mask[..<60].allSatisfy { $0 == 1 })
        #expect(with.table.rowCount == 110 && with.table.column("text")?[109] == "zebra9 quokka")
    }

    @Test func onlyPredictionsAboveTheThresholdLabelThePool() throws {
        let (data, unlabeled) = Self.files()
        let prepared = try RunPreparation.prepare(Self.options(data, unlabeled: unlabeled))
        let channel = Trainer(prepared.setup)
        let run = TrainingRun(setup: prepared.setup, startPaused: false, channel: channel)
        #expect(run.pseudoPool == Array(60..<110))
        run.run()
        let counts = try #require(run.snapshot.history.last?.pseudoLabels)
        #expect(counts[0] > 0)
        // The trained model's predictions on the pool, and a threshold between two of them, so
        // that rows fall on both sides of it.
        let examples = run.evaluator.evaluate(run.pseudoPool, inputs: run.setup.inputs, step: 0).examples
        let width = examples.widths[0]
        let best = examples.rows.indices.map { i in
            let p = (0..<width).map { examples.outputs[0][i * width + $0] }
            return (index: p.indices.max { p[$0] < p[$1] }!, p: p.max()!)
        }
        let sure = Set(best.map(\.p)).sorted()
        try #require(sure.count >= 2, "every pool row has the same confidence")
        let threshold = Double(sure[sure.count / 2 - 1]) / 2 + Double(sure[sure.count / 2]) / 2
        run.config.pseudoLabel = PseudoLabel(threshold: threshold, startEpoch: 1, weight: 0.5)
        run.refreshPseudoLabels()
        let targets = run.setup.inputs.rows.targets[0]
        var labelled = 0
        for (i, row) in examples.rows.enumerated() {
            if Double(best[i].p) >= threshold {
                labelled += 1
                #expect(targets.mask[row] == 1 && targets.values[row] == Float(best[i].index) && targets.weights[row] == 0.5, "row \(row)")
            } else {
                #expect(targets.mask[row] == 0 && targets.weights[row] == 0, "row \(row): p \(best[i].p) < \(threshold)")
            }
        }
        #expect(labelled > 0 && labelled < examples.count)
        #expect(run.pseudoCounts == [labelled])
        // The labelled rows are never touched.
        #expect(targets.mask[..<60].allSatisfy { $0 == 1 })
    }
}
