import Foundation
import MTLData

/// A bad option value, named by its flag: `--lr: expected a number > 0, got 'fast'`.
public struct UsageError: Error, CustomStringConvertible {
    public var option: String
    public var message: String

    public init(_ option: String, _ message: String) {
        self.option = option
        self.message = message
    }

    public var description: String { "\(option): \(message)" }
}

/// The user's choices for a run, as the command line or the workbench collects them.
public struct RunOptions: Sendable {
    public var data: String
    public var inputs: [String] = []
    public var tasks: [(name: String, kind: TaskKind?)] = []
    public var lossWeights: [(task: String, weight: Double)] = []
    /// Nil: 10 for a new run, the saved run's count when resuming.
    public var epochs: Int?
    public var batchSize = 64
    public var learningRate: Double = 1e-3
    public var optimizer: OptimizerKind = .adam
    public var weightDecay: Double?
    public var clipNorm: Double?
    public var seed: UInt64 = 42
    public var trunk: TrunkKind?
    /// Nil: the word vectors' width, else 64.
    public var embedding: Int?
    public var filters = 128
    public var kernel = 5
    public var hidden: [Int]?
    public var dropout: Double = 0.2
    public var maxLength: Int?
    /// A GloVe/word2vec text file that starts the text embedding (overrides the spec's `vectors`;
    /// `none` starts it at random).
    public var vectors: String?
    public var freeze: [String] = []
    /// `METRIC[:PATIENCE]`; nil trains every epoch. The default stops once the validation loss
    /// has not improved for 3 epochs and keeps the best epoch (Keras's restore_best_weights).
    public var earlyStop: String? = EarlyStop.standard.metric
    public var split: [Double]?
    public var splitColumn: String?
    public var strategy: WeightingStrategy = .fixed
    public var saveDirectory: String?
    public var resumeDirectory: String?

    public init(data: String) { self.data = data }
}

/// A run ready to start, with what the user should be told about how it was set up.
public struct PreparedRun: Sendable {
    public var setup: TrainingSetup
    public var spec: DatasetSpec
    /// Where the spec came from: a spec.toml path, a checkpoint, or nil when inferred.
    public var specSource: String?
    public var table: Table
}

public enum RunPreparation {
    /// Load, spec, split, encode and size the model; every problem is an error before training.
    public static func prepare(_ options: RunOptions) throws -> PreparedRun {
        try check(options)
        let source = try DatasetSource.load(options.data)
        let checkpoint = try options.resumeDirectory.map { try Checkpoint.read(from: $0, for: .resume) }
        if let directory = options.saveDirectory, let problem = Checkpoint.problem(saving: directory) {
            throw UsageError("--save", "\(directory) \(problem)")
        }
        var spec: DatasetSpec
        var specSource: String?
        if let checkpoint {
            spec = checkpoint.info.encoder.spec
            specSource = options.resumeDirectory
            try spec.check(against: source.table, specFile: options.data)
        } else if var fromFile = source.spec {
            specSource = source.specFile
            if !options.inputs.isEmpty || !options.tasks.isEmpty {
                let inferred = try SpecInference.infer(source.table, inputs: options.inputs, tasks: options.tasks)
                if !options.inputs.isEmpty { fromFile.inputs = inferred.inputs }
                if !options.tasks.isEmpty { fromFile.tasks = inferred.tasks }
            }
            spec = fromFile
        } else {
            spec = try SpecInference.infer(source.table, inputs: options.inputs, tasks: options.tasks)
        }
        if let maxLength = options.maxLength {
            for i in spec.inputs.indices where spec.inputs[i].kind == .text { spec.inputs[i].maxLength = maxLength }
        }
        if checkpoint == nil {
            if let split = options.split { spec.splitFractions = try SplitFractions.check(split, file: "--split") }
            if let column = options.splitColumn { spec.splitColumn = column }
        }
        for (task, weight) in options.lossWeights {
            guard let i = spec.tasks.firstIndex(where: { $0.name == task }) else {
                throw UsageError("--loss-weight", "no task named '\(task)' (tasks: \(spec.tasks.map(\.name).joined(separator: ", ")))")
            }
            spec.tasks[i].weight = weight
        }
        let seed = checkpoint?.info.training.seed ?? options.seed
        let split = try DataSplit.make(source.table, spec: spec, seed: seed)
        if split.train.isEmpty { throw DataError(file: source.table.file, "no training rows after splitting") }
        if let checkpoint, let directory = options.resumeDirectory {
            let batchSize = checkpoint.info.training.batchSize
            try checkpoint.info.checkResumable(batchesPerEpoch: max(1, (split.train.count + batchSize - 1) / batchSize),
                                               file: (directory as NSString).appendingPathComponent("model.json"))
        }
        let encoder = try checkpoint?.info.encoder ?? DataEncoder.fit(source.table, spec: spec, trainRows: split.train)
        let rows = try encoder.encode(source.table)

        let model: ModelConfig
        var training: TrainingConfig
        var vectors: WordVectors?
        if let checkpoint {
            model = checkpoint.info.model
            training = checkpoint.info.training
            if let epochs = options.epochs { training.epochs = epochs }
        } else {
            let trunk = try trunkKind(options, encoder: encoder)
            // Only the cnn trunk has an embedding for vectors to start.
            if trunk == .cnn { vectors = try loadVectors(options, spec: spec, specFile: source.specFile, encoder: encoder) }
            model = try modelConfig(options, encoder: encoder, trunk: trunk, vectors: vectors)
            training = TrainingConfig()
            training.epochs = options.epochs ?? 10
            training.batchSize = options.batchSize
            training.optimizer = OptimizerConfig(kind: options.optimizer, learningRate: Float(options.learningRate),
                                                 weightDecay: options.weightDecay.map(Float.init),
                                                 clipNorm: options.clipNorm.map(Float.init))
            training.seed = seed
            training.lossWeights = spec.tasks.map(\.weight)
            training.frozen = options.freeze
            training.strategy = options.strategy
            if let rule = options.earlyStop {
                guard let parsed = EarlyStop.parse(rule, tasks: spec.tasks.map(\.name)) else {
                    throw UsageError("--early-stop", "expected METRIC[:PATIENCE] with METRIC 'loss' or TASK.NAME (e.g. \(spec.tasks[0].name).macro_f1:3), got '\(rule)'")
                }
                training.earlyStop = parsed
            }
            let probe = Model(model, seed: seed)
            for name in options.freeze where probe.layerNames(matching: name).isEmpty {
                throw UsageError("--freeze", "no layer named '\(name)' (layers: \(probe.layers.map(\.name).joined(separator: ", ")), trunk, heads)")
            }
        }
        let inputs = ModelInputs(rows: rows, idf: model.trunk == .mlp ? encoder.text?.idf : nil, kernel: model.kernel)
        var setup = TrainingSetup(encoder: encoder, inputs: inputs, split: split, model: model, training: training,
                                  saveDirectory: options.saveDirectory, resume: checkpoint)
        setup.vectors = vectors
        return PreparedRun(setup: setup, spec: spec, specSource: specSource, table: source.table)
    }

    /// The word vectors named by `--vectors` (relative to the working directory) or by the text
    /// input's `vectors` key (relative to spec.toml), read for the fitted vocabulary.
    static func loadVectors(_ options: RunOptions, spec: DatasetSpec, specFile: String?,
                            encoder: DataEncoder) throws -> WordVectors? {
        let input = spec.inputs.first { $0.kind == .text }
        let path: String
        if options.vectors == "none" {
            return nil
        } else if let flag = options.vectors {
            guard input != nil else { throw UsageError("--vectors", "word vectors need a text input; this data has none") }
            path = flag
        } else if let named = input?.vectors {
            let base = specFile.map { ($0 as NSString).deletingLastPathComponent } ?? ""
            path = named.hasPrefix("/") || base.isEmpty ? named : (base as NSString).appendingPathComponent(named)
        } else {
            return nil
        }
        guard let vocabulary = encoder.text?.vocabulary else { return nil }
        return try WordVectors.load(path, for: vocabulary)
    }

    /// `--trunk`, else cnn when there is a text input.
    static func trunkKind(_ options: RunOptions, encoder: DataEncoder) throws -> TrunkKind {
        let hasText = encoder.text != nil
        let trunk = options.trunk ?? (hasText ? .cnn : .mlp)
        if trunk == .cnn, !hasText {
            throw UsageError("--trunk", "the cnn trunk needs a text input; this data has none (use --trunk mlp)")
        }
        return trunk
    }

    /// The architecture for this data, these options and the chosen trunk.
    static func modelConfig(_ options: RunOptions, encoder: DataEncoder, trunk: TrunkKind, vectors: WordVectors?) throws -> ModelConfig {
        let vocabulary = encoder.text?.vocabulary.count ?? 0
        let heads = encoder.tasks.map { task in
            HeadConfig(name: task.spec.name, kind: task.spec.kind,
                       outputs: task.spec.kind == .multiclass || task.spec.kind == .multilabel ? task.classes.count : 1,
                       regressionLoss: task.spec.loss)
        }
        let hidden = options.hidden ?? (trunk == .cnn ? [64] : [256, 128])
        if let vectors, let width = options.embedding, width != vectors.dimension {
            throw UsageError("--embedding", "the word vectors in \(vectors.file) have \(vectors.dimension) dimensions; the embedding width must match (got \(width)), or pass --vectors none")
        }
        let embedding = options.embedding ?? vectors?.dimension ?? 64
        return ModelConfig(trunk: trunk, vocabulary: vocabulary, embedding: embedding, filters: options.filters,
                           kernel: trunk == .cnn ? options.kernel : 1, hidden: hidden, dropout: Float(options.dropout),
                           features: encoder.featureWidth, heads: heads)
    }

    static func check(_ o: RunOptions) throws {
        if let epochs = o.epochs, epochs < 1 { throw UsageError("--epochs", "expected a whole number ≥ 1, got \(epochs)") }
        if o.batchSize < 1 { throw UsageError("--batch-size", "expected a whole number ≥ 1, got \(o.batchSize)") }
        if !(o.learningRate > 0 && o.learningRate.isFinite) { throw UsageError("--lr", "expected a number > 0, got \(o.learningRate)") }
        if !(o.dropout >= 0 && o.dropout < 1) { throw UsageError("--dropout", "expected a number in [0, 1), got \(o.dropout)") }
        if (o.embedding ?? 1) < 1 || o.filters < 1 { throw UsageError("--embedding/--filters", "expected whole numbers ≥ 1") }
        if o.kernel < 1 { throw UsageError("--kernel", "expected a whole number ≥ 1, got \(o.kernel)") }
        if let hidden = o.hidden, hidden.contains(where: { $0 < 1 }) { throw UsageError("--hidden", "expected widths ≥ 1") }
        if let clip = o.clipNorm, !(clip > 0) { throw UsageError("--clip", "expected a number > 0") }
        for (task, weight) in o.lossWeights where !(weight >= 0 && weight.isFinite) {
            throw UsageError("--loss-weight", "weight of '\(task)' must be a finite number ≥ 0")
        }
    }
}
