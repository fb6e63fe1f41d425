import MTLData

/// Largest sizes a sidecar may state: far beyond any model this engine trains, small enough
/// that no product of them overflows before the weight files are compared with it.
private enum Limit {
    static let vocabulary = 50_000_000
    static let width = 1 << 20
    static let kernel = 1024
    static let features = 100_000_000
    static let outputs = 1 << 20
    static let denseLayers = 64
    static let experts = 64
    static let tokens = 1 << 16
    static let imageSide = 1 << 14
    static let epochs = RunPreparation.maxEpochs
    static let batchSize = 1 << 24
}

extension Checkpoint.Info {
    /// Checks every field against the others and against the architecture, before any is used
    /// as a size, an offset or an index. The error names `file` and the key.
    func validate(file: String) throws {
        let check = SidecarCheck(file: file)
        try check.that(format == "mtl-tui-checkpoint", "format", "expected \"mtl-tui-checkpoint\", got \"\(format)\"")
        try check.that((1...Self.currentVersion).contains(version), "version",
                       "\(version) is not supported (this release reads 1 to \(Self.currentVersion))")
        try validateModel(check)
        try validateEncoder(check)
        try validateTraining(check)
        let expected = Model.tensors(of: model)
        for (i, tensor) in tensors.enumerated() {
            try check.that(i < expected.count, "tensors[\(i)]", "'\(tensor.name)' is not part of the architecture in 'model'")
            try check.that(tensor == expected[i], "tensors[\(i)]",
                           "'\(tensor.name)' \(tensor.shape) at \(tensor.offset) does not match the architecture's '\(expected[i].name)' \(expected[i].shape) at \(expected[i].offset)")
        }
        try check.that(tensors.count == expected.count, "tensors", "\(tensors.count) entries, the architecture has \(expected.count)")
        if let schedule {
            try check.that(schedule.scale.isFinite && schedule.scale > 0 && schedule.scale <= 1, "schedule.scale", "expected a number in (0, 1], got \(schedule.scale)")
            try check.that(schedule.wait >= 0, "schedule.wait", "must be ≥ 0, got \(schedule.wait)")
            try check.that(schedule.best?.isFinite ?? true, "schedule.best", "must be a finite number")
        }
        try validateProgress(check)
        for (name, values) in thresholds ?? [:] {
            guard let head = model.heads.first(where: { $0.name == name }) else { throw check.failure("thresholds.\(name)", "no such task") }
            try check.that(head.kind == .multilabel, "thresholds.\(name)", "only multi-label tasks have decision thresholds")
            if let problem = DecisionThresholds.problem(values, labels: head.outputs) { throw check.failure("thresholds.\(name)", problem) }
        }
        // Without the digests nothing would tell a corrupted weight file from a sound one (a
        // weight file they leave out is refused where it is read).
        if version >= 2 {
            try check.that(files != nil, "files", "missing; a version \(version) checkpoint records each weight file's size and hash (copy the checkpoint again or save anew)")
        }
        if let files {
            for (name, digest) in files {
                try check.that(CheckpointDirectory.checkpointFiles.contains(name) && name != "model.json", "files.\(name)", "not a weight file")
                try check.that(digest.bytes >= 0, "files.\(name).bytes", "must be ≥ 0")
            }
        }
    }

    private func validateModel(_ check: SidecarCheck) throws {
        try check.that(!model.heads.isEmpty, "model.heads", "a model needs at least one head")
        try check.that(Set(model.heads.map(\.name)).count == model.heads.count, "model.heads", "task names repeat")
        for (i, head) in model.heads.enumerated() {
            let key = "model.heads[\(i)]"
            try check.that(!head.name.isEmpty, "\(key).name", "empty")
            switch head.kind {
            case .binary, .regression: try check.that(head.outputs == 1, "\(key).outputs", "a \(head.kind.rawValue) head has 1 output, got \(head.outputs)")
            case .multiclass, .multilabel: try check.that((2...Limit.outputs).contains(head.outputs), "\(key).outputs", "expected 2 to \(Limit.outputs), got \(head.outputs)")
            }
        }
        try check.that((0...Limit.vocabulary).contains(model.vocabulary), "model.vocabulary", "expected 0 to \(Limit.vocabulary), got \(model.vocabulary)")
        try check.that((1...Limit.width).contains(model.embedding), "model.embedding", "expected 1 to \(Limit.width), got \(model.embedding)")
        try check.that((1...Limit.width).contains(model.filters), "model.filters", "expected 1 to \(Limit.width), got \(model.filters)")
        try check.that((1...Limit.kernel).contains(model.kernel), "model.kernel", "expected 1 to \(Limit.kernel), got \(model.kernel)")
        try check.that(model.hidden.count <= Limit.denseLayers, "model.hidden", "more than \(Limit.denseLayers) layers")
        for (i, width) in model.hidden.enumerated() {
            try check.that((1...Limit.width).contains(width), "model.hidden[\(i)]", "expected 1 to \(Limit.width), got \(width)")
        }
        try check.that(model.dropout >= 0 && model.dropout < 1, "model.dropout", "expected a number in [0, 1), got \(model.dropout)")
        try check.that(model.embeddingDropout >= 0 && model.embeddingDropout < 1, "model.embeddingDropout", "expected a number in [0, 1), got \(model.embeddingDropout)")
        try check.that(model.wideLearningRate > 0 && model.wideLearningRate.isFinite, "model.wideLearningRate", "expected a number > 0, got \(model.wideLearningRate)")
        try check.that((0...Limit.features).contains(model.features), "model.features", "expected 0 to \(Limit.features), got \(model.features)")
        switch model.trunk {
        case .cnn: try check.that(model.vocabulary >= 2, "model.vocabulary", "the cnn trunk needs a text vocabulary")
        case .mlp: try check.that(!model.hidden.isEmpty, "model.hidden", "the mlp trunk needs at least one dense layer")
        case .gru: try check.that(model.vocabulary >= 2, "model.vocabulary", "the gru trunk needs a text vocabulary")
        case .bag: try check.that(model.ngrams >= 1, "model.ngrams", "the bag trunk needs word n-grams")
        }
        try check.that((0...Limit.vocabulary).contains(model.ngrams), "model.ngrams", "expected 0 to \(Limit.vocabulary), got \(model.ngrams)")
        try check.that(!model.wide || model.wideInputs > 0, "model.wide", "the wide path has no inputs")
        try check.that((1...Limit.experts).contains(model.sharing.experts), "model.sharing", "expected 1 to \(Limit.experts) experts, got \(model.sharing.experts)")
        try check.that((1...Limit.width).contains(model.recurrent), "model.recurrent", "expected 1 to \(Limit.width), got \(model.recurrent)")
        try check.that(model.vocabulary + model.features > 0, "model", "the model has no inputs")
    }

    private func validateEncoder(_ check: SidecarCheck) throws {
        try check.that(encoder.tasks.count == model.heads.count, "encoder.tasks", "\(encoder.tasks.count) tasks for \(model.heads.count) heads")
        try check.that(encoder.spec.tasks.count == encoder.tasks.count, "encoder.spec.tasks", "\(encoder.spec.tasks.count) tasks, the encoder has \(encoder.tasks.count)")
        for (i, (task, head)) in zip(encoder.tasks, model.heads).enumerated() {
            let key = "encoder.tasks[\(i)]"
            try check.that(task.spec.name == head.name, "\(key).spec.name", "'\(task.spec.name)' but the head is '\(head.name)'")
            try check.that(task.spec.kind == head.kind, "\(key).spec.kind", "\(task.spec.kind.rawValue) but the head is \(head.kind.rawValue)")
            switch head.kind {
            case .regression:
                try check.that(task.mean.isFinite && task.std.isFinite && task.std > 0, "\(key).std", "needs a finite mean and a std > 0")
            case .binary:
                try check.that(task.classes.count == 2, "\(key).classes", "a binary task has 2 classes, got \(task.classes.count)")
            case .multiclass, .multilabel:
                try check.that(task.classes.count == head.outputs, "\(key).classes", "\(task.classes.count) classes for \(head.outputs) outputs")
            }
            // Multi-label tasks saved before positive weights kept none.
            try check.that(task.classWeights.count == task.classes.count || (head.kind == .multilabel && task.classWeights.isEmpty),
                           "\(key).classWeights", "\(task.classWeights.count) weights for \(task.classes.count) classes")
            try check.that(task.classWeights.allSatisfy { $0.isFinite && $0 >= 0 }, "\(key).classWeights", "weights must be finite and ≥ 0")
            try check.that(head.labelSmoothing >= 0 && head.labelSmoothing < 1, "model.heads[\(i)].labelSmoothing",
                           "expected a number in [0, 1), got \(head.labelSmoothing)")
            if let weights = head.positiveWeights {
                try check.that(weights.count == head.outputs && weights.allSatisfy { $0.isFinite && $0 >= 0 },
                               "model.heads[\(i)].positiveWeights", "needs one finite weight ≥ 0 per output (\(head.outputs))")
            }
        }
        if let text = encoder.text {
            try check.that(text.vocabulary.count == model.vocabulary, "encoder.text.vocabulary", "\(text.vocabulary.count) tokens, model.vocabulary is \(model.vocabulary)")
            try check.that(text.idf.count == text.vocabulary.count && text.idf.allSatisfy(\.isFinite), "encoder.text.idf", "needs one finite value per token")
            try check.that((1...Limit.tokens).contains(text.maxLength), "encoder.text.maxLength", "expected 1 to \(Limit.tokens), got \(text.maxLength)")
            if model.needsNGrams, model.ngrams > 0 {
                try check.that(text.ngrams?.count == model.ngrams, "encoder.text.ngrams",
                               "\(text.ngrams?.count ?? 0) n-grams, model.ngrams is \(model.ngrams)")
            }
        } else {
            try check.that(model.vocabulary == 0, "encoder.text", "missing, but the model has a vocabulary of \(model.vocabulary)")
        }
        for (i, numeric) in encoder.numeric.enumerated() {
            try check.that(numeric.mean.isFinite && numeric.std.isFinite && numeric.std > 0, "encoder.numeric[\(i)]", "needs a finite mean and a std > 0")
        }
        if let image = encoder.image {
            try check.that((1...Limit.imageSide).contains(image.width) && (1...Limit.imageSide).contains(image.height), "encoder.image",
                           "width and height must be 1 to \(Limit.imageSide)")
            try check.that(image.scale.isFinite && image.scale > 0, "encoder.image.scale", "must be a finite number > 0")
        }
        try check.that(encoder.categorical.reduce(0) { $0 + $1.categories.count } <= Limit.features, "encoder.categorical", "too many categories")
        try check.that(encoder.featureWidth == model.features, "model.features", "\(model.features), but the encoder makes \(encoder.featureWidth) features")
    }

    private func validateTraining(_ check: SidecarCheck) throws {
        let t = training, o = training.optimizer
        try check.that((1...Limit.epochs).contains(t.epochs), "training.epochs", "expected 1 to \(Limit.epochs), got \(t.epochs)")
        try check.that((1...Limit.batchSize).contains(t.batchSize), "training.batchSize", "expected 1 to \(Limit.batchSize), got \(t.batchSize)")
        try check.that(o.learningRate.isFinite && o.learningRate > 0, "training.optimizer.learningRate", "must be a finite number > 0")
        for (name, value) in [("momentum", o.momentum), ("beta1", o.beta1), ("beta2", o.beta2)] {
            try check.that(value >= 0 && value < 1, "training.optimizer.\(name)", "expected a number in [0, 1), got \(value)")
        }
        try check.that(o.epsilon.isFinite && o.epsilon > 0, "training.optimizer.epsilon", "must be a finite number > 0")
        try check.that(o.weightDecay.isFinite && o.weightDecay >= 0, "training.optimizer.weightDecay", "must be a finite number ≥ 0")
        try check.that(o.clipNorm.map { $0.isFinite && $0 > 0 } ?? true, "training.optimizer.clipNorm", "must be a finite number > 0")
        try check.that(t.lossWeights.count == model.heads.count, "training.lossWeights", "\(t.lossWeights.count) weights for \(model.heads.count) tasks")
        try check.that(t.lossWeights.allSatisfy { $0.isFinite && $0 >= 0 }, "training.lossWeights", "weights must be finite and ≥ 0")
        try check.that(t.userWeights.isEmpty || t.userWeights.count == model.heads.count, "training.userWeights", "\(t.userWeights.count) weights for \(model.heads.count) tasks")
        let layers = Set(Model.tensors(of: model).map(\.layer))
        for name in t.frozen { try check.that(layers.contains(name), "training.frozen", "no layer named '\(name)'") }
        for name in t.pinned { try check.that(model.heads.contains { $0.name == name }, "training.pinned", "no task named '\(name)'") }
        if let rule = t.earlyStop {
            do {
                _ = try EarlyStop.parse("\(rule.metric):\(rule.patience)", tasks: model.heads.map { ($0.name, $0.kind) })
            } catch {
                throw check.failure("training.earlyStop", error.description)
            }
        }
        try check.that(t.logEvery >= 0, "training.logEvery", "must be ≥ 0")
        try check.that(t.conflictEvery >= 0, "training.conflictEvery", "must be ≥ 0")
        for (key, value) in t.strategyOptions {
            try check.that(t.strategy.defaultOptions[key] != nil && value.isFinite && value > 0, "training.strategyOptions.\(key)",
                           "not an option of \(t.strategy.rawValue) with a value > 0")
        }
        if let state = weighting {
            try check.that(state.strategy == t.strategy, "weighting.strategy", "\(state.strategy.rawValue), but training.strategy is \(t.strategy.rawValue)")
            let fresh = t.strategy.make(options: t.strategyOptions, tasks: model.heads.count, seed: t.seed)
            if let problem = fresh.restore(state) { throw check.failure("weighting", problem) }
        }
    }

    private func validateProgress(_ check: SidecarCheck) throws {
        try check.that((0...training.epochs).contains(position.epoch), "position.epoch", "expected 0 to \(training.epochs), got \(position.epoch)")
        try check.that(position.batch >= 0, "position.batch", "must be ≥ 0, got \(position.batch)")
        try check.that(position.step >= 0, "position.step", "must be ≥ 0, got \(position.step)")
        let layers = Set(Model.tensors(of: model).map(\.layer))
        for (name, steps) in layerSteps {
            try check.that(layers.contains(name), "layerSteps.\(name)", "no such layer")
            try check.that((0...position.step).contains(steps), "layerSteps.\(name)", "expected 0 to \(position.step), got \(steps)")
        }
        for (i, record) in history.enumerated() {
            let key = "history[\(i)]"
            // Epoch 0 is the fitted linear model of `--wide-fit linear`.
            try check.that(record.epoch >= (i == 0 ? 0 : 1) && (i == 0 || record.epoch > history[i - 1].epoch), "\(key).epoch", "epochs must count up from 0 or 1")
            try check.that(record.train.count == model.heads.count && record.validation.count == model.heads.count, key,
                           "needs metrics for each of the \(model.heads.count) tasks")
            for (t, metrics) in (record.train + record.validation).enumerated() {
                guard let confusion = metrics.confusion else { continue }
                let task = encoder.tasks[t % model.heads.count]
                let k = task.classes.count
                try check.that((task.spec.kind == .binary || task.spec.kind == .multiclass) && confusion.count == k
                               && confusion.allSatisfy { $0.count == k && $0.allSatisfy { $0 >= 0 } },
                               "\(key).confusion", "must be a \(k)×\(k) table of counts for '\(task.spec.name)'")
            }
        }
        if let best {
            try check.that(best.epoch >= 0 && best.epoch <= max(position.epoch, 1), "best.epoch", "expected 0 to \(position.epoch), got \(best.epoch)")
            try check.that(best.epochsWithoutImprovement >= 0, "best.epochsWithoutImprovement", "must be ≥ 0")
        }
    }

    /// Resuming on `batchesPerEpoch` batches per epoch: the saved position must lie inside an epoch.
    public func checkResumable(batchesPerEpoch: Int, file: String) throws {
        try SidecarCheck(file: file).that(position.batch <= batchesPerEpoch, "position.batch",
                                          "\(position.batch) is past the \(batchesPerEpoch) batches of an epoch on this data")
    }
}

/// Throws the first failed condition as `FILE: KEY: MESSAGE`.
private struct SidecarCheck {
    let file: String

    func that(_ condition: Bool, _ key: String, _ message: @autoclosure () -> String) throws {
        if !condition { throw failure(key, message()) }
    }

    func failure(_ key: String, _ message: String) -> CheckpointError { CheckpointError(file, "\(key): \(message)") }
}
