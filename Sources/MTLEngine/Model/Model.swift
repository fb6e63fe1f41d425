import Foundation
import MTLData

/// A model built from parts, all parameters in one flat buffer:
/// inputs → trunk (or, under MMoE, E expert trunks mixed per task by a gate) → one head per
/// task, with an optional wide path whose logits add to each head's.
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
    let trunks: [Trunk]
    /// Per task under MMoE: a softmax gate over the experts, `gate.TASK`.
    let gates: [Dense]
    /// Per task with the wide path: a sparse linear layer, `wide.TASK`.
    let wide: [Dense]
    let heads: [Dense]
    /// Layer names of the heads, `head.TASK`.
    let headNames: [String]
    /// `wide.TASK` per task: looked up in the frozen set every step, so built once.
    let wideNames: [String]
    let seed: UInt64
    /// The tensors updated row by row (see `RowSparseTensor`), and the rows the batch touches.
    let rowSparse: [RowSparseTensor]
    let rowSparseByLayer: [String: RowSparseTensor]
    let touched: TouchedRows
    /// Per layer (as `layers`): whether the last optimizer step left its gradient at zero (it
    /// clears what it has just read), so the next `beginStep` need not clear it again.
    var gradientsLeftZero: [Bool]
    /// How this model's training steps run their parallel regions (`Parallel.stepStarted`).
    var workerTuner = WorkerTuner()

    public init(_ config: ModelConfig, seed: UInt64) {
        precondition(!config.trunk.needsText || config.usesText || (config.trunk == .bag && config.ngrams > 0),
                     "the \(config.trunk) trunk needs a text input")
        self.config = config
        self.seed = seed
        let plan = Model.plan(config)
        trunks = plan.trunks
        gates = plan.gates
        wide = plan.wide
        heads = plan.heads
        headNames = config.heads.map { "head.\($0.name)" }
        wideNames = config.heads.map { "wide.\($0.name)" }
        tensors = plan.layout.tensors
        layers = plan.layout.layers
        parameters = FloatBuffer(count: plan.layout.total)
        gradients = FloatBuffer(count: plan.layout.total)
        rowSparse = Model.rowSparseTensors(plan.layout.tensors, config)
        rowSparseByLayer = Dictionary(uniqueKeysWithValues: rowSparse.map { ($0.layer, $0) })
        touched = TouchedRows(columns: rowSparse.isEmpty ? 0 : max(config.wideInputs, config.ngrams))
        gradientsLeftZero = [Bool](repeating: false, count: plan.layout.layers.count)
        initialize()
    }

    /// The parts of a model with `config` and where each tensor lives in the flat buffer, found
    /// without allocating the buffer: the model is built from this, and a checkpoint's sidecar
    /// is checked against it. Order: the shared trunk(s), then per task gate, wide path, head.
    struct Plan {
        var layout = LayoutBuilder()
        var trunks: [Trunk] = []
        var gates: [Dense] = []
        var wide: [Dense] = []
        var heads: [Dense] = []
    }

    static func plan(_ config: ModelConfig) -> Plan {
        var plan = Plan()
        let experts = config.sharing.experts
        for e in 0..<experts {
            plan.trunks.append(makeTrunk(config, layout: &plan.layout, prefix: config.sharing == .hard ? "" : "expert\(e + 1)."))
        }
        let width = plan.trunks[0].width
        if config.sharing != .hard {
            for head in config.heads {
                plan.gates.append(plan.layout.dense("gate.\(head.name)", inputs: config.gateInputs, outputs: experts))
            }
        }
        if config.wide {
            for head in config.heads {
                plan.wide.append(plan.layout.dense("wide.\(head.name)", inputs: config.wideInputs, outputs: head.outputs))
            }
        }
        for head in config.heads {
            plan.heads.append(plan.layout.dense("head.\(head.name)", inputs: width, outputs: head.outputs))
        }
        return plan
    }

    /// The tensors a model with `config` has, in buffer order.
    public static func tensors(of config: ModelConfig) -> [ParameterTensor] { plan(config).layout.tensors }

    public var parameterCount: Int { parameters.count }
    /// Width of the representation the heads read.
    public var lastWidth: Int { trunks[0].width }

    static let embeddingBound: Float = 0.05

    /// Each trunk initialises its own tensors; heads and gates Glorot-uniform; the wide path
    /// starts at zero, so the model starts as its deep part; biases zero. One random stream in
    /// buffer order, so the same seed gives the same model.
    func initialize() {
        var random = SeededRandom(seed: seed, stream: 3)
        var owner: [String: Trunk] = [:]
        for trunk in trunks { for name in trunk.layerNames { owner[name] = trunk } }
        for tensor in tensors {
            if let trunk = owner[tensor.layer] {
                trunk.initialize(tensor, parameters.pointer, random: &random)
            } else if tensor.name.hasSuffix(".weight"), !tensor.layer.hasPrefix("wide.") {
                fillUniform(tensor, parameters.pointer, bound: (6 / Float(tensor.shape[0] + tensor.shape[1])).squareRoot(), random: &random)
            }
        }
    }

    /// Starts the embedding from pretrained vectors (Kim 2014, "CNN-non-static"): a word with a
    /// vector takes it, scaled so the vectors' spread equals the random rows' (uniform ±bound has
    /// σ = bound/√3). Scaling keeps every angle and distance ratio between the vectors, and keeps
    /// Adam's steps (about the learning rate per step) at the scale they have on a random start.
    public func initializeEmbedding(from vectors: WordVectors) {
        let tables = tensors.filter { $0.name.hasSuffix("embedding.weight") && $0.shape[0] == config.vocabulary }
        precondition(!tables.isEmpty, "word vectors need a trunk with a word embedding")
        precondition(vectors.dimension == config.embedding, "the run preparation matches the embedding to the vectors")
        let width = config.embedding
        var sum = 0.0, sumOfSquares = 0.0
        for v in vectors.values { sum += Double(v); sumOfSquares += Double(v) * Double(v) }
        let n = Double(vectors.values.count)
        let sigma = (sumOfSquares / n - (sum / n) * (sum / n)).squareRoot()
        let scale = sigma > 0 ? Float(Double(Model.embeddingBound) / 3.0.squareRoot() / sigma) : 1
        for table in tables {
            for (k, id) in vectors.ids.enumerated() where Int(id) < config.vocabulary {
                for j in 0..<width { parameters[table.offset + Int(id) * width + j] = vectors.values[k * width + j] * scale }
            }
        }
    }

    public func layer(named name: String) -> LayerRange? { layers.first { $0.name == name } }

    /// Whether a layer belongs to one task (head, gate or wide path) rather than to all.
    public static func isTaskLayer(_ name: String) -> Bool {
        name.hasPrefix("head.") || name.hasPrefix("gate.") || name.hasPrefix("wide.")
    }

    /// Layer names for a user's word: a layer name; `trunk` (all shared layers); `heads`,
    /// `gates` or `wide` (those of every task); `expertK` (one expert's layers); or a trunk
    /// layer's name without its expert (`conv`: every expert's conv).
    public func layerNames(matching word: String) -> [String] {
        let names = layers.map(\.name)
        switch word {
        case "trunk": return names.filter { !Model.isTaskLayer($0) }
        case "heads": return names.filter { $0.hasPrefix("head.") }
        case "gates": return names.filter { $0.hasPrefix("gate.") }
        case "wide": return names.filter { $0.hasPrefix("wide.") }
        default:
            if layer(named: word) != nil { return [word] }
            let experts = names.filter { $0.hasPrefix("expert") }
            if word.hasPrefix("expert") { return experts.filter { $0.hasPrefix(word + ".") } }
            return experts.filter { $0.hasSuffix("." + word) }
        }
    }

    /// Why `word` names no layer, listing the names that do: `--freeze` and the `freeze` command say this.
    public func noLayerMessage(_ word: String) -> String {
        "no layer named '\(word)' (layers: \(layers.map(\.name).joined(separator: ", ")); groups: \(groupWords.joined(separator: ", ")))"
    }

    /// The words `layerNames(matching:)` reads as several layers of this model.
    var groupWords: [String] {
        let names = layers.map(\.name)
        var words = ["trunk", "heads"]
        if names.contains(where: { $0.hasPrefix("gate.") }) { words.append("gates") }
        if names.contains(where: { $0.hasPrefix("wide.") }) { words.append("wide") }
        // `expertK` words first, then the trunk layers every expert has (`conv`), each once.
        let experts = names.filter { $0.hasPrefix("expert") }.map { $0.split(separator: ".", maxSplits: 1).map(String.init) }
        for word in experts.map(\.[0]) + experts.compactMap({ $0.count == 2 ? $0[1] : nil }) where !words.contains(word) {
            words.append(word)
        }
        return words
    }

    /// The layers `words` name together (each read as `layerNames(matching:)`), sorted, and the
    /// words that name none: `train --freeze` and `bench --freeze` read a user's list this way.
    public func layerNames(matchingAll words: [String]) -> (names: [String], unknown: [String]) {
        (Array(Set(words.flatMap(layerNames(matching:)))).sorted(), words.filter { layerNames(matching: $0).isEmpty })
    }

    /// The factor of the run's learning rate for a layer: `wideLearningRate` on the wide path, else 1.
    public func learningRateFactor(_ layer: String) -> Float {
        layer.hasPrefix("wide.") ? config.wideLearningRate : 1
    }

    /// The layers of task `t`: its gate, wide path and head.
    func taskLayers(_ t: Int) -> [LayerRange] {
        let name = config.heads[t].name
        return ["gate.", "wide.", "head."].compactMap { layer(named: $0 + name) }
    }

    /// The cnn trunk's fused conv (with hard sharing), for tests of the layer alone.
    var textConv: TextConv? { (trunks[0] as? CNNTrunk)?.conv }

    /// An intermediate activation of the last forward pass (`pooled`, a dense layer's name), for parity tests.
    func activation(_ name: String, _ work: Workspace, batch: Int) -> [Float]? {
        trunks[0].activation(name, work.trunks[0], batch: batch)
    }
}

extension LayoutBuilder {
    /// A dense layer `[inputs, outputs]` (PyTorch's `nn.Linear`: weight `[out, in]`) named `name`.
    mutating func dense(_ name: String, inputs: Int, outputs: Int) -> Dense {
        let w = add("\(name).weight", layer: name, shape: [inputs, outputs], exportOrder: [1, 0])
        let b = add("\(name).bias", layer: name, shape: [outputs])
        return Dense(inputs: inputs, outputs: outputs, weight: w, bias: b)
    }
}
