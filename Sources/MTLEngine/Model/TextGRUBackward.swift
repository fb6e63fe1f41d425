extension TextGRU {
    /// Back-propagation through time of the gradient at the pooled output `[B, 2·H·directions]`
    /// (row stride `gradientStride`), accumulating into `g`: the GRU's tensors unless
    /// `gruFrozen`, the embedding rows of the batch's tokens unless `embeddingFrozen`. Reads
    /// only what the last `forward` (with `training: true`) left in `w`.
    public func backward(batch: Int, outputGradient dy: UnsafePointer<Float>, gradientStride: Int,
                         parameters p: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>,
                         workspace w: Workspace, gruFrozen: Bool, embeddingFrozen: Bool) {
        precondition(batch == w.batch && w.training, "backward follows a training forward pass of the same batch")
        if gruFrozen, embeddingFrozen { return }
        let groups = w.groups
        Parallel.split(directions.count * groups.count, minimum: 1) { part in
            for item in part {
                backThroughTime(item / groups.count, samples: groups[item % groups.count], second: item % groups.count == 1,
                                outputGradient: dy, gradientStride: gradientStride, parameters: p, workspace: w)
            }
        }
        Parallel.split(directions.count, minimum: 1) { part in
            for d in part {
                // The second group's token gradients join the first's, always in this order.
                let work = w.directions[d], count = w.distinct * 3 * hidden
                if groups.count > 1 {
                    let total = work.tableGradient.pointer, second = work.secondTableGradient.pointer
                    for k in 0..<count { total[k] += second[k] }
                }
                if !gruFrozen { weightGradients(d, gradients: g, workspace: w) }
            }
        }
        guard !embeddingFrozen else { return }
        // [U, 3H] × [3H, E] per direction: each distinct token's embedding gradient.
        let e = embedding, gw = 3 * hidden
        let gathered = w.gatheredGradient.pointer
        for (d, offsets) in directions.enumerated() {
            BLAS.gemm(w.distinct, e, gw, w.directions[d].tableGradient.pointer, p + offsets.weightIH, gathered,
                      beta: d == 0 ? 0 : 1)
        }
        for u in 0..<w.distinct {
            let source = gathered + u * e, target = g + embeddingWeight + Int(w.unique[u]) * e
            for k in 0..<e { target[k] += source[k] }
        }
    }

    /// Direction d from its last step to its first, for the samples at positions `samples`:
    /// each row's gradient at the recurrent pre-activations `[N, 3H]` (kept for W_hh's
    /// gradient) and at the input projection, summed per distinct token `[U, 3H]` (the second
    /// group into a table of its own, so the groups can run at once).
    ///
    ///     dh  = dL/dh_t (pooling) + carry                  dn = dh ⊙ (1 − z)   dz = dh ⊙ (h_{t−1} − n)
    ///     a_n = dn ⊙ (1 − n²)   a_r = a_n ⊙ hn ⊙ r(1 − r)   a_z = dz ⊙ z(1 − z)   (hn = W_hn h + b_hn)
    ///     input side [a_r, a_z, a_n]   recurrent side [a_r, a_z, a_n ⊙ r]
    ///     carry = dh ⊙ z + recurrent side × W_hh          (dL/dh_{t−1})
    private func backThroughTime(_ d: Int, samples: Range<Int>, second: Bool, outputGradient dy: UnsafePointer<Float>,
                                 gradientStride: Int, parameters p: UnsafePointer<Float>, workspace w: Workspace) {
        let work = w.directions[d]
        let h = hidden, g = 3 * hidden, count = directions.count, first = samples.lowerBound
        // The pooled gradients in length order; the mean's already divided by the length.
        for i in samples {
            let row = dy + w.order[i] * gradientStride
            let scale = w.inverseLength[i]
            for j in 0..<h {
                work.maxGradient[i * h + j] = row[d * h + j]
                work.meanGradient[i * h + j] = row[(count + d) * h + j] * scale
            }
        }
        let tableGradient = (second ? work.secondTableGradient : work.tableGradient).pointer
        tableGradient.update(repeating: 0, count: w.distinct * g)
        let weightHH = p + directions[d].weightHH
        let slots = UnsafePointer(work.slots.pointer), states = UnsafePointer(work.states.pointer)
        let gates = UnsafePointer(work.gates.pointer), argmax = UnsafePointer(work.argmax.pointer)
        let maxGradient = UnsafePointer(work.maxGradient.pointer), meanGradient = UnsafePointer(work.meanGradient.pointer)
        let carry = work.carry.pointer, recurrentGradient = work.recurrentGradient.pointer
        var running = first
        for t in stride(from: w.steps - 1, through: 0, by: -1) {
            // The group's running samples are positions first ..< end of the step's rows.
            let end = min(samples.upperBound, w.active[t]), base = w.stepOffset[t]
            guard end > first else { continue }
            // Rows that start running here (going backwards) have no later step.
            (carry + running * h).update(repeating: 0, count: (end - running) * h)
            running = end
            let previous = t == 0 ? UnsafePointer(w.zeros.pointer) : states + w.stepOffset[t - 1] * h
            let step = IntLanes(repeating: Int32(t))
            for i in first..<end {
                let row = base + i
                let cache = gates + row * 4 * h, before = previous + i * h
                let best = maxGradient + i * h, arg = argmax + i * h, mean = meanGradient + i * h
                let dh = carry + i * h
                let input = tableGradient + Int(slots[row]) * g, recurrent = recurrentGradient + row * g
                // As in forward: full eight-lane blocks, then the row's tail.
                @inline(__always) func block(_ j: Int, _ lanes: Int) {
                    var pooled = GateMath.load(mean + j, lanes)
                    pooled.replace(with: pooled + GateMath.load(best + j, lanes), where: GateMath.load(arg + j, lanes) .== step)
                    let gradient = GateMath.load(dh + j, lanes) + pooled
                    let r = GateMath.load(cache + j, lanes), z = GateMath.load(cache + h + j, lanes)
                    let n = GateMath.load(cache + 2 * h + j, lanes), nh = GateMath.load(cache + 3 * h + j, lanes)
                    let an = gradient * (1 - z) * (1 - n * n)
                    let ar = an * nh * r * (1 - r)
                    let az = gradient * (GateMath.load(before + j, lanes) - n) * z * (1 - z)
                    GateMath.store(ar, recurrent + j, lanes)
                    GateMath.store(az, recurrent + h + j, lanes)
                    GateMath.store(an * r, recurrent + 2 * h + j, lanes)
                    GateMath.store(GateMath.load(input + j, lanes) + ar, input + j, lanes)
                    GateMath.store(GateMath.load(input + h + j, lanes) + az, input + h + j, lanes)
                    GateMath.store(GateMath.load(input + 2 * h + j, lanes) + an, input + 2 * h + j, lanes)
                    GateMath.store(gradient * z, dh + j, lanes)
                }
                var j = 0
                while j + 8 <= h {
                    block(j, 8)
                    j += 8
                }
                if j < h { block(j, h - j) }
            }
            // [A, 3H] × [3H, H]: the recurrent side's share of dL/dh_{t−1}.
            if t > 0 { BLAS.gemm(end - first, h, g, recurrentGradient + (base + first) * g, weightHH, carry + first * h, beta: 1) }
        }
    }

    /// Direction d's weight and bias gradients from the rows' gradients `backThroughTime` left:
    /// dW_ih += [3H, U] × [U, E], the biases as column sums, and dW_hh += [3H, A] × [A, H] summed
    /// over steps t ≥ 1, pairing step t's rows with step t−1's states. Step s + 1 continues the
    /// rows of step s in both when step s runs as many rows as step s − 1 did, so each such run
    /// of steps is one product (a batch of equal lengths is one).
    private func weightGradients(_ d: Int, gradients g: UnsafeMutablePointer<Float>, workspace w: Workspace) {
        let work = w.directions[d], offsets = directions[d]
        let h = hidden, gw = 3 * hidden, e = embedding
        let tableGradient = UnsafePointer(work.tableGradient.pointer)
        let recurrentGradient = UnsafePointer(work.recurrentGradient.pointer)
        let states = UnsafePointer(work.states.pointer)
        BLAS.gemm(gw, e, w.distinct, tableGradient, transA: true, w.gathered.pointer, g + offsets.weightIH, beta: 1)
        addColumnSums(tableGradient, rows: w.distinct, columns: gw, into: g + offsets.biasIH)
        addColumnSums(recurrentGradient, rows: w.rows, columns: gw, into: g + offsets.biasHH)
        var t = 1
        while t < w.steps {
            var end = t + 1
            while end < w.steps, w.active[end - 1] == w.active[end - 2] { end += 1 }
            let first = w.stepOffset[t], rows = w.stepOffset[end] - first
            BLAS.gemm(gw, h, rows, recurrentGradient + first * gw, transA: true, states + w.stepOffset[t - 1] * h,
                      g + offsets.weightHH, beta: 1)
            t = end
        }
    }
}
