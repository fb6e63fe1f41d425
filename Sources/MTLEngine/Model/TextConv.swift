import MTLData

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
        let gathered: FloatBuffer          // [U, emb], each row × its dropout scale
        /// [U] each distinct token's embedding dropout scale: 0 (dropped) or 1/(1−rate); 1 without.
        let keep: FloatBuffer
        let table: FloatBuffer             // [U, K·F]
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
            keep = FloatBuffer(count: maxUnique)
            table = FloatBuffer(count: maxUnique * taps)
            maxima = FloatBuffer(count: batch * layer.filters)
            argmax = Buffer(count: batch * layer.filters, zero: 0)
            transposed = FloatBuffer(count: taps * layer.embedding)
            weightGradient = FloatBuffer(count: taps * layer.embedding)
        }
    }

    /// The pass without embedding dropout (inference, tests of the layer alone).
    public func forward(tokens: UnsafePointer<Int32>, starts: UnsafePointer<Int>, lengths: UnsafePointer<Int>,
                        batch: Int, output: UnsafeMutablePointer<Float>, outputStride: Int,
                        parameters p: UnsafePointer<Float>, workspace w: Workspace) {
        var unused = SeededRandom(seed: 0)
        forward(tokens: tokens, starts: starts, lengths: lengths, batch: batch, output: output, outputStride: outputStride,
                parameters: p, workspace: w, dropout: 0, random: &unused)
    }

    /// tokens: all samples' padded ids back to back; `starts[b]`/`lengths[b]` locate sample b.
    /// Writes the pooled, ReLU'd features `[B, F]` into `output` (row stride `outputStride`).
    /// Embedding dropout (`dropout` > 0, a training pass) drops whole words of the batch: each
    /// distinct token's vector is zeroed with that probability (Gal & Ghahramani 2016), the
    /// others scaled by 1/(1−dropout), the mask drawn from `random`.
    public func forward(tokens: UnsafePointer<Int32>, starts: UnsafePointer<Int>, lengths: UnsafePointer<Int>,
                        batch: Int, output: UnsafeMutablePointer<Float>, outputStride: Int,
                        parameters p: UnsafePointer<Float>, workspace w: Workspace,
                        dropout: Float = 0, random: inout SeededRandom) {
        let totalTokens = starts[batch - 1] + lengths[batch - 1]
        // 1. Distinct tokens of the batch and each position's table row.
        var distinct = 0
        for i in 0..<totalTokens {
            w.slots[i] = distinctSlot(Int(tokens[i]), slotOf: w.slotOf, unique: w.unique, count: &distinct)
        }
        // 2. Gather their embeddings and build every tap's table in one GEMM.
        let e = embedding, f = filters, taps = kernel * filters
        for u in 0..<distinct {
            let scale: Float = dropout > 0 ? (random.nextFloat() < dropout ? 0 : 1 / (1 - dropout)) : 1
            w.keep[u] = scale
            let row = w.gathered.pointer + u * e, source = p + embeddingWeight + Int(w.unique[u]) * e
            for j in 0..<e { row[j] = source[j] * scale }
        }
        let gathered = UnsafePointer(w.gathered.pointer), table = w.table.pointer, weight = p + convWeight
        BLAS.gemm(distinct, taps, e, gathered, weight, table)
        for u in 0..<distinct { w.slotOf[Int(w.unique[u])] = -1 }
        // 3. Each window sums K table rows; keep each filter's maximum and its window. Blocks
        //    of 32 filters stay in registers for a whole sample; the rest go one at a time.
        let bias = p + convBias
        let maxima = w.maxima.pointer, argmax = w.argmax.pointer, slotBase = UnsafePointer(w.slots.pointer)
        Parallel.split(batch, minimum: 8) { samples in
          for b in samples {
            let count = lengths[b] - kernel + 1
            let slots = slotBase + starts[b]
            let best = maxima + b * f
            let arg = argmax + b * f
            var j = 0
            while j + 32 <= f {
                maxWindows32(table: UnsafePointer(table), slots: slots, windows: count, taps: taps, first: j, bias: bias, best: best, arg: arg)
                j += 32
            }
            while j < f {
                var top = -Float.infinity, at: Int32 = 0
                for t in 0..<count {
                    var sum = bias[j]
                    for k in 0..<kernel { sum += table[Int(slots[t + k]) * taps + k * f + j] }
                    if sum > top { top = sum; at = Int32(t) }
                }
                best[j] = top
                arg[j] = at
                j += 1
            }
            let out = output + b * outputStride
            for j in 0..<f { out[j] = max(best[j], 0) }
          }
        }
    }

    /// Filters `first..<first+32` of one sample: for every window, bias plus the K taps'
    /// table rows, tracking the maximum and the first window reaching it, all in registers.
    @inline(__always)
    private func maxWindows32(table: UnsafePointer<Float>, slots: UnsafePointer<Int32>, windows: Int, taps: Int,
                              first: Int, bias: UnsafePointer<Float>,
                              best: UnsafeMutablePointer<Float>, arg: UnsafeMutablePointer<Int32>) {
        typealias Lanes = SIMD8<Float>
        let rows = UnsafeRawPointer(table), biasBytes = UnsafeRawPointer(bias + first)
        let b0 = biasBytes.loadUnaligned(as: Lanes.self), b1 = biasBytes.loadUnaligned(fromByteOffset: 32, as: Lanes.self)
        let b2 = biasBytes.loadUnaligned(fromByteOffset: 64, as: Lanes.self), b3 = biasBytes.loadUnaligned(fromByteOffset: 96, as: Lanes.self)
        var m0 = Lanes(repeating: -.infinity), m1 = m0, m2 = m0, m3 = m0
        var a0 = SIMD8<Int32>(), a1 = a0, a2 = a0, a3 = a0
        for t in 0..<windows {
            var s0 = b0, s1 = b1, s2 = b2, s3 = b3
            for k in 0..<kernel {
                let offset = (Int(slots[t + k]) * taps + k * filters + first) * 4
                s0 += rows.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
                s1 += rows.loadUnaligned(fromByteOffset: offset + 32, as: Lanes.self)
                s2 += rows.loadUnaligned(fromByteOffset: offset + 64, as: Lanes.self)
                s3 += rows.loadUnaligned(fromByteOffset: offset + 96, as: Lanes.self)
            }
            let position = SIMD8<Int32>(repeating: Int32(t))
            let g0 = s0 .> m0, g1 = s1 .> m1, g2 = s2 .> m2, g3 = s3 .> m3
            m0.replace(with: s0, where: g0); m1.replace(with: s1, where: g1)
            m2.replace(with: s2, where: g2); m3.replace(with: s3, where: g3)
            a0.replace(with: position, where: g0); a1.replace(with: position, where: g1)
            a2.replace(with: position, where: g2); a3.replace(with: position, where: g3)
        }
        let bestBytes = UnsafeMutableRawPointer(best + first), argBytes = UnsafeMutableRawPointer(arg + first)
        bestBytes.storeBytes(of: m0, as: Lanes.self)
        bestBytes.storeBytes(of: m1, toByteOffset: 32, as: Lanes.self)
        bestBytes.storeBytes(of: m2, toByteOffset: 64, as: Lanes.self)
        bestBytes.storeBytes(of: m3, toByteOffset: 96, as: Lanes.self)
        argBytes.storeBytes(of: a0, as: SIMD8<Int32>.self)
        argBytes.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Int32>.self)
        argBytes.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Int32>.self)
        argBytes.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Int32>.self)
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
        // The forward pass's (dropped, scaled) rows, by table slot.
        let rows = UnsafePointer(w.gathered.pointer), keep = UnsafePointer(w.keep.pointer)
        let slotBase = UnsafePointer(w.slots.pointer)
        let maxima = UnsafePointer(w.maxima.pointer), argmax = UnsafePointer(w.argmax.pointer)
        /// Calls `body` for each sample and filter in `filters` whose maximum window (starting at
        /// token `t`) passes gradient `d`, in the same order on every thread.
        func windows(_ filters: Range<Int>,
                     _ body: (_ sample: UnsafePointer<Int32>, _ slots: UnsafePointer<Int32>, _ j: Int, _ t: Int, _ d: Float) -> Void) {
            for b in 0..<batch {
                let gradient = dy + b * gradientStride, best = maxima + b * f, arg = argmax + b * f
                for j in filters where best[j] > 0 && gradient[j] != 0 {
                    body(tokens + starts[b], slotBase + starts[b], j, Int(arg[j]), gradient[j])
                }
            }
        }
        // Threads take disjoint blocks of the filters for the conv's gradients, and of the
        // embedding's columns for its gradient (samples share tokens), so every sum keeps its order.
        if !convFrozen {
            Parallel.split(f, minimum: 16) { filters in
                windows(filters) { _, slots, j, t, d in
                    dBias[j] += d
                    for kk in 0..<k {
                        let source = rows + Int(slots[t + kk]) * e
                        let target = dwt + (kk * f + j) * e
                        for ee in 0..<e { target[ee] += d * source[ee] }
                    }
                }
            }
        }
        if !embeddingFrozen {
            Parallel.split(e, minimum: 16) { columns in
                windows(0..<f) { sample, slots, j, t, d in
                    for kk in 0..<k {
                        let scaled = d * keep[Int(slots[t + kk])]
                        guard scaled != 0 else { continue }
                        let source = wt + (kk * f + j) * e
                        let target = dEmbedding + Int(sample[t + kk]) * e
                        for ee in columns { target[ee] += scaled * source[ee] }
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

/// The row of token `id` in a batch's table of distinct tokens, added on first sight: `slotOf[id]`
/// is −1 for a token not seen yet, `unique` lists the tokens in first-seen order, `count` of them.
/// The conv and the GRU build their per-token tables (one GEMM for the distinct tokens) this way.
@inline(__always)
func distinctSlot(_ id: Int, slotOf: Buffer<Int32>, unique: Buffer<Int32>, count: inout Int) -> Int32 {
    var slot = slotOf[id]
    if slot < 0 {
        slot = Int32(count)
        slotOf[id] = slot
        unique[count] = Int32(id)
        count += 1
    }
    return slot
}
