/// Each task's own gradient, for the weighting strategies and the gradient-conflict measure.
extension Model {
    /// Parameters every task shares: the trunk, which the layout puts before the heads.
    public var sharedCount: Int { tensors.first { $0.layer.hasPrefix("head.") }?.offset ?? parameters.count }

    /// The trunk layers in buffer order, each with its range in the flat buffer.
    public var sharedLayers: [LayerRange] { layers.filter { !$0.name.hasPrefix("head.") } }

    /// Multiplies each task's logit gradient (left by `losses` with unit weights) by its weight.
    public func scaleLogitGradients(_ work: Workspace, batch: Int, by weights: [Double]) {
        for t in heads.indices where weights[t] != 1 {
            let g = work.logitGradient[t].pointer, count = batch * config.heads[t].outputs, w = Float(weights[t])
            for i in 0..<count { g[i] *= w }
        }
    }

    /// Like `backward`, but each task's gradient on the shared (trunk) parameters goes to
    /// `taskGradients[t]` (`sharedCount` floats each) instead of being summed; the heads'
    /// gradients accumulate into `gradients` as usual. `gradients[0..<sharedCount]` is left
    /// for the caller to fill with a combination of the task gradients. Costs one trunk
    /// backward pass per task.
    public func backwardPerTask(_ batch: Batch, _ work: Workspace, frozen: Set<String>, into taskGradients: [FloatBuffer]) {
        precondition(taskGradients.count == heads.count && taskGradients.allSatisfy { $0.count >= sharedCount })
        for t in heads.indices {
            backwardHeads(t..<(t + 1), batch, work, frozen: frozen)
            taskGradients[t].pointer.update(repeating: 0, count: sharedCount)
            backwardTrunk(batch, work, frozen: frozen, into: taskGradients[t].pointer)
        }
    }

    /// ‖∇_W Lₜ‖ for each task, W the last dense trunk layer's weight, from the (unweighted) logit
    /// gradients `losses` left: each head's input gradient alone back through that layer's
    /// dropout and ReLU, then xᵀ·dy into `scratch` (the parameters' size). A few small products
    /// per task instead of a trunk pass: what GradNorm measures. Nil without a dense layer.
    public func lastDenseWeightGradientNorms(_ batch: Batch, _ work: Workspace, scratch: FloatBuffer) -> [Double]? {
        guard let i = dense.indices.last, scratch.count >= parameters.count else { return nil }
        let layer = dense[i], n = batch.count
        let p = UnsafePointer(parameters.pointer)
        let dy = work.hiddenGradient[i].pointer
        let sparseInput = i == 0 && config.trunk == .mlp && config.usesText
        let x: UnsafePointer<Float> = i > 0 ? UnsafePointer(work.hidden[i - 1].pointer)
            : (config.trunk == .cnn ? UnsafePointer(work.trunkInput.pointer) : UnsafePointer(batch.features.pointer))
        return heads.indices.map { t in
            heads[t].backward(topInput(batch, work), work.logitGradient[t].pointer, dx: dy, batch: n, frozen: true,
                              parameters: p, gradients: scratch.pointer)
            if config.dropout > 0 { Dropout.backward(dy, mask: work.masks[i].pointer, count: n * layer.outputs) }
            ReLU.backward(output: work.hidden[i].pointer, gradient: dy, count: n * layer.outputs)
            (scratch.pointer + layer.weight).update(repeating: 0, count: layer.inputs * layer.outputs)
            (scratch.pointer + layer.bias).update(repeating: 0, count: layer.outputs)
            if sparseInput {
                layer.backward(batch.sparse, dy, batch: n, gradients: scratch.pointer)
            } else {
                layer.backward(x, dy, dx: nil, batch: n, parameters: p, gradients: scratch.pointer)
            }
            return Double(sumOfSquares(scratch.pointer + layer.weight, count: layer.inputs * layer.outputs)).squareRoot()
        }
    }
}
