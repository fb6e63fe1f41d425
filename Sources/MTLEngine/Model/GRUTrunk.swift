import MTLData

/// Embedding → (bi)GRU → max and mean pooling over time (the `TextGRU` layer), the dense
/// features appended, then the dense stack. Tensors named as `torch.nn.GRU` names them:
/// `trunk.embedding.weight`, `trunk.gru.weight_ih_l0[_reverse]`, … , `trunk.dense….`
final class GRUTrunk: Trunk {
    let gru: TextGRU
    let top: PooledTop
    let embeddingName: String
    let gruName: String

    init(_ config: ModelConfig, layout: inout LayoutBuilder, prefix: String) {
        embeddingName = prefix + "embedding"
        gruName = prefix + "gru"
        gru = TextGRU.add(to: &layout, prefix: "trunk", layerPrefix: prefix, vocabulary: config.vocabulary,
                          embedding: config.embedding, hidden: config.recurrent, bidirectional: config.bidirectional)
        top = PooledTop(encoded: gru.outputWidth, config, layout: &layout, prefix: prefix)
    }

    var width: Int { top.stack.width }
    var layerNames: [String] { [embeddingName, gruName] + top.stack.names }

    final class Workspace: PooledTop.Workspace {
        let gru: TextGRU.Workspace

        init(_ trunk: GRUTrunk, batch: Int, maxTokens: Int) {
            gru = TextGRU.Workspace(trunk.gru, batch: batch, maxTokens: batch * maxTokens)
            super.init(trunk.top, batch: batch)
        }
    }

    func workspace(batch: Int, maxTokens: Int) -> TrunkWorkspace { Workspace(self, batch: batch, maxTokens: maxTokens) }

    func initialize(_ tensor: ParameterTensor, _ parameters: UnsafeMutablePointer<Float>, random: inout SeededRandom) {
        if tensor.layer == embeddingName || tensor.layer == gruName {
            gru.initialize(tensor, parameters, random: &random)
        } else {
            top.stack.initialize(tensor, parameters, random: &random)
        }
    }

    func forward(_ batch: Batch, _ work: TrunkWorkspace, parameters p: UnsafePointer<Float>, training: Bool,
                 random: inout SeededRandom) -> UnsafePointer<Float> {
        let w = work as! Workspace
        gru.forward(tokens: batch.tokens.pointer, starts: batch.starts.pointer, lengths: batch.lengths.pointer, batch: batch.count,
                    output: w.pooled.pointer, outputStride: top.pooledWidth, parameters: p, workspace: w.gru, training: training)
        return top.forward(batch, w, parameters: p, training: training, random: &random)
    }

    func backward(_ batch: Batch, _ work: TrunkWorkspace, outputGradient: UnsafeMutablePointer<Float>, frozen: Set<String>,
                  parameters p: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>) {
        let w = work as! Workspace
        let gruLearns = !(frozen.contains(gruName) && frozen.contains(embeddingName))
        guard let pooledGradient = top.backward(batch, w, outputGradient: outputGradient, encoderLearns: gruLearns,
                                                frozen: frozen, parameters: p, gradients: g) else { return }
        gru.backward(batch: batch.count, outputGradient: pooledGradient, gradientStride: top.pooledWidth, parameters: p, gradients: g,
                     workspace: w.gru, gruFrozen: frozen.contains(gruName), embeddingFrozen: frozen.contains(embeddingName))
    }

    func lastDense(_ batch: Batch, _ work: TrunkWorkspace) -> DenseStack.Top? { top.lastDense(work as! Workspace) }

    func activation(_ name: String, _ work: TrunkWorkspace, batch: Int) -> [Float]? {
        top.activation(name, work as! Workspace, batch: batch)
    }
}
