import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// The defaults chosen from the public-dataset table: cnn+wide for text, early stopping on the
/// mean validation macro-F1 when every task classifies.
@Suite(.serialized) struct QualityDefaultsTests {
    let classifying: [(name: String, kind: TaskKind)] = [("a", .multiclass), ("b", .binary), ("c", .multilabel)]

    @Test func autoStopsOnMacroF1OnlyWhenEveryTaskClassifies() throws {
        #expect(try EarlyStop.parse("auto", tasks: classifying) == EarlyStop(metric: "macro_f1", patience: 3))
        #expect(try EarlyStop.parse("auto:5", tasks: classifying + [("r", .regression)]) == EarlyStop(metric: "loss", patience: 5))
        #expect(try EarlyStop.parse("macro_f1:2", tasks: classifying + [("r", .regression)]) == EarlyStop(metric: "macro_f1", patience: 2))
        #expect(throws: EarlyStop.Invalid.self) { try EarlyStop.parse("macro_f1", tasks: [("r", .regression)]) }
        do {
            _ = try EarlyStop.parse("macro_f1", tasks: [("r", .regression)])
        } catch {
            #expect(error.description == "'macro_f1' is the mean macro-F1 of the classification tasks; this run has none (use loss or TASK.METRIC)")
        }
        #expect(RunOptions(data: "x").earlyStop == "auto")
    }

    func describe(_ options: RunOptions, hasText: Bool) throws -> String {
        let chosen = try RunPreparation.architecture(options, hasText: hasText)
        return chosen.trunk.rawValue + (chosen.wide ? "+wide" : "")
    }

    @Test func textGetsCnnPlusWideByDefaultAndANamedTrunkOnlyWhatItNames() throws {
        var options = RunOptions(data: "x")
        #expect(try describe(options, hasText: true) == "cnn+wide")
        #expect(try describe(options, hasText: false) == "mlp")
        (options.trunk, options.wide) = try RunPreparation.parseArchitecture("cnn")
        #expect(try describe(options, hasText: true) == "cnn")
        (options.trunk, options.wide) = try RunPreparation.parseArchitecture("bag+wide")
        #expect(try describe(options, hasText: true) == "bag+wide")
    }

    /// A run stopping on `macro_f1` keeps the epoch whose mean validation macro-F1 over the
    /// classification tasks was highest (the regression task does not count).
    @Test func macroF1StoppingKeepsTheEpochWithTheBestMeanMacroF1() throws {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.binary, 2), (.regression, 1)]
        let model = ModelConfig(trunk: .cnn, vocabulary: 60, embedding: 8, filters: 12, kernel: 3, hidden: [10],
                                dropout: 0.2, features: 0, heads: SyntheticData.heads(tasks), ngrams: 90, wide: true,
                                wideLearningRate: 30)
        var training = TrainingConfig()
        training.epochs = 12
        training.batchSize = 16
        training.optimizer.learningRate = 0.02   // overfits the random labels within a few epochs
        training.earlyStop = EarlyStop(metric: "macro_f1", patience: 2)
        let setup = SyntheticData.setup(rows: 300, tokens: 12, vocabulary: 60, features: 0, tasks: tasks, model: model, training: training)
        let trainer = Trainer(setup)
        trainer.start()
        trainer.waitUntilFinished()
        let history = trainer.snapshot.history
        let means = history.map { ($0.validation[0].macroF1! + $0.validation[1].macroF1!) / 2 }
        let best = means.indices.max { means[$0] < means[$1] || (means[$0] == means[$1] && $0 > $1) }!
        #expect(history.count == best + 1 + 2 || history.count == 12)
        #expect((trainer.snapshot.restoredEpoch ?? history.count) == history[best].epoch)
    }

    /// An n-gram vocabulary whose wide path cannot fit is a one-line error naming what bounds
    /// it, before anything is allocated; its sparse rows count towards the batch's memory.
    @Test func aWidePathLargerThanMemoryIsAOneLineError() throws {
        let heads = [HeadConfig(name: "y", kind: .multiclass, outputs: 1000)]
        var rows = EncodedRows(count: 1, tokenIDs: [1, 2], tokenOffsets: [0, 2], features: [], featureWidth: 0,
                               targets: [TaskTargets(width: 1, values: [0], mask: [1], weights: [1])])
        rows.ngramOffsets = [0, 3]
        rows.ngramIDs = [0, 1, 2]
        rows.ngramCounts = [1, 1, 1]
        let ngrams = Int(MemoryBudget.physicalBytes / 1000)   // × 1000 outputs × 20 bytes: 20× memory
        let huge = ModelConfig(trunk: .cnn, vocabulary: 10, embedding: 4, filters: 4, kernel: 1, hidden: [4], features: 0,
                               heads: heads, ngrams: ngrams, wide: true)
        do {
            try RunPreparation.checkMemory(huge, batch: 64, rows: rows)
            Issue.record("accepted a wide path of \(ngrams) rows")
        } catch let error as UsageError {
            #expect(error.option == "--trunk")
            #expect(error.message.contains("the wide path has a row per word n-gram: \(MemoryBudget.format(count: Double(ngrams))); lower max_ngrams in spec.toml or drop +wide"), "\(error)")
            #expect(!error.description.contains("\n"))
        }
        var small = huge
        small.ngrams = 3
        try RunPreparation.checkMemory(small, batch: 64, rows: rows)
        let narrow = MemoryBudget.training(small, batch: 64, maxTokens: 2, sparseWidth: 0)
        let wide = MemoryBudget.training(small, batch: 64, maxTokens: 2, sparseWidth: 3)
        #expect(wide.workspaceBytes > narrow.workspaceBytes)
    }

    /// The default model's parts (a fast wide path, word dropout, macro-F1 stopping) resume bit for bit.
    @Test func theDefaultModelResumesBitForBit() throws {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.binary, 2)]
        func setup() -> TrainingSetup {
            let model = ModelConfig(trunk: .cnn, vocabulary: 60, embedding: 8, filters: 12, kernel: 3, hidden: [10],
                                    dropout: 0.2, features: 0, heads: SyntheticData.heads(tasks), ngrams: 90, wide: true,
                                    wideLearningRate: 30, embeddingDropout: 0.1)
            var training = TrainingConfig()
            training.epochs = 3
            training.batchSize = 16
            training.earlyStop = EarlyStop(metric: "macro_f1", patience: 5)
            return SyntheticData.setup(rows: 400, tokens: 12, vocabulary: 60, features: 0, tasks: tasks, model: model, training: training)
        }
        let directory = NSTemporaryDirectory() + "mtl-quality-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runs = try StraightAndResumed(setup(), stopAfter: 30, in: directory)
        #expect(runs.reachedStop)
        let c = runs.resumed
        expectSameFiles(directory + "/straight", directory + "/resumed")
        #expect(c.snapshot.history.count == 3)
    }
}
