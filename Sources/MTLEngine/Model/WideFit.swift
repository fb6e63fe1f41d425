import Foundation
import MTLData

/// Fits one task's wide path (`wide.TASK`: weight `[inputs, outputs]` and bias) alone, as the
/// convex problem a TF-IDF + logistic-regression baseline solves, with the deep logits at 0:
///
///     min_θ  Σ_i w_i ℓ_i(X_i W + b) / Σ_i w_i  +  λ/2 ‖W‖²,   λ = 1 / (C · Σ_i w_i)
///
/// with the task's own loss (`TaskLoss`: softmax CE, sigmoid BCE per label, squared error),
/// masks and class weights; the bias is not penalised (as scikit-learn's lbfgs). This λ makes
/// C scikit-learn's C: C Σ ℓ_i + ½‖W‖² divided by C Σ w_i. A multi-label row's loss is the mean
/// over its labels, so there λ is also divided by the label count (each label then matches a
/// one-vs-rest fit with that C), and squared error is ridge regression with alpha = 1/C.
///
/// The solver is full-batch L-BFGS: deterministic, and whatever the thread count, since the
/// forward splits rows and the gradient splits columns (through the transposed rows).
struct WideProblem {
    let kind: TaskKind
    let regression: RegressionLoss
    let labelSmoothing: Float
    let positiveWeights: [Float]?
    let inputs: Int
    let outputs: Int
    /// The rows, as CSR and as its transpose (column j's rows and values).
    let x: SparseTable
    let xt: SparseTable
    /// Per row: targets `[width]` (a class index for multiclass) and the loss weight (> 0).
    let targets: [Float]
    let targetWidth: Int
    let weights: [Float]
    let weightSum: Double

    var rows: Int { weights.count }
    var parameterCount: Int { inputs * outputs + outputs }

    /// The rows of `table` listed in `rows` whose weight is positive.
    init(head: HeadConfig, inputs: Int, table: SparseTable, rows: [Int], targets source: TaskTargets) {
        kind = head.kind
        regression = head.regressionLoss
        labelSmoothing = head.labelSmoothing
        positiveWeights = head.positiveWeights
        self.inputs = inputs
        outputs = head.outputs
        targetWidth = source.width
        var x = SparseTable(), targets: [Float] = [], weights: [Float] = []
        for r in rows where source.mask[r] > 0 && source.weights[r] > 0 {
            let range = table.offsets[r]..<table.offsets[r + 1]
            x.append(columns: Array(table.columns[range]), values: Array(table.values[range]))
            targets += source.values[(r * targetWidth)..<((r + 1) * targetWidth)]
            weights.append(source.weights[r])
        }
        if x.offsets.isEmpty { x.offsets = [0] }
        self.x = x
        self.targets = targets
        self.weights = weights
        weightSum = weights.reduce(0) { $0 + Double($1) }
        xt = WideProblem.transpose(x, columns: inputs)
    }

    static func transpose(_ x: SparseTable, columns: Int) -> SparseTable {
        var counts = [Int](repeating: 0, count: columns + 1)
        for c in x.columns { counts[Int(c) + 1] += 1 }
        for j in 0..<columns { counts[j + 1] += counts[j] }
        var t = SparseTable()
        t.offsets = counts
        t.columns = [Int32](repeating: 0, count: x.columns.count)
        t.values = [Float](repeating: 0, count: x.columns.count)
        var next = counts
        for r in 0..<(x.offsets.count - 1) {
            for k in x.offsets[r]..<x.offsets[r + 1] {
                let j = Int(x.columns[k])
                t.columns[next[j]] = Int32(r)
                t.values[next[j]] = x.values[k]
                next[j] += 1
            }
        }
        return t
    }

    /// λ for scikit-learn's C (see the type's comment).
    func lambda(c: Double) -> Double {
        let perLabel = kind == .multilabel ? Double(outputs) : 1
        return (kind == .regression ? 2 : 1) / (c * max(weightSum, 1e-12) * perLabel)
    }

    /// Logits `[n, outputs]` of CSR rows `x` under θ = (W, b).
    func logits(_ x: SparseTable, _ theta: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>) {
        let n = x.offsets.count - 1, width = outputs, bias = theta + inputs * outputs
        Parallel.split(n, minimum: 256) { range in
            for r in range { (z + r * width).update(from: bias, count: width) }
            x.accumulateProducts(rows: range, dense: theta, width: width, into: z)
        }
    }

    /// Scratch for `objective`, allocated once per problem.
    final class Scratch {
        let z: FloatBuffer, dz: FloatBuffer, probabilities: FloatBuffer, rowLoss: FloatBuffer
        init(_ problem: WideProblem) {
            let n = max(problem.rows, 1)
            z = FloatBuffer(count: n * problem.outputs)
            dz = FloatBuffer(count: n * problem.outputs)
            probabilities = FloatBuffer(count: n * problem.outputs)
            rowLoss = FloatBuffer(count: n)
        }
    }

    /// f(θ) and its gradient into `g`.
    func objective(_ theta: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, lambda: Double, scratch s: Scratch) -> Double {
        let n = rows, width = outputs
        logits(x, theta, into: s.z.pointer)
        let loss = targets.withUnsafeBufferPointer { y in
            weights.withUnsafeBufferPointer { w in
                TaskLoss.compute(kind: kind, regression: regression, logits: s.z.pointer, targets: y.baseAddress!, weights: w.baseAddress!,
                                 batch: n, width: width, probabilities: s.probabilities.pointer, rowLoss: s.rowLoss.pointer,
                                 gradient: s.dz.pointer, scale: 1, labelSmoothing: labelSmoothing, positiveWeights: positiveWeights).loss
            }
        }
        let dz = UnsafePointer(s.dz.pointer), l = Float(lambda)
        // ∂/∂W[j] = Σ_{rows r holding j} x_rj ∂z_r + λ W[j]: columns are independent.
        Parallel.split(inputs, minimum: 1024) { columns in
            for j in columns {
                let out = g + j * width, w = theta + j * width
                for o in 0..<width { out[o] = l * w[o] }
            }
            xt.accumulateProducts(rows: columns, dense: dz, width: width, into: g)
        }
        let gb = g + inputs * width
        gb.update(repeating: 0, count: width)
        addColumnSums(dz, rows: n, columns: width, into: gb)
        let squares = BLAS.dot(theta, theta, count: inputs * width)
        return Double(loss) + lambda / 2 * squares
    }
}

extension SparseTable {
    /// `sparseProducts` over this table's rows in `rows`.
    func accumulateProducts(rows: Range<Int>, dense: UnsafePointer<Float>, width: Int, into out: UnsafeMutablePointer<Float>) {
        offsets.withUnsafeBufferPointer { o in
            columns.withUnsafeBufferPointer { c in
                values.withUnsafeBufferPointer { v in
                    guard let columns = c.baseAddress, let values = v.baseAddress else { return }
                    sparseProducts(offsets: o.baseAddress!, columns: columns, values: values, rows: rows, dense: dense, width: width, into: out)
                }
            }
        }
    }
}
