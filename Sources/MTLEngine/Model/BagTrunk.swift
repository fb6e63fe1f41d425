import MTLData

/// fastText-style (Joulin et al. 2016): the mean of the row's word and bigram embeddings, the
/// dense features appended, then the dense stack (none by default: straight into the heads).
/// Cheap: one embedding row per distinct n-gram of the row, forward and backward.
///
/// Shapes: n-gram rows (CSR, weight 1/count of the row's n-grams), embedding `[N, emb]`
/// (`trunk.embedding.weight`, as `nn.EmbeddingBag(mode="sum")` with per-sample weights),
/// output `[B, emb + D]` before the stack.
final class BagTrunk: Trunk {
    let ngrams: Int
    let embedding: Int
    let features: Int
    let table: Int
    let embeddingName: String
    let stack: DenseStack

    init(_ config: ModelConfig, layout: inout LayoutBuilder, prefix: String) {
        ngrams = config.ngrams
        embedding = config.embedding
        features = config.features
        embeddingName = prefix + "embedding"
        table = layout.add("trunk.\(embeddingName).weight", layer: embeddingName, shape: [config.ngrams, config.embedding])
        stack = DenseStack(inputs: config.embedding + config.features, widths: config.hidden, dropout: config.dropout,
                           layout: &layout, prefix: prefix)
    }

    var width: Int { stack.width }
    var layerNames: [String] { [embeddingName] + stack.names }
    var pooledWidth: Int { embedding + features }

    final class Workspace: TrunkWorkspace {
        let stack: DenseStack.Workspace
        let pooled: FloatBuffer             // [B, emb + D]
        let pooledGradient: FloatBuffer     // [B, emb + D]

        init(_ trunk: BagTrunk, batch: Int) {
            stack = DenseStack.Workspace(trunk.stack, batch: batch)
            pooled = FloatBuffer(count: batch * trunk.pooledWidth)
            pooledGradient = FloatBuffer(count: trunk.stack.layers.isEmpty ? 1 : batch * trunk.pooledWidth)
            super.init(batch: batch, width: trunk.width)
        }
    }

    func workspace(batch: Int, maxTokens: Int) -> TrunkWorkspace { Workspace(self, batch: batch) }

    func initialize(_ tensor: ParameterTensor, _ parameters: UnsafeMutablePointer<Float>, random: inout SeededRandom) {
        if tensor.layer == embeddingName {
            fillUniform(tensor, parameters, bound: Model.embeddingBound, random: &random)
        } else {
            stack.initialize(tensor, parameters, random: &random)
        }
    }

    func forward(_ batch: Batch, _ work: TrunkWorkspace, parameters p: UnsafePointer<Float>, training: Bool,
                 random: inout SeededRandom) -> UnsafePointer<Float> {
        let w = work as! Workspace, n = batch.count, stride = pooledWidth, x = batch.bag
        for b in 0..<n {
            let out = w.pooled.pointer + b * stride
            out.update(repeating: 0, count: embedding)
            for j in x.offsets[b]..<x.offsets[b + 1] {
                let v = x.values[j], row = p + table + Int(x.columns[j]) * embedding
                for k in 0..<embedding { out[k] += v * row[k] }
            }
            (out + embedding).update(from: batch.features.pointer + b * features, count: features)
        }
        return stack.forward(.dense(UnsafePointer(w.pooled.pointer)), batch: n, w.stack, parameters: p, training: training, random: &random)
    }

    func backward(_ batch: Batch, _ work: TrunkWorkspace, outputGradient: UnsafeMutablePointer<Float>, frozen: Set<String>,
                  parameters p: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>) {
        let w = work as! Workspace, n = batch.count, x = batch.bag
        let tableLearns = !frozen.contains(embeddingName)
        let pooledGradient = stack.layers.isEmpty ? outputGradient : w.pooledGradient.pointer
        stack.backward(.dense(UnsafePointer(w.pooled.pointer)), batch: n, w.stack, top: outputGradient,
                       inputGradient: tableLearns ? pooledGradient : nil, frozen: frozen, parameters: p, gradients: g)
        guard tableLearns else { return }
        for b in 0..<n {
            let d = pooledGradient + b * pooledWidth
            for j in x.offsets[b]..<x.offsets[b + 1] {
                let v = x.values[j], row = g + table + Int(x.columns[j]) * embedding
                for k in 0..<embedding { row[k] += v * d[k] }
            }
        }
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
