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
}
