import Foundation
import ArgumentParser
import MTLData
import MTLEngine

/// `--save` and `--resume`: for the commands that keep or continue a run. `sweep` and `suspects`,
/// which keep no model, and `cv`, which describes its own `--save`, parse them without listing them.
public struct CheckpointOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write a checkpoint here after each epoch and at the end.", valueName: "DIR"))
    var save: String?

    @Option(help: ArgumentHelp("Continue the run saved in this checkpoint directory, with its saved settings and epoch count (only --epochs changes them; steer the rest in the workbench).", valueName: "DIR"))
    var resume: String?

    public init() {}
}

/// Options shared by every command that trains.
///
/// Numeric options parse their next argument unconditionally, so `--epochs -1` reaches the
/// range checks ("--epochs: expected a whole number from 1 to 1000000, got -1") instead of
/// reading as a missing value.
public struct TrainingOptions: ParsableArguments {
    @Option(name: .customLong("input"), help: ArgumentHelp("Use this column as an input (repeatable). Default: inferred.", valueName: "COL"))
    var inputs: [String] = []

    @Option(name: .customLong("task"), help: ArgumentHelp("Train this column as a task, optionally with its kind: binary, multiclass, multilabel, regression (repeatable; what follows the last ':' is a kind only if it names one, so a name may hold ':'). Default: inferred.", valueName: "NAME[:KIND]"))
    var tasks: [String] = []

    @Option(name: .customLong("loss-weight"), parsing: .unconditionalSingleValue, help: ArgumentHelp("Static weight of a task's loss (repeatable; split at the last '=', so a name may hold '=').", valueName: "NAME=W"))
    var lossWeights: [String] = []

    @Option(parsing: .unconditional, help: "Passes over the training rows, 1 to 1000000 (default: 10).")
    var epochs: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Rows per optimizer step (capped at the number of training rows).")
    var batchSize = 64

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate.")
    var learningRate = 1e-3

    @Option(help: ArgumentHelp("adam, adamw or sgd (with momentum 0.9).", valueName: "NAME"))
    var optimizer = "adam"

    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "L2 penalty (decoupled for adamw; default 0.01 for adamw, else 0).")
    var weightDecay: Double?

    @Option(name: .customLong("clip"), parsing: .unconditional, help: "Clip the global gradient norm to this value.")
    var clipNorm: Double?

    @Option(parsing: .unconditional, help: "One seed for the split, initialisation, shuffling and dropout.")
    var seed: UInt64 = 42

    @Option(help: ArgumentHelp("The model: cnn, bag, gru (text only) or mlp, each optionally with a wide linear path over word 1–2-gram TF-IDF and the features (cnn+wide, mlp+wide, …). Default: cnn+wide when there is a text input (its wide path fitted first as a TF-IDF + logistic-regression model, see --wide-fit; at or above that baseline on 8 of the 9 public tasks the README measures), else mlp.", valueName: "KIND[+wide]"))
    var trunk: String?

    @Option(help: ArgumentHelp("How tasks share the trunk: hard (one trunk) or mmoe:E (E expert trunks, a softmax gate per task; Ma et al. 2018).", valueName: "hard|mmoe:E"))
    var sharing: String?

    @Option(parsing: .unconditional, help: "Embedding width of the cnn trunk (default: the word vectors' width, else 64).")
    var embedding: Int?

    @Option(help: ArgumentHelp("Start the cnn trunk's embedding from these word vectors: a GloVe/word2vec text file, one 'word 0.1 -0.2 ...' per line. Default: the text input's 'vectors' in spec.toml; 'none' starts at random.", valueName: "FILE|none"))
    var vectors: String?

    @Option(parsing: .unconditional, help: "Convolution filters of the cnn trunk.")
    var filters = 128

    @Option(parsing: .unconditional, help: "Convolution kernel width of the cnn trunk.")
    var kernel = 5

    @Option(parsing: .unconditional, help: ArgumentHelp("Widths of the trunk's dense layers, comma-separated. Default: 64 (cnn), 256,128 (mlp).", valueName: "W,W"))
    var hidden: String?

    @Option(parsing: .unconditional, help: "Dropout after each dense layer of the trunk.")
    var dropout = 0.2

    @Option(name: .customLong("wide-lr"), parsing: .unconditional, help: ArgumentHelp("The wide path's learning rate as a multiple of --lr (the sparse linear path needs larger steps than the deep part). Default: \(String(format: "%g", RunOptions.defaultWideLearningRate)).", valueName: "FACTOR"))
    var wideLearningRate: Double?

    @Flag(name: .customLong("char-ngrams"), inversion: .prefixedNo, help: "Give the wide path (and bag) character 2–5-grams inside words beside the word 1–2-grams, as scikit-learn's char_wb: they see misspellings, inflections and rare words, and cost about 8× the n-grams per row. Default: the text input's char_ngrams key, else on for short texts (at most \(Int(NGramSettings.shortTextTokens)) tokens per training row on average).")
    var charNGrams: Bool?

    @Option(name: .customLong("wide-fit"), help: ArgumentHelp("How the wide path starts: linear fits it first, per task, as an L2-regularised logistic (least-squares for regression) model on the training rows with C chosen on validation, the heads starting at zero, so the run starts as that linear model (epoch 0, which early stopping can keep), and keeps it fixed unless --wide-lr is given; off starts it at zero, learning at --wide-lr. Default: \(RunOptions.defaultWideFit.rawValue) for a model with the wide path.", valueName: "linear|off"))
    var wideFit: String?

    @Option(name: .customLong("embedding-dropout"), parsing: .unconditional, help: ArgumentHelp("Word dropout on the cnn trunk's embedding: each word of a training batch is dropped (its vector zeroed) with this probability, the rest scaled by 1/(1-X). Default: 0.", valueName: "X"))
    var embeddingDropout: Double?

    @Option(name: .customLong("max-length"), parsing: .unconditional, help: "Tokens kept per text.")
    var maxLength: Int?

    @Option(help: ArgumentHelp("Freeze a layer from the start: a layer name (embedding, conv, gru, dense, dense1, head.TASK, wide.TASK, gate.TASK, expert2.conv), trunk, heads, wide, gates, expertK, or a layer of every expert (conv) (repeatable).", valueName: "LAYER"))
    var freeze: [String] = []

    @Option(name: .customLong("early-stop"), help: ArgumentHelp("Stop when a validation metric has not improved for PATIENCE epochs (default 3), then restore the best epoch's weights. METRIC: loss (the weighted validation loss), macro_f1 (the mean macro-F1 of the classification tasks), TASK.METRIC like polarity.macro_f1, or auto (macro_f1 when every task classifies, else loss). Default: auto; 'off' trains every epoch and keeps the last.", valueName: "METRIC[:PATIENCE]|off"))
    var earlyStop: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Train,val,test fractions (like 0.8,0.1,0.1) or the name of a column holding train/val/test.", valueName: "F,F,F|COLUMN"))
    var split: String?

    @Option(help: ArgumentHelp("How the task losses are weighed: fixed (your weights), dwa, rlw, uw, gradnorm (alpha, lr, every), pcgrad (every) or famo (lr, decay, every), with options as NAME:k=v,... e.g. gradnorm:alpha=1.5,every=4. Default: the spec's 'strategy', else fixed.", valueName: "NAME[:k=v,...]"))
    var strategy: String?

    @Option(help: ArgumentHelp("How the learning rate moves: \(LearningRateSchedule.summary). EVERY and PATIENCE count epochs, WARMUP counts optimizer steps (batches), as PyTorch's StepLR, ReduceLROnPlateau and warm-up schedules do; FACTOR is in (0, 1). Default: constant. < and > in the workbench scale the schedule from that step on.", valueName: "SCHEDULE"))
    var schedule: String?

    @Option(help: ArgumentHelp("Start a new run from the model saved in this checkpoint directory: the trunk and the heads of tasks it shares with DATA load by tensor name, DATA's other tasks get new heads, and its vocabulary and encoders are reused (unknown words map to <unk>). Combine with --freeze trunk to train only the heads.", valueName: "DIR"))
    var from: String?

    @Flag(name: .customLong("extend-vocab"), help: "With --from: give DATA's words missing from the saved vocabulary their own embedding rows (initialised as new rows are), instead of mapping them to <unk>.")
    var extendVocabulary = false

    @Option(name: .customLong("conflict-every"), parsing: .unconditional, help: "Measure the tasks' gradient conflict on the shared layers every N steps (0: off).")
    var conflictEvery = 10

    @Flag(help: "Also train one model per task alone (same trunk, settings, seed and split) and report each task's metrics beside the multi-task model's, with Δp: LibMTL's mean over tasks of the mean over metrics of ±(multi − single)/single, in percent, + for higher-is-better metrics; higher is better.")
    var baselines = false

    @Option(name: .customLong("baselines-dir"), help: ArgumentHelp("Keep the baselines here: reuse those an earlier run saved for the same data and split, else train and save them (implies --baselines).", valueName: "DIR"))
    var baselinesDirectory: String?

    @Option(parsing: .unconditional, help: "Threads for the engine's large loops (OpenBLAS itself stays on one). Two speed up the cnn and gru trunks (about 1.6× and 1.8× measured); an mlp's step is too short to share at batch 128: give it a larger --batch-size. One thread or two give the same results, bit for bit.")
    var threads = 1

    // Regularisation of the classification losses.
    @Option(name: .customLong("label-smoothing"), parsing: .unconditionalSingleValue, help: ArgumentHelp("Label smoothing of the classification losses, in [0, 1): X for every classification task, TASK=X for one (repeatable; a task's own wins). Multiclass targets become (1-X)·onehot + X/K, binary and multi-label targets y·(1-X) + X/2. Default: the spec's label_smoothing, else 0.", valueName: "X|TASK=X"))
    var labelSmoothing: [String] = []

    // Mining hard rows in the loss.
    @Option(name: .customLong("loss"), help: ArgumentHelp("A classification task's loss: focal[:GAMMA[:ALPHA]] (Lin et al. 2017; GAMMA ≥ 0, default 2; ALPHA in [0, 1] weighs positives as torchvision's sigmoid_focal_loss, default 0.25 for binary and multilabel, none for multiclass, where it scales the loss) or ce (cross-entropy, the default). TASK=… for one task, else every classification task (repeatable; a task's own wins). Switchable in the workbench.", valueName: "[TASK=]focal[:G[:A]]|ce"))
    var losses: [String] = []

    @Option(name: .customLong("ohem"), parsing: .unconditionalSingleValue, help: ArgumentHelp("Online hard example mining: each batch, keep only this fraction of a task's labelled rows, highest loss first, in its loss (the mean over the kept rows). FRACTION in (0, 1]; TASK=FRACTION for one task, else every task (repeatable; a task's own wins). Switchable in the workbench.", valueName: "[TASK=]FRACTION"))
    var ohem: [String] = []

    // Corrections from the hard-example browser.
    @Option(help: ArgumentHelp("Apply this corrections file (JSON Lines: {\"key\", \"task\", \"action\": drop|weight|relabel|undo, \"value\", \"step\"}; key: the id column's value, else the row's input hash) before training: drop rows from training, relabel, weigh a row's loss.", valueName: "FILE"))
    var corrections: String?

    @Flag(name: .customLong("skip-bad-corrections"), help: "Apply the rest of a corrections file when some of its lines are malformed (each is warned about); without it, a bad line is an error.")
    var skipBadCorrections = false

    @Option(name: .customLong("pseudo-label"), help: ArgumentHelp("Semi-supervised: rows with no label for any task train on the model's own predictions where their probability is at least THRESHOLD (0.95; binary max(p, 1 − p); multi-label every label), refreshed each epoch from START_EPOCH (default 2) with loss weight WEIGHT (default 1). Unlabelled validation and test rows join training. Counts per task are in each epoch event.", valueName: "THRESHOLD[:START_EPOCH[:WEIGHT]]"))
    var pseudoLabel: String?

    @Option(help: ArgumentHelp("Semi-supervised: rows with the data's input columns (labels absent or ignored), read like the data and encoded with the encoders fitted on it, join the training rows' pseudo-label pool. Needs --pseudo-label (in the workbench, P can turn it on later). Resuming a run needs the same file again.", valueName: "FILE"))
    var unlabeled: String?

    public init() {}

    /// The baselines of `--baselines`: reused from `--baselines-dir` when it holds them for this
    /// data, split and settings, else trained.
    func baselineRunner(_ setup: TrainingSetup) throws -> BaselineRunner {
        guard let directory = baselinesDirectory else { return BaselineRunner(setup) }
        if let save = setup.saveDirectory, (save as NSString).standardizingPath == (directory as NSString).standardizingPath {
            throw UsageError("--baselines-dir", "must differ from --save: a save replaces its directory as a whole")
        }
        guard let saved = BaselineStore.load(directory, for: setup) else { return BaselineRunner(setup) }
        return BaselineRunner(setup, reusing: saved)
    }

    /// The first name that occurs twice.
    private func repeated(_ names: [String]) -> String? {
        var seen = Set<String>()
        return names.first { !seen.insert($0).inserted }
    }

    /// The run options for `data`; every malformed value is a `UsageError` naming its flag.
    /// `given` is false when DATA was left out and `data` is the bundled sample: a resumed run
    /// must name its own data rather than silently read the sample.
    func runOptions(data: String, given: Bool = true, checkpoint: CheckpointOptions) throws -> RunOptions {
        if let resume = checkpoint.resume, !given {
            throw UsageError("--resume", "name the data the saved run trained on: mtl-tui train DATA --resume \(resume)")
        }
        var o = RunOptions(data: data)
        o.inputs = inputs
        o.tasks = try tasks.map { item in
            // What follows the last ':' is a kind only if it names one: else `a:b` is the column's name.
            let parts = NamedValue.split(item, at: ":")
            let kind = parts.name == nil ? nil : TaskKind(rawValue: parts.value)
            let name = kind == nil ? item : parts.name!
            guard !name.isEmpty else { throw UsageError("--task", "expected NAME[:KIND], got '\(item)'") }
            return (name, kind)
        }
        if let twice = repeated(o.tasks.map(\.name)) { throw UsageError("--task", "'\(twice)' is named twice") }
        if let twice = repeated(inputs) { throw UsageError("--input", "'\(twice)' is named twice") }
        o.lossWeights = try lossWeights.map { item in
            let parts = NamedValue.split(item, at: "=")
            guard let name = parts.name, !name.isEmpty, let weight = Double(parts.value) else {
                throw UsageError("--loss-weight", "expected NAME=WEIGHT, got '\(item)'")
            }
            return (name, weight)
        }
        o.epochs = epochs
        o.batchSize = batchSize
        o.learningRate = learningRate
        guard let kind = OptimizerKind(rawValue: optimizer) else {
            throw UsageError("--optimizer", "expected adam, adamw or sgd, got '\(optimizer)'")
        }
        o.optimizer = kind
        o.weightDecay = weightDecay
        o.clipNorm = clipNorm
        o.seed = seed
        if let trunk { (o.trunk, o.wide) = try RunPreparation.parseArchitecture(trunk) }
        if let sharing {
            guard let parsed = Sharing(parsing: sharing) else { throw UsageError("--sharing", "expected hard or mmoe:E, got '\(sharing)'") }
            o.sharing = parsed
        }
        o.wideLearningRate = wideLearningRate
        o.charNGrams = charNGrams
        if let wideFit {
            guard let mode = WideFitMode(rawValue: wideFit) else { throw UsageError("--wide-fit", "expected linear or off, got '\(wideFit)'") }
            o.wideFit = mode
        }
        o.embeddingDropout = embeddingDropout
        o.embedding = embedding
        o.vectors = vectors
        o.filters = filters
        o.kernel = kernel
        if let hidden {
            let widths = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !widths.isEmpty, widths.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw UsageError("--hidden", "expected widths like 256,128, got '\(hidden)'")
            }
            o.hidden = widths.map { $0! }
        }
        o.dropout = dropout
        o.maxLength = maxLength
        if let m = maxLength, m < 1 { throw UsageError("--max-length", "expected a whole number ≥ 1, got \(m)") }
        o.freeze = freeze
        if let earlyStop { o.earlyStop = earlyStop == "off" ? nil : earlyStop }
        if let split {
            let parts = split.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            // Anything but three numbers names a column; whether it exists is checked against the
            // file's header (a column may be called "1" or "a,b").
            if parts.count == 3, parts.allSatisfy({ $0 != nil }) { o.split = parts.map { $0! } }
            else { o.splitColumn = split }
        }
        if let strategy {
            switch WeightingStrategy.parse(strategy) {
            case .success(let (name, options)): o.strategy = (name, options)
            case .failure(let error): throw UsageError("--strategy", error.description)
            }
        }
        guard conflictEvery >= 0 else { throw UsageError("--conflict-every", "expected a whole number ≥ 0, got \(conflictEvery)") }
        o.conflictEvery = conflictEvery
        o.baselines = baselines || baselinesDirectory != nil
        if threads < 1 { throw UsageError("--threads", "expected a whole number ≥ 1, got \(threads)") }
        o.saveDirectory = checkpoint.save
        o.resumeDirectory = checkpoint.resume
        o.fromDirectory = from
        o.extendVocabulary = extendVocabulary
        if let schedule {
            do { o.schedule = try LearningRateSchedule.parse(schedule) } catch { throw UsageError("--schedule", error.description) }
        }
        o.labelSmoothing = try labelSmoothing.map { item in
            let parts = NamedValue.split(item, at: "=")
            guard let value = Double(parts.value), parts.name?.isEmpty != true else {
                throw UsageError("--label-smoothing", "expected X or TASK=X with X in [0, 1), got '\(item)'")
            }
            return (parts.name, value)
        }
        o.corrections = corrections
        o.skipBadCorrections = skipBadCorrections
        if let pseudoLabel {
            do { o.pseudoLabel = try PseudoLabel.parse(pseudoLabel) } catch { throw UsageError("--pseudo-label", error.description) }
        }
        o.unlabeled = unlabeled
        o.losses = losses.map { item in
            let parts = NamedValue.split(item, at: "=")
            return (parts.name, parts.value)
        }
        o.ohem = try ohem.map { item in
            let parts = NamedValue.split(item, at: "=")
            guard let fraction = Double(parts.value), parts.name?.isEmpty != true, fraction > 0, fraction <= 1 else {
                throw UsageError("--ohem", "expected FRACTION or TASK=FRACTION with FRACTION in (0, 1], got '\(item)'")
            }
            return (parts.name, fraction)
        }
        return o
    }
}
