import MTLData
import Testing
@testable import MTLEngine

/// Splitting work across threads must not change a single bit: every part computes exactly
/// what the one-thread loop computes for its range.
@Suite(.serialized) struct ParallelTests {
    func oneStep(_ trunk: TrunkKind, threads: Int) -> (parameters: [Float], probabilities: [Float]) {
        Parallel.threads = threads
        defer { Parallel.threads = 1 }
        let (config, batchSize, tokens) = Benchmark.config(trunk)
        let rows = SyntheticData.rows(count: batchSize, tokens: tokens, vocabulary: config.vocabulary, features: 0,
                                      tasks: Benchmark.tasks, seed: 3)
        let inputs = ModelInputs(rows: rows, idf: trunk == .mlp ? [Float](repeating: 1, count: config.vocabulary) : nil,
                                 kernel: config.kernel)
        let model = Model(config, seed: 1)
        let batch = Batch(capacity: batchSize, inputs: inputs)
        batch.fill(Array(0..<batchSize)[...], from: inputs, kernel: config.kernel)
        let work = model.workspace(batch: batchSize, maxTokens: inputs.maxTokens)
        let optimizer = Optimizer(OptimizerConfig(kind: .adam, learningRate: 1e-3), parameterCount: model.parameterCount)
        model.forward(batch, work, training: true, step: 0)
        _ = model.losses(batch, work, taskWeights: [1, 1])
        model.backward(batch, work, frozen: [])
        optimizer.step(model, frozen: [])
        model.forward(batch, work, training: false, step: 1)
        _ = model.losses(batch, work, taskWeights: nil)
        return (model.parameters.array, work.probabilities[1].array)
    }

    @Test(arguments: [TrunkKind.cnn, .mlp])
    func twoThreadsGiveTheSameBits(_ trunk: TrunkKind) {
        let one = oneStep(trunk, threads: 1), two = oneStep(trunk, threads: 2)
        #expect(one.parameters.map(\.bitPattern) == two.parameters.map(\.bitPattern))
        #expect(one.probabilities.map(\.bitPattern) == two.probabilities.map(\.bitPattern))
    }
}
