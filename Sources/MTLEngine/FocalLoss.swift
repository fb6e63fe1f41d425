import Foundation
import MTLData

/// Focal loss (Lin et al. 2017): each row's cross-entropy times (1 − p_t)^γ, so rows the model
/// already gets right weigh little and the hard ones drive the gradient; γ = 0 is plain
/// cross-entropy.
/// - binary / multi-label: torchvision's `sigmoid_focal_loss` per label, with p_t = p·y +
///   (1 − p)·(1 − y) and, when α is set, the factor α·y + (1 − α)·(1 − y) (torchvision's default
///   α = 0.25); smoothed targets and positive weights apply as to the plain BCE;
/// - multiclass: −α Σ_c q_c (1 − p_c)^γ log p_c with the (smoothed) target distribution q,
///   i.e. −α (1 − p_y)^γ log p_y without smoothing; α is an optional scalar.
public struct FocalLoss: Sendable, Codable, Equatable {
    public var gamma: Float
    /// nil: no α factor.
    public var alpha: Float?

    public init(gamma: Float = 2, alpha: Float? = nil) {
        self.gamma = gamma
        self.alpha = alpha
    }

    /// What `focal` with no α means for a task of this kind: torchvision's α = 0.25 for the
    /// sigmoid losses, none for multiclass.
    public static func defaultAlpha(for kind: TaskKind) -> Float? {
        kind == .multiclass ? nil : 0.25
    }

    /// `focal[:GAMMA[:ALPHA]]` for a task of `kind` (ALPHA `none` drops the α factor); a
    /// one-line reason when it does not parse or the values are out of range.
    public static func parse(_ text: String, kind: TaskKind) -> Result<FocalLoss, Invalid> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts[0] == "focal", parts.count <= 3 else {
            return .failure(Invalid("expected focal[:GAMMA[:ALPHA]] or ce, got '\(text)'"))
        }
        guard kind != .regression else {
            return .failure(Invalid("focal loss needs a binary, multiclass or multilabel task"))
        }
        var focal = FocalLoss(gamma: 2, alpha: defaultAlpha(for: kind))
        if parts.count > 1 {
            guard let gamma = Float(parts[1]), gamma.isFinite else { return .failure(Invalid("γ must be a number, got '\(parts[1])'")) }
            guard gamma >= 0 else { return .failure(Invalid("γ must be ≥ 0, got \(parts[1])")) }
            focal.gamma = gamma
        }
        if parts.count > 2 {
            if parts[2] == "none" { focal.alpha = nil } else {
                guard let alpha = Float(parts[2]), alpha >= 0, alpha <= 1 else {
                    return .failure(Invalid("α must be a number in [0, 1] or none, got '\(parts[2])'"))
                }
                focal.alpha = alpha
            }
        }
        return .success(focal)
    }

    /// How the flag and the event log spell it: `focal:2:0.25`, `focal:2`.
    public var description: String {
        "focal:\(format(Double(gamma)))" + (alpha.map { ":\(format(Double($0)))" } ?? "")
    }

    /// One label's focal loss and its derivative in the logit x, from its BCE with target y
    /// and σ(x): ℓ = a·m·ce with m = (1 − p_t)^γ and a the α factor, so
    /// ∂ℓ/∂x = a·(m·(σ − y) + ce·γ(1 − p_t)^{γ−1}·σ(1 − σ)(1 − 2y)).
    func sigmoidTerm(_ x: Float, _ y: Float, probability p: Float, bce: Float) -> (loss: Float, slope: Float) {
        let q = x >= 0 ? exp(-x) / (1 + exp(-x)) : 1 / (1 + exp(x))   // 1 − σ(x), without cancellation
        let miss = p * (1 - y) + q * y                                  // 1 − p_t
        let m = pow(miss, gamma)
        let dm = gamma == 0 || miss <= 0 ? 0 : gamma * pow(miss, gamma - 1) * p * q * (1 - 2 * y)
        let a = alpha.map { $0 * y + (1 - $0) * (1 - y) } ?? 1
        return (a * m * bce, a * (m * (p - y) + bce * dm))
    }

    /// One softmax row's focal loss (p already holds the probabilities); writes ∂ℓ/∂z into dz:
    /// with f_c = (1 − p_c)^γ − γ(1 − p_c)^{γ−1} p_c log p_c, ∂ℓ/∂z_j = −α (q_j f_j − p_j Σ_c q_c f_c).
    func softmaxRow(_ z: UnsafePointer<Float>, _ y: Int, _ p: UnsafePointer<Float>, _ dz: UnsafeMutablePointer<Float>?,
                    width: Int, epsilon: Float, peak: Float, logSum: Float) -> Float {
        let a = alpha ?? 1
        var loss: Float = 0, weighted: Float = 0
        for c in 0..<width {
            let q = (c == y ? 1 - epsilon : 0) + epsilon / Float(width)
            let logP = z[c] - peak - logSum, miss = max(1 - p[c], 0)
            let m = pow(miss, gamma)
            let f = m - (gamma == 0 || miss <= 0 ? 0 : gamma * pow(miss, gamma - 1) * p[c] * logP)
            loss -= q * m * logP
            weighted += q * f
            dz?[c] = q * f   // finished below, once Σ_c q_c f_c is known
        }
        if let dz { for c in 0..<width { dz[c] = -a * (dz[c] - p[c] * weighted) } }
        return a * loss
    }

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}

/// How one task's training loss is reshaped toward hard rows, switchable while training.
public struct LossShape: Sendable, Codable, Equatable {
    /// Focal loss instead of cross-entropy (classification tasks).
    public var focal: FocalLoss?
    /// OHEM: the fraction of each batch's labelled rows, highest loss first, kept in the mean.
    public var ohem: Double?

    public init(focal: FocalLoss? = nil, ohem: Double? = nil) {
        self.focal = focal
        self.ohem = ohem
    }

    public var isPlain: Bool { focal == nil && ohem == nil }
}
