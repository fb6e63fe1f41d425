import Foundation

/// Uncertainty weighting (Kendall et al. 2018, eq. 7, in LibMTL `UW.py`'s form): a learned
/// sₜ = log σₜ² per task, starting at −0.5; the loss is Σₜ Lₜ / (2·e^{sₜ}) + sₜ / 2, so task t's
/// weight is 1 / (2·e^{sₜ}). s is trained with the model's optimizer settings:
/// ∂/∂sₜ = −Lₜ / (2·e^{sₜ}) + 1/2 (0 for a task with no label in the batch).
final class UncertaintyWeighting: LossWeighting {
    var logVariance: [Double]
    var adam: SmallAdam

    init(tasks: Int) {
        logVariance = [Double](repeating: -0.5, count: tasks)
        adam = SmallAdam(count: tasks)
    }

    var strategy: WeightingStrategy { .uw }

    func weights(_ step: WeightingStep) -> [Double] { logVariance.map { 1 / (2 * exp($0)) } }

    func afterStep(_ step: WeightingStep, lossesAfter: () -> [Double]) {
        let gradient = logVariance.indices.map { t in
            step.present[t] ? -step.losses[t] / (2 * exp(logVariance[t])) + 0.5 : 0
        }
        let o = step.optimizer
        adam.step(&logVariance, gradient: gradient, learningRate: Double(o.learningRate), beta1: Double(o.beta1),
                  beta2: Double(o.beta2), epsilon: Double(o.epsilon))
    }

    var state: WeightingState { adam.state(.uw, key: "log_variance", values: logVariance) }

    func restore(_ state: WeightingState) -> String? {
        guard let (s, adam) = SmallAdam.restore(state, key: "log_variance", count: logVariance.count, bound: 100) else {
            return "uw needs log_variance and its adam moments for \(logVariance.count) tasks"
        }
        (logVariance, self.adam) = (s, adam)
        return nil
    }
}

/// FAMO (Liu et al. 2023, Algorithm 1; LibMTL `FAMO.py`): task logits ξ (start 0), z = softmax(ξ),
/// Dᵢ = Lᵢ + 1e-8 (the minimum losses taken as 0). The update minimises Σ zᵢ·log Dᵢ / c with
/// c = Σ zᵢ/Dᵢ held constant, i.e. task weights zᵢ / (c·Dᵢ). After the step the same batch's new
/// losses give δᵢ = log Dᵢ(before) − log Dᵢ(after), and ξ takes an Adam step on Jᵀδ (J the
/// softmax Jacobian at ξ) with its own rate and weight decay (0.025 and 0.001, the authors').
/// That update costs a forward pass; with `every` N it is made on every N-th step only.
final class FAMO: LossWeighting {
    var logits: [Double]
    var adam: SmallAdam
    let learningRate: Double
    let decay: Double
    let every: Int

    init(tasks: Int, learningRate: Double, decay: Double, every: Int = 1) {
        logits = [Double](repeating: 0, count: tasks)
        adam = SmallAdam(count: tasks)
        self.learningRate = learningRate
        self.decay = decay
        self.every = every
    }

    var strategy: WeightingStrategy { .famo }

    func weights(_ step: WeightingStep) -> [Double] {
        let z = softmax(logits)
        let d = step.losses.map { $0 + 1e-8 }
        let c = z.indices.reduce(0) { $0 + (step.present[$1] ? z[$1] / d[$1] : 0) }
        guard c > 0 else { return [Double](repeating: 0, count: z.count) }
        return z.indices.map { step.present[$0] ? z[$0] / (c * d[$0]) : 0 }
    }

    func afterStep(_ step: WeightingStep, lossesAfter: () -> [Double]) {
        guard step.step % every == 0 else { return }
        let after = lossesAfter()
        let delta = logits.indices.map { t in
            step.present[t] && after[t].isFinite ? log(step.losses[t] + 1e-8) - log(after[t] + 1e-8) : 0
        }
        let z = softmax(logits)
        let mean = zip(z, delta).reduce(0) { $0 + $1.0 * $1.1 }
        let gradient = z.indices.map { z[$0] * (delta[$0] - mean) }
        adam.step(&logits, gradient: gradient, learningRate: learningRate, decay: decay)
    }

    var state: WeightingState { adam.state(.famo, key: "logits", values: logits) }

    func restore(_ state: WeightingState) -> String? {
        guard let (xi, adam) = SmallAdam.restore(state, key: "logits", count: logits.count, bound: 1e6) else {
            return "famo needs logits and their adam moments for \(logits.count) tasks"
        }
        (logits, self.adam) = (xi, adam)
        return nil
    }
}
