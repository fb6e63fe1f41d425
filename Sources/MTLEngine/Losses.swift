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
///
/// Two options shape the classification losses, as PyTorch spells them:
/// - `labelSmoothing` ε: multiclass targets become (1 − ε)·onehot + ε/K
///   (`cross_entropy(label_smoothing=ε)`); binary and multi-label targets y·(1 − ε) + ε/2, so an
///   over-confident logit stops paying off;
/// - `positiveWeights` p_c (binary, multi-label): label c's BCE is multiplied by p_c where the
///   true label is positive, so a rare label's few positives weigh as much as its many
///   negatives. Without smoothing this is exactly `BCEWithLogitsLoss(pos_weight=p)`. With
///   smoothing, PyTorch's pos_weight would also multiply the ε/2 target mass of every negative,
///   and with p = 100 drive a rare label's negatives to σ = 0.84; weighting by the true label
///   (`BCEWithLogitsLoss(weight=1 + (p − 1)·y)`) keeps the smoothed optimum at ε/2.
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
                               gradient: UnsafeMutablePointer<Float>?, scale: Float,
                               labelSmoothing: Float = 0, positiveWeights: [Float]? = nil) -> Result {
        let epsilon = labelSmoothing
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
                // −Σ_c q_c log p_c with q = (1 − ε)·onehot(y) + ε/K.
                var shiftedSum: Float = 0
                if epsilon > 0 { for c in 0..<width { shiftedSum += z[c] - peak } }
                rowLoss[b] = log(sum) - (1 - epsilon) * (z[y] - peak) - epsilon / Float(width) * shiftedSum
                total += Double(weights[b]) * Double(rowLoss[b])
            }
        case .binary, .multilabel:
            for b in 0..<batch {
                var sum: Float = 0
                for c in 0..<width {
                    let i = b * width + c
                    let z = logits[i], y = targets[i] * (1 - epsilon) + epsilon / 2
                    let positive = positiveWeights?[c] ?? 1
                    probabilities[i] = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
                    // Stable BCE with logits: max(z, 0) − z·y + log(1 + e^{−|z|}), weighed by
                    // 1 + (p − 1)·[true label positive] (exactly 1 when p = 1).
                    let weight = 1 + (positive - 1) * targets[i]
                    sum += weight * (max(z, 0) - z * y + log1p(exp(-abs(z))))
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
                    case .multiclass:
                        d = probabilities[i] - (1 - epsilon) * (Int(targets[b]) == c ? 1 : 0) - epsilon / Float(width)
                    case .binary, .multilabel:
                        // ∂/∂z of the BCE above: (1 + (p − 1)·y)·(σ(z) − y_ε).
                        let smoothed = targets[i] * (1 - epsilon) + epsilon / 2
                        let weight = 1 + ((positiveWeights?[c] ?? 1) - 1) * targets[i]
                        d = weight * (probabilities[i] - smoothed) / (kind == .multilabel ? Float(width) : 1)
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
