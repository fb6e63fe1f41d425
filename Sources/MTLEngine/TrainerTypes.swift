import MTLData

/// Everything that shapes a training run besides the data.
public struct TrainingConfig: Sendable, Codable, Equatable {
    public var epochs: Int = 10
    public var batchSize: Int = 64
    public var optimizer = OptimizerConfig(kind: .adam, learningRate: 1e-3)
    public var seed: UInt64 = 42
    /// Loss weight per task, in task order.
    /// Weights multiplying each task's loss: the user's times the strategy's.
    public var lossWeights: [Double] = []
    /// The user's own weights (what `setLossWeight` sets).
    public var userWeights: [Double] = []
    public var strategy: WeightingStrategy = .fixed
    /// The strategy's options (`gradnorm:alpha=1.2` → ["alpha": 1.2]); the rest take defaults.
    public var strategyOptions: [String: Double] = [:]
    /// Tasks whose weight the user typed: the strategy leaves them at the user's weight.
    public var pinned: [String] = []
    public var frozen: [String] = []
    public var earlyStop: EarlyStop?
    /// Emit a step event every this many steps (0: never).
    public var logEvery = 10
    /// Measure the task gradients' agreement on the shared layers every this many steps (0: never).
    public var conflictEvery = 10
    /// Per task name: focal loss and OHEM (absent: the plain loss over every row).
    public var lossShapes: [String: LossShape] = [:]
    /// How the learning rate moves over the run (`--schedule`).
    public var schedule: LearningRateSchedule = .constant
    /// `--pseudo-label`: unlabelled training rows learn from confident predictions (nil: off).
    public var pseudoLabel: PseudoLabel?
    /// Rows `--unlabeled` added to training (nil: none): a resume must add as many again.
    public var unlabeledRows: Int?
    /// `--wide-fit`: how the wide path starts (nil, as in older checkpoints: off).
    public var wideFit: WideFitMode?

    public init() {}
}

/// How the per-task losses combine into the one that is minimised: the strategy's name (saved
/// in checkpoints); `make` builds its `LossWeighting`, which holds the logic and the state.
public enum WeightingStrategy: String, Sendable, Codable, CaseIterable {
    /// Σ w_t · L_t with the user's weights.
    case fixed
    /// Dynamic Weight Average (Liu et al. 2019).
    case dwa
    /// Random Loss Weighting (Lin et al. 2022).
    case rlw
    /// Uncertainty weighting (Kendall et al. 2018).
    case uw
    /// GradNorm (Chen et al. 2018).
    case gradnorm
    /// Projecting conflicting gradients (Yu et al. 2020).
    case pcgrad
    /// Fast adaptive multitask optimization (Liu et al. 2023).
    case famo
}

/// Stop when a validation metric has not improved for `patience` epochs, then restore the
/// parameters of the best epoch. `metric` is `loss` (the weighted total), `macro_f1` (the mean
/// of the classification tasks' macro-F1) or `TASK.NAME`.
public struct EarlyStop: Sendable, Codable, Equatable {
    public var metric: String
    public var patience: Int

    public init(metric: String, patience: Int) {
        self.metric = metric
        self.patience = patience
    }

    /// The default: the weighted validation loss, patience 3 (as most Keras set-ups use).
    public static let standard = EarlyStop(metric: "loss", patience: 3)

    /// The mean validation macro-F1 of the classification tasks. The validation loss is lowest
    /// epochs before the rare classes are learnt (and before a fast wide path has settled), so
    /// runs that only classify stop on this by default (`auto`; scripts/datasets/README.md).
    public static let meanMacroF1 = "macro_f1"
    /// `auto`: `macro_f1` when every task classifies, else `loss`.
    public static let automatic = "auto"

    /// Parses `METRIC[:PATIENCE]`, e.g. `loss`, `auto`, `domain.macro_f1:5`, for tasks of these kinds.
    /// A metric must be one its task reports (`mae` is a regression metric, not a binary one).
    /// Task names may hold `.` and `:` (`score.v2.mae`, `a:b.mae:5`): metric names never do.
    /// Throws a one-line explanation of what is wrong and what would do.
    public static func parse(_ text: String, tasks: [(name: String, kind: TaskKind)]) throws(Invalid) -> EarlyStop {
        // What follows the last ':' is the patience unless the whole text is a metric (task `a:b`).
        let parts = NamedValue.split(text, at: ":")
        guard let written = parts.name, (try? metric(text, in: text, tasks: tasks)) == nil else {
            return EarlyStop(metric: try metric(text, in: text, tasks: tasks), patience: standard.patience)
        }
        let resolved = try metric(written, in: text, tasks: tasks)
        guard let patience = Int(parts.value), patience >= 0 else {
            throw Invalid("patience must be a whole number ≥ 0, got '\(parts.value)' in '\(text)'")
        }
        return EarlyStop(metric: resolved, patience: patience)
    }

    /// The task and its metric that `TASK.METRIC` names, split at the last '.' (a task name may
    /// hold dots, a metric name never does); nil for `loss` and `macro_f1`, which name no task.
    public static func taskMetric(_ metric: String) -> (task: String, metric: String)? {
        let parts = NamedValue.split(metric, at: ".")
        return parts.name.map { ($0, parts.value) }
    }

    /// The metric `written` names (`auto` resolved), or why it names none; `text` is the whole rule.
    private static func metric(_ written: String, in text: String, tasks: [(name: String, kind: TaskKind)]) throws(Invalid) -> String {
        let example = tasks.first.map { "\($0.name).\(TaskMetrics.names(for: $0.kind)[1]):3" } ?? "loss:3"
        let expected = "expected METRIC[:PATIENCE] with METRIC 'loss', 'macro_f1', 'auto' or TASK.METRIC (e.g. \(example)), got '\(text)'"
        let name = written != automatic ? written
            : !tasks.isEmpty && tasks.allSatisfy({ $0.kind != .regression }) ? meanMacroF1 : "loss"
        if name == "loss" { return name }
        if name == meanMacroF1 {
            guard tasks.contains(where: { $0.kind != .regression }) else {
                throw Invalid("'\(meanMacroF1)' is the mean macro-F1 of the classification tasks; this run has none (use loss or TASK.METRIC)")
            }
            return name
        }
        guard let named = taskMetric(name) else { throw Invalid(expected) }
        guard let task = tasks.first(where: { $0.name == named.task }) else {
            throw Invalid("no task named '\(named.task)' in '\(text)' (tasks: \(tasks.map(\.name).joined(separator: ", ")))")
        }
        let names = TaskMetrics.names(for: task.kind)
        guard names.contains(named.metric) else {
            throw Invalid("task '\(task.name)' (\(task.kind.rawValue)) has no metric '\(named.metric)' (its metrics: \(names.joined(separator: ", ")))")
        }
        return name
    }

    /// Why a rule does not parse.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}

public enum TrainerState: String, Sendable, Codable {
    case starting, running, paused, finished, stopped, diverged

    public var isActive: Bool { self == .starting || self == .running || self == .paused || self == .diverged }
    /// Whether a workbench run still takes commands: while active, and once finished (its
    /// trainer is continuable: a correction, a split to browse or a setting waits for `E`).
    public var takesCommands: Bool { isActive || self == .finished }
}

/// What the UI or a script asks of a running trainer. Applied at the next batch boundary.
public enum TrainerCommand: Sendable, Equatable {
    case pause
    case resume
    /// Run this many steps, then pause again (works while paused).
    case step(Int)
    /// Set and pin the task's loss weight: a weighting strategy keeps setting the others.
    case setLossWeight(task: String, weight: Double)
    /// Give the task's weight back to the strategy.
    case unpinLossWeight(task: String)
    /// Multiply the task's loss weight by `factor`, keeping 3 decimals; raising a zero weight
    /// makes it 0.1. Relative to the weight in force when it applies, so commands sent before
    /// the snapshot caught up (two quick key presses) all count.
    case scaleLossWeight(task: String, factor: Double)
    case setStrategy(WeightingStrategy)
    /// Focal loss and OHEM for the task from the next batch on (a plain shape: cross-entropy
    /// over every row).
    case setLossShape(task: String, LossShape)
    case freeze(String)
    case unfreeze(String)
    /// Make the rate in force this; a schedule continues from it, scaled.
    case setLearningRate(Double)
    /// Multiply the learning rate in force by `factor` (relative, as `scaleLossWeight`); a
    /// schedule continues, scaled.
    case scaleLearningRate(factor: Double)
    /// Follow this learning-rate schedule from the next step (its plateau count starts afresh).
    case setSchedule(LearningRateSchedule)
    /// Train this many more epochs than planned (a negative count plans fewer, never below the
    /// epoch in progress).
    case addEpochs(Int)
    /// Early stopping by this rule from the next epoch on; nil trains every epoch and keeps the last.
    case setEarlyStop(EarlyStop?)
    /// A correction from the hard-example browser (drop, weight, relabel, undo) applied to the
    /// targets the next batch is drawn from.
    case correct(RowCorrection)
    /// Evaluate this split's rows for the browser now and at each epoch end (`otherExamples`).
    case showExamples(ExampleSplit)
    /// Pseudo-labelling by this rule from the next epoch on; nil turns it off.
    case setPseudoLabel(PseudoLabel?)
    /// Write a checkpoint to this directory.
    case save(String)
    /// Copy the whole state (weights, optimizer moments, strategy and schedule state, position,
    /// history) into a checkpoint in memory, which `Trainer.takeFork()` then hands out: a branch.
    case fork
    case stop
}

/// Something that happened, stamped with the step it took effect before.
public struct TrainerEvent: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case command, info, warning, error }
    public var step: Int
    public var epoch: Int
    public var kind: Kind
    public var message: String
}

/// One finished epoch: training metrics (accumulated while training) and validation metrics.
public struct EpochRecord: Sendable, Equatable, Codable {
    public var epoch: Int
    public var step: Int
    public var train: [TaskMetrics]
    public var validation: [TaskMetrics]
    /// Σ w_t · validation loss_t with the weights in force.
    public var validationTotal: Double
    public var seconds: Double
    /// The learning rate of the epoch's last step (nil in checkpoints from before schedules).
    public var learningRate: Double?
    /// Per task: training rows that had a pseudo-label this epoch (nil when pseudo-labelling is off).
    public var pseudoLabels: [Int]?
}

/// The validation set's per-row results from the latest evaluation, for the hard-example view.
public struct ExampleTable: Sendable {
    /// Dataset row of each example.
    public var rows: [Int]
    /// Per task: each example's loss (NaN where the label is missing).
    public var losses: [[Float]]
    /// Per task: probabilities `[count, width]` (the predicted value, in original units, for regression).
    public var outputs: [[Float]]
    public var widths: [Int]
    public var step: Int
    /// Which rows these are.
    public var split: ExampleSplit = .validation
    /// Per task: the multi-label decision thresholds its outputs are read with (nil or absent:
    /// 0.5 for every label, as while training; tuned on validation when the run ends).
    public var thresholds: [[Float]?] = []

    public var count: Int { rows.count }

    /// The probability at or above which label `label` of multi-label task `task` is predicted.
    public func threshold(task: Int, label: Int) -> Float {
        guard thresholds.indices.contains(task), let values = thresholds[task], values.indices.contains(label) else {
            return DecisionThresholds.standard
        }
        return values[label]
    }
}

/// Everything the UI shows, copied out in one piece. Cheap to copy: arrays are shared until
/// the trainer changes them.
public struct TrainerSnapshot: Sendable {
    public var state: TrainerState = .starting
    public var tasks: [String] = []
    public var taskKinds: [TaskKind] = []
    public var classes: [[String]] = []
    public var layers: [LayerSummary] = []
    public var parameterCount = 0
    public var epoch = 0
    public var epochs = 0
    /// Completed optimizer steps.
    public var step = 0
    public var stepInEpoch = 0
    public var stepsPerEpoch = 0
    public var samplesPerSecond: Double = 0
    /// Wall time spent in training steps (not in validation or test passes).
    public var trainingSeconds: Double = 0
    public var etaSeconds: Double?
    /// The rate the next step uses: the base rate times the schedule's factor.
    public var learningRate: Double = 0
    /// The base rate the schedule scales, as `<`, `>` and typed rates left it (0 before the first publish).
    public var baseLearningRate: Double = 0
    public var schedule: LearningRateSchedule = .constant
    /// The learning rate in force from each step on (one point per change, at most one per
    /// published snapshot), drawn under the loss charts.
    public var rateTrace: [WeightPoint] = []
    /// Weights multiplying each task's loss: the user's times the strategy's.
    public var lossWeights: [Double] = []
    /// The user's own weights (what `setLossWeight` sets).
    public var userWeights: [Double] = []
    public var strategy: WeightingStrategy = .fixed
    /// Per task name: focal loss and OHEM in force (absent: the plain loss over every row).
    public var lossShapes: [String: LossShape] = [:]
    /// The task gradients' agreement on each shared layer, when measured.
    public var conflict: GradientConflict?
    /// Tasks whose typed weight the strategy leaves alone.
    public var pinned: Set<String> = []
    public var frozen: Set<String> = []
    /// Per task: training loss per step.
    public var lossSeries: [Series] = []
    public var history: [EpochRecord] = []
    public var events: [TrainerEvent] = []
    /// Steps at which the user changed something (weights, freezing, rate, pause…): chart markers.
    public var markers: [Int] = []
    /// Per task, the loss weight in force from each step on (one point per change).
    public var weightTrace: [[WeightPoint]] = []
    public var examples: ExampleTable?
    /// The training or test rows' results, when the browser asked for them (`showExamples`).
    public var otherExamples: ExampleTable?
    /// Rows a live correction dropped from training, and corrections in force.
    public var droppedRows: Set<Int> = []
    public var correctionCount = 0
    /// Test metrics once training has finished.
    public var test: [TaskMetrics]?
    /// Why the run diverged, while it is (or was, if it then stopped) diverged.
    public var divergence: String?
    /// The validation metrics of the model the run ended with, when that is not the last epoch's
    /// (early stopping restored an epoch, or tasks fell back to the linear model): the confusion
    /// view shows what the hard examples and the test figures describe.
    public var keptValidation: [TaskMetrics]?
    /// The epoch whose weights the run ends with: early stopping's restored one, else the last.
    public var keptRecord: EpochRecord? { restoredEpoch.flatMap { kept in history.last { $0.epoch == kept } } ?? history.last }
    /// The validation metrics of the model the run ends with (a task that fell back to the linear
    /// model scores as that model, not as its epoch's record says).
    public var keptModelValidation: [TaskMetrics]? { keptValidation ?? keptRecord?.validation }
    /// The tasks that fell back to the fitted linear model when the run ended.
    public var linearTasks: [String] = []
    /// Why the latest save to the run's `--save` directory failed (nil once one succeeds).
    public var saveFailure: String?
    public var earlyStop: EarlyStop?
    /// The epoch early stopping currently holds as best (nil before the first, or when off).
    public var bestEpoch: Int?
    /// Set when early stopping put back an earlier epoch's weights: the model the run ends with.
    public var restoredEpoch: Int?
    /// The pseudo-label rule in force (nil: off), and the training rows with no label it draws on.
    public var pseudoLabel: PseudoLabel?
    public var pseudoPool = 0
    /// What the run does before its first step, while it does it (the wide path's linear fit:
    /// seconds to minutes in which no step is taken); nil once it trains.
    public var preparing: String?

    public init() {}
}

/// A value in force from `step` on: a task's loss weight, or the learning rate.
public struct WeightPoint: Sendable, Equatable {
    public var step: Int
    public var weight: Double

    public init(step: Int, weight: Double) {
        self.step = step
        self.weight = weight
    }
}

public struct LayerSummary: Sendable, Equatable {
    public var name: String
    public var parameters: Int

    public init(name: String, parameters: Int) {
        self.name = name
        self.parameters = parameters
    }
}

extension TrainingConfig {
    /// Every field decodes to its default when absent, so checkpoints saved before a field
    /// existed keep loading.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        optimizer = try c.decodeIfPresent(OptimizerConfig.self, forKey: .optimizer) ?? optimizer
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        lossWeights = try c.decodeIfPresent([Double].self, forKey: .lossWeights) ?? lossWeights
        userWeights = try c.decodeIfPresent([Double].self, forKey: .userWeights) ?? userWeights
        strategy = try c.decodeIfPresent(WeightingStrategy.self, forKey: .strategy) ?? strategy
        strategyOptions = try c.decodeIfPresent([String: Double].self, forKey: .strategyOptions) ?? strategyOptions
        pinned = try c.decodeIfPresent([String].self, forKey: .pinned) ?? pinned
        frozen = try c.decodeIfPresent([String].self, forKey: .frozen) ?? frozen
        earlyStop = try c.decodeIfPresent(EarlyStop.self, forKey: .earlyStop)
        logEvery = try c.decodeIfPresent(Int.self, forKey: .logEvery) ?? logEvery
        conflictEvery = try c.decodeIfPresent(Int.self, forKey: .conflictEvery) ?? conflictEvery
        lossShapes = try c.decodeIfPresent([String: LossShape].self, forKey: .lossShapes) ?? lossShapes
        schedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .schedule) ?? schedule
        pseudoLabel = try c.decodeIfPresent(PseudoLabel.self, forKey: .pseudoLabel)
        unlabeledRows = try c.decodeIfPresent(Int.self, forKey: .unlabeledRows)
        wideFit = try c.decodeIfPresent(WideFitMode.self, forKey: .wideFit)
    }
}
