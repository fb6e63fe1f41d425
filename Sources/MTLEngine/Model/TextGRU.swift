import MTLData

/// Embedding → (bi)directional single-layer GRU → max and mean pooling over time, the GRU
/// computed as `torch.nn.GRU` does on a packed batch (gate order r, z, n):
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)        z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   h' = (1 − z) ⊙ n + z ⊙ h,   h₀ = 0
///
/// Sample b runs exactly `lengths[b]` steps in each direction (the reverse direction starts at
/// its last token), as `pack_padded_sequence` does; its output is
/// `[max_t h_t ‖ mean_t h_t]`, each `[H · directions]` with the forward direction first.
///
/// How it is fast:
/// - Samples are ordered longest first, so the rows still running at step t are a prefix and
///   every buffer is packed step-major: rows `stepOffset[t] ..< stepOffset[t] + active[t]`.
///   Step t's recurrent product is then one GEMM over contiguous rows, `[A, H] × [H, 3H]`.
/// - The input projection `W_ih x + b_ih` is linear in the embedding row, so it is computed
///   once per distinct token of the batch (`[U, E] × [E, 3H]`, U ≤ batch·length) rather than
///   per position, and its backward sums each token's gradient rows before one GEMM.
/// - The gate loops are fused and eight lanes wide (`GateMath`).
/// - A large batch runs as two groups of samples with about as many tokens each (the longest
///   few, the rest), each through all its steps on its own: two threads then share the
///   recurrence without meeting at every step (a step is ~50 µs, about what waking a thread
///   costs). The groups depend on the batch alone, so one thread or two give the same bits.
///   Each direction is a further, independent piece of work.
///
/// Tensors keep PyTorch's names and layout (no export permutation): `PREFIX.embedding.weight`
/// `[V, E]` and `PREFIX.gru.weight_ih_l0` `[3H, E]`, `weight_hh_l0` `[3H, H]`, `bias_ih_l0`
/// `[3H]`, `bias_hh_l0` `[3H]`, plus the same with `_reverse` when bidirectional.
public struct TextGRU: Sendable {
    /// One direction's tensors: offsets in the flat buffers.
    public struct Direction: Sendable, Equatable {
        public var weightIH: Int
        public var weightHH: Int
        public var biasIH: Int
        public var biasHH: Int

        public init(weightIH: Int, weightHH: Int, biasIH: Int, biasHH: Int) {
            self.weightIH = weightIH
            self.weightHH = weightHH
            self.biasIH = biasIH
            self.biasHH = biasHH
        }
    }

    public let vocabulary: Int
    public let embedding: Int
    public let hidden: Int
    public let bidirectional: Bool
    /// Offset of the embedding `[V, E]`.
    public let embeddingWeight: Int
    /// The forward direction, then the reverse one when bidirectional.
    public let directions: [Direction]

    public init(vocabulary: Int, embedding: Int, hidden: Int, bidirectional: Bool,
                embeddingWeight: Int, directions: [Direction]) {
        precondition(directions.count == (bidirectional ? 2 : 1))
        self.vocabulary = vocabulary
        self.embedding = embedding
        self.hidden = hidden
        self.bidirectional = bidirectional
        self.embeddingWeight = embeddingWeight
        self.directions = directions
    }

    /// Width of the pooled output: max and mean of every direction's states.
    public var outputWidth: Int { 2 * hidden * directions.count }

    /// Declares the embedding (layer `embedding`) and the GRU's tensors (layer `gru`) in
    /// `layout`, named as `torch.nn.GRU` names them under `PREFIX.gru`, and returns the layer.
    /// `layerPrefix` (e.g. `expert2.`) goes before both layer names and after `PREFIX.` in the tensors'.
    static func add(to layout: inout LayoutBuilder, prefix: String, layerPrefix: String = "", vocabulary: Int, embedding: Int,
                    hidden: Int, bidirectional: Bool) -> TextGRU {
        let table = layout.add("\(prefix).\(layerPrefix)embedding.weight", layer: layerPrefix + "embedding", shape: [vocabulary, embedding])
        var directions: [Direction] = []
        for suffix in bidirectional ? ["", "_reverse"] : [""] {
            let name = "\(prefix).\(layerPrefix)gru.", layer = layerPrefix + "gru"
            let wi = layout.add(name + "weight_ih_l0" + suffix, layer: layer, shape: [3 * hidden, embedding])
            let wh = layout.add(name + "weight_hh_l0" + suffix, layer: layer, shape: [3 * hidden, hidden])
            let bi = layout.add(name + "bias_ih_l0" + suffix, layer: layer, shape: [3 * hidden])
            let bh = layout.add(name + "bias_hh_l0" + suffix, layer: layer, shape: [3 * hidden])
            directions.append(Direction(weightIH: wi, weightHH: wh, biasIH: bi, biasHH: bh))
        }
        return TextGRU(vocabulary: vocabulary, embedding: embedding, hidden: hidden, bidirectional: bidirectional,
                       embeddingWeight: table, directions: directions)
    }

    /// Draws one of this layer's tensors: the embedding uniform(±0.05) like the other trunks;
    /// every GRU weight and bias uniform(±1/√H), PyTorch's default for `nn.GRU`.
    func initialize(_ tensor: ParameterTensor, _ parameters: UnsafeMutablePointer<Float>, random: inout SeededRandom) {
        let bound = tensor.offset == embeddingWeight ? Model.embeddingBound : 1 / Float(hidden).squareRoot()
        fillUniform(tensor, parameters, bound: bound, random: &random)
    }

    /// Scratch memory sized once for the largest batch; forward and backward allocate nothing.
    /// Backward only reads what forward left, so it can run several times per forward pass
    /// (per-task backward passes).
    public final class Workspace: @unchecked Sendable {
        let capacity: Int
        let maxTokens: Int
        let order: Buffer<Int>             // [B] samples, longest first (stable)
        let inverseLength: FloatBuffer     // [B] 1 / length, in that order
        let active: Buffer<Int>            // [T] rows still running at step t
        let stepOffset: Buffer<Int>        // [T + 1] first packed row of step t
        let slotOf: Buffer<Int32>          // [V] token id → row of the distinct-token tables, −1 if absent
        let unique: Buffer<Int32>          // [U] distinct token ids of the batch
        let gathered: FloatBuffer          // [U, E] their embeddings
        let gatheredGradient: FloatBuffer  // [U, E]
        let zeros: FloatBuffer             // [B, H] the state before the first step
        /// The sample groups (positions in length order) that run through time independently.
        var groups: [Range<Int>] = []
        let directions: [DirectionWork]
        /// Set by forward: batch size, steps (the longest length), packed rows, distinct tokens,
        /// and whether it kept what backward needs.
        var batch = 0, steps = 0, rows = 0, distinct = 0, training = false

        /// `maxTokens`: the most tokens a batch holds in all (Σ lengths), as for `TextConv`.
        public init(_ layer: TextGRU, batch: Int, maxTokens: Int) {
            let h = layer.hidden, maxUnique = min(layer.vocabulary, maxTokens)
            capacity = batch
            self.maxTokens = maxTokens
            order = Buffer(count: batch, zero: 0)
            inverseLength = FloatBuffer(count: batch)
            active = Buffer(count: maxTokens, zero: 0)
            stepOffset = Buffer(count: maxTokens + 1, zero: 0)
            slotOf = Buffer(count: layer.vocabulary, zero: -1)
            unique = Buffer(count: maxUnique, zero: 0)
            gathered = FloatBuffer(count: maxUnique * layer.embedding)
            gatheredGradient = FloatBuffer(count: maxUnique * layer.embedding)
            zeros = FloatBuffer(count: batch * h)
            directions = layer.directions.map { _ in DirectionWork(hidden: h, batch: batch, rows: maxTokens, unique: maxUnique) }
        }

        /// Bytes a workspace for these sizes holds, for the memory budget.
        public static func bytes(vocabulary: Int, embedding: Int, hidden: Int, bidirectional: Bool,
                                 batch: Int, maxTokens: Int) -> Double {
            let b = Double(batch), n = Double(maxTokens), h = Double(hidden), e = Double(embedding)
            let u = Double(min(vocabulary, maxTokens))
            let shared = 8 * b + 4 * b + 16 * n + 4 * Double(vocabulary) + 4 * u + 8 * u * e + 4 * b * h
            // Per direction: slots; table and its gradient; states, gates, recurrent gradient;
            // the step's recurrent product, carry and pooling buffers.
            let direction = 4 * n + 12 * u * 3 * h + 4 * n * h * (1 + 4 + 3) + 4 * b * h * (3 + 1 + 5)
            return shared + direction * (bidirectional ? 2 : 1)
        }
    }

    /// Per-direction scratch, laid out step-major like the packed rows.
    final class DirectionWork: @unchecked Sendable {
        let slots: Buffer<Int32>           // [N] distinct-token row of each packed row
        let table: FloatBuffer             // [U, 3H] W_ih·x + b_ih (+ b_hr, b_hz) per distinct token
        let states: FloatBuffer            // [N, H] h after each step
        let gates: FloatBuffer             // [N, 4H] r, z, n and W_hn·h + b_hn, for backward
        let recurrent: FloatBuffer         // [B, 3H] W_hh·h of the current step
        let maxima: FloatBuffer            // [B, H] max over time, in length order
        let argmax: Buffer<Int32>          // [B, H] the step it came from (the first one)
        let sums: FloatBuffer              // [B, H] sum over time
        let carry: FloatBuffer             // [B, H] dL/dh flowing back from the later step
        let maxGradient: FloatBuffer       // [B, H] the pooled output's gradient, in length order
        let meanGradient: FloatBuffer      // [B, H] the same for the mean, divided by the length
        let recurrentGradient: FloatBuffer // [N, 3H] dL/d(W_hh·h + b_hh) of each row
        let tableGradient: FloatBuffer     // [U, 3H] dL/d(W_ih·x + b_ih) summed per distinct token
        let secondTableGradient: FloatBuffer // [U, 3H] the second sample group's share, added after

        init(hidden h: Int, batch b: Int, rows n: Int, unique u: Int) {
            slots = Buffer(count: n, zero: 0)
            table = FloatBuffer(count: u * 3 * h)
            states = FloatBuffer(count: n * h)
            gates = FloatBuffer(count: n * 4 * h)
            recurrent = FloatBuffer(count: b * 3 * h)
            maxima = FloatBuffer(count: b * h)
            argmax = Buffer(count: b * h, zero: 0)
            sums = FloatBuffer(count: b * h)
            carry = FloatBuffer(count: b * h)
            maxGradient = FloatBuffer(count: b * h)
            meanGradient = FloatBuffer(count: b * h)
            recurrentGradient = FloatBuffer(count: n * 3 * h)
            tableGradient = FloatBuffer(count: u * 3 * h)
            secondTableGradient = FloatBuffer(count: u * 3 * h)
        }
    }

    // MARK: - Forward

    /// tokens: all samples' ids back to back; sample b is `tokens[starts[b] ..< starts[b] + lengths[b]]`
    /// (lengths ≥ 1, taken as given). Writes `[max ‖ mean]`, `[B, 2·H·directions]`, into
    /// `output` with row stride `outputStride`, leaving the other columns alone. `training`:
    /// whether a backward pass may follow (the arg-max steps it needs are kept only then).
    public func forward(tokens: UnsafePointer<Int32>, starts: UnsafePointer<Int>, lengths: UnsafePointer<Int>,
                        batch: Int, output: UnsafeMutablePointer<Float>, outputStride: Int,
                        parameters p: UnsafePointer<Float>, workspace w: Workspace, training: Bool) {
        precondition(batch > 0 && batch <= w.capacity, "batch exceeds the workspace")
        pack(tokens: tokens, starts: starts, lengths: lengths, batch: batch, workspace: w)
        // Each distinct token's embedding and, per direction, its input projection.
        let e = embedding, g = 3 * hidden, h = hidden
        for u in 0..<w.distinct {
            (w.gathered.pointer + u * e).update(from: p + embeddingWeight + Int(w.unique[u]) * e, count: e)
        }
        let gathered = UnsafePointer(w.gathered.pointer)
        for (d, offsets) in directions.enumerated() {
            let table = w.directions[d].table.pointer
            let biasIH = p + offsets.biasIH, biasHH = p + offsets.biasHH
            // The r and z gates add b_hh to the same sum as b_ih: fold both into the table.
            for u in 0..<w.distinct {
                let row = table + u * g
                for j in 0..<g { row[j] = biasIH[j] + (j < 2 * h ? biasHH[j] : 0) }
            }
            BLAS.gemm(w.distinct, g, e, gathered, p + offsets.weightIH, transB: true, table, beta: 1)
        }
        let groups = w.groups
        Parallel.split(directions.count * groups.count, minimum: 1) { part in
            for item in part {
                recur(item / groups.count, samples: groups[item % groups.count], parameters: p, workspace: w, training: training)
            }
        }
        w.training = training
        // Pooled output, back in the samples' order.
        let count = directions.count
        for (d, work) in w.directions.enumerated() {
            for i in 0..<batch {
                let out = output + w.order[i] * outputStride
                let maxima = work.maxima.pointer + i * h, sums = work.sums.pointer + i * h
                let scale = w.inverseLength[i]
                for j in 0..<h {
                    out[d * h + j] = maxima[j]
                    out[(count + d) * h + j] = sums[j] * scale
                }
            }
        }
    }

    /// Orders the samples longest first, counts the rows running at each step, finds the
    /// batch's distinct tokens and gives every packed row of each direction its token's slot.
    private func pack(tokens: UnsafePointer<Int32>, starts: UnsafePointer<Int>, lengths: UnsafePointer<Int>,
                      batch: Int, workspace w: Workspace) {
        let order = w.order.pointer
        for b in 0..<batch {
            precondition(lengths[b] >= 1, "every sample needs a token")
            // Insertion sort, stable: a batch holds at most a few hundred samples.
            var i = b
            while i > 0, lengths[order[i - 1]] < lengths[b] {
                order[i] = order[i - 1]
                i -= 1
            }
            order[i] = b
        }
        var total = 0
        for b in 0..<batch { total += lengths[b] }
        precondition(total <= w.maxTokens, "the batch holds more tokens than the workspace")
        let steps = lengths[order[0]]
        var running = batch
        total = 0
        for t in 0..<steps {
            while lengths[order[running - 1]] <= t { running -= 1 }
            w.active[t] = running
            w.stepOffset[t] = total
            total += running
        }
        w.stepOffset[steps] = total
        w.groups = Self.groups(lengths: lengths, order: order, batch: batch, tokens: total)
        w.batch = batch
        w.steps = steps
        w.rows = total
        for i in 0..<batch { w.inverseLength[i] = 1 / Float(lengths[order[i]]) }

        var distinct = 0
        for (d, work) in w.directions.enumerated() {
            let slots = work.slots.pointer
            for t in 0..<steps {
                let base = w.stepOffset[t]
                for i in 0..<w.active[t] {
                    let b = order[i]
                    let id = Int(tokens[starts[b] + (d == 0 ? t : lengths[b] - 1 - t)])
                    precondition(id >= 0 && id < vocabulary, "token id outside the vocabulary")
                    slots[base + i] = distinctSlot(id, slotOf: w.slotOf, unique: w.unique, count: &distinct)
                }
            }
        }
        for u in 0..<distinct { w.slotOf[Int(w.unique[u])] = -1 }
        w.distinct = distinct
    }

    /// Samples per group below which a batch runs as one group.
    static let minimumGroup = 16

    /// Splits the samples (in length order) into two groups of about equal token counts when
    /// both would hold `minimumGroup` samples; else one group. Depends on the lengths alone.
    static func groups(lengths: UnsafePointer<Int>, order: UnsafePointer<Int>, batch: Int, tokens: Int) -> [Range<Int>] {
        var first = 0, sum = 0
        while first < batch, 2 * (sum + lengths[order[first]]) <= tokens {
            sum += lengths[order[first]]
            first += 1
        }
        first = max(first, minimumGroup)
        return batch - first >= minimumGroup ? [0..<first, first..<batch] : [0..<batch]
    }

    /// One direction over all steps for the samples at positions `samples` (in length order):
    /// states, gates for backward, and the pooled max and sum.
    private func recur(_ d: Int, samples: Range<Int>, parameters p: UnsafePointer<Float>, workspace w: Workspace, training: Bool) {
        let work = w.directions[d]
        let h = hidden, g = 3 * hidden, first = samples.lowerBound
        let weightHH = p + directions[d].weightHH, biasHN = p + directions[d].biasHH + 2 * h
        let table = UnsafePointer(work.table.pointer), slots = UnsafePointer(work.slots.pointer)
        let states = work.states.pointer, gates = work.gates.pointer, recurrent = work.recurrent.pointer
        let maxima = work.maxima.pointer, argmax = work.argmax.pointer, sums = work.sums.pointer
        (maxima + first * h).update(repeating: -.infinity, count: samples.count * h)
        (sums + first * h).update(repeating: 0, count: samples.count * h)
        for t in 0..<w.steps {
            // The group's running samples are positions first ..< end of the step's rows.
            let end = min(samples.upperBound, w.active[t]), base = w.stepOffset[t]
            guard end > first else { break }
            let previous: UnsafePointer<Float>
            if t == 0 {
                previous = UnsafePointer(w.zeros.pointer)
                (recurrent + first * g).update(repeating: 0, count: (end - first) * g)
            } else {
                previous = UnsafePointer(states + w.stepOffset[t - 1] * h)
                // [A, H] × [H, 3H]: W_hh·h for the group's rows still running.
                BLAS.gemm(end - first, g, h, previous + first * h, weightHH, transB: true, recurrent + first * g)
            }
            let step = IntLanes(repeating: Int32(t))
            // A function of its own, as the row loop was when threads split it: inlined into
            // the step loop, the eight-lane blocks ran at well under half speed.
            @inline(never) func gateRows(_ rows: Range<Int>) {
                for i in rows {
                    let row = base + i
                    let x = table + Int(slots[row]) * g, hh = UnsafePointer(recurrent + i * g)
                    let before = previous + i * h, after = states + row * h, cache = gates + row * 4 * h
                    let best = maxima + i * h, arg = argmax + i * h, sum = sums + i * h
                    // Eight units at a time; `lanes` is the literal 8 except in a row's tail, so the
                    // full blocks compile to plain vector loads and stores.
                    @inline(__always) func block(_ j: Int, _ lanes: Int) {
                        let r = GateMath.sigmoid(GateMath.load(x + j, lanes) + GateMath.load(hh + j, lanes))
                        let z = GateMath.sigmoid(GateMath.load(x + h + j, lanes) + GateMath.load(hh + h + j, lanes))
                        let nh = GateMath.load(hh + 2 * h + j, lanes) + GateMath.load(biasHN + j, lanes)
                        let n = GateMath.tanh(GateMath.load(x + 2 * h + j, lanes) + r * nh)
                        let state = n + z * (GateMath.load(before + j, lanes) - n)
                        GateMath.store(state, after + j, lanes)
                        GateMath.store(r, cache + j, lanes)
                        GateMath.store(z, cache + h + j, lanes)
                        GateMath.store(n, cache + 2 * h + j, lanes)
                        GateMath.store(nh, cache + 3 * h + j, lanes)
                        var top = GateMath.load(best + j, lanes)
                        let higher = state .> top
                        top.replace(with: state, where: higher)
                        GateMath.store(top, best + j, lanes)
                        if training {
                            var at = GateMath.load(arg + j, lanes)
                            at.replace(with: step, where: higher)
                            GateMath.store(at, arg + j, lanes)
                        }
                        GateMath.store(GateMath.load(sum + j, lanes) + state, sum + j, lanes)
                    }
                    var j = 0
                    while j + 8 <= h {
                        block(j, 8)
                        j += 8
                    }
                    if j < h { block(j, h - j) }
                }
            }
            gateRows(first..<end)
        }
    }
}
