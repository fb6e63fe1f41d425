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
///
/// Two more reshape the training objective toward hard rows (`LossShape`): focal loss (see
/// `FocalLoss`) and online hard example mining (`Mining`), which keeps only the highest-loss
/// rows of the batch in the mean.
public enum TaskLoss {
    public struct Result {
        public var loss: Float
        /// Σ w_i over the rows in the mean: zero when no row of the batch has this task's label.
        public var weightSum: Float
    }

    /// OHEM for one call: keep the `fraction` of labelled rows with the highest loss; `scratch`
    /// holds `2 · batch` floats (the kept weights and a sort buffer), so a step allocates nothing.
    public struct Mining {
        public var fraction: Double
        public var scratch: UnsafeMutablePointer<Float>

        public init(fraction: Double, scratch: UnsafeMutablePointer<Float>) {
            self.fraction = fraction
            self.scratch = scratch
        }
    }

    /// logits `[B, width]` → probabilities (softmax/sigmoid; the value for regression) and each
    /// row's unweighted loss; when `gradient` is given, writes `scale · ∂L/∂logits` into it.
    public static func compute(kind: TaskKind, regression: RegressionLoss, logits: UnsafePointer<Float>,
                               targets: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                               batch: Int, width: Int,
                               probabilities: UnsafeMutablePointer<Float>, rowLoss: UnsafeMutablePointer<Float>,
                               gradient: UnsafeMutablePointer<Float>?, scale: Float,
                               labelSmoothing: Float = 0, positiveWeights: [Float]? = nil,
                               focal: FocalLoss? = nil, mining: Mining? = nil) -> Result {
        // 1. Each row's loss and, when asked, its own derivative ∂ℓ_b/∂z_b in `gradient`.
        for b in 0..<batch {
            let z = logits + b * width, p = probabilities + b * width, dz = gradient.map { $0 + b * width }
            switch kind {
            case .multiclass:
                rowLoss[b] = softmaxRow(z, targets[b], p, dz, width: width, epsilon: labelSmoothing, focal: focal)
            case .binary, .multilabel:
                rowLoss[b] = sigmoidRow(z, targets + b * width, p, dz, width: width, epsilon: labelSmoothing,
                                        positiveWeights: positiveWeights, focal: focal)
            case .regression:
                let d = z[0] - targets[b]
                p[0] = z[0]
                switch regression {
                case .mse: rowLoss[b] = d * d
                case .huber: rowLoss[b] = abs(d) <= 1 ? 0.5 * d * d : abs(d) - 0.5
                }
                dz?[0] = regression == .mse ? 2 * d : max(-1, min(1, d))
            }
        }
        // 2. The rows in the mean: every labelled one, or under OHEM the hardest.
        let used = mining.map { UnsafePointer(HardExampleMining.keep($0, rowLoss: rowLoss, weights: weights, batch: batch)) } ?? weights
        // 3. L = Σ w ℓ / Σ w, and its gradient: each row's derivative times scale · w_b / Σ w.
        var weightSum: Double = 0, total: Double = 0
        for b in 0..<batch where used[b] > 0 {
            weightSum += Double(used[b])
            total += Double(used[b]) * Double(rowLoss[b])
        }
        guard weightSum > 0 else {
            gradient?.update(repeating: 0, count: batch * width)
            return Result(loss: 0, weightSum: 0)
        }
        if let gradient {
            let factor = scale / Float(weightSum)
            for b in 0..<batch {
                let rowFactor = factor * used[b]
                for c in 0..<width { gradient[b * width + c] *= rowFactor }
            }
        }
        return Result(loss: Float(total / weightSum), weightSum: Float(weightSum))
    }

    /// Softmax and −Σ_c q_c log p_c with q = (1 − ε)·onehot(y) + ε/K, or its focal form.
    private static func softmaxRow(_ z: UnsafePointer<Float>, _ target: Float, _ p: UnsafeMutablePointer<Float>,
                                   _ dz: UnsafeMutablePointer<Float>?, width: Int, epsilon: Float, focal: FocalLoss?) -> Float {
        var peak = z[0]
        for c in 1..<width { peak = max(peak, z[c]) }
        var sum: Float = 0
        for c in 0..<width { p[c] = exp(z[c] - peak); sum += p[c] }
        for c in 0..<width { p[c] /= sum }
        let y = min(max(Int(target), 0), width - 1)
        if let focal {
            return focal.softmaxRow(z, y, p, dz, width: width, epsilon: epsilon, peak: peak, logSum: log(sum))
        }
        var shiftedSum: Float = 0
        if epsilon > 0 { for c in 0..<width { shiftedSum += z[c] - peak } }
        if let dz {
            for c in 0..<width { dz[c] = p[c] - (1 - epsilon) * (c == y ? 1 : 0) - epsilon / Float(width) }
        }
        return log(sum) - (1 - epsilon) * (z[y] - peak) - epsilon / Float(width) * shiftedSum
    }

    /// Sigmoid and the (positive-weighted, smoothed) BCE per label, averaged over the labels,
    /// or its focal form.
    private static func sigmoidRow(_ z: UnsafePointer<Float>, _ targets: UnsafePointer<Float>, _ p: UnsafeMutablePointer<Float>,
                                   _ dz: UnsafeMutablePointer<Float>?, width: Int, epsilon: Float,
                                   positiveWeights: [Float]?, focal: FocalLoss?) -> Float {
        var sum: Float = 0
        for c in 0..<width {
            let x = z[c], truth = targets[c], y = truth * (1 - epsilon) + epsilon / 2
            p[c] = x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
            // Weighed by 1 + (p − 1)·[true label positive] (exactly 1 when p = 1).
            let weight = 1 + ((positiveWeights?[c] ?? 1) - 1) * truth
            // Stable BCE with logits: max(z, 0) − z·y + log(1 + e^{−|z|}); ∂/∂z = σ(z) − y.
            let bce = max(x, 0) - x * y + log1p(exp(-abs(x)))
            var loss = bce, slope = p[c] - y
            if let focal { (loss, slope) = focal.sigmoidTerm(x, y, probability: p[c], bce: bce) }
            sum += weight * loss
            dz?[c] = weight * slope / Float(width)
        }
        return sum / Float(width)
    }
}
