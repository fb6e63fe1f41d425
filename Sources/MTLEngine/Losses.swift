import Foundation
import MTLData

/// The loss of one task head, masked and weighted per sample.
///
/// With per-row weights `w` (0 where the label is missing, else sample × class weight):
/// `L = Σ w_i ℓ_i / Σ w_i`, PyTorch's weighted mean (e.g. `cross_entropy(weight=…)`).
/// - binary: sigmoid + binary cross-entropy on one logit;
/// - multiclass: softmax + cross-entropy;
/// - multilabel: sigmoid + BCE per label, averaged over labels;
/// - regression: mean squared error or Huber (δ = 1) on standardised targets.
public enum TaskLoss {
    public struct Result {
        public var loss: Float
        /// Σ w_i: zero when no row of the batch has this task's label.
        public var weightSum: Float
    }

    /// logits `[B, width]` → probabilities (softmax/sigmoid; the value for regression) and each
    /// row's unweighted loss; when `gradient` is given, writes `scale · ∂L/∂logits` into it.
    public static func compute(kind: TaskKind, regression: RegressionLoss, logits: UnsafePointer<Float>,
                               targets: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                               batch: Int, width: Int,
                               probabilities: UnsafeMutablePointer<Float>, rowLoss: UnsafeMutablePointer<Float>,
                               gradient: UnsafeMutablePointer<Float>?, scale: Float) -> Result {
        var weightSum: Double = 0
        for b in 0..<batch { weightSum += Double(weights[b]) }
        var total: Double = 0
        switch kind {
        case .multiclass:
            for b in 0..<batch {
                let z = logits + b * width, p = probabilities + b * width
                var peak = z[0]
                for c in 1..<width { peak = max(peak, z[c]) }
                var sum: Float = 0
                for c in 0..<width { p[c] = exp(z[c] - peak); sum += p[c] }
                for c in 0..<width { p[c] /= sum }
                let y = min(max(Int(targets[b]), 0), width - 1)
                rowLoss[b] = log(sum) - (z[y] - peak)
                total += Double(weights[b]) * Double(rowLoss[b])
            }
        case .binary, .multilabel:
            for b in 0..<batch {
                var sum: Float = 0
                for c in 0..<width {
                    let i = b * width + c
                    let z = logits[i], y = targets[i]
                    probabilities[i] = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
                    // Stable BCE with logits: max(z, 0) − z·y + log(1 + e^{−|z|}).
                    sum += max(z, 0) - z * y + log1p(exp(-abs(z)))
                }
                rowLoss[b] = sum / Float(width)
                total += Double(weights[b]) * Double(rowLoss[b])
            }
        case .regression:
            for b in 0..<batch {
                let d = logits[b] - targets[b]
                probabilities[b] = logits[b]
                switch regression {
                case .mse: rowLoss[b] = d * d
                case .huber: rowLoss[b] = abs(d) <= 1 ? 0.5 * d * d : abs(d) - 0.5
                }
                total += Double(weights[b]) * Double(rowLoss[b])
            }
        }
        guard weightSum > 0 else {
            if let gradient { gradient.update(repeating: 0, count: batch * width) }
            return Result(loss: 0, weightSum: 0)
        }
        if let gradient {
            let factor = scale / Float(weightSum)
            for b in 0..<batch {
                let rowFactor = factor * weights[b]
                for c in 0..<width {
                    let i = b * width + c
                    let d: Float
                    switch kind {
                    case .multiclass: d = probabilities[i] - (Int(targets[b]) == c ? 1 : 0)
                    case .binary: d = probabilities[i] - targets[i]
                    case .multilabel: d = (probabilities[i] - targets[i]) / Float(width)
                    case .regression:
                        let r = logits[i] - targets[i]
                        d = regression == .mse ? 2 * r : max(-1, min(1, r))
                    }
                    gradient[i] = rowFactor * d
                }
            }
        }
        return Result(loss: Float(total / weightSum), weightSum: Float(weightSum))
    }
}
