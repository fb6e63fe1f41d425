import Foundation
import MTLData

public enum TrunkKind: String, Sendable, Codable, CaseIterable {
    /// Embedding → Conv1D → ReLU → global max pool → dense layers. Needs a text input.
    case cnn
    /// Dense layers over bag-of-words TF-IDF (text) and/or the numeric, one-hot and pixel features.
    case mlp
}

/// One output head: a dense layer from the trunk's last features to this task's outputs.
public struct HeadConfig: Sendable, Codable, Equatable {
    public var name: String
    public var kind: TaskKind
    public var outputs: Int
    public var regressionLoss: RegressionLoss
    /// Label smoothing ε of this head's loss (classification), in [0, 1); 0 is off.
    public var labelSmoothing: Float
    /// Per label, the factor of its BCE where the true label is positive (`TaskLoss`; PyTorch's
    /// `pos_weight` without smoothing), from a multi-label task's class weights; nil weighs 1.
    public var positiveWeights: [Float]?

    public init(name: String, kind: TaskKind, outputs: Int, regressionLoss: RegressionLoss = .mse,
                labelSmoothing: Float = 0, positiveWeights: [Float]? = nil) {
        self.name = name
        self.kind = kind
        self.outputs = outputs
        self.regressionLoss = regressionLoss
        self.labelSmoothing = labelSmoothing
        self.positiveWeights = positiveWeights
    }

    /// The loss options decode to their defaults when absent, so checkpoints saved before them load.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decode(TaskKind.self, forKey: .kind)
        outputs = try c.decode(Int.self, forKey: .outputs)
        regressionLoss = try c.decode(RegressionLoss.self, forKey: .regressionLoss)
        labelSmoothing = try c.decodeIfPresent(Float.self, forKey: .labelSmoothing) ?? 0
        positiveWeights = try c.decodeIfPresent([Float].self, forKey: .positiveWeights)
    }
}

/// The architecture: everything needed to rebuild the same network.
public struct ModelConfig: Sendable, Codable, Equatable {
    public var trunk: TrunkKind
    /// Token ids in `0..<vocabulary` (0 when the data has no text).
    public var vocabulary: Int
    public var embedding: Int
    public var filters: Int
    public var kernel: Int
    /// Widths of the trunk's dense layers (each followed by ReLU and dropout).
    public var hidden: [Int]
    public var dropout: Float
    /// Numeric, one-hot and pixel features fed next to the text.
    public var features: Int
    public var heads: [HeadConfig]

    public init(trunk: TrunkKind, vocabulary: Int, embedding: Int = 64, filters: Int = 128, kernel: Int = 5,
                hidden: [Int], dropout: Float = 0, features: Int, heads: [HeadConfig]) {
        self.trunk = trunk
        self.vocabulary = vocabulary
        self.embedding = embedding
        self.filters = filters
        self.kernel = kernel
        self.hidden = hidden
        self.dropout = dropout
        self.features = features
        self.heads = heads
    }

    /// Width of the first dense layer's input.
    var trunkInput: Int { trunk == .cnn ? filters + features : vocabulary + features }
    var usesText: Bool { vocabulary > 0 }
}

/// A shared trunk with one head per task, all parameters in one flat buffer.
///
/// ```swift
/// let model = Model(config, seed: 1)
/// let work = model.workspace(batch: 64, maxTokens: 200)
/// model.forward(batch, work, training: true, step: 0)
/// ```
public final class Model {
    public let config: ModelConfig
    public let tensors: [ParameterTensor]
    public let layers: [LayerRange]
    public let parameters: FloatBuffer
    public let gradients: FloatBuffer
    let textConv: TextConv?
    let dense: [Dense]
    /// Layer names of the trunk's dense layers: `dense`, or `dense1`, `dense2`, … when several.
    let denseNames: [String]
    let heads: [Dense]
    /// Layer names of the heads, `head.TASK`.
    let headNames: [String]
    let seed: UInt64

    public init(_ config: ModelConfig, seed: UInt64) {
        precondition(config.trunk == .mlp || config.usesText, "the cnn trunk needs a text input")
        precondition(config.trunk == .cnn || !config.hidden.isEmpty, "the mlp trunk needs at least one dense layer")
        self.config = config
        self.seed = seed
        let plan = Model.plan(config)
        textConv = plan.textConv.map {
            TextConv(vocabulary: config.vocabulary, embedding: config.embedding, kernel: config.kernel,
                     filters: config.filters, embeddingWeight: $0.embedding, convWeight: $0.convWeight, convBias: $0.convBias)
        }
        var width = config.trunkInput
        var dense: [Dense] = []
        for (units, offsets) in zip(config.hidden, plan.dense) {
            dense.append(Dense(inputs: width, outputs: units, weight: offsets.weight, bias: offsets.bias))
            width = units
        }
        self.dense = dense
        denseNames = plan.denseNames
        headNames = config.heads.map { "head.\($0.name)" }
        heads = zip(config.heads, plan.heads).map { head, offsets in
            Dense(inputs: width, outputs: head.outputs, weight: offsets.weight, bias: offsets.bias)
        }
        tensors = plan.layout.tensors
        layers = plan.layout.layers
        parameters = FloatBuffer(count: plan.layout.total)
        gradients = FloatBuffer(count: plan.layout.total)
        initialize()
    }

    /// Where each tensor of a model with `config` lives in the flat buffer, found without
    /// allocating it: the model is built from this, and a checkpoint's sidecar is checked against it.
    struct Plan {
        var layout = LayoutBuilder()
        var textConv: (embedding: Int, convWeight: Int, convBias: Int)?
        var dense: [(weight: Int, bias: Int)] = []
        var denseNames: [String] = []
        var heads: [(weight: Int, bias: Int)] = []
    }

    static func plan(_ config: ModelConfig) -> Plan {
        var plan = Plan()
        if config.trunk == .cnn {
            let e = plan.layout.add("trunk.embedding.weight", layer: "embedding", shape: [config.vocabulary, config.embedding])
            let w = plan.layout.add("trunk.conv.weight", layer: "conv", shape: [config.embedding, config.kernel, config.filters],
                                    exportOrder: [2, 0, 1])
            let b = plan.layout.add("trunk.conv.bias", layer: "conv", shape: [config.filters])
            plan.textConv = (e, w, b)
        }
        var width = config.trunkInput
        plan.denseNames = config.hidden.indices.map { config.hidden.count == 1 ? "dense" : "dense\($0 + 1)" }
        for (units, name) in zip(config.hidden, plan.denseNames) {
            let w = plan.layout.add("trunk.\(name).weight", layer: name, shape: [width, units], exportOrder: [1, 0])
            let b = plan.layout.add("trunk.\(name).bias", layer: name, shape: [units])
            plan.dense.append((w, b))
            width = units
        }
        for head in config.heads {
            let w = plan.layout.add("head.\(head.name).weight", layer: "head.\(head.name)", shape: [width, head.outputs], exportOrder: [1, 0])
            let b = plan.layout.add("head.\(head.name).bias", layer: "head.\(head.name)", shape: [head.outputs])
            plan.heads.append((w, b))
        }
        return plan
    }

    /// The tensors a model with `config` has, in buffer order.
    public static func tensors(of config: ModelConfig) -> [ParameterTensor] { plan(config).layout.tensors }

    public var parameterCount: Int { parameters.count }
    public var lastWidth: Int { config.hidden.last ?? config.trunkInput }

    static let embeddingBound: Float = 0.05

    /// Embeddings uniform(±0.05) as Keras does; ReLU layers He-uniform, heads Glorot-uniform; biases zero.
    func initialize() {
        var random = SeededRandom(seed: seed, stream: 3)
        for tensor in tensors where tensor.name.hasSuffix(".weight") {
            let bound: Float
            switch tensor.layer {
            case "embedding": bound = Model.embeddingBound
            case "conv": bound = (6 / Float(config.embedding * config.kernel)).squareRoot()
            case let name where name.hasPrefix("head."): bound = (6 / Float(tensor.shape[0] + tensor.shape[1])).squareRoot()
            default: bound = (6 / Float(tensor.shape[0])).squareRoot()
            }
            for i in 0..<tensor.count { parameters[tensor.offset + i] = (random.nextFloat() * 2 - 1) * bound }
        }
    }

    /// Starts the embedding from pretrained vectors (Kim 2014, "CNN-non-static"): a word with a
    /// vector takes it, scaled so the vectors' spread equals the random rows' (uniform ±bound has
    /// σ = bound/√3). Scaling keeps every angle and distance ratio between the vectors, and keeps
    /// Adam's steps (about the learning rate per step) at the scale they have on a random start.
    public func initializeEmbedding(from vectors: WordVectors) {
        guard let table = tensors.first(where: { $0.name == "trunk.embedding.weight" }) else {
            preconditionFailure("word vectors need the cnn trunk's embedding")
        }
        precondition(vectors.dimension == config.embedding, "the run preparation matches the embedding to the vectors")
        let width = config.embedding
        var sum = 0.0, sumOfSquares = 0.0
        for v in vectors.values { sum += Double(v); sumOfSquares += Double(v) * Double(v) }
        let n = Double(vectors.values.count)
        let sigma = (sumOfSquares / n - (sum / n) * (sum / n)).squareRoot()
        let scale = sigma > 0 ? Float(Double(Model.embeddingBound) / 3.0.squareRoot() / sigma) : 1
        for (k, id) in vectors.ids.enumerated() where Int(id) < config.vocabulary {
            for j in 0..<width { parameters[table.offset + Int(id) * width + j] = vectors.values[k * width + j] * scale }
        }
    }

    public func layer(named name: String) -> LayerRange? { layers.first { $0.name == name } }

    /// Layer names for a user's word: a layer name, `trunk` (all but heads) or `heads`.
    public func layerNames(matching word: String) -> [String] {
        switch word {
        case "trunk": return layers.map(\.name).filter { !$0.hasPrefix("head.") }
        case "heads": return layers.map(\.name).filter { $0.hasPrefix("head.") }
        default: return layer(named: word) == nil ? [] : [word]
        }
    }

    // MARK: - Forward and backward

    /// Activations and scratch for one batch size; allocate once, reuse every step.
    public final class Workspace {
        public let capacity: Int
        let conv: TextConv.Workspace?
        let trunkInput: FloatBuffer          // cnn: [B, F + D]
        let hidden: [FloatBuffer]            // [B, h_i] after ReLU and dropout
        let masks: [FloatBuffer]             // dropout masks, [B, h_i]
        let hiddenGradient: [FloatBuffer]    // [B, h_i]
        let trunkInputGradient: FloatBuffer  // cnn: [B, F + D]
        public let logits: [FloatBuffer]     // per head [B, C]
        public let probabilities: [FloatBuffer]
        public let rowLoss: [FloatBuffer]    // per head [B]
        let logitGradient: [FloatBuffer]
        /// The latest per-task losses, kept here so that computing them allocates nothing.
        var results: [TaskLoss.Result]

        init(_ model: Model, batch: Int, maxTokens: Int) {
            capacity = batch
            let c = model.config
            conv = model.textConv.map { TextConv.Workspace($0, batch: batch, maxTokens: batch * maxTokens) }
            trunkInput = FloatBuffer(count: c.trunk == .cnn ? batch * c.trunkInput : 1)
            trunkInputGradient = FloatBuffer(count: c.trunk == .cnn ? batch * c.trunkInput : 1)
            hidden = c.hidden.map { FloatBuffer(count: batch * $0) }
            masks = c.hidden.map { FloatBuffer(count: batch * $0) }
            hiddenGradient = c.hidden.map { FloatBuffer(count: batch * $0) }
            logits = c.heads.map { FloatBuffer(count: batch * $0.outputs) }
            probabilities = c.heads.map { FloatBuffer(count: batch * $0.outputs) }
            rowLoss = c.heads.map { _ in FloatBuffer(count: batch) }
            logitGradient = c.heads.map { FloatBuffer(count: batch * $0.outputs) }
            results = c.heads.map { _ in TaskLoss.Result(loss: 0, weightSum: 0) }
        }
    }

    public func workspace(batch: Int, maxTokens: Int) -> Workspace {
        Workspace(self, batch: batch, maxTokens: maxTokens)
    }

    /// Trunk and heads: fills `work.logits`. Dropout is active when `training`; its mask is
    /// drawn from (seed, step) so a resumed run repeats it exactly.
    public func forward(_ batch: Batch, _ work: Workspace, training: Bool, step: Int) {
        let n = batch.count
        let p = UnsafePointer(parameters.pointer)
        var input: UnsafePointer<Float>
        if let conv = textConv {
            let width = config.trunkInput
            conv.forward(tokens: batch.tokens.pointer, starts: batch.starts.pointer, lengths: batch.lengths.pointer,
                         batch: n, output: work.trunkInput.pointer, outputStride: width, parameters: p, workspace: work.conv!)
            for b in 0..<n {
                (work.trunkInput.pointer + b * width + config.filters)
                    .update(from: batch.features.pointer + b * config.features, count: config.features)
            }
            input = UnsafePointer(work.trunkInput.pointer)
        } else {
            input = UnsafePointer(batch.features.pointer)
        }
        var random = SeededRandom(seed: seed, stream: 2, index: UInt64(step))
        for (i, layer) in dense.enumerated() {
            let out = work.hidden[i].pointer
            if i == 0, config.trunk == .mlp, config.usesText {
                layer.forward(batch.sparse, into: out, batch: n, parameters: p)
            } else {
                layer.forward(input, into: out, batch: n, parameters: p)
            }
            ReLU.forward(out, count: n * layer.outputs)
            if training, config.dropout > 0 {
                Dropout.forward(out, mask: work.masks[i].pointer, count: n * layer.outputs, rate: config.dropout, random: &random)
            }
            input = UnsafePointer(out)
        }
        for (t, head) in heads.enumerated() {
            head.forward(input, into: work.logits[t].pointer, batch: n, parameters: p)
        }
    }

    /// Per-task losses of the last forward pass; with `taskWeights`, also the gradient of
    /// Σ_t weight_t · L_t with respect to each head's logits.
    public func losses(_ batch: Batch, _ work: Workspace, taskWeights: [Float]?) -> [TaskLoss.Result] {
        for t in heads.indices {
            let head = config.heads[t]
            work.results[t] = TaskLoss.compute(kind: head.kind, regression: head.regressionLoss, logits: work.logits[t].pointer,
                                               targets: batch.targets[t].pointer, weights: batch.weights[t].pointer,
                                               batch: batch.count, width: head.outputs,
                                               probabilities: work.probabilities[t].pointer, rowLoss: work.rowLoss[t].pointer,
                                               gradient: taskWeights == nil ? nil : work.logitGradient[t].pointer,
                                               scale: taskWeights?[t] ?? 1,
                                               labelSmoothing: head.labelSmoothing, positiveWeights: head.positiveWeights)
        }
        return work.results
    }

    /// Back-propagates the logit gradients left by `losses`, accumulating into `gradients`.
    /// Layers in `frozen` get no gradient (and cost nothing when nothing below them learns).
    public func backward(_ batch: Batch, _ work: Workspace, frozen: Set<String>) {
        backwardHeads(heads.indices, batch, work, frozen: frozen)
        backwardTrunk(batch, work, frozen: frozen)
    }

    /// Heads `tasks` back-propagate their logit gradients into the gradient at the trunk's output.
    func backwardHeads(_ tasks: Range<Int>, _ batch: Batch, _ work: Workspace, frozen: Set<String>) {
        let n = batch.count
        let p = UnsafePointer(parameters.pointer)
        let top = topGradient(work)
        top.update(repeating: 0, count: n * lastWidth)
        for t in tasks {
            heads[t].backward(topInput(batch, work), work.logitGradient[t].pointer, dx: top, accumulate: true, batch: n,
                              frozen: frozen.contains(headNames[t]), parameters: p, gradients: gradients.pointer)
        }
    }

    func topGradient(_ work: Workspace) -> UnsafeMutablePointer<Float> {
        dense.isEmpty ? work.trunkInputGradient.pointer : work.hiddenGradient[dense.count - 1].pointer
    }

    func topInput(_ batch: Batch, _ work: Workspace) -> UnsafePointer<Float> {
        if let last = work.hidden.last { return UnsafePointer(last.pointer) }
        return config.trunk == .cnn ? UnsafePointer(work.trunkInput.pointer) : UnsafePointer(batch.features.pointer)
    }

    /// The gradient at the trunk's output (left by `backwardHeads`) down through the trunk,
    /// accumulating into `g` (laid out as the parameters; the model's gradients by default).
    func backwardTrunk(_ batch: Batch, _ work: Workspace, frozen: Set<String>, into g: UnsafeMutablePointer<Float>? = nil) {
        let n = batch.count
        let p = UnsafePointer(parameters.pointer)
        let g = g ?? gradients.pointer
        let lastIndex = dense.count - 1
        let convLearns = textConv != nil && !(frozen.contains("conv") && frozen.contains("embedding"))
        for i in stride(from: lastIndex, through: 0, by: -1) {
            let layer = dense[i]
            let dy = work.hiddenGradient[i].pointer
            let count = n * layer.outputs
            if config.dropout > 0 { Dropout.backward(dy, mask: work.masks[i].pointer, count: count) }
            ReLU.backward(output: work.hidden[i].pointer, gradient: dy, count: count)
            let layerFrozen = frozen.contains(denseNames[i])
            if i == 0, config.trunk == .mlp, config.usesText {
                if !layerFrozen { layer.backward(batch.sparse, dy, batch: n, gradients: g) }
                continue
            }
            let x: UnsafePointer<Float> = i > 0 ? UnsafePointer(work.hidden[i - 1].pointer)
                : (config.trunk == .cnn ? UnsafePointer(work.trunkInput.pointer) : UnsafePointer(batch.features.pointer))
            let dx = i > 0 ? work.hiddenGradient[i - 1].pointer : work.trunkInputGradient.pointer
            layer.backward(x, dy, dx: i > 0 || convLearns ? dx : nil, batch: n, frozen: layerFrozen, parameters: p, gradients: g)
        }
        if let conv = textConv, convLearns {
            conv.backward(tokens: batch.tokens.pointer, starts: batch.starts.pointer, batch: n,
                          outputGradient: work.trunkInputGradient.pointer, gradientStride: config.trunkInput,
                          parameters: p, gradients: g, workspace: work.conv!,
                          convFrozen: frozen.contains("conv"), embeddingFrozen: frozen.contains("embedding"))
        }
    }
}
