import Foundation
import MTLData

/// GradNorm (Chen et al. 2018, eq. 1–3, the paper's form): learned task weights wᵢ (start 1).
/// On the last shared layer's weight W, Gᵢ = ‖∇_W wᵢLᵢ‖ and Ḡ their mean; L̃ᵢ = Lᵢ / Lᵢ(0) (the
/// first step's losses), rᵢ = L̃ᵢ / mean L̃. The weights take an SGD step of `learningRate` on
/// Σᵢ |Gᵢ − Ḡ·rᵢ^α| (the target held constant) and are renormalised to Σ w = K; the model is
/// updated with Σ wᵢLᵢ (the weights before that step). Recomputed every `every` steps; the
/// steps between use the last weights on the plain (summed) backward pass.
/// LibMTL's `GradNorm.py` differs: softmax-parameterised weights and all shared parameters.
final class GradNorm: LossWeighting {
    var taskWeights: [Double]
    var initialLosses: [Double]?
    let alpha: Double
    let learningRate: Double
    let every: Int
    let lastWeight: Range<Int>

    init(tasks: Int, alpha: Double, learningRate: Double, every: Int, shared: SharedLayout) {
        taskWeights = [Double](repeating: 1, count: tasks)
        self.alpha = alpha
        self.learningRate = learningRate
        self.every = every
        lastWeight = shared.lastWeight
    }

    var strategy: WeightingStrategy { .gradnorm }

    func needsTaskGradients(at step: Int) -> Bool { step % every == 0 && !lastWeight.isEmpty }

    func weights(_ step: WeightingStep) -> [Double] {
        if initialLosses == nil, step.present.allSatisfy({ $0 }) { initialLosses = step.losses }
        return taskWeights
    }

    func combine(_ gradients: [FloatBuffer], weights: [Double], step: WeightingStep, into shared: UnsafeMutablePointer<Float>) {
        weightedSum(gradients, weights: weights, count: gradients[0].count, into: shared)
        guard let initial = initialLosses, step.present.allSatisfy({ $0 }), initial.allSatisfy({ $0 > 0 }) else { return }
        let norms = gradients.map { g in
            Double(sumOfSquares(g.pointer + lastWeight.lowerBound, count: lastWeight.count)).squareRoot()
        }
        taskWeights = Self.update(weights: taskWeights, effective: weights, norms: norms, losses: step.losses,
                                  initialLosses: initial, alpha: alpha, learningRate: learningRate)
    }

    /// One GradNorm step on `weights`; `effective` are the weights the losses were multiplied by
    /// (the user's times these), `norms` each task's ‖∇_W Lᵢ‖ unweighted.
    static func update(weights: [Double], effective: [Double], norms: [Double], losses: [Double], initialLosses: [Double],
                       alpha: Double, learningRate: Double) -> [Double] {
        let k = Double(weights.count)
        let g = zip(effective, norms).map { $0 * $1 }
        let meanG = g.reduce(0, +) / k
        let ratios = zip(losses, initialLosses).map { $0 / $1 }
        let meanRatio = ratios.reduce(0, +) / k
        var updated = weights
        for i in weights.indices {
            let target = meanG * pow(ratios[i] / meanRatio, alpha)
            let user = weights[i] != 0 ? effective[i] / weights[i] : 1
            let gradient = (g[i] > target ? 1.0 : g[i] < target ? -1.0 : 0) * user * norms[i]
            updated[i] = max(weights[i] - learningRate * gradient, 1e-6)
        }
        let sum = updated.reduce(0, +)
        return updated.map { k * $0 / sum }
    }

    var state: WeightingState {
        var values = ["weights": taskWeights]
        if let initialLosses { values["initial_losses"] = initialLosses }
        return WeightingState(strategy: .gradnorm, values: values)
    }

    func restore(_ state: WeightingState) -> String? {
        guard let w = state.values["weights"], w.count == taskWeights.count, w.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            return "gradnorm needs \(taskWeights.count) positive weights"
        }
        let initial = state.values["initial_losses"]
        guard initial.map({ $0.count == w.count && $0.allSatisfy { $0.isFinite && $0 > 0 } }) ?? true else {
            return "gradnorm needs \(taskWeights.count) positive initial losses"
        }
        taskWeights = w
        initialLosses = initial
        return nil
    }
}

/// PCGrad (Yu et al. 2020, Algorithm 1; LibMTL `PCGrad.py`): each task's shared gradient
/// gᵢ′ = wᵢ∇Lᵢ is projected off every other task's gradient gⱼ it conflicts with (gᵢ′·gⱼ < 0):
/// gᵢ′ −= (gᵢ′·gⱼ / (‖gⱼ‖² + 1e-8))·gⱼ, the j in a random order per i (drawn from (seed, step));
/// the shared update is Σᵢ gᵢ′, and the heads keep their own gradients. Every `every` steps;
/// the steps between take the plain weighted sum.
final class PCGrad: LossWeighting {
    let tasks: Int
    let seed: UInt64
    let every: Int
    /// gᵢ′ while it is projected.
    private let scratch: FloatBuffer
    /// The orders to use instead of drawing them (a parity test replays PyTorch's).
    var fixedOrders: [[Int]]?

    init(tasks: Int, seed: UInt64, every: Int, count: Int) {
        self.tasks = tasks
        self.seed = seed
        self.every = every
        scratch = FloatBuffer(count: max(count, 1))
    }

    var strategy: WeightingStrategy { .pcgrad }

    func needsTaskGradients(at step: Int) -> Bool { step % every == 0 }

    func weights(_ step: WeightingStep) -> [Double] { [Double](repeating: 1, count: tasks) }

    func combine(_ gradients: [FloatBuffer], weights: [Double], step: WeightingStep, into shared: UnsafeMutablePointer<Float>) {
        var random = SeededRandom(seed: seed, stream: 12, index: UInt64(step.step))
        let orders = fixedOrders ?? (0..<tasks).map { _ in Array(0..<tasks).shuffled(using: &random) }
        Self.project(gradients, weights: weights, orders: orders, scratch: scratch, into: shared)
    }

    /// shared = Σᵢ gᵢ′ with `orders[i]` the order of the j projected off task i's gradient.
    static func project(_ gradients: [FloatBuffer], weights: [Double], orders: [[Int]], scratch: FloatBuffer,
                        into shared: UnsafeMutablePointer<Float>) {
        let count = gradients[0].count
        let squaredNorms = gradients.map { Double(sumOfSquares($0.pointer, count: count)) }
        let g = scratch.pointer
        shared.update(repeating: 0, count: count)
        for i in gradients.indices where weights[i] != 0 {
            let scale = Float(weights[i])
            for k in 0..<count { g[k] = scale * gradients[i].pointer[k] }
            for j in orders[i] where j != i && weights[j] > 0 {
                let d = dot(g, gradients[j].pointer, count: count)
                if d < 0 {
                    // (gᵢ′·wⱼgⱼ) / ‖wⱼgⱼ‖² · wⱼgⱼ = (gᵢ′·gⱼ) / ‖gⱼ‖² · gⱼ: the task weight cancels.
                    let factor = Float(d / (squaredNorms[j] + 1e-8))
                    let other = gradients[j].pointer
                    for k in 0..<count { g[k] -= factor * other[k] }
                }
            }
            for k in 0..<count { shared[k] += g[k] }
        }
    }
}

/// Σ xᵢyᵢ, summed in eight float lanes over blocks of 4,096 (so the loop vectorises) and
/// across blocks in double precision.
func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Double {
    let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
    let vectorEnd = count - count % 8
    var total = 0.0
    var i = 0
    while i < vectorEnd {
        var lanes = SIMD8<Float>()
        let blockEnd = min(i + 4096, vectorEnd)
        while i < blockEnd {
            lanes += rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        total += Double(lanes.sum())
    }
    for k in vectorEnd..<count { total += Double(x[k]) * Double(y[k]) }
    return total
}
