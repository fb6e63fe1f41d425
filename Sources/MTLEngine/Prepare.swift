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
    /// The wide path beside the trunk; nil takes the default for the data.
    public var wide: Bool?
    public var sharing: Sharing = .hard
    /// `--wide-lr`: the wide path's learning rate ÷ the run's; nil takes `defaultWideLearningRate`.
    public var wideLearningRate: Double?
    /// `--embedding-dropout`: the cnn trunk's word dropout; nil is 0.
    public var embeddingDropout: Double?
    /// Measured on the public datasets (scripts/datasets/README.md).
    public static let defaultWideLearningRate = 30.0
    /// `--char-ngrams`: nil takes the spec's `char_ngrams`, then `NGramSettings.defaultCharacters` (short texts).
    public var charNGrams: Bool?
    /// `--wide-fit`: nil takes `defaultWideFit` for a model with the wide path.
    public var wideFit: WideFitMode?
    public static let defaultWideFit = WideFitMode.linear
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
    /// `METRIC[:PATIENCE]`; nil trains every epoch. The default (`auto`) stops once the mean
    /// validation macro-F1 (the validation loss when a task regresses) has not improved for 3
    /// epochs and keeps the best epoch (Keras's restore_best_weights).
    public var earlyStop: String? = EarlyStop.automatic
    public var split: [Double]?
    public var splitColumn: String?
    /// `--strategy`: nil takes the spec's `strategy`, else fixed.
    public var strategy: (WeightingStrategy, [String: Double])?
    public var conflictEvery = 10
    /// Train single-task baselines beside the run.
    public var baselines = false
    public var saveDirectory: String?
    public var resumeDirectory: String?
    /// `--label-smoothing`: a global ε (task nil) and per-task ones; a task's own wins, then
    /// the global flag, then the spec's `label_smoothing`.
    public var labelSmoothing: [(task: String?, value: Double)] = []
    /// `--loss [TASK=]focal[:GAMMA[:ALPHA]]|ce` and `--ohem [TASK=]FRACTION`, as typed (nil: every task).
    public var losses: [(task: String?, text: String)] = []
    public var ohem: [(task: String?, fraction: Double)] = []
    /// `--corrections FILE` and `--skip-bad-corrections`.
    public var corrections: String?
    public var skipBadCorrections = false
    /// `--from`: a saved model to start a new run from (see FineTune.swift).
    public var fromDirectory: String?
    /// `--extend-vocab`: with `--from`, give DATA's new words embedding rows.
    public var extendVocabulary = false
    /// `--schedule`: nil is constant.
    public var schedule: LearningRateSchedule?
    /// `--pseudo-label`: nil is off.
    public var pseudoLabel: PseudoLabel?
    /// `--unlabeled FILE`: rows for the pseudo-label pool (UnlabeledRows.swift).
    public var unlabeled: String?
    /// The workbench takes `--unlabeled` without `--pseudo-label`: a key turns it on later.
    public var unlabeledWithoutRule = false

    public init(data: String) { self.data = data }
}

/// A run ready to start, with what the user should be told about how it was set up.
public struct PreparedRun: Sendable {
    public var setup: TrainingSetup
    public var spec: DatasetSpec
    /// Where the spec came from: a spec.toml path, a checkpoint, or nil when inferred.
    public var specSource: String?
    public var table: Table
    /// What the user should know about how the options were applied (a capped batch size, no
    /// validation rows), one line each.
    public var notes: [String] = []
    /// What `--corrections` changed, for the `start` event.
    public var corrections: CorrectionPlan.Summary?
    /// Rows `--unlabeled` added to training (after the data's rows in `table`); the checkpoint
    /// of a resumed run holds the same count.
    public var unlabeled: Int { setup.training.unlabeledRows ?? 0 }
    /// The data's own rows: `table`'s first rows, before the unlabeled ones.
    public var dataRows: Int { table.rowCount - unlabeled }
    /// The rows cross-validation folds: the data's training and validation rows (each fold's
    /// preparation adds the `--unlabeled` rows to its training rows), in order.
    public var foldPool: [Int] { (setup.split.train + setup.split.validation).filter { $0 < dataRows }.sorted() }
}

public enum RunPreparation {
    /// More epochs than anyone trains, small enough that step and time arithmetic cannot overflow.
    public static let maxEpochs = 1_000_000

    /// Load, spec, split, encode and size the model; every problem is an error before training.
    /// `split` replaces the seeded split (a cross-validation fold) and `source` the loading of
    /// `options.data` (the same data again); the encoders are fitted on the split's train rows.
    public static func prepare(_ options: RunOptions, split given: DataSplit? = nil,
                               source loaded: DatasetSource? = nil) throws -> PreparedRun {
        try check(options)
        if let save = options.saveDirectory { try checkSaveDirectory(save) }
        var notes: [String] = []
        var source = try loaded ?? DatasetSource.load(options.data)
        if let column = options.splitColumn {
            if source.table.columnIndex(column) == nil {
                let numbers = column.split(separator: ",", omittingEmptySubsequences: false)
                    .filter { Double($0.trimmingCharacters(in: .whitespaces)) != nil }.count
                throw UsageError("--split", numbers > 0
                    ? "expected three fractions like 0.8,0.1,0.1 (or a column name), got \(numbers) in '\(column)'"
                    : "no column named '\(column)' (columns: \(source.table.header.joined(separator: ", ")))")
            }
            if options.inputs.contains(column) || options.tasks.contains(where: { $0.0 == column }) {
                throw UsageError("--split", "'\(column)' is the split column, so it cannot be an input or a task too")
            }
        }
        let checkpoint = try options.resumeDirectory.map { try Checkpoint.read(from: $0, for: .resume) }
        if let checkpoint { try checkEpochsPastCheckpoint(options, checkpoint) }
        let from = try options.fromDirectory.map { try readFrom($0, options: options) }
        if options.extendVocabulary, from == nil { throw UsageError("--extend-vocab", "grows the vocabulary of the model --from DIR starts from; pass --from too") }
        var spec: DatasetSpec
        var specSource: String?
        if let checkpoint {
            spec = checkpoint.info.encoder.spec
            specSource = options.resumeDirectory
            // The saved spec's lines belong to a spec.toml elsewhere: name the data and the run instead.
            if let missing = spec.missingColumns(in: source.table).first {
                throw DataError(file: source.table.file, key: "column '\(missing)'",
                                "missing, and the run saved in \(options.resumeDirectory ?? "") reads it: resume on the data it trained on (columns here: \(source.table.header.joined(separator: ", ")))")
            }
        } else if var fromFile = source.spec {
            specSource = source.specFile
            if !options.inputs.isEmpty || !options.tasks.isEmpty {
                let inferred = try SpecInference.infer(source.table, inputs: options.inputs, tasks: options.tasks,
                                                   splitColumn: options.splitColumn)
                if !options.inputs.isEmpty { fromFile.inputs = inferred.inputs }
                if !options.tasks.isEmpty { fromFile.tasks = inferred.tasks }
            }
            spec = fromFile
        } else {
            spec = try SpecInference.infer(source.table, inputs: options.inputs, tasks: options.tasks,
                                                   splitColumn: options.splitColumn)
        }
        if let from, let directory = options.fromDirectory {
            spec = try fromSpec(spec, checkpoint: from, directory: directory, table: source.table)
        }
        if let maxLength = options.maxLength, from == nil {
            for i in spec.inputs.indices where spec.inputs[i].kind == .text { spec.inputs[i].maxLength = maxLength }
        }
        if checkpoint == nil {
            if let split = options.split {
                do { spec.splitFractions = try SplitFractions.check(split, file: "--split") } catch {
                    throw UsageError("--split", error.message)
                }
                spec.splitColumn = nil   // the flag's fractions, not a split column the spec or inference found
            }
            if let column = options.splitColumn { spec.splitColumn = column }
        }
        for (task, weight) in options.lossWeights {
            guard let i = spec.tasks.firstIndex(where: { $0.name == task }) else {
                throw UsageError("--loss-weight", "no task named '\(task)' (tasks: \(spec.tasks.map(\.name).joined(separator: ", ")))")
            }
            spec.tasks[i].weight = weight
        }
        if checkpoint == nil { try checkInputsAreNotTasks(spec, options, specFile: specSource ?? source.table.file) }
        if checkpoint == nil, specSource == nil, let note = blankColumnsNote(source.table, spec) { notes.append(note) }
        if checkpoint == nil, let note = DataEncoder.emptyLabelsNote(source.table, spec) { notes.append(note) }
        if let checkpoint { notes += resumeNotes(options, checkpoint) }
        let seed = checkpoint?.info.training.seed ?? options.seed
        let unlabeled = try readUnlabeled(options, spec: spec, saved: checkpoint?.info.training)
        let plan = try options.corrections.map { file throws in
            try CorrectionPlan.apply(try Corrections.read(file), to: &source.table, spec: spec,
                                     skipBad: options.skipBadCorrections)
        }
        notes += plan?.warnings ?? []
        var split: DataSplit
        if let given { split = given } else {
            let planned = try DataSplit.planned(source.table, spec: spec, seed: seed)
            split = planned.split
            if checkpoint == nil, let note = planned.note { notes.append(note) }
        }
        if let plan { split.train = plan.filter(split.train) }
        if split.train.isEmpty { throw DataError(file: source.table.file, "no training rows after splitting") }
        if let checkpoint, let directory = options.resumeDirectory {
            let batchSize = checkpoint.info.training.batchSize, train = split.train.count + (unlabeled?.rowCount ?? 0)
            try checkpoint.info.checkResumable(batchesPerEpoch: max(1, (train + batchSize - 1) / batchSize),
                                               file: (directory as NSString).appendingPathComponent("model.json"))
            try checkSameRows(checkpoint, table: source.table, spec: spec, split: split, directory: directory)
        }
        if split.validation.isEmpty {
            notes.append("warning: there is no validation set (0 validation rows); validation metrics are not shown")
        }
        let hasText = spec.inputs.contains { $0.kind == .text }
        let fineTune = try from.map { try self.fineTune($0, directory: options.fromDirectory!, options: options, spec: spec,
                                                         table: source.table, trainRows: split.train) }
        notes += fineTune?.notes ?? []
        let architecture = try fineTune.map { (trunk: $0.model.trunk, wide: $0.model.wide) } ?? self.architecture(options, hasText: hasText)
        if checkpoint == nil { try checkOptionsApply(options, trunk: architecture.trunk, wide: architecture.wide, hasText: hasText) }
        let wantsNGrams = architecture.trunk == .bag || architecture.wide
        let encoder = try checkpoint?.info.encoder ?? fineTune?.encoder ?? DataEncoder.fit(source.table, spec: spec, trainRows: split.train,
                                                                       ngrams: wantsNGrams && hasText ? NGramSettings(characters: options.charNGrams) : nil)
        if checkpoint == nil { notes += oneClassInTraining(source.table, spec: spec, trainRows: split.train) }
        if checkpoint == nil, fineTune == nil,
           let note = try checkNGrams(encoder, trunk: architecture.trunk, wide: architecture.wide, file: source.table.file) { notes.append(note) }
        var rows = try encoder.encode(source.table)
        plan?.applyWeights(&rows.targets, train: split.train)
        // The encoders are fitted on the labelled rows only; the unlabeled ones join training after.
        if let unlabeled {
            rows.append(try encoder.encode(unlabeled, requireLabels: false))
            split.train += source.table.rowCount..<(source.table.rowCount + unlabeled.rowCount)
            UnlabeledRows.append(unlabeled, to: &source.table)
        }

        let model: ModelConfig
        var training: TrainingConfig
        var vectors: WordVectors?
        if let checkpoint {
            model = checkpoint.info.model
            training = checkpoint.info.training
            if let epochs = options.epochs { training.epochs = epochs }
        } else {
            // The cnn and gru trunks have a word embedding for vectors to start.
            if fineTune == nil, architecture.trunk == .cnn || architecture.trunk == .gru { vectors = try loadVectors(options, spec: spec, specFile: source.specFile, encoder: encoder) }
            model = try fineTune?.model ?? modelConfig(options, encoder: encoder, trunk: architecture.trunk, wide: architecture.wide, vectors: vectors)
            training = TrainingConfig()
            training.epochs = options.epochs ?? 10
            training.batchSize = min(options.batchSize, split.train.count)
            // Said for a size the user chose; the default on a small sample is not worth a line.
            if options.batchSize > split.train.count, options.batchSize != RunOptions(data: options.data).batchSize {
                notes.append("note: --batch-size \(options.batchSize) is more than the \(split.train.count) training rows; using \(split.train.count)")
            }
            training.optimizer = OptimizerConfig(kind: options.optimizer, learningRate: Float(options.learningRate),
                                                 weightDecay: options.weightDecay.map(Float.init),
                                                 clipNorm: options.clipNorm.map(Float.init))
            training.seed = seed
            training.lossWeights = spec.tasks.map(\.weight)
            training.frozen = options.freeze
            (training.strategy, training.strategyOptions) = try strategy(options, spec: spec, specFile: source.specFile)
            training.conflictEvery = options.conflictEvery
            training.lossShapes = try lossShapes(options, tasks: spec.tasks)
            training.schedule = options.schedule ?? .constant
            training.pseudoLabel = options.pseudoLabel
            training.unlabeledRows = unlabeled?.rowCount
            training.wideFit = try wideFit(options, model: model, fineTuning: fineTune != nil)
            // The fitted wide path stays as fitted unless --wide-lr asks it to keep learning:
            // Adam moves it off the regularised optimum towards memorising rare n-grams.
            if training.wideFit == .linear, options.wideLearningRate == nil { training.frozen.append("wide") }
            if let rule = options.earlyStop {
                do { training.earlyStop = try EarlyStop.parse(rule, tasks: spec.tasks.map { ($0.name, $0.kind) }) } catch {
                    throw UsageError("--early-stop", error.description)
                }
            }
            try checkMemory(model, batch: training.batchSize, rows: rows, wideFit: training.wideFit == .linear)
            let probe = Model(model, seed: seed)
            for name in options.freeze where probe.layerNames(matching: name).isEmpty {
                throw UsageError("--freeze", probe.noLayerMessage(name))
            }
        }
        let inputs = ModelInputs(rows: rows, encoder: encoder, model: model)
        var setup = TrainingSetup(encoder: encoder, inputs: inputs, split: split, model: model, training: training,
                                  saveDirectory: options.saveDirectory, resume: checkpoint)
        setup.vectors = vectors
        setup.warmStart = fineTune?.warmStart
        // The unlabeled rows count as training rows: eval reports rows with their inputs as seen.
        if options.saveDirectory != nil { setup.splitDigest = SplitDigest(source.table, spec: spec, split: split) }
        return PreparedRun(setup: setup, spec: spec, specSource: specSource, table: source.table, notes: notes, corrections: plan?.summary)
    }

    /// `--strategy`, else the spec's `strategy = "NAME[:k=v,...]"`, else fixed; a strategy that
    /// weighs tasks against each other needs two of them.
    static func strategy(_ options: RunOptions, spec: DatasetSpec, specFile: String?) throws -> (WeightingStrategy, [String: Double]) {
        var chosen = options.strategy ?? (.fixed, [:])
        if options.strategy == nil, let text = spec.strategy {
            switch WeightingStrategy.parse(text) {
            case .success(let value): chosen = value
            case .failure(let error): throw DataError(file: specFile ?? "spec.toml", key: "strategy", error.description)
            }
        }
        if chosen.0 != .fixed, spec.tasks.count < 2 {
            throw UsageError("--strategy", "\(chosen.0.rawValue) weighs tasks against each other; this run has one task (\(spec.tasks.map(\.name).joined()))")
        }
        if options.baselines, spec.tasks.count < 2 {
            throw UsageError("--baselines", "single-task baselines compare a multi-task model with one model per task; this run has one task")
        }
        return chosen
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

    /// `--trunk`, else cnn+wide when there is a text input (it beats the linear baseline it
    /// contains: scripts/datasets/README.md), else mlp; a named trunk has the wide path only when asked.
    static func architecture(_ options: RunOptions, hasText: Bool) throws -> (trunk: TrunkKind, wide: Bool) {
        let trunk = options.trunk ?? (hasText ? .cnn : .mlp)
        let wide = options.wide ?? (options.trunk == nil && hasText)
        if trunk.needsText, !hasText {
            throw UsageError("--trunk", "the \(trunk) trunk needs a text input; this data has none (use --trunk mlp or mlp+wide)")
        }
        if case .mmoe(let experts) = options.sharing, !(2...64).contains(experts) {
            throw UsageError("--sharing", "mmoe needs 2 to 64 experts, got \(experts)")
        }
        return (trunk, wide)
    }

    /// `--wide-fit`, else `defaultWideFit` when the model has the wide path and starts fresh
    /// (`--from` starts from trained heads and wide weights, which a fit would replace).
    static func wideFit(_ options: RunOptions, model: ModelConfig, fineTuning: Bool) throws -> WideFitMode {
        guard let asked = options.wideFit else { return model.wide && !fineTuning ? RunOptions.defaultWideFit : .off }
        if asked == .linear, !model.wide {
            throw UsageError("--wide-fit", "linear fits the wide path, and the \(model.summary) model has none (use --trunk \(model.trunk.rawValue)+wide)")
        }
        if asked == .linear, fineTuning {
            throw UsageError("--wide-fit", "linear would replace the wide path and zero the heads the model of --from trained; drop one of the two")
        }
        return asked
    }

    /// The trunk's dense layers when `--hidden` is not given; the bag goes straight into the heads.
    static func defaultHidden(_ trunk: TrunkKind) -> [Int] {
        switch trunk {
        case .cnn, .gru: [64]
        case .mlp: [256, 128]
        case .bag: []
        }
    }

    /// Parses `--trunk`: `cnn`, `mlp`, `bag`, each optionally `+wide`.
    public static func parseArchitecture(_ text: String) throws -> (trunk: TrunkKind, wide: Bool) {
        let parts = text.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), let trunk = TrunkKind(rawValue: parts[0]), parts.count == 1 || parts[1] == "wide" else {
            throw UsageError("--trunk", "expected \(TrunkKind.summary), got '\(text)'")
        }
        return (trunk, parts.count == 2)
    }

    /// The architecture for this data, these options and the chosen trunk.
    static func modelConfig(_ options: RunOptions, encoder: DataEncoder, trunk: TrunkKind, wide: Bool,
                            vectors: WordVectors?) throws -> ModelConfig {
        let vocabulary = encoder.text?.vocabulary.count ?? 0
        let heads = try encoder.tasks.map { task in
            HeadConfig(name: task.spec.name, kind: task.spec.kind,
                       outputs: task.spec.kind == .multiclass || task.spec.kind == .multilabel ? task.classes.count : 1,
                       regressionLoss: task.spec.loss,
                       labelSmoothing: try labelSmoothing(options, task: task.spec, tasks: encoder.spec.tasks),
                       // Only multi-label class weights weigh positives; all 1 keeps the plain loss.
                       positiveWeights: task.spec.kind == .multilabel && task.classWeights.contains { $0 != 1 } ? task.classWeights : nil)
        }
        let hidden = options.hidden ?? defaultHidden(trunk)
        if let vectors, let width = options.embedding, width != vectors.dimension {
            throw UsageError("--embedding", "the word vectors in \(vectors.file) have \(vectors.dimension) dimensions; the embedding width must match (got \(width)), or pass --vectors none")
        }
        let embedding = options.embedding ?? vectors?.dimension ?? 64
        return ModelConfig(trunk: trunk, vocabulary: vocabulary, embedding: embedding, filters: options.filters,
                           kernel: trunk == .cnn ? options.kernel : 1, hidden: hidden, dropout: Float(options.dropout),
                           features: encoder.featureWidth, heads: heads, ngrams: encoder.text?.ngrams?.count ?? 0,
                           wide: wide, sharing: options.sharing,
                           wideLearningRate: Float(options.wideLearningRate ?? RunOptions.defaultWideLearningRate),
                           embeddingDropout: Float(options.embeddingDropout ?? 0))
    }

    /// The label smoothing of `task`: its own `--label-smoothing TASK=X`, else the global
    /// `--label-smoothing X` (classification tasks only), else the spec's, else 0.
    static func labelSmoothing(_ options: RunOptions, task: TaskSpec, tasks: [TaskSpec]) throws -> Float {
        for (name, _) in options.labelSmoothing {
            guard let name else { continue }
            guard let named = tasks.first(where: { $0.name == name }) else {
                throw UsageError("--label-smoothing", "no task named '\(name)' (tasks: \(tasks.map(\.name).joined(separator: ", ")))")
            }
            if named.kind == .regression {
                throw UsageError("--label-smoothing", "'\(name)' is a regression task; label smoothing applies to classification tasks")
            }
        }
        if let own = options.labelSmoothing.last(where: { $0.task == task.name }) { return Float(own.value) }
        if task.kind != .regression, let global = options.labelSmoothing.last(where: { $0.task == nil }) { return Float(global.value) }
        return Float(task.labelSmoothing ?? 0)
    }
}
