import MTLData

/// Embedding → Conv1D → ReLU → global max pool (the fused `TextConv`), the dense features
/// appended, then the dense stack. Tensors `trunk.embedding.weight`, `trunk.conv.weight`
/// (PyTorch's `[F, emb, K]`), `trunk.conv.bias`, `trunk.dense….`
final class CNNTrunk: Trunk {
    let conv: TextConv
    let top: PooledTop
    let embeddingName: String
    let convName: String
    let embeddingDropout: Float

    init(_ config: ModelConfig, layout: inout LayoutBuilder, prefix: String) {
        embeddingDropout = config.embeddingDropout
        embeddingName = prefix + "embedding"
        convName = prefix + "conv"
        let e = layout.add("trunk.\(embeddingName).weight", layer: embeddingName, shape: [config.vocabulary, config.embedding])
        let w = layout.add("trunk.\(convName).weight", layer: convName, shape: [config.embedding, config.kernel, config.filters],
                           exportOrder: [2, 0, 1])
        let b = layout.add("trunk.\(convName).bias", layer: convName, shape: [config.filters])
        conv = TextConv(vocabulary: config.vocabulary, embedding: config.embedding, kernel: config.kernel,
                        filters: config.filters, embeddingWeight: e, convWeight: w, convBias: b)
        top = PooledTop(encoded: config.filters, config, layout: &layout, prefix: prefix)
    }

    var width: Int { top.stack.width }
    var layerNames: [String] { [embeddingName, convName] + top.stack.names }

    final class Workspace: PooledTop.Workspace {
        let conv: TextConv.Workspace

        init(_ trunk: CNNTrunk, batch: Int, maxTokens: Int) {
            conv = TextConv.Workspace(trunk.conv, batch: batch, maxTokens: batch * maxTokens)
            super.init(trunk.top, batch: batch)
        }
    }

    func workspace(batch: Int, maxTokens: Int) -> TrunkWorkspace { Workspace(self, batch: batch, maxTokens: maxTokens) }

    /// Embeddings uniform(±0.05) as Keras does; the conv He-uniform over its fan-in; the dense stack's own.
    func initialize(_ tensor: ParameterTensor, _ parameters: UnsafeMutablePointer<Float>, random: inout SeededRandom) {
        switch tensor.layer {
        case embeddingName: fillUniform(tensor, parameters, bound: Model.embeddingBound, random: &random)
        case convName where tensor.name.hasSuffix(".weight"):
            fillUniform(tensor, parameters, bound: (6 / Float(conv.embedding * conv.kernel)).squareRoot(), random: &random)
        case convName: break
        default: top.stack.initialize(tensor, parameters, random: &random)
        }
    }

    func forward(_ batch: Batch, _ work: TrunkWorkspace, parameters p: UnsafePointer<Float>, training: Bool,
                 random: inout SeededRandom) -> UnsafePointer<Float> {
        let w = work as! Workspace
        conv.forward(tokens: batch.tokens.pointer, starts: batch.starts.pointer, lengths: batch.lengths.pointer,
                     batch: batch.count, output: w.pooled.pointer, outputStride: top.pooledWidth, parameters: p, workspace: w.conv,
                     dropout: training ? embeddingDropout : 0, random: &random)
        return top.forward(batch, w, parameters: p, training: training, random: &random)
    }

    func backward(_ batch: Batch, _ work: TrunkWorkspace, outputGradient: UnsafeMutablePointer<Float>, frozen: Set<String>,
                  parameters p: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>) {
        let w = work as! Workspace
        let convLearns = !(frozen.contains(convName) && frozen.contains(embeddingName))
        guard let pooledGradient = top.backward(batch, w, outputGradient: outputGradient, encoderLearns: convLearns,
                                                frozen: frozen, parameters: p, gradients: g) else { return }
        conv.backward(tokens: batch.tokens.pointer, starts: batch.starts.pointer, batch: batch.count,
                      outputGradient: pooledGradient, gradientStride: top.pooledWidth, parameters: p, gradients: g,
                      workspace: w.conv, convFrozen: frozen.contains(convName), embeddingFrozen: frozen.contains(embeddingName))
    }

    func lastDense(_ batch: Batch, _ work: TrunkWorkspace) -> DenseStack.Top? { top.lastDense(work as! Workspace) }

    func activation(_ name: String, _ work: TrunkWorkspace, batch: Int) -> [Float]? {
        top.activation(name, work as! Workspace, batch: batch)
    }
}

/// Dense layers over the sparse TF-IDF rows with the dense features appended (text), or over
/// the dense features alone. Tensors `trunk.dense….`.
final class MLPTrunk: Trunk {
    let stack: DenseStack
    let sparse: Bool

    init(_ config: ModelConfig, layout: inout LayoutBuilder, prefix: String) {
        precondition(!config.hidden.isEmpty, "the mlp trunk needs at least one dense layer")
        sparse = config.usesText
        stack = DenseStack(inputs: config.vocabulary + config.features, widths: config.hidden, dropout: config.dropout,
                           layout: &layout, prefix: prefix)
    }

    var width: Int { stack.width }
    var layerNames: [String] { stack.names }

    final class Workspace: TrunkWorkspace {
        let stack: DenseStack.Workspace
        init(_ trunk: MLPTrunk, batch: Int) {
            stack = DenseStack.Workspace(trunk.stack, batch: batch)
            super.init(batch: batch, width: trunk.width)
        }
    }

    func workspace(batch: Int, maxTokens: Int) -> TrunkWorkspace { Workspace(self, batch: batch) }

    func initialize(_ tensor: ParameterTensor, _ parameters: UnsafeMutablePointer<Float>, random: inout SeededRandom) {
        stack.initialize(tensor, parameters, random: &random)
    }

    func input(_ batch: Batch) -> DenseStack.Input {
        sparse ? .sparse(batch.sparse) : .dense(UnsafePointer(batch.features.pointer))
    }

    func forward(_ batch: Batch, _ work: TrunkWorkspace, parameters p: UnsafePointer<Float>, training: Bool,
                 random: inout SeededRandom) -> UnsafePointer<Float> {
        stack.forward(input(batch), batch: batch.count, (work as! Workspace).stack, parameters: p, training: training, random: &random)
    }

    func backward(_ batch: Batch, _ work: TrunkWorkspace, outputGradient: UnsafeMutablePointer<Float>, frozen: Set<String>,
                  parameters p: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>) {
        stack.backward(input(batch), batch: batch.count, (work as! Workspace).stack, top: outputGradient, inputGradient: nil,
                       frozen: frozen, parameters: p, gradients: g)
    }

    func lastDense(_ batch: Batch, _ work: TrunkWorkspace) -> DenseStack.Top? {
        stack.top(input(batch), (work as! Workspace).stack)
    }

    func activation(_ name: String, _ work: TrunkWorkspace, batch: Int) -> [Float]? {
        guard let i = stack.names.firstIndex(of: name) else { return nil }
        return Array((work as! Workspace).stack.hidden[i].array.prefix(batch * stack.layers[i].outputs))
    }
}
