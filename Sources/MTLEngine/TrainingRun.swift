import Dispatch
import Foundation
import MTLData

/// The state of one run, owned by the training queue: model, optimizer, buffers, position and
/// the snapshot being built. Only `Trainer` talks to it, through the inbox and the snapshot.
final class TrainingRun {
    /// Variable only for live corrections, which change its training targets (LiveCorrections.swift).
    var setup: TrainingSetup
    unowned let channel: Trainer
    let model: Model
    let optimizer: Optimizer
    let batch: Batch
    let work: Model.Workspace
    /// Variable only for the multi-label thresholds tuned when training ends.
    var evaluator: Evaluator
    let tasks: [String]
    let batchesPerEpoch: Int

    var config: TrainingConfig
    var snapshot = TrainerSnapshot()
    var position: Checkpoint.Position
    var order: [Int] = []
    var trainAccumulators: [MetricAccumulator] = []
    var epochStarted = Date()
    var state: TrainerState
    /// Steps the pending step commands asked for, said when they are done.
    var stepsAsked = 0
    var stepBudget = 0
    var stopRequested = false
    var best: Checkpoint.Best?
    var bestParameters: FloatBuffer?
    /// The last trained step's weights, when the run ended on others (early stopping's best
    /// epoch, a task's head zeroed for the linear model): `--resume` continues from these.
    var lastParameters: FloatBuffer?
    /// The step whose weights are in place when that is not the last one (early stopping put an
    /// earlier epoch's back): what the example lists evaluated with them are labelled.
    var keptWeightsStep: Int?
    /// The loss-weighting strategy and its state; `strategyWeights` are its latest weights.
    var weighting: LossWeighting
    var strategyWeights: [Double]
    /// The weights multiplying each task's loss (the user's, times the strategy's unless pinned),
    /// updated in place each step, with the step's losses: a plain step allocates nothing.
    var effective: [Double]
    var stepLosses: [Double]
    var stepPresent: [Bool]
    let weightedBackward: WeightedBackward
    /// Task gradients' agreement on the shared layers, measured every `config.conflictEvery` steps.
    var conflict: GradientConflict?
    /// Derived from the config when a command changes it, not per step.
    var frozen: Set<String> = []
    var pinned: [Bool]
    let unitWeights: [Float]
    /// The learning-rate schedule and its state (see TrainingRunSchedule.swift).
    var rates: RateSchedule
    var lastReportedRate: Double?
    var lastPublish = Date.distantPast
    var lastStepTime: Date?
    /// Steps per wall second, for the ETA (StepRate.swift).
    var stepRate = StepRate()
    var corrections = LiveCorrections()
    var trainingRowSet: Set<Int>?
    /// Training rows with no label for any task, and this epoch's pseudo-label counts per task.
    lazy var pseudoPool: [Int] = PseudoLabels.unlabeled(setup.split.train, setup.inputs.rows.targets)
    var pseudoCounts: [Int]?
    /// The split the hard-example browser lists besides validation (`showExamples`).
    var exampleSplit = ExampleSplit.validation

    init(setup: TrainingSetup, startPaused: Bool, channel: Trainer) {
        var setup = setup
        if setup.training.pseudoLabel != nil { PseudoLabels.moveUnlabeled(&setup.split, setup.inputs.rows.targets) }
        self.setup = setup
        self.channel = channel
        config = setup.training
        tasks = setup.model.heads.map(\.name)
        if config.lossWeights.count != tasks.count { config.lossWeights = [Double](repeating: 1, count: tasks.count) }
        strategyWeights = [Double](repeating: 1, count: tasks.count)
        unitWeights = [Float](repeating: 1, count: tasks.count)
        effective = [Double](repeating: 1, count: tasks.count)
        stepLosses = [Double](repeating: 0, count: tasks.count)
        stepPresent = [Bool](repeating: false, count: tasks.count)
        pinned = [Bool](repeating: false, count: tasks.count)
        model = Model(setup.model, seed: config.seed)
        rates = RateSchedule(schedule: config.schedule)
        if let warmStart = setup.warmStart, setup.resume == nil { warmStart.apply(to: model) }
        weighting = config.strategy.make(options: config.strategyOptions, tasks: tasks.count, seed: config.seed)
        weightedBackward = WeightedBackward(model: model)
        if tasks.count >= 2, config.conflictEvery > 0, model.sharedCount > 0 {
            conflict = GradientConflict(tasks: tasks, layers: model.sharedLayers)
        }
        if let vectors = setup.vectors, setup.resume == nil { model.initializeEmbedding(from: vectors) }
        optimizer = Optimizer(config.optimizer, parameterCount: model.parameterCount)
        let capacity = config.batchSize
        batch = Batch(capacity: capacity, inputs: setup.inputs)
        work = model.workspace(batch: capacity, maxTokens: setup.inputs.maxTokens)
        evaluator = Evaluator(model: model, tasks: setup.encoder.tasks, batch: batch, work: work)
        batchesPerEpoch = max(1, (setup.split.train.count + capacity - 1) / capacity)
        position = Checkpoint.Position(epoch: 0, batch: 0, step: 0)
        state = startPaused ? .paused : .running
        if let checkpoint = setup.resume { restore(checkpoint) }
        if config.earlyStop != nil, setup.split.validation.isEmpty {
            config.earlyStop = nil
            log(.warning, "early stopping is off: there are no validation rows")
        }
        if case .plateau = config.schedule, setup.split.validation.isEmpty {
            log(.warning, "the plateau schedule keeps the rate: there are no validation rows to watch")
        }
        snapshot.tasks = tasks
        snapshot.taskKinds = setup.model.heads.map(\.kind)
        snapshot.classes = setup.encoder.tasks.map(\.classes)
        snapshot.layers = model.layers.map { LayerSummary(name: $0.name, parameters: $0.count) }
        snapshot.parameterCount = model.parameterCount
        snapshot.epochs = config.epochs
        snapshot.stepsPerEpoch = batchesPerEpoch
        snapshot.lossSeries = tasks.map { _ in Series() }
        snapshot.pseudoPool = pseudoPool.count
    }

    private func restore(_ checkpoint: Checkpoint) {
        checkpoint.parameters.withUnsafeBufferPointer { model.parameters.pointer.update(from: $0.baseAddress!, count: $0.count) }
        if let first = checkpoint.first {
            first.withUnsafeBufferPointer { optimizer.first.pointer.update(from: $0.baseAddress!, count: $0.count) }
        }
        if let second = checkpoint.second {
            second.withUnsafeBufferPointer { optimizer.second.pointer.update(from: $0.baseAddress!, count: $0.count) }
        }
        if let bestValues = checkpoint.bestParameters { bestParameters = FloatBuffer(bestValues) }
        optimizer.layerSteps = checkpoint.info.layerSteps
        position = checkpoint.info.position
        // Saved by an earlier release at the end of the epoch early stopping ended in.
        if position.batch >= batchesPerEpoch { position = finishedPosition }
        best = checkpoint.info.best
        snapshot.history = checkpoint.info.history
        let saved = checkpoint.info.training
        config.optimizer.learningRate = saved.optimizer.learningRate
        config.lossWeights = saved.lossWeights
        config.frozen = saved.frozen
        config.strategy = saved.strategy
        config.strategyOptions = saved.strategyOptions
        config.pinned = saved.pinned
        config.lossShapes = saved.lossShapes
        config.schedule = saved.schedule
        rates = RateSchedule(schedule: saved.schedule, state: checkpoint.info.schedule ?? ScheduleState())
        weighting = config.strategy.make(options: config.strategyOptions, tasks: tasks.count, seed: config.seed)
        // Checked when the checkpoint was read, so a failure here cannot happen.
        if let state = checkpoint.info.weighting, let problem = weighting.restore(state) { log(.warning, "weighting state not restored: \(problem)") }
        // A run that early stopping ended is resumed to train on: patience counts afresh (as when
        // the workbench continues one), or it would stop again after one epoch.
        if let rule = config.earlyStop, let kept = best, kept.epochsWithoutImprovement >= rule.patience {
            best!.epochsWithoutImprovement = 0
            log(.info, "resuming a run that early stopping ended (best \(rule.metric) at epoch \(kept.epoch)): patience counts afresh")
        }
    }

    // MARK: The loop

    func run() {
        let named = model.layerNames(matchingAll: config.frozen)
        for name in named.unknown { log(.warning, "no layer named '\(name)' to freeze") }
        config.frozen = named.names
        refreshDerived()
        channel.report(.started(parameters: model.parameterCount))
        publish(force: true)
        if needsWideFit { fitWidePath() }
        repeat {
            epochs: while position.epoch < config.epochs {
                beginEpoch()
                while position.batch < batchesPerEpoch {
                    guard waitUntilRunnable() else { break epochs }
                    trainStep()
                }
                // A divergence in the epoch's last step waits for the user (or ends a headless
                // run) before the epoch is evaluated and saved.
                if state == .diverged, !waitUntilRunnable() { break epochs }
                if endEpoch() { break }
                position.epoch += 1
                position.batch = 0
            }
            finish()
        } while channel.continuable && state == .finished && awaitContinuation()
        refuseLateCommands()
    }

    private func beginEpoch() {
        var random = SeededRandom(seed: config.seed, stream: 4, index: UInt64(position.epoch))
        order = setup.split.train
        order.shuffle(using: &random)
        refreshPseudoLabels()
        trainAccumulators = evaluator.accumulators()
        epochStarted = Date()
        refreshDerived()
        trainAccumulators.indices.forEach { trainAccumulators[$0].reserve(setup.split.train.count) }
        snapshot.epoch = position.epoch
    }

    /// Applies commands; waits while paused. False when the run should end.
    private func waitUntilRunnable() -> Bool {
        while true {
            take(channel.takeCommands())
            if stopRequested { return false }
            if state == .running { return true }
            if stepBudget > 0 {
                stepBudget -= 1
                return true
            }
            lastStepTime = nil
            stepRate.pause()
            publish(force: true)
            channel.waitForCommand(seconds: 0.1)
        }
    }

    private func trainStep() {
        let began = DispatchTime.now()
        defer { snapshot.trainingSeconds += Double(DispatchTime.now().uptimeNanoseconds - began.uptimeNanoseconds) / 1e9 }
        let start = position.batch * config.batchSize
        let rows = order[start..<min(start + config.batchSize, order.count)]
        batch.fill(rows, from: setup.inputs, kernel: model.config.kernel)
        model.beginStep(batch, frozen: frozen)
        model.forward(batch, work, training: true, step: position.step)
        let results = model.losses(batch, work, taskWeights: unitWeights, mining: true)
        position.batch += 1
        if let bad = results.indices.first(where: { !results[$0].loss.isFinite }) {
            diverge("\(tasks[bad]) loss is \(format(Double(results[bad].loss))) at step \(position.step + 1); the update was skipped")
            return
        }
        let rate = beginStepRate()
        for t in tasks.indices {
            stepLosses[t] = Double(results[t].loss)
            stepPresent[t] = results[t].weightSum > 0
        }
        let step = WeightingStep(step: position.step, losses: stepLosses, present: stepPresent,
                                 history: snapshot.history, optimizer: optimizer.config)
        strategyWeights = weighting.weights(step)
        updateEffectiveWeights()
        let weights = effective
        let measuring = conflict != nil && (position.step + 1) % config.conflictEvery == 0
        var measured = measuring ? conflict : nil
        weightedBackward.run(batch, work, frozen: frozen, weights: weights, weighting: weighting, step: step, conflict: &measured)
        if measuring { conflict = measured }
        let norm = optimizer.gradientNorm(model, frozen: frozen)
        guard norm.isFinite else {
            // A weighted loss beyond 32-bit floats names its task; a gradient's own is not known without a pass per task.
            let task = tasks.indices.first { !(Float(weights[$0]) * results[$0].loss).isFinite }
                .map { " (\(tasks[$0]): loss \(results[$0].loss) × weight \(format(weights[$0])) is beyond 32-bit floats)" } ?? ""
            diverge("gradient norm is \(format(Double(norm))) at step \(position.step + 1)\(task); the update was skipped")
            return
        }
        optimizer.step(model, frozen: frozen, norm: norm)
        position.step += 1
        evaluator.accumulate(&trainAccumulators)
        weighting.afterStep(step) {
            model.forward(batch, work, training: true, step: step.step)
            return model.losses(batch, work, taskWeights: nil, mining: true).map { Double($0.loss) }
        }
        var total: Float = 0
        for t in tasks.indices where results[t].weightSum > 0 {
            snapshot.lossSeries[t].append(step: position.step, value: results[t].loss)
            total += Float(weights[t]) * results[t].loss
        }
        measureThroughput(samples: rows.count)
        if state != .running, stepBudget == 0 {
            log(.info, stepsAsked == 1 ? "paused after a single step" : "paused after \(stepsAsked) steps")
            stepsAsked = 0
        }
        if channel.hasObserver, measuring, let conflict { channel.report(.gradientConflict(step: position.step, conflict)) }
        if channel.hasObserver, config.logEvery > 0, position.step % config.logEvery == 0 || position.batch == batchesPerEpoch {
            let losses = tasks.indices.map { results[$0].weightSum > 0 ? results[$0].loss : nil }
            reportRate(rate)
            channel.report(.step(step: position.step, epoch: position.epoch + 1, stepInEpoch: position.batch,
                                 stepsPerEpoch: batchesPerEpoch, losses: losses, total: total))
        }
        publish(force: false)
    }

    /// True when training should stop early.
    private func endEpoch() -> Bool {
        let stop = recordEpoch(position.epoch + 1, train: trainAccumulators.map { $0.metrics() },
                               seconds: Date().timeIntervalSince(epochStarted), pseudoLabels: pseudoCounts)
        // A diverged model is not saved: the directory keeps the last good epoch.
        if let directory = setup.saveDirectory, state != .diverged {
            var next = position
            next.epoch += 1
            next.batch = 0
            save(to: directory, position: next, quiet: true)
        }
        publish(force: true)
        return stop
    }

    /// Evaluates the validation rows and records epoch `epoch` at the current step: history,
    /// examples, reports and early stopping's best. Epoch 0 (the wide fit's linear model) comes
    /// through here too, but does not count for a plateau schedule. True when early stopping
    /// says to stop.
    func recordEpoch(_ epoch: Int, train: [TaskMetrics], seconds: Double, pseudoLabels: [Int]?) -> Bool {
        let (validation, examples) = evaluator.evaluate(setup.split.validation, inputs: setup.inputs, step: position.step)
        // The step checks see the loss before each update; an update can still leave weights whose
        // outputs overflow (inf − inf in a logit), which only the next forward pass shows. That
        // update cannot be undone, so the run ends, in the workbench too (R starts a fresh one).
        // Without validation rows, a batch of training rows shows it.
        let probed = setup.split.validation.isEmpty
            ? evaluator.evaluate(Array(setup.split.train.prefix(config.batchSize)), inputs: setup.inputs, step: position.step).examples
            : examples
        if let bad = probed.outputs.indices.first(where: { !probed.outputs[$0].allSatisfy(\.isFinite) }) {
            let rows = setup.split.validation.isEmpty ? "training" : "validation"
            diverge("\(tasks[bad])'s outputs on the \(rows) rows are not finite after step \(position.step): its last update overflowed them and cannot be undone, so the run ends (epoch \(epoch) is not recorded)")
            stopRequested = true
            return false
        }
        let total = Self.weightedLoss(effective, validation)
        let record = EpochRecord(epoch: epoch, step: position.step, train: train, validation: validation,
                                 validationTotal: total, seconds: seconds,
                                 learningRate: optimizer.config.learningRate.shortestDouble, pseudoLabels: pseudoLabels)
        snapshot.history.append(record)
        compactOldHistory()
        snapshot.examples = examples
        refreshOtherExamples()
        channel.report(.epoch(record))
        channel.report(.examples(examples))
        if epoch > 0 { observePlateau(record) }
        var stop = false
        if let rule = config.earlyStop, let value = metric(rule.metric, record) {
            let higher = rule.metric == "loss" ? false : TaskMetrics.higherIsBetter(String(rule.metric.split(separator: ".").last!))
            if let current = best, !(higher ? value > current.value : value < current.value) {
                best!.epochsWithoutImprovement += 1
                if best!.epochsWithoutImprovement >= rule.patience {
                    log(.info, "early stop: \(rule.metric) has not improved for \(rule.patience) epochs (best \(format(current.value)) at epoch \(current.epoch))")
                    stop = true
                }
            } else {
                best = Checkpoint.Best(epoch: record.epoch, value: value, epochsWithoutImprovement: 0)
                if bestParameters == nil { bestParameters = FloatBuffer(count: model.parameterCount) }
                bestParameters!.copy(from: model.parameters)
            }
        }
        return stop
    }

    private func finish() {
        var keptStep: Int?
        let trained = FloatBuffer(count: model.parameterCount)
        trained.copy(from: model.parameters)
        if let best, let bestParameters, config.earlyStop != nil, best.epoch != snapshot.history.last?.epoch {
            model.parameters.copy(from: bestParameters)
            snapshot.restoredEpoch = best.epoch
            log(.info, "restored the parameters of epoch \(best.epoch) (best \(config.earlyStop!.metric) \(format(best.value)))")
            keptStep = snapshot.history.first { $0.epoch == best.epoch }?.step ?? position.step
            keptWeightsStep = keptStep
        }
        let fellBack = stopRequested ? [] : fallBackToTheLinearModelPerTask()
        if keptStep != nil || !fellBack.isEmpty {
            // The hard examples and the confusion view describe the model the run ends with, not the last epoch's.
            let kept = evaluator.evaluate(setup.split.validation, inputs: setup.inputs, step: keptStep ?? position.step)
            snapshot.examples = kept.examples
            snapshot.keptValidation = setup.split.validation.isEmpty ? nil : kept.metrics
            snapshot.linearTasks = fellBack
            lastParameters = trained
        }
        // Multi-label decision thresholds are tuned once, on the model the run ends with; the test
        // metrics and the saved checkpoint use them.
        if !stopRequested {
            evaluator.thresholds = evaluator.tunedThresholds(setup.split.validation, inputs: setup.inputs, step: position.step)
            // The hard examples then predict what eval and predict will.
            snapshot.examples?.thresholds = evaluator.thresholds
            if snapshot.otherExamples != nil { refreshOtherExamples() }
        }
        if !stopRequested, !setup.split.test.isEmpty {
            snapshot.test = evaluator.evaluate(setup.split.test, inputs: setup.inputs, step: position.step).metrics
        }
        state = stopRequested ? .stopped : .finished
        // A diverged model is not saved: the directory keeps the last epoch saved before it
        // (or what it held before the run).
        if let directory = setup.saveDirectory, snapshot.divergence == nil { save(to: directory, position: finishedPosition, quiet: false) }
        snapshot.etaSeconds = 0
        publish(force: true)
        channel.report(.finished(snapshot))
    }

    private func diverge(_ message: String) {
        state = .diverged
        stepBudget = 0
        snapshot.divergence = message
        log(.error, "diverged: \(message)")
        // Only the workbench (a continuable trainer) has someone to lower the rate and resume;
        // a headless run ends here, stopped with its divergence kept, instead of waiting forever.
        if !channel.continuable { stopRequested = true }
        publish(force: true)
    }

    // MARK: Helpers

    /// Epochs older than the last 100 keep their scalar metrics but drop confusion matrices and
    /// per-class arrays (only recent epochs' are shown), so memory stays nearly flat over
    /// thousands of epochs.
    private func compactOldHistory() {
        let old = snapshot.history.count - 101
        guard old >= 0 else { return }
        func strip(_ metrics: [TaskMetrics]) -> [TaskMetrics] {
            metrics.map { m in
                var m = m
                // The macro means while the confusion matrix still says which classes occur.
                let precision = m.value("precision"), recall = m.value("recall")
                m.confusion = nil
                m.precision = precision.map { [$0] }
                m.recall = recall.map { [$0] }
                m.f1 = nil
                m.support = nil
                m.thresholds = nil
                return m
            }
        }
        snapshot.history[old].train = strip(snapshot.history[old].train)
        snapshot.history[old].validation = strip(snapshot.history[old].validation)
    }

    func refreshDerived() {
        frozen = Set(config.frozen)
        pinned = tasks.map { config.pinned.contains($0) }
        work.lossShapes = tasks.map { config.lossShapes[$0] ?? LossShape() }
        updateEffectiveWeights()
    }

    /// A point in each task's weight trace where its weight changed since the last one (checked
    /// when the snapshot is published, so per-step strategies add at most one point per frame).
    private func traceWeights(_ weights: [Double]) {
        if snapshot.weightTrace.count != tasks.count { snapshot.weightTrace = tasks.map { _ in [] } }
        for t in tasks.indices where snapshot.weightTrace[t].last?.weight != weights[t] {
            if snapshot.weightTrace[t].last?.step == position.step { snapshot.weightTrace[t].removeLast() }
            snapshot.weightTrace[t].append(WeightPoint(step: position.step, weight: weights[t]))
            if snapshot.weightTrace[t].count > 1000 { snapshot.weightTrace[t].removeFirst() }
        }
    }

    /// `effective`: the user's weights, times the strategy's unless pinned.
    private func updateEffectiveWeights() {
        for t in tasks.indices { effective[t] = pinned[t] ? config.lossWeights[t] : config.lossWeights[t] * strategyWeights[t] }
    }

    /// Σ w_t · L_t over the tasks.
    private static func weightedLoss(_ weights: [Double], _ metrics: [TaskMetrics]) -> Double {
        zip(weights, metrics).reduce(0) { $0 + $1.0 * $1.1.loss }
    }

    /// After a change of the loss weights or the strategy the validation loss measures another
    /// objective, so epochs before it no longer compete with those after it.
    func restartEarlyStopTracking() {
        guard let rule = config.earlyStop, best != nil else { return }
        best = nil
        log(.info, "early stop: \(rule.metric) is tracked afresh from the next epoch")
    }

    /// `loss` weighs the validation losses by the user's weights only: a strategy's weights move
    /// every epoch and would make epochs incomparable.
    func metric(_ name: String, _ record: EpochRecord) -> Double? {
        if name == "loss" { return Self.weightedLoss(config.lossWeights, record.validation) }
        if name == EarlyStop.meanMacroF1 {
            let values = record.validation.indices.filter { model.config.heads[$0].kind != .regression }
                .compactMap { record.validation[$0].value(name) }
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        guard let named = EarlyStop.taskMetric(name), let t = tasks.firstIndex(of: named.task) else { return nil }
        return record.validation[t].value(named.metric)
    }

    private func measureThroughput(samples: Int) {
        let now = Date()
        if let last = lastStepTime {
            let rate = Double(samples) / max(now.timeIntervalSince(last), 1e-9)
            snapshot.samplesPerSecond = snapshot.samplesPerSecond == 0 ? rate : 0.95 * snapshot.samplesPerSecond + 0.05 * rate
        }
        lastStepTime = now
        stepRate.observe(step: position.step, at: StepRate.now)
        snapshot.etaSeconds = stepRate.eta(remaining: (config.epochs - position.epoch) * batchesPerEpoch - position.batch)
    }

    func log(_ kind: TrainerEvent.Kind, _ message: String) {
        let event = TrainerEvent(step: position.step, epoch: position.epoch + 1, kind: kind, message: message)
        snapshot.events.append(event)
        if kind == .command, snapshot.markers.last != position.step {
            snapshot.markers.append(position.step)
            if snapshot.markers.count > 1000 { snapshot.markers.removeFirst() }
        }
        if snapshot.events.count > 1000 { snapshot.events.removeFirst(snapshot.events.count - 1000) }
        channel.report(.event(event))
    }

    func publish(force: Bool) {
        let now = Date()
        guard force || now.timeIntervalSince(lastPublish) > 0.05 else { return }
        lastPublish = now
        snapshot.state = state
        snapshot.step = position.step
        snapshot.stepInEpoch = position.batch
        snapshot.epoch = min(position.epoch, max(config.epochs - 1, 0))
        snapshot.learningRate = Double(currentRate())
        snapshot.baseLearningRate = Double(config.optimizer.learningRate)
        snapshot.schedule = config.schedule
        snapshot.traceRate(snapshot.learningRate, at: position.step)
        snapshot.lossWeights = effective
        traceWeights(snapshot.lossWeights)
        snapshot.conflict = conflict
        snapshot.userWeights = config.lossWeights
        snapshot.strategy = config.strategy
        snapshot.lossShapes = config.lossShapes
        snapshot.earlyStop = config.earlyStop
        snapshot.pseudoLabel = config.pseudoLabel
        snapshot.bestEpoch = config.earlyStop == nil ? nil : best?.epoch
        snapshot.frozen = Set(config.frozen)
        snapshot.pinned = Set(config.pinned)
        channel.publish(snapshot)
    }
}

func format(_ value: Double) -> String {
    if value == 0 { return "0" }
    if value.isNaN { return "nan" }   // not "-nan", whatever its sign bit
    if abs(value) >= 1e-3 && abs(value) < 1e5 {
        var s = String(format: "%.4f", value)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
    return String(format: "%.3g", value)
}
