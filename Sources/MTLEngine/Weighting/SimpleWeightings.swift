import Foundation
import MTLData

/// Σ wₜ Lₜ with the user's weights alone.
final class FixedWeighting: LossWeighting {
    /// Returned as it is every step: handing out a stored array allocates nothing.
    private let ones: [Double]

    init(tasks: Int) { ones = [Double](repeating: 1, count: tasks) }

    var strategy: WeightingStrategy { .fixed }
    func weights(_ step: WeightingStep) -> [Double] { ones }
}

/// Dynamic Weight Average (Liu et al. 2019, eq. 7): wₖ = K·exp(rₖ/T) / Σᵢ exp(rᵢ/T) with
/// rₖ = Lₖ(e−1) / Lₖ(e−2), the last two epochs' mean training losses; 1s before that.
final class DynamicWeightAverage: LossWeighting {
    let tasks: Int
    let temperature: Double
    /// Weights for the epoch count they were computed at: they change once per epoch.
    private var cached: (epochs: Int, weights: [Double])?

    init(tasks: Int, temperature: Double) {
        self.tasks = tasks
        self.temperature = temperature
    }

    var strategy: WeightingStrategy { .dwa }

    func weights(_ step: WeightingStep) -> [Double] {
        if let cached, cached.epochs == step.history.count { return cached.weights }
        let weights = Self.weights(history: step.history, tasks: tasks, temperature: temperature)
        cached = (step.history.count, weights)
        return weights
    }

    static func weights(history: [EpochRecord], tasks: Int, temperature: Double) -> [Double] {
        guard history.count >= 2 else { return [Double](repeating: 1, count: tasks) }
        let last = history[history.count - 1].train, previous = history[history.count - 2].train
        let ratios = (0..<tasks).map { previous[$0].loss > 0 ? last[$0].loss / previous[$0].loss : 1 }
        let exps = ratios.map { exp($0 / temperature) }
        let sum = exps.reduce(0, +)
        return exps.map { Double(tasks) * $0 / sum }
    }
}

/// Random Loss Weighting (Lin et al. 2022, LibMTL `RLW.py`): each step w = softmax(ε),
/// ε ~ N(0, I_K). Drawn from (seed, step), so a resumed run draws the same weights.
final class RandomLossWeighting: LossWeighting {
    let tasks: Int
    let seed: UInt64

    init(tasks: Int, seed: UInt64) {
        self.tasks = tasks
        self.seed = seed
    }

    var strategy: WeightingStrategy { .rlw }

    func weights(_ step: WeightingStep) -> [Double] {
        var random = SeededRandom(seed: seed, stream: 11, index: UInt64(step.step))
        return Self.weights(noise: (0..<tasks).map { _ in Double(random.nextGaussian()) })
    }

    static func weights(noise: [Double]) -> [Double] { softmax(noise) }
}

/// exp(xᵢ − max) / Σ exp(xⱼ − max).
func softmax(_ x: [Double]) -> [Double] {
    let peak = x.max() ?? 0
    let exps = x.map { exp($0 - peak) }
    let sum = exps.reduce(0, +)
    return exps.map { $0 / sum }
}

/// Adam over a handful of numbers a strategy learns (log-variances, task logits), in double
/// precision, with its moments kept as state.
struct SmallAdam: Equatable {
    var first: [Double]
    var second: [Double]
    var steps = 0

    init(count: Int) {
        first = [Double](repeating: 0, count: count)
        second = [Double](repeating: 0, count: count)
    }

    /// One Adam step on `values`; `decay` is PyTorch Adam's L2 term (added to the gradient).
    mutating func step(_ values: inout [Double], gradient: [Double], learningRate: Double, beta1: Double = 0.9,
                       beta2: Double = 0.999, epsilon: Double = 1e-8, decay: Double = 0) {
        steps += 1
        let c1 = 1 - pow(beta1, Double(steps)), c2 = 1 - pow(beta2, Double(steps))
        for i in values.indices {
            let g = gradient[i] + decay * values[i]
            first[i] = beta1 * first[i] + (1 - beta1) * g
            second[i] = beta2 * second[i] + (1 - beta2) * g * g
            values[i] -= learningRate / c1 * first[i] / ((second[i] / c2).squareRoot() + epsilon)
        }
    }

    /// A strategy's state: the learned `values` under `key`, and these moments.
    func state(_ strategy: WeightingStrategy, key: String, values: [Double]) -> WeightingState {
        WeightingState(strategy: strategy, values: [key: values, "adam_m": first, "adam_v": second, "adam_steps": [Double(steps)]])
    }

    /// The learned vector under `key` (`count` finite values below `bound` in size) and its
    /// moments, or nil when absent or malformed.
    static func restore(_ state: WeightingState, key: String, count: Int, bound: Double) -> ([Double], SmallAdam)? {
        let v = state.values
        guard let values = v[key], let m = v["adam_m"], let s = v["adam_v"], let steps = v["adam_steps"]?.first,
              values.count == count, m.count == count, s.count == count,
              values.allSatisfy({ $0.isFinite && abs($0) < bound }), m.allSatisfy(\.isFinite),
              s.allSatisfy({ $0.isFinite && $0 >= 0 }), steps >= 0, steps == steps.rounded(), steps < 1e15 else { return nil }
        var adam = SmallAdam(count: count)
        (adam.first, adam.second, adam.steps) = (m, s, Int(steps))
        return (values, adam)
    }
}
