import MTLData
import Testing
@testable import MTLEngine

@Suite struct HardeningTests {
    @Test func earlyStopRejectsAMetricTheTaskDoesNotHave() throws {
        let tasks: [(name: String, kind: TaskKind)] = [("species", .multiclass), ("sex", .binary), ("mass", .regression)]
        #expect(try EarlyStop.parse("sex.auc:2", tasks: tasks) == EarlyStop(metric: "sex.auc", patience: 2))
        #expect(try EarlyStop.parse("mass.mae", tasks: tasks) == EarlyStop(metric: "mass.mae", patience: 3))
        #expect(try EarlyStop.parse("loss:0", tasks: tasks) == EarlyStop(metric: "loss", patience: 0))
        let cases: [(String, String)] = [
            ("sex.mae:1", "task 'sex' (binary) has no metric 'mae' (its metrics: loss, accuracy, macro_f1, precision, recall, auc, ap)"),
            ("mass.accuracy", "task 'mass' (regression) has no metric 'accuracy' (its metrics: loss, mae, rmse, r2)"),
            ("species.auc", "task 'species' (multiclass) has no metric 'auc' (its metrics: loss, accuracy, macro_f1, precision, recall)"),
            ("island.accuracy", "no task named 'island' in 'island.accuracy' (tasks: species, sex, mass)"),
            ("loss:-1", "patience must be a whole number ≥ 0, got '-1' in 'loss:-1'"),
            ("f1", "expected METRIC[:PATIENCE] with METRIC 'loss', 'macro_f1', 'auto' or TASK.METRIC (e.g. species.accuracy:3), got 'f1'"),
        ]
        for (rule, message) in cases {
            do {
                _ = try EarlyStop.parse(rule, tasks: tasks)
                Issue.record("accepted \(rule)")
            } catch {
                #expect(error.description == message)
            }
        }
    }

    @Test func trainingMemoryIsEstimatedWithoutOverflow() {
        let heads = [HeadConfig(name: "y", kind: .binary, outputs: 1)]
        let small = ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [256, 128], features: 12, heads: heads)
        let estimate = MemoryBudget.training(small, batch: 64, maxTokens: 0, sparseWidth: 0)
        #expect(Int(estimate.parameters) == Model(small, seed: 0).parameterCount)
        #expect(estimate.bytes < MemoryBudget.physicalBytes)
        let huge = ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [Int.max / 2, Int.max / 2], features: 12, heads: heads)
        let hugeEstimate = MemoryBudget.training(huge, batch: 64, maxTokens: 0, sparseWidth: 0)
        #expect(hugeEstimate.bytes > MemoryBudget.physicalBytes)
        #expect(MemoryBudget.format(count: 1_000_018_000_004) == "1,000,018,000,004")
        #expect(MemoryBudget.format(bytes: 1.5 * 1024 * 1024 * 1024) == "1.5 GB")
        let cnn = ModelConfig(trunk: .cnn, vocabulary: 500, embedding: 8, filters: 6, kernel: 3, hidden: [5], features: 2, heads: heads)
        #expect(Int(MemoryBudget.training(cnn, batch: 4, maxTokens: 10, sparseWidth: 0).parameters) == Model(cnn, seed: 0).parameterCount)
    }

    /// The wide fit's L-BFGS buffers are sized by the task with the most outputs; a machine
    /// without room for them gets one line naming that task and the way out, before any allocation.
    @Test func theWideFitsMemoryIsCheckedBeforeTraining() throws {
        let heads = [HeadConfig(name: "small", kind: .binary, outputs: 1), HeadConfig(name: "book", kind: .multiclass, outputs: 64)]
        let model = ModelConfig(trunk: .bag, vocabulary: 0, embedding: 4, kernel: 1, hidden: [], features: 2, heads: heads,
                                ngrams: 100_000, wide: true)
        // 22 buffers of (100,002 + 1) × 64 floats, and 16 bytes per non-zero.
        #expect(MemoryBudget.wideFitBytes(model, nonZeros: 1000) == 4 * 100_003 * 64 * 22 + 16_000)
        var plain = model
        plain.wide = false
        #expect(MemoryBudget.wideFitBytes(plain, nonZeros: 1000) == 0)

        var rows = EncodedRows(count: 2, tokenIDs: [], tokenOffsets: [], features: [0, 0, 0, 0], featureWidth: 2, targets: [])
        rows.ngramOffsets = [0, 2, 3]
        rows.ngramIDs = [0, 5, 7]
        rows.ngramCounts = [1, 1, 1]
        // A batch holds the widest row twice: the wide path's n-grams and features (4), the bag's n-grams (2).
        let training = MemoryBudget.training(model, batch: 64, maxTokens: 0, sparseWidth: 6).bytes
        let fit = MemoryBudget.wideFitBytes(model, nonZeros: 3 + 2 * 2)
        // Room for training alone: fine without the fit, one line with it.
        try RunPreparation.checkMemory(model, batch: 64, rows: rows, wideFit: false, available: training + fit / 2)
        do {
            try RunPreparation.checkMemory(model, batch: 64, rows: rows, wideFit: true, available: training + fit / 2)
            Issue.record("the fit was allowed")
        } catch let error as UsageError {
            #expect(error.description.contains("--wide-fit") && error.description.contains("largest task, book, has 64 outputs"), "\(error.description)")
            #expect(error.description.contains("use --wide-fit off") && !error.description.contains("\n"))
        }
        try RunPreparation.checkMemory(model, batch: 64, rows: rows, wideFit: true, available: training + fit)
    }
}
