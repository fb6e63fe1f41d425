import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// A small model with one batch of synthetic data loaded, for gradient and parity checks.
struct Harness {
    let model: Model
    let batch: Batch
    let work: Model.Workspace
    let inputs: ModelInputs
    let weights: [Float]

    /// `lengths`: per-row token counts (cut from synthetic rows) to exercise ragged batches.
    init(trunk: TrunkKind, tasks: [(kind: TaskKind, classes: Int)], rows: Int = 6, tokens: Int = 9,
         vocabulary: Int = 23, features: Int = 0, hidden: [Int] = [7], lengths: [Int]? = nil,
         embedding: Int = 5, filters: Int = 6, kernel: Int = 3, regression: RegressionLoss = .mse,
         targetScale: Float = 1, seed: UInt64 = 1, sharing: Sharing = .hard, wide: Bool = false, ngrams: Int = 0,
         recurrent: Int = 6) {
        var data = SyntheticData.rows(count: rows, tokens: tokens, vocabulary: vocabulary, features: features, tasks: tasks, seed: seed)
        if let lengths {
            var ids: [Int32] = [], offsets = [0]
            for r in 0..<rows {
                ids += data.tokenIDs[(r * tokens)..<(r * tokens + lengths[r])]
                offsets.append(ids.count)
            }
            data.tokenIDs = ids
            data.tokenOffsets = offsets
        }
        var heads = SyntheticData.heads(tasks)
        for i in heads.indices { heads[i].regressionLoss = regression }
        for t in data.targets.indices where tasks[t].kind == .regression {
            data.targets[t].values = data.targets[t].values.map { $0 * targetScale }
        }
        let config = ModelConfig(trunk: trunk, vocabulary: tokens > 0 ? vocabulary : 0, embedding: embedding, filters: filters,
                                 kernel: kernel, hidden: hidden, dropout: 0, features: features, heads: heads,
                                 ngrams: ngrams, wide: wide, sharing: sharing, recurrent: recurrent)
        model = Model(config, seed: seed)
        // Larger than default initial values, so that every unit is active somewhere.
        var random = SeededRandom(seed: seed, stream: 77)
        for i in 0..<model.parameterCount { model.parameters[i] = (random.nextFloat() * 2 - 1) * 0.5 }
        var inputs = ModelInputs(rows: data, idf: config.needsUnigramTFIDF ? [Float](repeating: 1, count: vocabulary) : nil, kernel: kernel)
        if ngrams > 0 { (inputs.wide, inputs.bag) = SyntheticData.ngramTables(data, ngrams: ngrams, seed: seed) }
        self.inputs = inputs
        batch = Batch(capacity: rows, inputs: inputs)
        batch.fill(Array(0..<rows)[...], from: inputs, kernel: kernel)
        work = model.workspace(batch: rows, maxTokens: inputs.maxTokens)
        weights = tasks.indices.map { Float($0) * 0.5 + 1 }
    }

    /// Σ_t w_t · L_t in double precision after a fresh forward pass.
    func loss() -> Double {
        model.forward(batch, work, training: false, step: 0)
        return zip(model.losses(batch, work, taskWeights: nil), weights).reduce(0) { $0 + Double($1.1) * Double($1.0.loss) }
    }

    func analyticGradient(frozen: Set<String> = []) -> [Float] {
        model.gradients.fill(0)
        // Training mode (dropout is 0 here): the gru keeps what its backward pass needs only then.
        model.forward(batch, work, training: true, step: 0)
        _ = model.losses(batch, work, taskWeights: weights)
        model.backward(batch, work, frozen: frozen)
        return model.gradients.array
    }

    func numericGradient(_ i: Int, h: Float = 1e-3) -> Double {
        let saved = model.parameters[i]
        model.parameters[i] = saved + h
        let up = loss()
        model.parameters[i] = saved - h
        let down = loss()
        model.parameters[i] = saved
        return (up - down) / Double(2 * h)
    }
}

/// The same files, byte for byte, in two checkpoint directories (a resumed run against an
/// uninterrupted one).
func expectSameFiles(_ a: String, _ b: String, _ files: [String] = ["model.safetensors", "optimizer.safetensors"],
                     _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    for file in files {
        let x = FileManager.default.contents(atPath: "\(a)/\(file)"), y = FileManager.default.contents(atPath: "\(b)/\(file)")
        #expect(x != nil && x == y, "\(comment) \(file)", sourceLocation: sourceLocation)
    }
}

/// A run trained straight through beside the same run stopped after `steps` steps and resumed
/// from its checkpoint, for the bit-exact resume tests: `DIRECTORY/straight`, `/part` and
/// `/resumed` hold their checkpoints. `part` (default: `straight`) is the setup of the stopped
/// and the resumed run; `beforeStepping` gets the paused part run first (to send commands).
struct StraightAndResumed {
    let straight: Trainer
    let part: Checkpoint
    let resumed: Trainer
    /// Whether the part run reached `steps` before it was stopped.
    let reachedStop: Bool

    init(_ straightSetup: TrainingSetup, part partSetup: TrainingSetup? = nil, stopAfter steps: Int, in directory: String,
         beforeStepping: (Trainer) -> Void = { _ in }) throws {
        var setup = straightSetup
        setup.saveDirectory = directory + "/straight"
        straight = Trainer(setup)
        straight.start()
        straight.waitUntilFinished()
        setup = partSetup ?? straightSetup
        setup.saveDirectory = directory + "/part"
        let stopped = Trainer(setup, startPaused: true)
        stopped.start()
        beforeStepping(stopped)
        stopped.send(.step(steps))
        let deadline = Date().addingTimeInterval(20)
        while stopped.snapshot.step < steps, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        reachedStop = stopped.snapshot.step == steps
        stopped.send(.stop)
        stopped.waitUntilFinished()
        part = try Checkpoint.read(from: directory + "/part", for: .resume)
        setup.resume = part
        setup.saveDirectory = directory + "/resumed"
        resumed = Trainer(setup)
        resumed.start()
        resumed.waitUntilFinished()
    }
}
