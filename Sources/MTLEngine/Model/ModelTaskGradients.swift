/// Each task's own gradient, for the weighting strategies and the gradient-conflict measure.
extension Model {
    /// Parameters every task shares: the trunk(s), which the layout puts before the task layers.
    public var sharedCount: Int { tensors.first { Model.isTaskLayer($0.layer) }?.offset ?? parameters.count }

    /// The shared layers in buffer order, each with its range in the flat buffer.
    public var sharedLayers: [LayerRange] { layers.filter { !Model.isTaskLayer($0.name) } }

    /// Multiplies each task's logit gradient (left by `losses` with unit weights) by its weight.
    public func scaleLogitGradients(_ work: Workspace, batch: Int, by weights: [Double]) {
        for t in heads.indices where weights[t] != 1 {
            let g = work.logitGradient[t].pointer, count = batch * config.heads[t].outputs, w = Float(weights[t])
            for i in 0..<count { g[i] *= w }
        }
    }

    /// Multiplies the gradients of each task's own layers (head, gate, wide path) by its weight.
    public func scaleTaskLayerGradients(by weights: [Double]) {
        for t in heads.indices where weights[t] != 1 {
            let scale = Float(weights[t])
            for layer in taskLayers(t) {
                let g = gradients.pointer + layer.offset
                for i in 0..<layer.count { g[i] *= scale }
            }
        }
    }

    /// Like `backward`, but each task's gradient on the shared parameters goes to
    /// `taskGradients[t]` (`sharedCount` floats each) instead of being summed; the task layers'
    /// gradients accumulate into `gradients` as usual. `gradients[0..<sharedCount]` is left
    /// for the caller to fill with a combination of the task gradients. Costs one trunk
    /// backward pass per task.
    public func backwardPerTask(_ batch: Batch, _ work: Workspace, frozen: Set<String>, into taskGradients: [FloatBuffer]) {
        precondition(taskGradients.count == heads.count && taskGradients.allSatisfy { $0.count >= sharedCount })
        for t in heads.indices {
            backwardTasks(t..<(t + 1), batch, work, frozen: frozen)
            taskGradients[t].pointer.update(repeating: 0, count: sharedCount)
            backwardTrunks(batch, work, frozen: frozen, into: taskGradients[t].pointer)
        }
    }

    /// ‖∇_W Lₜ‖ for each task, W the last dense trunk layer's weight, from the (unweighted) logit
    /// gradients `losses` left: each head's input gradient alone back through that layer's
    /// dropout and ReLU, then xᵀ·dy into `scratch` (the parameters' size). A few small products
    /// per task instead of a trunk pass: what GradNorm measures. Nil without a dense layer, and
    /// under MMoE (each expert has its own last layer).
    public func lastDenseWeightGradientNorms(_ batch: Batch, _ work: Workspace, scratch: FloatBuffer) -> [Double]? {
        guard config.sharing == .hard, let top = trunks[0].lastDense(batch, work.trunks[0]),
              scratch.count >= parameters.count else { return nil }
        let layer = top.layer, n = batch.count, count = n * layer.outputs
        let p = UnsafePointer(parameters.pointer)
        let dy = work.trunks[0].outputGradient.pointer
        return heads.indices.map { t in
            heads[t].backward(headInput(t, work), work.logitGradient[t].pointer, dx: dy, batch: n, frozen: true,
                              parameters: p, gradients: scratch.pointer)
            if let mask = top.mask { Dropout.backward(dy, mask: mask, count: count) }
            ReLU.backward(output: top.output, gradient: dy, count: count)
            (scratch.pointer + layer.weight).update(repeating: 0, count: layer.inputs * layer.outputs)
            (scratch.pointer + layer.bias).update(repeating: 0, count: layer.outputs)
            switch top.input {
            case .sparse(let x): layer.backward(x, dy, batch: n, gradients: scratch.pointer)
            case .dense(let x): layer.backward(x, dy, dx: nil, batch: n, parameters: p, gradients: scratch.pointer)
            }
            return Double(sumOfSquares(scratch.pointer + layer.weight, count: layer.inputs * layer.outputs)).squareRoot()
        }
    }
}
