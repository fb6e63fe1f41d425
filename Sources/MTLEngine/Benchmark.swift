import Foundation
import MTLData

/// Training and inference throughput at the fixed shapes the README quotes, on synthetic data.
///
/// - cnn: Embedding(5000, 64) → Conv1D(128, 5, valid, ReLU) → GlobalMaxPool → Dense(64, ReLU)
///   → softmax 3 and softmax 10; Adam 1e-3, batch 64, 200 tokens per row.
/// - mlp: TF-IDF(5000) → Dense(256, ReLU) → Dense(128, ReLU) → softmax 3 and softmax 10;
///   Adam 1e-3, batch 128, 40 tokens per row (a few dozen non-zeros).
public enum Benchmark {
    public struct Result: Sendable {
        public var model: String
        public var batchSize: Int
        /// Samples per second of each timed repeat.
        public var train: [Double]
        public var inference: [Double]
        /// The layers `freeze` named, expanded to layer names and sorted.
        public var frozenLayers: [String] = []
        /// The layers whose parameters the steps changed (found by comparing them before and after).
        public var updatedLayers: [String] = []
        /// A `freeze` name that matched no layer (nothing was timed), and the model's layers.
        public var unknownLayer: String? = nil
        public var layers: [String] = []
        /// The timed training steps in each `WorkerMode` (`WorkerTuner`'s choice); empty on one
        /// thread.
        public var stepsByMode: [WorkerMode: Int] = [:]

        public var trainMedian: Double { median(train) }
        public var inferenceMedian: Double { median(inference) }
    }

    public static let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.multiclass, 10)]

    public static func config(_ model: TrunkKind, wide: Bool = false, sharing: Sharing = .hard) -> (ModelConfig, batch: Int, tokens: Int) {
        var (config, batch, tokens) = trunkConfig(model)
        config.wide = wide
        config.sharing = sharing
        if wide { config.ngrams = 50_000 }
        return (config, batch, tokens)
    }

    private static func trunkConfig(_ model: TrunkKind) -> (ModelConfig, batch: Int, tokens: Int) {
        let heads = SyntheticData.heads(tasks)
        switch model {
        case .cnn:
            return (ModelConfig(trunk: .cnn, vocabulary: 5000, embedding: 64, filters: 128, kernel: 5, hidden: [64],
                                dropout: 0, features: 0, heads: heads), 64, 200)
        case .mlp:
            return (ModelConfig(trunk: .mlp, vocabulary: 5000, kernel: 1, hidden: [256, 128], dropout: 0,
                                features: 0, heads: heads), 128, 40)
        case .gru:
            return (ModelConfig(trunk: .gru, vocabulary: 5000, embedding: 64, kernel: 1, hidden: [], dropout: 0,
                                features: 0, heads: heads, recurrent: 128, bidirectional: false), 64, 200)
        case .bag:
            return (ModelConfig(trunk: .bag, vocabulary: 5000, kernel: 1, hidden: [], dropout: 0,
                                features: 0, heads: heads, ngrams: 50_000), 64, 200)
        }
    }

    /// What `run` would allocate against physical memory, before it allocates: training checked
    /// as `train` checks it (a batch that does not fit names --batch-size and what fits), then the
    /// synthetic rows, `batch × steps` of them.
    public static func checkMemory(_ trunk: TrunkKind, wide: Bool = false, sharing: Sharing = .hard, steps: Int,
                                   batchSize: Int? = nil, available: Double = MemoryBudget.physicalBytes) throws {
        let (config, fixedBatch, tokens) = config(trunk, wide: wide, sharing: sharing)
        let batch = batchSize ?? fixedBatch
        // A synthetic row's n-grams are its tokens and adjacent pairs (`SyntheticData.ngramTables`).
        let training = try RunPreparation.checkMemory(config, batch: batch, maxTokens: tokens, maxNGrams: 2 * tokens,
                                                      features: 0, available: available)
        // Per row: token ids and offset, each task's target, mask and weight, its place in the
        // order, and with n-grams the wide and bag tables' ids and values.
        let perRow = Double(4 * tokens + 8 + 12 * tasks.count + 8) + (config.needsNGrams ? 2 * 8 * 2 * Double(tokens) : 0)
        let rows = Double(batch) * Double(steps)
        guard training + rows * perRow > available else { return }
        throw UsageError("--steps", "the synthetic data (batch \(batch) × \(steps) steps = \(MemoryBudget.format(count: rows)) rows) needs about "
            + "\(MemoryBudget.format(bytes: rows * perRow)) beside training's \(MemoryBudget.format(bytes: training)), more than this machine's "
            + "\(MemoryBudget.format(bytes: available)) of memory; lower --steps or --batch-size")
    }

    /// Times `steps` training steps and `steps` inference batches, `repeats` times, after a warm-up.
    /// Training steps as the trainer takes them: the losses weighed by `strategy`, per-task
    /// backward passes where it asks, and the gradient-conflict measure every `conflictEvery`
    /// steps (0: never). `batchSize` replaces the model's fixed batch. `freeze` names layers as
    /// `train --freeze` does (`wide`: the wide path as `--wide-fit linear` leaves it, fitted and
    /// fixed); a name that matches no layer is returned as `.unknownLayer`.
    public static func run(_ trunk: TrunkKind, wide: Bool = false, sharing: Sharing = .hard, steps: Int = 50, repeats: Int = 5,
                           strategy: WeightingStrategy = .fixed, options: [String: Double] = [:], conflictEvery: Int = 0,
                           batchSize: Int? = nil, freeze: [String] = []) -> Result {
        let (config, fixedBatch, tokens) = config(trunk, wide: wide, sharing: sharing)
        let batchSize = batchSize ?? fixedBatch
        let rows = SyntheticData.rows(count: batchSize * steps, tokens: tokens, vocabulary: config.vocabulary,
                                      features: 0, tasks: tasks, seed: 7)
        var inputs = ModelInputs(rows: rows, idf: config.needsUnigramTFIDF ? [Float](repeating: 1, count: config.vocabulary) : nil,
                                 kernel: config.kernel)
        if config.needsNGrams { (inputs.wide, inputs.bag) = SyntheticData.ngramTables(rows, ngrams: config.ngrams, seed: 7) }
        let model = Model(config, seed: 1)
        let named = model.layerNames(matchingAll: freeze)
        if let unknown = named.unknown.first {
            return Result(model: config.summary, batchSize: batchSize, train: [], inference: [], unknownLayer: unknown,
                          layers: model.layers.map(\.name))
        }
        let frozen = Set(named.names)
        let optimizer = Optimizer(OptimizerConfig(kind: .adam, learningRate: 1e-3), parameterCount: model.parameterCount)
        let batch = Batch(capacity: batchSize, inputs: inputs)
        let work = model.workspace(batch: batchSize, maxTokens: inputs.maxTokens)
        let unit = [Float](repeating: 1, count: tasks.count)
        let order = Array(0..<rows.count)
        let weighting = strategy.make(options: options, tasks: tasks.count, seed: 1)
        let backward = WeightedBackward(model: model)
        let conflict = GradientConflict(tasks: tasks.indices.map { "task\($0)" }, layers: model.sharedLayers)

        func train(_ count: Int) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for s in 0..<count {
                let at = (s % steps) * batchSize
                batch.fill(order[at..<(at + batchSize)], from: inputs, kernel: config.kernel)
                model.beginStep(batch, frozen: frozen)
                model.forward(batch, work, training: true, step: s)
                let results = model.losses(batch, work, taskWeights: unit)
                let step = WeightingStep(step: s, losses: results.map { Double($0.loss) }, present: results.map { $0.weightSum > 0 },
                                         history: [], optimizer: optimizer.config)
                var measured = conflictEvery > 0 && (s + 1) % conflictEvery == 0 ? conflict : nil
                backward.run(batch, work, frozen: frozen, weights: weighting.weights(step), weighting: weighting, step: step,
                             conflict: &measured)
                optimizer.step(model, frozen: frozen)
                weighting.afterStep(step) {
                    model.forward(batch, work, training: true, step: s)
                    return model.losses(batch, work, taskWeights: nil).map { Double($0.loss) }
                }
            }
            return Double(count * batchSize) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }

        func infer(_ count: Int) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for s in 0..<count {
                let at = (s % steps) * batchSize
                batch.fill(order[at..<(at + batchSize)], from: inputs, kernel: config.kernel)
                model.forward(batch, work, training: false, step: s)
                _ = model.losses(batch, work, taskWeights: nil)
            }
            return Double(count * batchSize) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }

        // Warm up for a third of a second at least: OpenBLAS's worker thread, idle since we
        // keep OpenBLAS on one thread, spins for about 0.1 s after the process starts before
        // it sleeps, and would take a core from the first timed repeats.
        let initial = Array(UnsafeBufferPointer(start: model.parameters.pointer, count: model.parameterCount))
        // With several threads, also until the worker tuner has measured twice (at least 128
        // steps): its first measurements come in quick succession, later ones 256 and then 512
        // steps apart, as in a long run.
        let warmUntil = DispatchTime.now().uptimeNanoseconds + 300_000_000
        repeat { _ = train(5) } while DispatchTime.now().uptimeNanoseconds < warmUntil || (Parallel.threads > 1 && model.workerTuner.measurements < 2)
        _ = infer(5)
        var result = Result(model: config.summary, batchSize: batchSize, train: [], inference: [])
        result.frozenLayers = named.names
        let counted = model.workerTuner.stepsByMode
        for _ in 0..<repeats {
            result.train.append(train(steps))
            result.inference.append(infer(steps))
        }
        for (mode, (after, before)) in zip(WorkerMode.allCases, zip(model.workerTuner.stepsByMode, counted)) where after > before {
            result.stepsByMode[mode] = after - before
        }
        let p = model.parameters.pointer
        result.updatedLayers = model.layers.filter { layer in
            (layer.offset..<(layer.offset + layer.count)).contains { p[$0] != initial[$0] }
        }.map(\.name)
        return result
    }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
