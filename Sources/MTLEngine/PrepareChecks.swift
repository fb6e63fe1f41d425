import Foundation
import MTLData

/// The checks a run's options, data and memory pass before anything trains (each failure is
/// one line naming the flag, file or key), and the note on blank columns.
extension RunPreparation {
    static func check(_ o: RunOptions) throws {
        if let epochs = o.epochs, !(1...maxEpochs).contains(epochs) {
            throw UsageError("--epochs", "expected a whole number from 1 to \(maxEpochs), got \(epochs)")
        }
        if o.batchSize < 1 { throw UsageError("--batch-size", "expected a whole number ≥ 1, got \(o.batchSize)") }
        if !(o.learningRate > 0 && o.learningRate.isFinite) { throw UsageError("--lr", "expected a number > 0, got \(o.learningRate)") }
        if let decay = o.weightDecay, !(decay >= 0 && decay.isFinite) { throw UsageError("--weight-decay", "expected a number ≥ 0, got \(decay)") }
        if let rate = o.wideLearningRate, !(rate > 0 && rate.isFinite) { throw UsageError("--wide-lr", "expected a number > 0, got \(rate)") }
        if let rate = o.embeddingDropout, !(rate >= 0 && rate < 1) { throw UsageError("--embedding-dropout", "expected a number in [0, 1), got \(rate)") }
        if !(o.dropout >= 0 && o.dropout < 1) { throw UsageError("--dropout", "expected a number in [0, 1), got \(o.dropout)") }
        if let embedding = o.embedding, embedding < 1 { throw UsageError("--embedding", "expected a whole number ≥ 1, got \(embedding)") }
        if o.filters < 1 { throw UsageError("--filters", "expected a whole number ≥ 1, got \(o.filters)") }
        if o.kernel < 1 { throw UsageError("--kernel", "expected a whole number ≥ 1, got \(o.kernel)") }
        if let hidden = o.hidden, hidden.contains(where: { $0 < 1 }) { throw UsageError("--hidden", "expected widths ≥ 1") }
        if let clip = o.clipNorm, !(clip > 0 && clip.isFinite) { throw UsageError("--clip", "expected a number > 0, got \(clip)") }
        for (task, value) in o.labelSmoothing where !(value >= 0 && value < 1) {
            throw UsageError("--label-smoothing", "expected a number in [0, 1)\(task.map { " for '\($0)'" } ?? ""), got \(value)")
        }
        for (task, weight) in o.lossWeights where !LossWeight.allows(weight) {
            throw UsageError("--loss-weight", "weight of '\(task)' must be \(LossWeight.expected), got \(weight)")
        }
    }

    /// Options the chosen model would ignore are errors rather than silent no-ops: a user who
    /// asks for word vectors or character n-grams should learn that this model has no use for them.
    static func checkOptionsApply(_ o: RunOptions, trunk: TrunkKind, wide: Bool, hasText: Bool) throws {
        let model = trunk.rawValue + (wide ? "+wide" : "")
        if let vectors = o.vectors, vectors != "none" {
            guard hasText else { throw UsageError("--vectors", "word vectors need a text input; this data has none") }
            guard trunk == .cnn || trunk == .gru else {
                throw UsageError("--vectors", "word vectors start the cnn or gru trunk's embedding; the \(model) model has none")
            }
        }
        if o.charNGrams == true {
            guard hasText else { throw UsageError("--char-ngrams", "character n-grams need a text input; this data has none") }
            guard wide || trunk == .bag else {
                throw UsageError("--char-ngrams", "character n-grams feed the wide path and the bag; the \(model) model has neither (use --trunk \(trunk.rawValue)+wide)")
            }
        }
        if let rate = o.embeddingDropout, rate > 0, trunk != .cnn {
            throw UsageError("--embedding-dropout", "is implemented for the cnn trunk only (it drops whole word vectors before the convolution); the \(model) model does not use it")
        }
        if o.wideLearningRate != nil, !wide {
            throw UsageError("--wide-lr", "sets the wide path's rate; the \(model) model has none (use --trunk \(trunk.rawValue)+wide)")
        }
    }

    /// No n-gram reached the minimum document frequency: the bag would have nothing to read (an
    /// error), the wide path would add nothing to the trunk (a note).
    static func checkNGrams(_ encoder: DataEncoder, trunk: TrunkKind, wide: Bool, file: String) throws -> String? {
        guard let text = encoder.text, let ngrams = text.ngrams, ngrams.count == 0 else { return nil }
        let reason = "no n-gram is in \(ngrams.minDocumentFrequency) or more training rows"
        if trunk == .bag {
            throw DataError(file: file, key: "column '\(text.column)'", "\(reason), so the bag trunk would learn nothing; lower ngram_min_df")
        }
        return wide ? "note: \(reason), so the wide path adds nothing (lower ngram_min_df in spec.toml)" : nil
    }

    /// `--resume` with `--epochs` at or before the checkpoint's epoch would train nothing and
    /// report the saved model as if trained (Keras's `initial_epoch >= epochs` does so
    /// silently): refused before anything is written. Without `--epochs` the saved count stands.
    static func checkEpochsPastCheckpoint(_ o: RunOptions, _ checkpoint: Checkpoint) throws {
        let epoch = checkpoint.info.position.epoch
        guard let epochs = o.epochs, epochs <= epoch else { return }
        throw UsageError("--epochs", "\(epochs) is not past the checkpoint's epoch \(epoch); pass a larger --epochs to train on")
    }

    /// What `--resume` leaves aside, said before it trains: the saved run's settings win over
    /// flags (only --epochs changes them), and the continued run is written only with --save.
    static func resumeNotes(_ o: RunOptions, _ checkpoint: Checkpoint) -> [String] {
        let d = RunOptions(data: o.data)
        let given: [(String, Bool)] = [
            ("--trunk", o.trunk != nil || o.wide != nil), ("--sharing", o.sharing != d.sharing),
            ("--lr", o.learningRate != d.learningRate), ("--batch-size", o.batchSize != d.batchSize),
            ("--optimizer", o.optimizer != d.optimizer), ("--weight-decay", o.weightDecay != nil), ("--clip", o.clipNorm != nil),
            ("--seed", o.seed != d.seed), ("--wide-lr", o.wideLearningRate != nil), ("--wide-fit", o.wideFit != nil),
            ("--embedding-dropout", o.embeddingDropout != nil), ("--char-ngrams", o.charNGrams != nil),
            ("--embedding", o.embedding != nil), ("--filters", o.filters != d.filters), ("--kernel", o.kernel != d.kernel),
            ("--hidden", o.hidden != nil), ("--dropout", o.dropout != d.dropout), ("--max-length", o.maxLength != nil),
            ("--vectors", o.vectors != nil), ("--freeze", !o.freeze.isEmpty), ("--early-stop", o.earlyStop != d.earlyStop),
            ("--strategy", o.strategy != nil), ("--schedule", o.schedule != nil), ("--loss-weight", !o.lossWeights.isEmpty),
            ("--label-smoothing", !o.labelSmoothing.isEmpty), ("--loss", !o.losses.isEmpty), ("--ohem", !o.ohem.isEmpty),
            ("--split", o.split != nil || o.splitColumn != nil), ("--task", !o.tasks.isEmpty), ("--input", !o.inputs.isEmpty),
        ]
        var notes: [String] = []
        let ignored = given.filter(\.1).map(\.0)
        if !ignored.isEmpty {
            notes.append("note: --resume continues with the saved run's settings; ignored: \(ignored.joined(separator: ", ")) (only --epochs changes them; steer the rest in the workbench or with --commands)")
        }
        let done = checkpoint.info.position.epoch, planned = checkpoint.info.training.epochs
        if o.epochs == nil, checkpoint.info.position.batch == 0, done >= planned {
            notes.append("note: the saved run has trained its \(planned) epochs, so nothing is left to train; pass --epochs N above \(done) to train on")
        } else if o.saveDirectory == nil, let resume = o.resumeDirectory {
            notes.append("note: the continued run is not saved; add --save \(resume) to update the checkpoint, or --save DIR to keep both")
        }
        return notes
    }

    /// An output file (`--events`, `--oof`) must not be one the run reads: writing it would
    /// replace the data or its spec with the output.
    public static func checkOutputIsNotAnInput(_ path: String, flag: String, _ prepared: PreparedRun) throws {
        // specSource is a spec.toml, or the checkpoint directory a resumed run read its spec from.
        let inputs = [prepared.table.file] + [prepared.specSource].compactMap { $0 }.filter { $0.hasSuffix(".toml") }
        try checkOutputIsNotAnInput(path, flag: flag, inputs: inputs, called: "the run's input")
    }

    /// An output file must not be one of `inputs` (files, or directories such as a checkpoint,
    /// which cover every file inside them): writing it would replace what the command reads.
    /// `role` says what the inputs are to the command ("the run's input").
    public static func checkOutputIsNotAnInput(_ path: String, flag: String, inputs: [String], called role: String) throws {
        func resolved(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path }
        let output = resolved(path)
        for input in inputs {
            let readPath = resolved(input)
            if output == readPath {
                throw UsageError(flag, "'\(path)' is \(role) \(input); writing there would replace it (choose another file)")
            }
            if output.hasPrefix(readPath.hasSuffix("/") ? readPath : readPath + "/") {
                throw UsageError(flag, "'\(path)' is inside \(role) \(input); writing there would change what it holds (choose a file outside it)")
            }
        }
    }

    /// An output file's directory exists and the file is not a directory, before any work is done.
    /// `expected` says what to give instead of a directory ("a file name ending in .py").
    public static func checkOutputFile(_ path: String, flag: String, expected: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw UsageError(flag, "'\(path)' is a directory; expected \(expected)")
        }
        let parent = (path as NSString).deletingLastPathComponent
        guard FileManager.default.isWritableFile(atPath: parent.isEmpty ? "." : parent) else {
            throw UsageError(flag, "cannot write in '\(parent.isEmpty ? "." : parent)'")
        }
    }

    /// A warning for each classification task whose training rows all have one class: the
    /// model can then only predict that class, whatever validation says.
    static func oneClassInTraining(_ table: Table, spec: DatasetSpec, trainRows: [Int]) -> [String] {
        spec.tasks.compactMap { task in
            guard task.kind == .binary || task.kind == .multiclass, let column = table.columnIndex(task.column) else { return nil }
            let values = table.columns[column]
            let classes = Set(trainRows.lazy.map { values[$0] }.filter { !$0.isEmpty })
            guard classes.count == 1, let only = classes.first else { return nil }
            return "warning: every training row of task '\(task.name)' has the class '\(only)'; the model can only predict it (the other classes are in validation or test rows only)"
        }
    }

    /// A resumed run reads the rows its checkpoint trained on: the same validation and test rows
    /// and no new training row (the checkpoint keeps a hash of each). Other rows would be trained
    /// on and then reported by `eval` as held out.
    static func checkSameRows(_ checkpoint: Checkpoint, table: Table, spec: DatasetSpec, split: DataSplit, directory: String) throws {
        guard let saved = checkpoint.info.split else { return }   // saved before checkpoints kept the split
        let now = SplitDigest(table, spec: spec, split: split)
        let differs = [(now.validation, saved.validation, "validation"), (now.test, saved.test, "test")]
            .first { SplitDigest.hashes($0.0) != SplitDigest.hashes($0.1) }?.2
            ?? (SplitDigest.hashes(now.train).isSubset(of: SplitDigest.hashes(saved.train)) ? nil : "training")
        if let differs {
            throw DataError(file: table.file, "the run saved in \(directory) had other \(differs) rows: resume on the data it trained on")
        }
    }

    /// The checkpoint directory can be made and written, before any time is spent training.
    public static func checkSaveDirectory(_ path: String) throws {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw UsageError("--save", "'\(path)' is a file; expected a directory for the checkpoint (it is created if missing)")
            }
            guard files.isWritableFile(atPath: path) else { throw UsageError("--save", "cannot write in '\(path)'") }
            // A save replaces the directory as a whole, from a sibling staged beside it.
            let parent = ((path as NSString).standardizingPath as NSString).deletingLastPathComponent
            guard files.isWritableFile(atPath: parent.isEmpty ? "." : parent) else {
                throw UsageError("--save", "cannot save in '\(path)': a save replaces it from beside it, and '\(parent)' is not writable")
            }
            if let problem = Checkpoint.problem(saving: path) { throw UsageError("--save", "'\(path)' \(problem)") }
            return
        }
        var ancestor = path
        repeat {
            let up = (ancestor as NSString).deletingLastPathComponent
            ancestor = up.isEmpty ? "." : up
        } while ancestor != "." && ancestor != "/" && !files.fileExists(atPath: ancestor, isDirectory: &isDirectory)
        guard files.fileExists(atPath: ancestor, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw UsageError("--save", "cannot create '\(path)': '\(ancestor)' is a file, not a directory")
        }
        guard files.isWritableFile(atPath: ancestor) else {
            throw UsageError("--save", "cannot create '\(path)': '\(ancestor)' is not writable")
        }
    }

    /// Inference leaves out a column blank in every row; say so, since the user may have meant it as an input.
    static func blankColumnsNote(_ table: Table, _ spec: DatasetSpec) -> String? {
        let used = Set(spec.inputs.map(\.column) + spec.tasks.map(\.column))
        let blank = table.header.indices.filter { c in
            !used.contains(table.header[c]) && table.columns[c].allSatisfy { $0.allSatisfy(\.isWhitespace) }
        }.map { "'\(table.header[$0])'" }
        guard !blank.isEmpty else { return nil }
        return "note: \(table.file): \(blank.count == 1 ? "column" : "columns") \(blank.prefix(5).joined(separator: ", ")) "
            + "\(blank.count == 1 ? "is" : "are") blank in every row and not used"
    }

    /// A task's column given to the model as an input would let it read the answer.
    static func checkInputsAreNotTasks(_ spec: DatasetSpec, _ options: RunOptions, specFile: String) throws {
        for input in spec.inputs {
            guard let task = spec.tasks.first(where: { $0.column == input.column }) else { continue }
            let message = "column '\(input.column)' is both an input and the column of task '\(task.name)'; a column cannot be both input and task"
            if options.inputs.contains(input.column) { throw UsageError("--input", message) }
            if options.tasks.contains(where: { $0.name == task.name }) { throw UsageError("--task", message) }
            throw DataError(file: specFile, line: task.sourceLine, key: "column", message)
        }
    }

    /// Training memory against physical memory, before the model is allocated: names the flag
    /// behind the largest part and says how much fits. With `wideFit`, the fit's memory too.
    static func checkMemory(_ model: ModelConfig, batch: Int, rows: EncodedRows, wideFit: Bool = false,
                            available: Double = MemoryBudget.physicalBytes) throws {
        // The longest encoded text, as the batches will hold it (not --max-length, a bound).
        var maxTokens = 0
        if !rows.tokenOffsets.isEmpty {
            for r in 0..<rows.count { maxTokens = max(maxTokens, rows.tokenOffsets[r + 1] - rows.tokenOffsets[r]) }
        }
        // The sparse rows a batch holds: the unigram TF-IDF (mlp, MMoE gates) and the n-grams
        // (wide path with the features, bag), each up to its widest row.
        var maxNGrams = 0
        if !rows.ngramOffsets.isEmpty {
            for r in 0..<rows.count { maxNGrams = max(maxNGrams, rows.ngramOffsets[r + 1] - rows.ngramOffsets[r]) }
        }
        let training = try checkMemory(model, batch: batch, maxTokens: maxTokens, maxNGrams: maxNGrams,
                                       features: rows.featureWidth, available: available)
        if wideFit { try checkWideFitMemory(model, rows: rows, training: training, available: available) }
    }

    /// The same check from the widest row's shape (the longest text, the most n-grams, the
    /// feature width), for rows not made yet (bench's); returns the bytes training needs.
    static func checkMemory(_ model: ModelConfig, batch: Int, maxTokens: Int, maxNGrams: Int, features: Int,
                            available: Double = MemoryBudget.physicalBytes) throws -> Double {
        let sparseWidth = (model.needsUnigramTFIDF || model.trunk == .mlp ? maxTokens + features : 0)
            + (model.wide ? maxNGrams + features : 0) + (model.trunk == .bag ? maxNGrams : 0)
        let need = MemoryBudget.training(model, batch: batch, maxTokens: maxTokens, sparseWidth: sparseWidth)
        guard need.bytes > available else { return need.bytes }
        let perParameter = 4 * MemoryBudget.parameterCopies
        let single = MemoryBudget.training(model, batch: 1, maxTokens: maxTokens, sparseWidth: sparseWidth)
        let flag: String
        var fits: String
        if single.bytes <= available, batch > 1 {
            // The model fits; its batches do not.
            flag = "--batch-size"
            let perRow = (need.bytes - single.bytes) / Double(batch - 1)
            fits = "batches of about \(MemoryBudget.format(count: 1 + ((available - single.bytes) / perRow).rounded(.down))) rows fit"
        } else {
            let largest = need.parts.max(by: { $0.count < $1.count })!.name
            flag = switch largest {
            case "embedding": "--embedding"
            case "conv": [("--embedding", model.embedding), ("--kernel", model.kernel), ("--filters", model.filters)].max { $0.1 < $1.1 }!.0
            case "wide": "--trunk"
            default: "--hidden"
            }
            let parameters = (available - single.workspaceBytes) / perParameter
            fits = parameters >= 1 ? "about \(MemoryBudget.format(count: parameters)) parameters fit" : "even one row's working memory does not fit"
            // The n-gram tables grow with the vocabulary, which the spec bounds, not a flag.
            if largest == "wide" || (largest == "embedding" && model.trunk == .bag) {
                fits += " (the \(largest == "wide" ? "wide path" : "bag embedding") has a row per word n-gram: \(MemoryBudget.format(count: Double(model.ngrams))); lower max_ngrams in spec.toml\(largest == "wide" ? " or drop +wide" : "")"
            }
        }
        throw UsageError(flag, "the model would have \(MemoryBudget.format(count: need.parameters)) parameters and training needs about "
            + "\(MemoryBudget.format(bytes: need.bytes)) (\(Int(perParameter)) bytes per parameter for weights, gradients, Adam moments and the best epoch, "
            + "plus \(MemoryBudget.format(bytes: need.workspaceBytes)) of working memory for batches of \(batch)), more than this machine's "
            + "\(MemoryBudget.format(bytes: available)) of memory; \(fits)")
    }

    /// The wide fit's L-BFGS buffers and row copies on top of training's `training` bytes.
    private static func checkWideFitMemory(_ model: ModelConfig, rows: EncodedRows, training: Double, available: Double) throws {
        let fit = MemoryBudget.wideFitBytes(model, nonZeros: rows.ngramIDs.count + rows.count * rows.featureWidth)
        guard training + fit > available, let widest = model.heads.max(by: { $0.outputs < $1.outputs }) else { return }
        throw UsageError("--wide-fit", "the wide path's linear fit needs about \(MemoryBudget.format(bytes: fit)) (its largest task, "
            + "\(widest.name), has \(widest.outputs) outputs × \(MemoryBudget.format(count: Double(model.wideInputs))) inputs) beside "
            + "training's \(MemoryBudget.format(bytes: training)), more than this machine's \(MemoryBudget.format(bytes: available)) "
            + "of memory; use --wide-fit off, or lower max_ngrams in spec.toml")
    }
}
