import Foundation
import MTLData

// MARK: - Forward and backward through the parts

extension Model {
    /// Activations and scratch for one batch size; allocate once, reuse every step.
    public final class Workspace {
        public let capacity: Int
        let trunks: [TrunkWorkspace]
        /// The representation each trunk produced in the last forward pass, `[B, width]`.
        var representations: [UnsafePointer<Float>]
        /// MMoE, per task: gate probabilities `[B, E]`, the mix `[B, width]` and its gradient.
        let gateProbabilities: [FloatBuffer]
        let mixes: [FloatBuffer]
        let mixGradients: [FloatBuffer]
        /// ∂L/∂g of one row `[E]`, and ∂L/∂(gate logits) `[B, E]`: the probabilities stay
        /// intact, so a backward pass can run more than once per forward pass.
        let gateScratch: FloatBuffer
        let gateGradient: FloatBuffer
        public let logits: [FloatBuffer]     // per head [B, C]
        public let probabilities: [FloatBuffer]
        public let rowLoss: [FloatBuffer]    // per head [B]
        let logitGradient: [FloatBuffer]
        /// The latest per-task losses, kept here so that computing them allocates nothing.
        var results: [TaskLoss.Result]
        /// Per task: focal loss and OHEM, set by the trainer (plain losses when empty).
        public var lossShapes: [LossShape] = []
        /// OHEM's kept weights and sort buffer `[2B]`, shared by the tasks in turn.
        let miningScratch: FloatBuffer

        init(_ model: Model, batch: Int, maxTokens: Int) {
            capacity = batch
            let c = model.config
            trunks = model.trunks.map { $0.workspace(batch: batch, maxTokens: maxTokens) }
            representations = trunks.map { UnsafePointer($0.outputGradient.pointer) }
            let mixed = c.sharing == .hard ? 0 : c.heads.count
            gateProbabilities = (0..<mixed).map { _ in FloatBuffer(count: batch * c.sharing.experts) }
            mixes = (0..<mixed).map { _ in FloatBuffer(count: batch * model.lastWidth) }
            mixGradients = (0..<mixed).map { _ in FloatBuffer(count: batch * model.lastWidth) }
            gateScratch = FloatBuffer(count: c.sharing.experts)
            gateGradient = FloatBuffer(count: mixed > 0 ? batch * c.sharing.experts : 1)
            logits = c.heads.map { FloatBuffer(count: batch * $0.outputs) }
            probabilities = c.heads.map { FloatBuffer(count: batch * $0.outputs) }
            rowLoss = c.heads.map { _ in FloatBuffer(count: batch) }
            logitGradient = c.heads.map { FloatBuffer(count: batch * $0.outputs) }
            results = c.heads.map { _ in TaskLoss.Result(loss: 0, weightSum: 0) }
            miningScratch = FloatBuffer(count: 2 * batch)
        }
    }

    public func workspace(batch: Int, maxTokens: Int) -> Workspace {
        Workspace(self, batch: batch, maxTokens: maxTokens)
    }

    /// What the gates read: the unigram TF-IDF rows with the features (text), else the features.
    func gateInput(_ batch: Batch) -> DenseStack.Input {
        config.usesText ? .sparse(batch.sparse) : .dense(UnsafePointer(batch.features.pointer))
    }

    /// What head `t` reads: the trunk's output, or under MMoE the task's mix of the experts.
    func headInput(_ t: Int, _ work: Workspace) -> UnsafePointer<Float> {
        config.sharing == .hard ? work.representations[0] : UnsafePointer(work.mixes[t].pointer)
    }

    /// Trunks, gates, heads and wide path: fills `work.logits`. Dropout is active when
    /// `training`; its mask is drawn from (seed, step) so a resumed run repeats it exactly.
    public func forward(_ batch: Batch, _ work: Workspace, training: Bool, step: Int) {
        let n = batch.count
        let p = UnsafePointer(parameters.pointer)
        var random = SeededRandom(seed: seed, stream: 2, index: UInt64(step))
        for (e, trunk) in trunks.enumerated() {
            work.representations[e] = trunk.forward(batch, work.trunks[e], parameters: p, training: training, random: &random)
        }
        for (t, gate) in gates.enumerated() { mix(t, gate, batch, work) }
        for (t, head) in heads.enumerated() {
            head.forward(headInput(t, work), into: work.logits[t].pointer, batch: n, parameters: p)
        }
        for (t, path) in wide.enumerated() {
            path.forward(batch.wide, into: work.logits[t].pointer, batch: n, parameters: p, accumulate: true)
        }
    }

    /// MMoE, task t: g = softmax(gate(x)) `[B, E]`, mix[b] = Σₑ g[b, e] · expertₑ[b].
    private func mix(_ t: Int, _ gate: Dense, _ batch: Batch, _ work: Workspace) {
        let n = batch.count, experts = trunks.count, width = lastWidth
        let p = UnsafePointer(parameters.pointer)
        let g = work.gateProbabilities[t].pointer
        switch gateInput(batch) {
        case .dense(let x): gate.forward(x, into: g, batch: n, parameters: p)
        case .sparse(let x): gate.forward(x, into: g, batch: n, parameters: p)
        }
        let out = work.mixes[t].pointer
        out.update(repeating: 0, count: n * width)
        for b in 0..<n {
            let row = g + b * experts
            var peak = row[0]
            for e in 1..<experts { peak = max(peak, row[e]) }
            var sum: Float = 0
            for e in 0..<experts { row[e] = exp(row[e] - peak); sum += row[e] }
            for e in 0..<experts {
                row[e] /= sum
                let weight = row[e], expert = work.representations[e] + b * width, o = out + b * width
                for j in 0..<width { o[j] += weight * expert[j] }
            }
        }
    }

    /// Per-task losses of the last forward pass; with `taskWeights`, also the gradient of
    /// Σ_t weight_t · L_t with respect to each head's logits. Focal losses in `work.lossShapes`
    /// always apply; OHEM only with `mining` (training steps), so reported validation losses
    /// stay means over every row.
    public func losses(_ batch: Batch, _ work: Workspace, taskWeights: [Float]?, mining: Bool = false) -> [TaskLoss.Result] {
        for t in heads.indices {
            let head = config.heads[t]
            let shape = t < work.lossShapes.count ? work.lossShapes[t] : LossShape()
            let mine = mining ? shape.ohem.map { TaskLoss.Mining(fraction: $0, scratch: work.miningScratch.pointer) } : nil
            work.results[t] = TaskLoss.compute(kind: head.kind, regression: head.regressionLoss, logits: work.logits[t].pointer,
                                               targets: batch.targets[t].pointer, weights: batch.weights[t].pointer,
                                               batch: batch.count, width: head.outputs,
                                               probabilities: work.probabilities[t].pointer, rowLoss: work.rowLoss[t].pointer,
                                               gradient: taskWeights == nil ? nil : work.logitGradient[t].pointer,
                                               scale: taskWeights?[t] ?? 1,
                                               labelSmoothing: head.labelSmoothing, positiveWeights: head.positiveWeights,
                                               focal: shape.focal, mining: mine)
        }
        return work.results
    }

    /// Back-propagates the logit gradients left by `losses`, accumulating into `gradients`.
    /// Layers in `frozen` get no gradient (and cost nothing when nothing below them learns).
    public func backward(_ batch: Batch, _ work: Workspace, frozen: Set<String>) {
        backwardTasks(heads.indices, batch, work, frozen: frozen)
        backwardTrunks(batch, work, frozen: frozen)
    }

    /// Tasks `tasks` back-propagate their logit gradients into their own layers and into the
    /// gradient at each trunk's output (`work.trunks[e].outputGradient`, reset here).
    func backwardTasks(_ tasks: Range<Int>, _ batch: Batch, _ work: Workspace, frozen: Set<String>) {
        let n = batch.count, width = lastWidth
        let p = UnsafePointer(parameters.pointer), g = gradients.pointer
        for trunk in work.trunks { trunk.outputGradient.pointer.update(repeating: 0, count: n * width) }
        for t in tasks {
            let dy = UnsafePointer(work.logitGradient[t].pointer)
            if !wide.isEmpty, !frozen.contains(wideNames[t]) { wide[t].backward(batch.wide, dy, batch: n, gradients: g) }
            let headFrozen = frozen.contains(headNames[t])
            if config.sharing == .hard {
                heads[t].backward(headInput(t, work), dy, dx: work.trunks[0].outputGradient.pointer, accumulate: true, batch: n,
                                  frozen: headFrozen, parameters: p, gradients: g)
            } else {
                heads[t].backward(headInput(t, work), dy, dx: work.mixGradients[t].pointer, batch: n,
                                  frozen: headFrozen, parameters: p, gradients: g)
                unmix(t, batch, work, frozen: frozen)
            }
        }
    }

    /// MMoE, task t: the mix's gradient to each expert's output (× its gate) and, through the
    /// softmax, to the gate: ∂g[b,e] = ⟨∂mix[b], expertₑ[b]⟩, ∂z = g ⊙ (∂g − Σ g ∂g).
    private func unmix(_ t: Int, _ batch: Batch, _ work: Workspace, frozen: Set<String>) {
        let n = batch.count, experts = trunks.count, width = lastWidth
        let g = work.gateProbabilities[t].pointer, dmix = work.mixGradients[t].pointer
        let gateLearns = !frozen.contains("gate.\(config.heads[t].name)")
        let dz = work.gateGradient.pointer
        for b in 0..<n {
            let d = dmix + b * width, row = g + b * experts
            var dot: Float = 0
            for e in 0..<experts {
                let expert = work.representations[e] + b * width, dOut = work.trunks[e].outputGradient.pointer + b * width
                let weight = row[e]
                var dGate: Float = 0
                for j in 0..<width {
                    dOut[j] += weight * d[j]
                    dGate += d[j] * expert[j]
                }
                work.gateScratch[e] = dGate
                dot += weight * dGate
            }
            guard gateLearns else { continue }
            for e in 0..<experts { dz[b * experts + e] = row[e] * (work.gateScratch[e] - dot) }
        }
        guard gateLearns else { return }
        switch gateInput(batch) {
        case .dense(let x): gates[t].backward(x, dz, dx: nil, batch: n, parameters: UnsafePointer(parameters.pointer), gradients: gradients.pointer)
        case .sparse(let x): gates[t].backward(x, dz, batch: n, gradients: gradients.pointer)
        }
    }

    /// The gradients at the trunks' outputs (left by `backwardTasks`) down through the trunks,
    /// accumulating into `g` (laid out as the parameters; the model's gradients by default).
    func backwardTrunks(_ batch: Batch, _ work: Workspace, frozen: Set<String>, into g: UnsafeMutablePointer<Float>? = nil) {
        let p = UnsafePointer(parameters.pointer)
        for (e, trunk) in trunks.enumerated() {
            trunk.backward(batch, work.trunks[e], outputGradient: work.trunks[e].outputGradient.pointer, frozen: frozen,
                           parameters: p, gradients: g ?? gradients.pointer)
        }
    }
}
