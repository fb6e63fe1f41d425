import MTLData

/// What a weighting strategy sees at one training step.
public struct WeightingStep {
    /// Optimizer steps done before this one.
    public var step: Int
    /// This batch's loss per task (0 where the batch has no label for the task).
    public var losses: [Double]
    /// Whether the batch has labels for each task.
    public var present: [Bool]
    /// Finished epochs, for strategies that look at epoch means (DWA).
    public var history: [EpochRecord]
    /// The model optimizer's rate and moments, for strategies that learn alongside it (UW).
    public var optimizer: OptimizerConfig
}

/// A strategy's own state, saved in checkpoints: named vectors (learned log-variances, task
/// logits, their optimizer moments, …), so a resumed run continues exactly.
public struct WeightingState: Sendable, Codable, Equatable {
    public var strategy: WeightingStrategy
    public var values: [String: [Double]]

    public init(strategy: WeightingStrategy, values: [String: [Double]] = [:]) {
        self.strategy = strategy
        self.values = values
    }
}

/// How the task losses combine into one update. A strategy sets weights on the losses
/// (`weights`); it may also watch each task's gradient norm on the last dense layer (`observe`,
/// a few small products per task), or combine each task's gradient on the shared parameters
/// (`combine`, one trunk backward pass per task on the steps it asks for them).
///
/// ```swift
/// let weighting = WeightingStrategy.pcgrad.make(options: ["every": 2], tasks: 3, seed: 42)
/// let w = weighting.weights(step)                   // after the forward pass
/// if weighting.needsTaskGradients(at: step.step) { weighting.combine(gradients, weights: w, into: shared) }
/// weighting.afterStep(step) { recomputedLosses }    // after the optimizer step
/// ```
public protocol LossWeighting: AnyObject {
    var strategy: WeightingStrategy { get }
    /// True on the steps where `combine` needs each task's gradient on the shared parameters.
    func needsTaskGradients(at step: Int) -> Bool
    /// Weights multiplying each task's loss this step (times the user's weights).
    func weights(_ step: WeightingStep) -> [Double]
    /// True on the steps where `observe` needs each task's ‖∇_W Lₜ‖ on the last dense layer.
    func needsLastLayerNorms(at step: Int) -> Bool
    /// Each task's ‖∇_W Lₜ‖ (unweighted) on the last dense layer, and this step's weights.
    func observe(lastLayerNorms: [Double], weights: [Double], step: WeightingStep)
    /// The shared gradient from the tasks' gradients `gradients[t]` (of the unweighted losses)
    /// and this step's `weights`. Only called when `needsTaskGradients`; the default is Σ wₜ gₜ.
    func combine(_ gradients: [FloatBuffer], weights: [Double], step: WeightingStep, into shared: UnsafeMutablePointer<Float>)
    /// After the optimizer step, with the step's inputs; `lossesAfter` evaluates the same batch
    /// again with the updated parameters (only FAMO asks).
    func afterStep(_ step: WeightingStep, lossesAfter: () -> [Double])
    var state: WeightingState { get }
    /// Restores saved state; an error message when it does not fit this run.
    func restore(_ state: WeightingState) -> String?
}

extension LossWeighting {
    public func needsTaskGradients(at step: Int) -> Bool { false }
    public func needsLastLayerNorms(at step: Int) -> Bool { false }
    public func observe(lastLayerNorms: [Double], weights: [Double], step: WeightingStep) {}
    public func combine(_ gradients: [FloatBuffer], weights: [Double], step: WeightingStep, into shared: UnsafeMutablePointer<Float>) {
        weightedSum(gradients, weights: weights, count: gradients.first?.count ?? 0, into: shared)
    }
    public func afterStep(_ step: WeightingStep, lossesAfter: () -> [Double]) {}
    public var state: WeightingState { WeightingState(strategy: strategy) }
    public func restore(_ state: WeightingState) -> String? { nil }
}

/// shared = Σₜ wₜ · gₜ over `count` floats.
func weightedSum(_ gradients: [FloatBuffer], weights: [Double], count: Int, into shared: UnsafeMutablePointer<Float>) {
    shared.update(repeating: 0, count: count)
    for (g, w) in zip(gradients, weights) where w != 0 {
        let source = g.pointer, scale = Float(w)
        for i in 0..<count { shared[i] += scale * source[i] }
    }
}

extension WeightingStrategy {
    /// One line for the picker and `--help`.
    public var summary: String {
        switch self {
        case .fixed: "the weights you set"
        case .dwa: "Dynamic Weight Average: up-weights tasks whose loss falls slowest (per epoch)"
        case .rlw: "Random Loss Weighting: softmax of normal noise each step (a baseline)"
        case .uw: "uncertainty weighting: a learned log-variance per task"
        case .gradnorm: "GradNorm: balances gradient norms on the last shared layer (α)"
        case .pcgrad: "PCGrad: projects away conflicting task gradients (K trunk passes)"
        case .famo: "FAMO: task logits that even out the loss decrease rates (one extra forward pass)"
        }
    }

    /// The options `NAME:k=v` takes, with defaults.
    public var defaultOptions: [String: Double] {
        switch self {
        case .fixed, .rlw, .uw: [:]
        case .dwa: ["temperature": 2]
        case .gradnorm: ["alpha": 1.5, "lr": 0.025, "every": 1]
        case .pcgrad: ["every": 1]
        case .famo: ["lr": 0.025, "decay": 0.001, "every": 1]
        }
    }

    /// Parses `NAME[:k=v,...]`, e.g. `gradnorm:alpha=1.2,every=4`; the message says what is wrong.
    public static func parse(_ text: String) -> Result<(WeightingStrategy, [String: Double]), WeightingParseError> {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let name = parts.first, let strategy = WeightingStrategy(rawValue: name) else {
            return .failure(WeightingParseError("expected one of \(allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'"))
        }
        var options: [String: Double] = [:]
        for item in parts.count > 1 ? parts[1].split(separator: ",", omittingEmptySubsequences: false) : [] {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, let value = Double(pair[1]), value.isFinite else {
                return .failure(WeightingParseError("\(name): expected KEY=NUMBER, got '\(item)'"))
            }
            guard strategy.defaultOptions[pair[0]] != nil else {
                let known = strategy.defaultOptions.keys.sorted()
                return .failure(WeightingParseError("\(name) has no option '\(pair[0])'" + (known.isEmpty ? "" : " (options: \(known.joined(separator: ", ")))")))
            }
            let valid = pair[0] == "every" ? value >= 1 && value == value.rounded() : value > 0 || (pair[0] == "decay" && value == 0)
            guard valid else { return .failure(WeightingParseError("\(name): \(pair[0]) must be \(pair[0] == "every" ? "a whole number ≥ 1" : "> 0"), got \(pair[1])")) }
            options[pair[0]] = value
        }
        return .success((strategy, options))
    }

    /// A fresh strategy for `tasks` tasks; `options` override `defaultOptions`.
    public func make(options: [String: Double] = [:], tasks: Int, seed: UInt64) -> LossWeighting {
        let o = defaultOptions.merging(options) { $1 }
        switch self {
        case .fixed: return FixedWeighting(tasks: tasks)
        case .dwa: return DynamicWeightAverage(tasks: tasks, temperature: o["temperature"]!)
        case .rlw: return RandomLossWeighting(tasks: tasks, seed: seed)
        case .uw: return UncertaintyWeighting(tasks: tasks)
        case .gradnorm: return GradNorm(tasks: tasks, alpha: o["alpha"]!, learningRate: o["lr"]!, every: Int(o["every"]!))
        case .pcgrad: return PCGrad(tasks: tasks, seed: seed, every: Int(o["every"]!))
        case .famo: return FAMO(tasks: tasks, learningRate: o["lr"]!, decay: o["decay"]!, every: Int(o["every"]!))
        }
    }
}

public struct WeightingParseError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
