import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// One training step per weighting strategy against PyTorch reference implementations written
/// from the papers (`scripts/strategy_fixtures.py`; each fixture entry's "reference" names its
/// source): the weights, every gradient fed to Adam, the update, and the strategy's own state
/// after the step, at ≤ 1e-4 relative error.
@Suite struct StrategyParityTests {
    typealias JSON = [String: Any]

    static func load(_ name: String) throws -> JSON {
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/strategies_\(name).json"))
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? JSON)
    }

    static func numbers(_ value: Any?) -> [Double] { (value as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? [] }

    /// max |a − b| / max |b|.
    static func relativeError(_ actual: [Double], _ expected: [Double]) -> Double {
        guard actual.count == expected.count else { return .infinity }
        var difference = 0.0, scale = 1e-12
        for (a, b) in zip(actual, expected) {
            difference = max(difference, abs(a - b))
            scale = max(scale, abs(b))
        }
        return difference / scale
    }

    /// The strategy named by a fixture entry (variants such as `gradnorm_uneven` share a strategy),
    /// put in the state the reference started from.
    static func strategy(_ entry: String, inputs: JSON, tasks: Int) throws -> (LossWeighting, [EpochRecord]) {
        let kind = try #require(WeightingStrategy(rawValue: String(entry.split(separator: "_")[0])))
        let weighting = kind.make(tasks: tasks, seed: 0)
        var history: [EpochRecord] = []
        switch weighting {
        case is DynamicWeightAverage:
            history = [numbers(inputs["earlier_epoch_losses"]), numbers(inputs["previous_epoch_losses"])].enumerated().map { e, losses in
                EpochRecord(epoch: e + 1, step: 0, train: losses.map { TaskMetrics(loss: $0, count: 1) }, validation: [],
                            validationTotal: 0, seconds: 0)
            }
        case let gradnorm as GradNorm:
            #expect(gradnorm.restore(WeightingState(strategy: .gradnorm, values: ["weights": numbers(inputs["weights"]),
                                                                                   "initial_losses": numbers(inputs["initial_losses"])])) == nil)
            #expect(inputs["alpha"] as? Double == gradnorm.alpha && inputs["weight_lr"] as? Double == gradnorm.learningRate)
        case let pcgrad as PCGrad:
            pcgrad.fixedOrders = try #require(inputs["orders"] as? [[Int]])
        case let famo as FAMO:
            famo.logits = numbers(inputs["logits"])
            #expect(inputs["logit_lr"] as? Double == famo.learningRate && inputs["logit_weight_decay"] as? Double == famo.decay)
        default:
            break
        }
        return (weighting, history)
    }

    @Test(arguments: ["mlp_features", "cnn_all_heads"])
    func eachStrategyMatchesItsReference(_ name: String) throws {
        let fixture = try Self.load(name)
        let base = try PyTorchParityTests.load(name)
        let strategies = try #require(fixture["strategies"] as? [String: JSON])
        #expect(Set(strategies.keys.map { String($0.split(separator: "_")[0]) }) == Set(WeightingStrategy.allCases.map(\.rawValue)))
        let adam = try #require(fixture["adam"] as? JSON)
        for (entry, expected) in strategies.sorted(by: { $0.key < $1.key }) {
            let loaded = try PyTorchParityTests.build(base)   // every strategy starts from the fixture's parameters
            let (model, batch, work) = (loaded.model, loaded.batch, loaded.work)
            let tasks = model.config.heads.count
            let (weighting, history) = try Self.strategy(entry, inputs: expected["inputs"] as? JSON ?? [:], tasks: tasks)
            let optimizerConfig = OptimizerConfig(kind: .adam, learningRate: Float(try #require(adam["lr"] as? Double)))

            model.gradients.fill(0)
            model.forward(batch, work, training: false, step: 0)
            let results = model.losses(batch, work, taskWeights: [Float](repeating: 1, count: tasks))
            let step = WeightingStep(step: 0, losses: results.map { Double($0.loss) }, present: results.map { $0.weightSum > 0 },
                                     history: history, optimizer: optimizerConfig)
            #expect(Self.relativeError(step.losses, Self.numbers(expected["losses"])) <= 1e-5, "\(name) \(entry) losses")
            let weights = entry == "rlw" ? RandomLossWeighting.weights(noise: Self.numbers((expected["inputs"] as? JSON)?["eps"]))
                                         : weighting.weights(step)
            if let reference = expected["weights"] as? [Any] {
                #expect(Self.relativeError(weights, Self.numbers(reference)) <= 1e-4, "\(name) \(entry) weights \(weights)")
            }
            var conflict: GradientConflict?
            WeightedBackward(model: model).run(batch, work, frozen: [], weights: weights, weighting: weighting, step: step,
                                               conflict: &conflict)
            let gradients = try #require(expected["gradients"] as? [String: Any])
            for tensor in model.tensors {
                let actual = tensor.exported(from: model.gradients.pointer).map(Double.init)
                #expect(Self.relativeError(actual, Self.numbers(gradients[tensor.name])) <= 1e-4, "\(name) \(entry) gradient \(tensor.name)")
            }
            let before = model.tensors.map { $0.exported(from: model.parameters.pointer) }
            Optimizer(optimizerConfig, parameterCount: model.parameterCount).step(model, frozen: [])
            let after = try #require(expected["after"] as? [String: Any])
            for (i, tensor) in model.tensors.enumerated() {
                let update = zip(tensor.exported(from: model.parameters.pointer), before[i]).map { Double($0 - $1) }
                let reference = zip(Self.numbers(after[tensor.name]), before[i]).map { $0 - Double($1) }
                #expect(Self.relativeError(update, reference) <= 1e-4, "\(name) \(entry) update \(tensor.name)")
            }
            weighting.afterStep(step) {
                model.forward(batch, work, training: false, step: 0)
                return model.losses(batch, work, taskWeights: nil).map { Double($0.loss) }
            }
            let stateAfter = expected["state_after"] as? JSON ?? [:]
            for (key, values) in stateAfter where key != "losses_after" {
                let ours: [Double] = switch weighting {
                case let uw as UncertaintyWeighting: uw.logVariance
                case let gradnorm as GradNorm: gradnorm.taskWeights
                case let famo as FAMO: famo.logits
                default: []
                }
                // The logits and log-variances move by about one learning rate from where they
                // started: compare the move, as for the model's parameters.
                let start = key == "logits" ? Self.numbers((expected["inputs"] as? JSON)?["logits"])
                    : key == "log_variance" ? [Double](repeating: -0.5, count: tasks) : [Double](repeating: 0, count: tasks)
                let move = zip(ours, start).map { $0 - $1 }, reference = zip(Self.numbers(values), start).map { $0 - $1 }
                #expect(Self.relativeError(move, reference) <= 1e-4, "\(name) \(entry) state \(key): \(ours) vs \(Self.numbers(values))")
            }
        }
    }
}
