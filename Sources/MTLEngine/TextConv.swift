/// Embedding → Conv1D (valid, stride 1) → ReLU → global max pool, fused and computed exactly
/// with far less arithmetic than the dense formulation (im2col + GEMM):
///
/// - Forward: a window's output is `bias + Σ_k E[tok[t+k]] · W[:, k, :]`. The per-tap tables
///   `T_k = E[u] · W[:, k, :]` are computed once per distinct token `u` of the batch (one GEMM,
///   `[U, emb] × [emb, K·F]`), then each window sums K table rows. A batch of 64 × 200 tokens
///   has at most a few thousand distinct tokens, so this is several times fewer flops.
/// - Backward: the max pool passes gradient only to each filter's arg-max window, so the weight
///   and embedding gradients touch `B × F × K` rows instead of a dense `[B·L, F]` gradient.
///
/// Shapes: tokens per sample `[L_b]` (L_b ≥ K, padded with id 0), embedding `[V, emb]`,
/// conv weight `[emb, K, F]` (PyTorch's `Conv1d.weight` is `[F, emb, K]`), bias `[F]`,
/// output `[B, F]`.
public struct TextConv: Sendable {
    public let vocabulary: Int
    public let embedding: Int
    public let kernel: Int
    public let filters: Int
    /// Offsets in the flat buffers.
    public let embeddingWeight: Int
    public let convWeight: Int
    public let convBias: Int

    public init(vocabulary: Int, embedding: Int, kernel: Int, filters: Int,
                embeddingWeight: Int, convWeight: Int, convBias: Int) {
        self.vocabulary = vocabulary
        self.embedding = embedding
        self.kernel = kernel
        self.filters = filters
        self.embeddingWeight = embeddingWeight
        self.convWeight = convWeight
        self.convBias = convBias
    }

    /// Scratch memory sized once for the largest batch.
    public final class Workspace: @unchecked Sendable {
        let slotOf: Buffer<Int32>          // [V] token id → row of the batch's table, -1 if absent
        let unique: Buffer<Int32>          // [U] distinct token ids of the batch
        let slots: Buffer<Int32>           // [tokens] table row of each token position
        let gathered: FloatBuffer          // [U, emb]
        let table: FloatBuffer             // [U, K·F]
        let window: FloatBuffer            // [F] one window's pre-activations
        /// [B, F] max pre-activation and the window it came from (the backward pass needs both).
        public let maxima: FloatBuffer
        public let argmax: Buffer<Int32>
        let transposed: FloatBuffer        // [K, F, emb] conv weight, for contiguous backward rows
        let weightGradient: FloatBuffer    // [K, F, emb] accumulated, then added transposed

        public init(_ layer: TextConv, batch: Int, maxTokens: Int) {
            let taps = layer.kernel * layer.filters
            let maxUnique = min(layer.vocabulary, maxTokens)
            slotOf = Buffer(count: layer.vocabulary, zero: -1)
            unique = Buffer(count: maxUnique, zero: 0)
            slots = Buffer(count: maxTokens, zero: 0)
            gathered = FloatBuffer(count: maxUnique * layer.embedding)
            table = FloatBuffer(count: maxUnique * taps)
            window = FloatBuffer(count: layer.filters)
            maxima = FloatBuffer(count: batch * layer.filters)
            argmax = Buffer(count: batch * layer.filters, zero: 0)
            transposed = FloatBuffer(count: taps * layer.embedding)
            weightGradient = FloatBuffer(count: taps * layer.embedding)
        }
    }

    /// tokens: all samples' padded ids back to back; `starts[b]`/`lengths[b]` locate sample b.
    /// Writes the pooled, ReLU'd features `[B, F]` into `output` (row stride `outputStride`).
    public func forward(tokens: UnsafePointer<Int32>, starts: UnsafePointer<Int>, lengths: UnsafePointer<Int>,
                        batch: Int, output: UnsafeMutablePointer<Float>, outputStride: Int,
                        parameters p: UnsafePointer<Float>, workspace w: Workspace) {
        let totalTokens = starts[batch - 1] + lengths[batch - 1]
        // 1. Distinct tokens of the batch and each position's table row.
        var distinct = 0
        for i in 0..<totalTokens {
            let id = Int(tokens[i])
            var slot = w.slotOf[id]
            if slot < 0 {
                slot = Int32(distinct)
                w.slotOf[id] = slot
                w.unique[distinct] = Int32(id)
                distinct += 1
            }
            w.slots[i] = slot
        }
        // 2. Gather their embeddings and build every tap's table in one GEMM.
        let e = embedding, f = filters, taps = kernel * filters
        for u in 0..<distinct {
            (w.gathered.pointer + u * e).update(from: p + embeddingWeight + Int(w.unique[u]) * e, count: e)
        }
        BLAS.gemm(distinct, taps, e, w.gathered.pointer, p + convWeight, w.table.pointer)
        for u in 0..<distinct { w.slotOf[Int(w.unique[u])] = -1 }
        // 3. Each window sums K table rows; keep each filter's maximum and its window.
        let bias = p + convBias
        let window = w.window.pointer
        for b in 0..<batch {
            let best = w.maxima.pointer + b * f
            let arg = w.argmax.pointer + b * f
            best.update(repeating: -.infinity, count: f)
            arg.update(repeating: 0, count: f)
            let slots = w.slots.pointer + starts[b]
            for t in 0...(lengths[b] - kernel) {
                window.update(from: bias, count: f)
                for k in 0..<kernel {
                    let row = w.table.pointer + Int(slots[t + k]) * taps + k * f
                    for j in 0..<f { window[j] += row[j] }
                }
                let position = Int32(t)
                for j in 0..<f {
                    let better = window[j] > best[j]
                    best[j] = better ? window[j] : best[j]
                    arg[j] = better ? position : arg[j]
                }
            }
            let out = output + b * outputStride
            for j in 0..<f { out[j] = max(best[j], 0) }
        }
    }

    /// dOutput `[B, F]` (row stride `gradientStride`) → accumulates the conv weight and bias
    /// gradients and, unless `embeddingFrozen`, the embedding rows of the arg-max windows.
    public func backward(tokens: UnsafePointer<Int32>, starts: UnsafePointer<Int>, batch: Int,
                         outputGradient dy: UnsafePointer<Float>, gradientStride: Int,
                         parameters p: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>,
                         workspace w: Workspace, convFrozen: Bool, embeddingFrozen: Bool) {
        let e = embedding, f = filters, k = kernel
        let weight = p + convWeight
        let wt = w.transposed.pointer, dwt = w.weightGradient.pointer
        if !embeddingFrozen {
            for ee in 0..<e { for kk in 0..<k { for j in 0..<f { wt[(kk * f + j) * e + ee] = weight[(ee * k + kk) * f + j] } } }
        }
        if !convFrozen { dwt.update(repeating: 0, count: k * f * e) }
        let dBias = g + convBias
        let dEmbedding = g + embeddingWeight
        let table = p + embeddingWeight
        for b in 0..<batch {
            let gradient = dy + b * gradientStride
            let best = w.maxima.pointer + b * f
            let arg = w.argmax.pointer + b * f
            let sample = tokens + starts[b]
            for j in 0..<f {
                let d = gradient[j]
                guard best[j] > 0, d != 0 else { continue }
                if !convFrozen { dBias[j] += d }
                let t = Int(arg[j])
                for kk in 0..<k {
                    let id = Int(sample[t + kk])
                    if !convFrozen {
                        let source = table + id * e
                        let target = dwt + (kk * f + j) * e
                        for ee in 0..<e { target[ee] += d * source[ee] }
                    }
                    if !embeddingFrozen {
                        let source = wt + (kk * f + j) * e
                        let target = dEmbedding + id * e
                        for ee in 0..<e { target[ee] += d * source[ee] }
                    }
                }
            }
        }
        if !convFrozen {
            let dWeight = g + convWeight
            for ee in 0..<e { for kk in 0..<k { for j in 0..<f { dWeight[(ee * k + kk) * f + j] += dwt[(kk * f + j) * e + ee] } } }
        }
    }
}
