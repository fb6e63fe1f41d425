import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// Compares one batch through mtl-tui with the same batch through PyTorch (fixtures written by
/// `scripts/pytorch_fixtures.py`): every activation, each task's loss, every gradient and the
/// parameters after one Adam step, at ≤ 1e-4 relative error.
@Suite struct PyTorchParityTests {
    struct Tensor: Decodable {
        var shape: [Int]
        var values: [Float]
    }

    struct Head: Decodable {
        var name: String
        var kind: String
        var outputs: Int
        var loss: String
        var task_weight: Double
    }

    struct Config: Decodable {
        var trunk: String
        var vocabulary: Int
        var embedding: Int
        var filters: Int
        var kernel: Int
        var hidden: [Int]
        var features: Int
        var heads: [Head]
    }

    struct Fixture: Decodable {
        var config: Config
        var batch: Int
        var length: Int
        var tokens: [Int32]
        var features: [Float]
        var idf: [Float]
        var targets: [String: [Float]]
        var weights: [String: [Float]]
        var parameters: [String: Tensor]
        var activations: [String: Tensor]
        var losses: [String: Double]
        var total: Double
        var gradients: [String: Tensor]
        var after_adam: [String: Tensor]
        var adam_lr: Float
    }

    static func load(_ name: String) throws -> Fixture {
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/\(name).json"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// max |a − b| / max |b|: the tensor's relative error.
    static func relativeError(_ actual: [Float], _ expected: [Float]) -> Double {
        precondition(actual.count == expected.count)
        var difference = 0.0, scale = 1e-12
        for (a, b) in zip(actual, expected) {
            difference = max(difference, abs(Double(a) - Double(b)))
            scale = max(scale, abs(Double(b)))
        }
        return difference / scale
    }

    /// The fixture's network with its parameters, and its batch loaded.
    struct Loaded {
        var model: Model
        var heads: [HeadConfig]
        var batch: Batch
        var work: Model.Workspace
    }

    static func build(_ f: Fixture) throws -> Loaded {
        let c = f.config
        let heads = c.heads.map {
            HeadConfig(name: $0.name, kind: TaskKind(rawValue: $0.kind)!, outputs: $0.outputs, regressionLoss: RegressionLoss(rawValue: $0.loss)!)
        }
        let config = ModelConfig(trunk: TrunkKind(rawValue: c.trunk)!, vocabulary: c.vocabulary, embedding: c.embedding,
                                 filters: c.filters, kernel: c.kernel, hidden: c.hidden, dropout: 0, features: c.features, heads: heads)
        let model = Model(config, seed: 0)
        for tensor in model.tensors {
            let stored = try #require(f.parameters[tensor.name], "\(tensor.name)")
            #expect(stored.shape == tensor.exportShape, "\(tensor.name)")
            tensor.imported(stored.values, into: model.parameters.pointer)
        }
        #expect(Set(f.parameters.keys) == Set(model.tensors.map(\.name)))

        let targets = heads.map { h in
            let weights = f.weights[h.name]!
            return TaskTargets(width: h.kind == .multilabel ? h.outputs : 1, values: f.targets[h.name]!,
                               mask: weights.map { $0 > 0 ? 1 : 0 }, weights: weights)
        }
        let rows = EncodedRows(count: f.batch, tokenIDs: f.tokens,
                               tokenOffsets: f.length > 0 ? (0...f.batch).map { $0 * f.length } : [],
                               features: f.features, featureWidth: c.features, targets: targets)
        let inputs = ModelInputs(rows: rows, idf: config.trunk == .mlp && c.vocabulary > 0 ? f.idf : nil, kernel: config.kernel)
        let batch = Batch(capacity: f.batch, inputs: inputs)
        batch.fill(Array(0..<f.batch)[...], from: inputs, kernel: config.kernel)
        return Loaded(model: model, heads: heads, batch: batch, work: model.workspace(batch: f.batch, maxTokens: inputs.maxTokens))
    }

    @Test(arguments: ["cnn_all_heads", "cnn_features_huber", "mlp_text", "mlp_features"])
    func matchesPyTorch(_ name: String) throws {
        let f = try Self.load(name)
        let c = f.config
        let loaded = try Self.build(f)
        let (model, heads, batch, work) = (loaded.model, loaded.heads, loaded.batch, loaded.work)
        model.forward(batch, work, training: false, step: 0)
        for (key, expected) in f.activations {
            let actual: [Float]
            if key.hasPrefix("logits.") {
                let t = heads.firstIndex { $0.name == key.dropFirst(7) }!
                actual = Array(work.logits[t].array.prefix(expected.values.count))
            } else {
                actual = try #require(model.activation(key, work, batch: f.batch), "activation \(key)")
            }
            #expect(Self.relativeError(actual, expected.values) <= 1e-4, "activation \(key)")
        }

        let taskWeights = c.heads.map { Float($0.task_weight) }
        model.gradients.fill(0)
        let losses = model.losses(batch, work, taskWeights: taskWeights)
        var total = 0.0
        for (t, head) in heads.enumerated() {
            let expected = f.losses[head.name]!
            #expect(abs(Double(losses[t].loss) - expected) <= 1e-4 * abs(expected), "loss \(head.name)")
            total += Double(taskWeights[t]) * Double(losses[t].loss)
        }
        #expect(abs(total - f.total) <= 1e-4 * abs(f.total))

        model.backward(batch, work, frozen: [])
        for tensor in model.tensors {
            let expected = f.gradients[tensor.name]!.values
            #expect(Self.relativeError(tensor.exported(from: model.gradients.pointer), expected) <= 1e-4, "gradient \(tensor.name)")
        }

        // The update, not the parameters: updates are ~100× smaller than the values they change.
        let before = model.tensors.map { $0.exported(from: model.parameters.pointer) }
        let optimizer = Optimizer(OptimizerConfig(kind: .adam, learningRate: f.adam_lr), parameterCount: model.parameterCount)
        optimizer.step(model, frozen: [])
        for (i, tensor) in model.tensors.enumerated() {
            let expected = zip(f.after_adam[tensor.name]!.values, f.parameters[tensor.name]!.values).map { $0 - $1 }
            let actual = zip(tensor.exported(from: model.parameters.pointer), before[i]).map { $0 - $1 }
            #expect(Self.relativeError(actual, expected) <= 1e-4, "Adam update \(tensor.name)")
        }
    }
}
