import MTLData

/// Embedding → (bi)GRU → max and mean pooling over time (the `TextGRU` layer), the dense
/// features appended, then the dense stack. Tensors named as `torch.nn.GRU` names them:
/// `trunk.embedding.weight`, `trunk.gru.weight_ih_l0[_reverse]`, … , `trunk.dense….`
final class GRUTrunk: Trunk {
    let gru: TextGRU
    let stack: DenseStack
    let features: Int
    let embeddingName: String
    let gruName: String

    init(_ config: ModelConfig, layout: inout LayoutBuilder, prefix: String) {
        embeddingName = prefix + "embedding"
        gruName = prefix + "gru"
        gru = TextGRU.add(to: &layout, prefix: "trunk", layerPrefix: prefix, vocabulary: config.vocabulary,
                          embedding: config.embedding, hidden: config.recurrent, bidirectional: config.bidirectional)
        features = config.features
        stack = DenseStack(inputs: gru.outputWidth + config.features, widths: config.hidden, dropout: config.dropout,
                           layout: &layout, prefix: prefix)
    }

    var width: Int { stack.width }
    var layerNames: [String] { [embeddingName, gruName] + stack.names }
    var pooledWidth: Int { gru.outputWidth + features }

    final class Workspace: TrunkWorkspace {
        let gru: TextGRU.Workspace
        let stack: DenseStack.Workspace
        let pooled: FloatBuffer             // [B, 2·H·directions + D]
        let pooledGradient: FloatBuffer

        init(_ trunk: GRUTrunk, batch: Int, maxTokens: Int) {
            gru = TextGRU.Workspace(trunk.gru, batch: batch, maxTokens: batch * maxTokens)
            stack = DenseStack.Workspace(trunk.stack, batch: batch)
            pooled = FloatBuffer(count: batch * trunk.pooledWidth)
            pooledGradient = FloatBuffer(count: trunk.stack.layers.isEmpty ? 1 : batch * trunk.pooledWidth)
            super.init(batch: batch, width: trunk.width)
        }
    }

    func workspace(batch: Int, maxTokens: Int) -> TrunkWorkspace { Workspace(self, batch: batch, maxTokens: maxTokens) }

    /// Embedding uniform(±0.05); every GRU weight and bias uniform(±1/√H), PyTorch's default.
    func initialize(_ tensor: ParameterTensor, _ parameters: UnsafeMutablePointer<Float>, random: inout SeededRandom) {
        switch tensor.layer {
        case embeddingName: fillUniform(tensor, parameters, bound: Model.embeddingBound, random: &random)
        case gruName: fillUniform(tensor, parameters, bound: 1 / Float(gru.hidden).squareRoot(), random: &random)
        default: stack.initialize(tensor, parameters, random: &random)
        }
    }

    func forward(_ batch: Batch, _ work: TrunkWorkspace, parameters p: UnsafePointer<Float>, training: Bool,
                 random: inout SeededRandom) -> UnsafePointer<Float> {
        let w = work as! Workspace, n = batch.count, stride = pooledWidth
        gru.forward(tokens: batch.tokens.pointer, starts: batch.starts.pointer, lengths: batch.lengths.pointer, batch: n,
                    output: w.pooled.pointer, outputStride: stride, parameters: p, workspace: w.gru, training: training)
        for b in 0..<n {
            (w.pooled.pointer + b * stride + gru.outputWidth).update(from: batch.features.pointer + b * features, count: features)
        }
        return stack.forward(.dense(UnsafePointer(w.pooled.pointer)), batch: n, w.stack, parameters: p, training: training, random: &random)
    }

    func backward(_ batch: Batch, _ work: TrunkWorkspace, outputGradient: UnsafeMutablePointer<Float>, frozen: Set<String>,
                  parameters p: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>) {
        let w = work as! Workspace, n = batch.count
        let gruLearns = !(frozen.contains(gruName) && frozen.contains(embeddingName))
        let pooledGradient = stack.layers.isEmpty ? outputGradient : w.pooledGradient.pointer
        stack.backward(.dense(UnsafePointer(w.pooled.pointer)), batch: n, w.stack, top: outputGradient,
                       inputGradient: gruLearns ? pooledGradient : nil, frozen: frozen, parameters: p, gradients: g)
        guard gruLearns else { return }
        gru.backward(batch: n, outputGradient: pooledGradient, gradientStride: pooledWidth, parameters: p, gradients: g,
                     workspace: w.gru, gruFrozen: frozen.contains(gruName), embeddingFrozen: frozen.contains(embeddingName))
    }

    func lastDense(_ batch: Batch, _ work: TrunkWorkspace) -> DenseStack.Top? {
        let w = work as! Workspace
        return stack.top(.dense(UnsafePointer(w.pooled.pointer)), w.stack)
    }

    func activation(_ name: String, _ work: TrunkWorkspace, batch: Int) -> [Float]? {
        let w = work as! Workspace
        if name == "pooled" { return Array(w.pooled.array.prefix(batch * pooledWidth)) }
        guard let i = stack.names.firstIndex(of: name) else { return nil }
        return Array(w.stack.hidden[i].array.prefix(batch * stack.layers[i].outputs))
    }
}
