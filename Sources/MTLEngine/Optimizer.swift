import Foundation

public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    case sgd, adam, adamw
}

/// Settings of the optimizer; defaults follow PyTorch.
public struct OptimizerConfig: Sendable, Codable, Equatable {
    public var kind: OptimizerKind
    public var learningRate: Float
    public var momentum: Float = 0.9
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// L2 penalty for sgd and adam (added to the gradient); decoupled decay for adamw.
    public var weightDecay: Float
    /// Rescales all gradients together when their global L2 norm exceeds this.
    public var clipNorm: Float?

    public init(kind: OptimizerKind, learningRate: Float, weightDecay: Float? = nil, clipNorm: Float? = nil) {
        self.kind = kind
        self.learningRate = learningRate
        self.weightDecay = weightDecay ?? (kind == .adamw ? 0.01 : 0)
        self.clipNorm = clipNorm
    }
}

/// One loop over the flat buffers, layer range by layer range (only the batch's rows of the
/// n-gram tables: see `RowSparseTensor`). Frozen layers are skipped
/// entirely: their values, moments and step counts stay exactly as they were (as with
/// `requires_grad = False` in PyTorch), so unfreezing resumes their own schedule.
public final class Optimizer {
    public var config: OptimizerConfig
    /// Momentum (sgd) or first moment (adam); second moment (adam). Same layout as the parameters.
    public let first: FloatBuffer
    public let second: FloatBuffer
    /// Updates applied to each layer so far (Adam's bias correction counts per layer).
    public var layerSteps: [String: Int] = [:]

    public init(_ config: OptimizerConfig, parameterCount: Int) {
        self.config = config
        first = FloatBuffer(count: parameterCount)
        second = FloatBuffer(count: config.kind == .sgd ? 1 : parameterCount)
    }

    /// The fewest parameters a thread's part of a layer's update holds.
    static let splitMinimum = 1 << 15
    /// Values updated before they are cleared: 4 arrays × 16 KB stay in a core's L2 cache.
    static let clearPiece = 1 << 12

    /// Global L2 norm of the trainable gradients, before any clipping.
    public func gradientNorm(_ model: Model, frozen: Set<String>) -> Float {
        var sum: Double = 0
        for layer in model.layers where !frozen.contains(layer.name) {
            sum += sumOfSquaredGradients(model, layer)
        }
        return Float(sum.squareRoot())
    }

    /// Applies one update from `model.gradients`; returns the gradient norm before clipping.
    /// `norm`: that norm when the caller has it (`gradientNorm` is a pass over every gradient).
    /// It leaves the gradients of the layers it updated at zero (`Model.gradientsLeftZero`):
    /// read them before the step, not after.
    @discardableResult
    public func step(_ model: Model, frozen: Set<String>, norm known: Float? = nil) -> Float {
        let norm = known ?? gradientNorm(model, frozen: frozen)
        var gradientScale: Float = 1
        if let clip = config.clipNorm, norm > clip { gradientScale = clip / (norm + 1e-6) }
        let config = self.config  // read once: the row-sparse tables call `update` per row
        for (index, layer) in model.layers.enumerated() where !frozen.contains(layer.name) {
            let t = (layerSteps[layer.name] ?? 0) + 1
            layerSteps[layer.name] = t
            // Adam's bias corrections, once per layer rather than per range (a row-sparse
            // table has thousands of ranges).
            let corrections = (1 - Float(pow(Double(config.beta1), Double(t))), (1 - Float(pow(Double(config.beta2), Double(t)))).squareRoot())
            let rate = config.learningRate * model.learningRateFactor(layer.name)
            let p = model.parameters.pointer, g = model.gradients.pointer, m = first.pointer
            let v = config.kind == .sgd ? nil : second.pointer
            updateRanges(model, layer, dense: { range in
                Parallel.split(range.count, minimum: Optimizer.splitMinimum) { part in
                    // In pieces that stay in cache, each cleared once read: the next step's
                    // gradient starts from zero without a pass of its own (`beginStep`).
                    var start = range.lowerBound + part.lowerBound
                    let end = range.lowerBound + part.upperBound
                    while start < end {
                        let count = min(Optimizer.clearPiece, end - start)
                        Optimizer.update(config, p: p + start, g: g + start, m: m + start, v: v.map { $0 + start }, count: count,
                                         corrections: corrections, gradientScale: gradientScale, rate: rate)
                        (g + start).update(repeating: 0, count: count)
                        start += count
                    }
                }
            }, rows: { offset, width, block in
                for row in block {
                    let start = offset + Int(row) * width
                    Optimizer.update(config, p: p + start, g: g + start, m: m + start, v: v.map { $0 + start }, count: width,
                                     corrections: corrections, gradientScale: gradientScale, rate: rate)
                    (g + start).update(repeating: 0, count: width)
                }
            })
            model.gradientsLeftZero[index] = true
        }
        return norm
    }

    @inline(__always)
    private static func update(_ c: OptimizerConfig, p: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>,
                               m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>?, count: Int,
                               corrections: (Float, Float), gradientScale: Float, rate lr: Float) {
        let wd = c.weightDecay
        switch c.kind {
        case .sgd:
            let mu = c.momentum
            for i in 0..<count {
                let grad = g[i] * gradientScale + wd * p[i]
                m[i] = mu * m[i] + grad
                p[i] -= lr * m[i]
            }
        case .adam, .adamw:
            let v = v!
            let b1 = c.beta1, b2 = c.beta2
            let (correction1, correction2) = corrections
            let stepSize = lr / correction1
            let eps = c.epsilon
            let coupled: Float = c.kind == .adam ? wd : 0
            let decay: Float = c.kind == .adamw ? 1 - lr * wd : 1
            for i in 0..<count {
                let grad = g[i] * gradientScale + coupled * p[i]
                m[i] = b1 * m[i] + (1 - b1) * grad
                v[i] = b2 * v[i] + (1 - b2) * grad * grad
                p[i] = p[i] * decay - stepSize * m[i] / (v[i].squareRoot() / correction2 + eps)
            }
        }
    }
}

/// Σ x² of a large array as eight blocks, in parallel when there are threads, summed in
/// order: the result does not depend on the thread count, so a resumed run repeats it exactly.
func blockedSumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    guard count >= 1 << 16 else { return Double(sumOfSquares(x, count: count)) }
    let blocks = 8
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: blocks) { sums in
        let out = sums.baseAddress!
        Parallel.blocks(blocks, count: blocks) { parts in
            for part in parts {
                let start = count * part / blocks, end = count * (part + 1) / blocks
                out[part] = Double(sumOfSquares(x + start, count: end - start))
            }
        }
        return (0..<blocks).reduce(0) { $0 + out[$1] }
    }
}

/// Σ x², eight running sums at a time so the loop vectorises (a single float accumulator
/// would force the additions into order).
func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var i = 0
    let raw = UnsafeRawPointer(x)
    while i + 8 <= count {
        let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        lanes += v * v
        i += 8
    }
    var total = lanes.sum()
    while i < count {
        total += x[i] * x[i]
        i += 1
    }
    return total
}
