/// Fully connected layer: `y = x · W + b`, weight stored `[in, out]` (PyTorch's `nn.Linear`
/// stores `[out, in]`; checkpoints transpose on export).
///
/// ```swift
/// let dense = Dense(inputs: 128, outputs: 64, weight: 0, bias: 8192)   // offsets in the flat buffer
/// dense.forward(x, into: y, batch: 32, parameters: params)
/// ```
public struct Dense: Sendable {
    public let inputs: Int
    public let outputs: Int
    /// Offsets of the weight `[inputs, outputs]` and bias `[outputs]` in the flat buffers.
    public let weight: Int
    public let bias: Int

    public init(inputs: Int, outputs: Int, weight: Int, bias: Int) {
        self.inputs = inputs
        self.outputs = outputs
        self.weight = weight
        self.bias = bias
    }

    /// x `[B, in]` → y `[B, out]`.
    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, batch: Int,
                        parameters p: UnsafePointer<Float>) {
        for b in 0..<batch { (y + b * outputs).update(from: p + bias, count: outputs) }
        BLAS.gemm(batch, outputs, inputs, x, p + weight, y, beta: 1)
    }

    /// Sparse x (CSR rows over `in` columns) → y `[B, out]`: each non-zero adds one weight row.
    /// With `accumulate`, adds to what y holds (the wide path adds to the heads' logits).
    /// Rows are independent, so threads take disjoint blocks of them.
    public func forward(_ x: SparseRows, into y: UnsafeMutablePointer<Float>, batch: Int,
                        parameters p: UnsafePointer<Float>, accumulate: Bool = false) {
        Parallel.split(batch, minimum: max(1, 1 << 14 / max(1, outputs * x.offsets[batch] / max(1, batch)))) { rows in
            forward(x, into: y, rows: rows, parameters: p, accumulate: accumulate)
        }
    }

    private func forward(_ x: SparseRows, into y: UnsafeMutablePointer<Float>, rows: Range<Int>,
                         parameters p: UnsafePointer<Float>, accumulate: Bool) {
        for b in rows {
            let out = y + b * outputs
            if accumulate {
                for o in 0..<outputs { out[o] += p[bias + o] }
            } else {
                out.update(from: p + bias, count: outputs)
            }
        }
        sparseProducts(offsets: x.offsets, columns: x.columns, values: x.values, rows: rows, dense: p + weight, width: outputs, into: y)
    }

    /// dy `[B, out]` → accumulates dW and db (unless `frozen`) and writes dx `[B, in]` when
    /// asked (added to what dx holds when `accumulate`, as when several heads share an input).
    public func backward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                         accumulate: Bool = false, batch: Int, frozen: Bool = false,
                         parameters p: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>) {
        if !frozen {
            BLAS.gemm(inputs, outputs, batch, x, transA: true, dy, g + weight, beta: 1)
            addColumnSums(dy, rows: batch, columns: outputs, into: g + bias)
        }
        if let dx { BLAS.gemm(batch, inputs, outputs, dy, p + weight, transB: true, dx, beta: accumulate ? 1 : 0) }
    }

    /// Sparse-input backward: only the weight rows of the batch's non-zero columns get gradient.
    /// Rows of the batch may share a column, so threads take disjoint blocks of the outputs
    /// instead; each element still sums in batch order, whatever the thread count.
    public func backward(_ x: SparseRows, _ dy: UnsafePointer<Float>, batch: Int, gradients g: UnsafeMutablePointer<Float>) {
        let products = outputs * x.offsets[batch]
        Parallel.split(outputs, minimum: max(16, outputs * (1 << 14) / max(1, products))) { columns in
            for b in 0..<batch {
                let d = dy + b * outputs
                for j in x.offsets[b]..<x.offsets[b + 1] {
                    let v = x.values[j]
                    let row = g + weight + Int(x.columns[j]) * outputs
                    for o in columns { row[o] += v * d[o] }
                }
            }
        }
        addColumnSums(dy, rows: batch, columns: outputs, into: g + bias)
    }
}

/// Rows of a sparse matrix in CSR form: row `r` holds `values[offsets[r]..<offsets[r+1]]`
/// at `columns[…]`.
public struct SparseRows {
    public var offsets: UnsafeMutablePointer<Int>
    public var columns: UnsafeMutablePointer<Int32>
    public var values: UnsafeMutablePointer<Float>
}

/// out[c] += Σ_r m[r, c].
@inline(__always)
func addColumnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let row = m + r * columns
        for c in 0..<columns { out[c] += row[c] }
    }
}

/// `out[r] += Σ_k values[k] · dense[columns[k]]` for each CSR row r in `rows`, where `out` and
/// `dense` hold rows of `width` floats: a sparse layer's forward (X W; the wide fit's logits)
/// and the wide fit's gradient (Xᵀ ∂z). Up to four outputs (a binary or a small task) are
/// summed in registers and stored once per row: summing into memory made every non-zero wait
/// for the previous one's store, and the VADER wide fit took 2.7× as long (42 s against 16 s).
/// Same additions in the same order either way, so the same bits.
func sparseProducts(offsets o: UnsafePointer<Int>, columns c: UnsafePointer<Int32>, values v: UnsafePointer<Float>,
                    rows: Range<Int>, dense: UnsafePointer<Float>, width: Int, into out: UnsafeMutablePointer<Float>) {
    for r in rows {
        let y = out + r * width
        switch width {
        case 1:
            var a0 = y[0]
            for k in o[r]..<o[r + 1] { a0 += v[k] * dense[Int(c[k])] }
            y[0] = a0
        case 2:
            var a0 = y[0], a1 = y[1]
            for k in o[r]..<o[r + 1] {
                let x = v[k], d = dense + 2 * Int(c[k])
                a0 += x * d[0]; a1 += x * d[1]
            }
            y[0] = a0; y[1] = a1
        case 3:
            var a0 = y[0], a1 = y[1], a2 = y[2]
            for k in o[r]..<o[r + 1] {
                let x = v[k], d = dense + 3 * Int(c[k])
                a0 += x * d[0]; a1 += x * d[1]; a2 += x * d[2]
            }
            y[0] = a0; y[1] = a1; y[2] = a2
        case 4:
            var a0 = y[0], a1 = y[1], a2 = y[2], a3 = y[3]
            for k in o[r]..<o[r + 1] {
                let x = v[k], d = dense + 4 * Int(c[k])
                a0 += x * d[0]; a1 += x * d[1]; a2 += x * d[2]; a3 += x * d[3]
            }
            y[0] = a0; y[1] = a1; y[2] = a2; y[3] = a3
        default:
            for k in o[r]..<o[r + 1] {
                let x = v[k], d = dense + width * Int(c[k])
                for j in 0..<width { y[j] += x * d[j] }
            }
        }
    }
}
