import MTLData

/// What turns a batch into the shared representation the heads read.
public enum TrunkKind: String, Sendable, Codable, CaseIterable {
    /// Embedding → Conv1D → ReLU → global max pool → dense layers. Needs a text input.
    case cnn
    /// Dense layers over bag-of-words TF-IDF (text) and/or the numeric, one-hot and pixel features.
    case mlp
    /// fastText-style: the mean of word and bigram embeddings (Joulin et al. 2016). Needs a text input.
    case bag
    /// Embedding → (bi)GRU → max and mean pooling over time → dense layers. Needs a text input.
    case gru

    var needsText: Bool { self != .mlp }

    /// One line for `--help` and errors.
    public static var summary: String { "cnn, mlp, bag or gru, optionally +wide (e.g. cnn+wide)" }
}

/// How the tasks share the trunk.
public enum Sharing: Sendable, Equatable, Codable, CustomStringConvertible {
    /// One trunk; every head reads its output.
    case hard
    /// Multi-gate mixture of experts (Ma et al. 2018): E trunks, and per task a softmax gate
    /// over them computed from the input; each head reads its own mix of the experts.
    case mmoe(experts: Int)

    public var experts: Int {
        if case .mmoe(let e) = self { return e }
        return 1
    }

    public var description: String {
        switch self {
        case .hard: "hard"
        case .mmoe(let e): "mmoe:\(e)"
        }
    }

    /// `hard` or `mmoe:E`, as the flag and the checkpoint write it; nil when malformed.
    public init?(parsing text: String) {
        if text == "hard" { self = .hard; return }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "mmoe", let e = Int(parts[1]) else { return nil }
        self = .mmoe(experts: e)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let sharing = Sharing(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected hard or mmoe:E, got '\(text)'"))
        }
        self = sharing
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
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

/// The architecture: everything needed to rebuild the same network. Keys added after the first
/// release decode to their defaults, so older checkpoints keep loading.
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
    /// Columns of the word 1–2-gram input read by `bag` and `wide` (0 when neither is used).
    public var ngrams: Int = 0
    /// A sparse linear path over the TF-IDF n-grams and the features whose logits add to each head's.
    public var wide: Bool = false
    public var sharing: Sharing = .hard
    /// Units of the GRU (per direction).
    public var recurrent: Int = 128
    public var bidirectional: Bool = true
    /// The wide path's learning rate as a multiple of the run's (`--wide-lr`): a sparse linear
    /// path needs far larger steps than the deep part to reach the linear model's weights in a
    /// few epochs (a rare n-gram gets an update only in the steps whose batch holds it).
    public var wideLearningRate: Float = 1
    /// Embedding dropout of the cnn trunk: the probability that a word of the batch is dropped
    /// (its vector zeroed) in a training step; 0 is off.
    public var embeddingDropout: Float = 0

    public init(trunk: TrunkKind, vocabulary: Int, embedding: Int = 64, filters: Int = 128, kernel: Int = 5,
                hidden: [Int], dropout: Float = 0, features: Int, heads: [HeadConfig],
                ngrams: Int = 0, wide: Bool = false, sharing: Sharing = .hard, recurrent: Int = 128, bidirectional: Bool = true,
                wideLearningRate: Float = 1, embeddingDropout: Float = 0) {
        self.trunk = trunk
        self.vocabulary = vocabulary
        self.embedding = embedding
        self.filters = filters
        self.kernel = kernel
        self.hidden = hidden
        self.dropout = dropout
        self.features = features
        self.heads = heads
        self.ngrams = ngrams
        self.wide = wide
        self.sharing = sharing
        self.recurrent = recurrent
        self.bidirectional = bidirectional
        self.wideLearningRate = wideLearningRate
        self.embeddingDropout = embeddingDropout
    }

    private enum CodingKeys: String, CodingKey {
        case trunk, vocabulary, embedding, filters, kernel, hidden, dropout, features, heads
        case ngrams, wide, sharing, recurrent, bidirectional, wideLearningRate, embeddingDropout
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trunk = try c.decode(TrunkKind.self, forKey: .trunk)
        vocabulary = try c.decode(Int.self, forKey: .vocabulary)
        embedding = try c.decode(Int.self, forKey: .embedding)
        filters = try c.decode(Int.self, forKey: .filters)
        kernel = try c.decode(Int.self, forKey: .kernel)
        hidden = try c.decode([Int].self, forKey: .hidden)
        dropout = try c.decode(Float.self, forKey: .dropout)
        features = try c.decode(Int.self, forKey: .features)
        heads = try c.decode([HeadConfig].self, forKey: .heads)
        ngrams = try c.decodeIfPresent(Int.self, forKey: .ngrams) ?? 0
        wide = try c.decodeIfPresent(Bool.self, forKey: .wide) ?? false
        sharing = try c.decodeIfPresent(Sharing.self, forKey: .sharing) ?? .hard
        recurrent = try c.decodeIfPresent(Int.self, forKey: .recurrent) ?? 128
        bidirectional = try c.decodeIfPresent(Bool.self, forKey: .bidirectional) ?? true
        wideLearningRate = try c.decodeIfPresent(Float.self, forKey: .wideLearningRate) ?? 1
        embeddingDropout = try c.decodeIfPresent(Float.self, forKey: .embeddingDropout) ?? 0
    }

    var usesText: Bool { vocabulary > 0 }
    /// Whether batches carry the unigram TF-IDF rows (the mlp's input, and the MMoE gates').
    var needsUnigramTFIDF: Bool { usesText && (trunk == .mlp || sharing != .hard) }
    /// Whether batches carry the n-gram rows (bag and wide).
    var needsNGrams: Bool { trunk == .bag || wide }
    /// Columns of the wide path's input: the n-grams, then the dense features.
    var wideInputs: Int { ngrams + features }
    /// Columns of a gate's input: the unigram TF-IDF (with text), then the dense features.
    var gateInputs: Int { vocabulary + features }

    /// The name users see, e.g. `cnn+wide` or `gru, mmoe:4`.
    public var summary: String {
        (wide ? "\(trunk.rawValue)+wide" : trunk.rawValue) + (sharing == .hard ? "" : ", \(sharing)")
    }
}
