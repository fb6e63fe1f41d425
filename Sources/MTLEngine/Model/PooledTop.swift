import MTLData

/// What the text trunks (cnn, bag, gru) share above their encoder: the encoder's pooled output
/// `[B, encoded]` with the dense features appended, `[B, encoded + D]`, then the dense stack.
struct PooledTop {
    let stack: DenseStack
    let encoded: Int
    let features: Int

    init(encoded: Int, _ config: ModelConfig, layout: inout LayoutBuilder, prefix: String) {
        self.encoded = encoded
        features = config.features
        stack = DenseStack(inputs: encoded + config.features, widths: config.hidden, dropout: config.dropout,
                           layout: &layout, prefix: prefix)
    }

    var pooledWidth: Int { encoded + features }

    /// A text trunk's workspace: the pooled rows, their gradient and the stack's activations.
    class Workspace: TrunkWorkspace {
        let stack: DenseStack.Workspace
        let pooled: FloatBuffer             // [B, encoded + D]
        let pooledGradient: FloatBuffer     // [B, encoded + D], unless the stack is empty

        init(_ top: PooledTop, batch: Int) {
            stack = DenseStack.Workspace(top.stack, batch: batch)
            pooled = FloatBuffer(count: batch * top.pooledWidth)
            pooledGradient = FloatBuffer(count: top.stack.layers.isEmpty ? 1 : batch * top.pooledWidth)
            super.init(batch: batch, width: top.stack.width)
        }
    }

    /// Appends the batch's features after the encoder's columns, then runs the stack.
    func forward(_ batch: Batch, _ w: Workspace, parameters p: UnsafePointer<Float>, training: Bool,
                 random: inout SeededRandom) -> UnsafePointer<Float> {
        let n = batch.count
        for b in 0..<n {
            (w.pooled.pointer + b * pooledWidth + encoded).update(from: batch.features.pointer + b * features, count: features)
        }
        return stack.forward(.dense(UnsafePointer(w.pooled.pointer)), batch: n, w.stack, parameters: p, training: training, random: &random)
    }

    /// The stack's backward pass; returns the gradient at the pooled rows (row stride
    /// `pooledWidth`) when `encoderLearns`, else nil.
    func backward(_ batch: Batch, _ w: Workspace, outputGradient: UnsafeMutablePointer<Float>, encoderLearns: Bool,
                  frozen: Set<String>, parameters p: UnsafePointer<Float>,
                  gradients g: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float>? {
        let pooledGradient = stack.layers.isEmpty ? outputGradient : w.pooledGradient.pointer
        stack.backward(.dense(UnsafePointer(w.pooled.pointer)), batch: batch.count, w.stack, top: outputGradient,
                       inputGradient: encoderLearns ? pooledGradient : nil, frozen: frozen, parameters: p, gradients: g)
        return encoderLearns ? pooledGradient : nil
    }

    func lastDense(_ w: Workspace) -> DenseStack.Top? {
        stack.top(.dense(UnsafePointer(w.pooled.pointer)), w.stack)
    }

    /// `pooled` (the encoder's columns) or a dense layer's output.
    func activation(_ name: String, _ w: Workspace, batch: Int) -> [Float]? {
        if name == "pooled" {
            return (0..<batch).flatMap { b in (0..<encoded).map { w.pooled[b * pooledWidth + $0] } }
        }
        guard let i = stack.names.firstIndex(of: name) else { return nil }
        return Array(w.stack.hidden[i].array.prefix(batch * stack.layers[i].outputs))
    }
}
