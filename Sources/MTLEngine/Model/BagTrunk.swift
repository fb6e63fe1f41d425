import MTLData

/// fastText-style (Joulin et al. 2016): the mean of the row's word and bigram embeddings, the
/// dense features appended, then the dense stack (none by default: straight into the heads).
/// Cheap: one embedding row per distinct n-gram of the row, forward and backward.
///
/// Shapes: n-gram rows (CSR, weight 1/count of the row's n-grams), embedding `[N, emb]`
/// (`trunk.embedding.weight`, as `nn.EmbeddingBag(mode="sum")` with per-sample weights),
/// output `[B, emb + D]` before the stack.
final class BagTrunk: Trunk {
    let embedding: Int
    let table: Int
    let embeddingName: String
    let top: PooledTop

    init(_ config: ModelConfig, layout: inout LayoutBuilder, prefix: String) {
        embedding = config.embedding
        embeddingName = prefix + "embedding"
        table = layout.add("trunk.\(embeddingName).weight", layer: embeddingName, shape: [config.ngrams, config.embedding])
        top = PooledTop(encoded: config.embedding, config, layout: &layout, prefix: prefix)
    }

    var width: Int { top.stack.width }
    var layerNames: [String] { [embeddingName] + top.stack.names }

    func workspace(batch: Int, maxTokens: Int) -> TrunkWorkspace { PooledTop.Workspace(top, batch: batch) }

    func initialize(_ tensor: ParameterTensor, _ parameters: UnsafeMutablePointer<Float>, random: inout SeededRandom) {
        if tensor.layer == embeddingName {
            fillUniform(tensor, parameters, bound: Model.embeddingBound, random: &random)
        } else {
            top.stack.initialize(tensor, parameters, random: &random)
        }
    }

    func forward(_ batch: Batch, _ work: TrunkWorkspace, parameters p: UnsafePointer<Float>, training: Bool,
                 random: inout SeededRandom) -> UnsafePointer<Float> {
        let w = work as! PooledTop.Workspace, x = batch.bag
        for b in 0..<batch.count {
            let out = w.pooled.pointer + b * top.pooledWidth
            out.update(repeating: 0, count: embedding)
            for j in x.offsets[b]..<x.offsets[b + 1] {
                let v = x.values[j], row = p + table + Int(x.columns[j]) * embedding
                for k in 0..<embedding { out[k] += v * row[k] }
            }
        }
        return top.forward(batch, w, parameters: p, training: training, random: &random)
    }

    func backward(_ batch: Batch, _ work: TrunkWorkspace, outputGradient: UnsafeMutablePointer<Float>, frozen: Set<String>,
                  parameters p: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>) {
        let x = batch.bag
        guard let pooledGradient = top.backward(batch, work as! PooledTop.Workspace, outputGradient: outputGradient,
                                                encoderLearns: !frozen.contains(embeddingName), frozen: frozen,
                                                parameters: p, gradients: g) else { return }
        for b in 0..<batch.count {
            let d = pooledGradient + b * top.pooledWidth
            for j in x.offsets[b]..<x.offsets[b + 1] {
                let v = x.values[j], row = g + table + Int(x.columns[j]) * embedding
                for k in 0..<embedding { row[k] += v * d[k] }
            }
        }
    }

    func lastDense(_ batch: Batch, _ work: TrunkWorkspace) -> DenseStack.Top? { top.lastDense(work as! PooledTop.Workspace) }

    func activation(_ name: String, _ work: TrunkWorkspace, batch: Int) -> [Float]? {
        top.activation(name, work as! PooledTop.Workspace, batch: batch)
    }
}
