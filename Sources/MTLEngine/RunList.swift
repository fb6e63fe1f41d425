import Foundation

/// Runs above the trainer: continuing a finished run in place, and branching a run into a new
/// one. The workbench holds the list of runs; the engine supplies the exact copies.
extension TrainingRun {
    /// The answer to a command that arrives once the run has ended.
    static let ended = CommandRefusal(message: "the run has ended")

    /// Answers the commands still waiting when the run ends (sent during its final evaluation
    /// and save): their senders would otherwise wait for an answer that never comes.
    func refuseLateCommands() {
        for command in channel.takeCommands() { command.reply?(.refused(TrainingRun.ended.message, step: position.step)) }
    }

    /// After the run finished (a continuable trainer): keeps taking commands — a save, a branch,
    /// settings for the next epochs — until `addEpochs` continues it (true) or `stop` ends it.
    func awaitContinuation() -> Bool {
        while true {
            let taken = channel.takeCommands()
            // A stop ends the run: what follows it in the same batch is not carried out.
            let end = taken.firstIndex { if case .stop = $0.command { true } else { false } } ?? taken.count
            // The others apply as in a run; the ones handled here are acknowledged as they are.
            var more = 0, others: [Int] = []
            for i in 0..<end {
                switch taken[i].command {
                case .addEpochs(let count) where count > 0: more += count
                case .addEpochs, .pause, .resume, .step: continue
                default: others.append(i)
                }
            }
            var refusals = [CommandRefusal?](repeating: nil, count: taken.count)
            for (i, refusal) in zip(others, apply(others.map { taken[$0].command })) { refusals[i] = refusal }
            for i in taken.indices where i > end { refusals[i] = TrainingRun.ended }
            answer(taken, refusals)
            if end < taken.count { return false }
            if more > 0 {
                continueRun(epochs: more)
                return true
            }
            channel.waitForCommand(seconds: 1)
        }
    }

    /// Plans `count` more epochs than planned, from the weights the run ended with: after early
    /// stopping those are the best epoch's, and the event says so. An early-stopped run picks its
    /// plan up again (its schedule keeps its length), with early stopping still on.
    private func continueRun(epochs count: Int) {
        if position.batch >= batchesPerEpoch { position = finishedPosition }
        let planned = max(config.epochs, position.epoch), epochs = planned + count
        let from = snapshot.restoredEpoch.map { "the kept weights of epoch \($0) (early stopping's best)" } ?? "the last epoch's weights"
        let stopping = config.earlyStop.map { "; early stopping (\($0.metric), patience \($0.patience)) may end it sooner" } ?? ""
        log(.command, "continuing to epoch \(epochs) (\(count) more than the \(planned) planned) from \(from)\(stopping)")
        config.epochs = epochs
        snapshot.epochs = epochs
        snapshot.restoredEpoch = nil
        lastParameters = nil   // training goes on from the weights the run ended with
        keptWeightsStep = nil
        snapshot.keptValidation = nil
        snapshot.linearTasks = []
        snapshot.test = nil
        snapshot.etaSeconds = nil
        lastStepTime = nil   // the wait for this command was no progress
        stepRate.pause()
        // Training decides at 0.5 again; the thresholds are tuned anew when it ends.
        evaluator.thresholds = tasks.map { _ in nil }
        snapshot.examples?.thresholds = []
        snapshot.otherExamples?.thresholds = []
        // Patience counts afresh; the best so far stays the one to beat.
        best?.epochsWithoutImprovement = 0
        stopRequested = false
        state = .running
        publish(force: true)
    }

    /// The position after the last trained epoch: early stopping leaves the loop before moving
    /// past the epoch it stopped in.
    var finishedPosition: Checkpoint.Position {
        guard position.batch >= batchesPerEpoch else { return position }
        return Checkpoint.Position(epoch: position.epoch + 1, batch: 0, step: position.step)
    }

    func save(to directory: String, position: Checkpoint.Position, quiet: Bool) {
        snapshot.saveFailure = writeCheckpoint(to: directory, position: position)
        if let failure = snapshot.saveFailure {
            log(.error, failure)
        } else if !quiet {
            log(.info, "saved checkpoint to \(directory)")
        }
    }

    /// Writes the run's checkpoint to `directory`: nil, or why it could not, in one line.
    func writeCheckpoint(to directory: String, position: Checkpoint.Position) -> String? {
        do {
            try Checkpoint.write(to: directory, info: checkpointInfo(position: position), model: model, optimizer: optimizer,
                                 bestParameters: bestParameters, lastParameters: lastParameters)
            return nil
        } catch {
            return "could not save: \(error)"
        }
    }

    /// What a checkpoint records of the run at `position` (the weights aside).
    func checkpointInfo(position: Checkpoint.Position) -> Checkpoint.Info {
        var info = Checkpoint.Info(model: model.config, encoder: setup.encoder, training: config, position: position,
                                   layerSteps: optimizer.layerSteps, history: snapshot.history, best: best,
                                   tensors: model.tensors, weighting: weighting.state,
                                   thresholds: evaluator.thresholdsByTask.isEmpty ? nil : evaluator.thresholdsByTask,
                                   schedule: rates.state)
        info.split = setup.splitDigest
        return info
    }

    /// The whole state as a checkpoint in memory, as `--resume` would read it from disk, except
    /// that a branch of a run that ended on early stopping's kept weights goes on from those (as
    /// "more epochs" does), where `--resume` takes the last trained ones.
    func forkCheckpoint() -> Checkpoint {
        var info = checkpointInfo(position: finishedPosition)
        info.training.epochs = max(config.epochs, info.position.epoch)
        return Checkpoint(info: info, parameters: model.parameters.array, first: optimizer.first.array,
                          second: optimizer.config.kind == .sgd ? nil : optimizer.second.array,
                          bestParameters: bestParameters?.array)
    }
}

extension TrainingSetup {
    /// A branch: the same data and model, continuing from `fork` (a trainer's `takeFork()`)
    /// with the settings in force when it was taken. It saves only when asked.
    public func branch(from fork: Checkpoint) -> TrainingSetup {
        var setup = self
        setup.training = fork.info.training
        setup.resume = fork
        setup.saveDirectory = nil
        return setup
    }

    /// A fresh run with the settings `snapshot` shows in force (weights, strategy, schedule,
    /// freezing, loss shapes, early stopping, epochs) and a new seed: a new initialisation.
    public func fresh(settings snapshot: TrainerSnapshot, seed: UInt64) -> TrainingSetup {
        var setup = self
        var training = setup.training
        if snapshot.userWeights.count == snapshot.tasks.count, !snapshot.tasks.isEmpty { training.lossWeights = snapshot.userWeights }
        training.strategy = snapshot.strategy
        if snapshot.strategy != self.training.strategy { training.strategyOptions = [:] }
        training.pinned = snapshot.tasks.filter { snapshot.pinned.contains($0) }
        training.frozen = snapshot.frozen.sorted()
        training.lossShapes = snapshot.lossShapes
        training.schedule = snapshot.schedule
        training.earlyStop = snapshot.earlyStop
        training.epochs = max(snapshot.epochs, 1)
        if snapshot.baseLearningRate > 0 { training.optimizer.learningRate = Float(snapshot.baseLearningRate) }
        training.seed = seed
        setup.training = training
        setup.resume = nil
        setup.saveDirectory = nil
        return setup
    }
}

/// What differs between two moments' settings, in words ("weight polarity 1 → 2"): the runs
/// list says what a branch changed since it forked.
public enum RunDifference {
    public static func changes(from base: TrainerSnapshot, to now: TrainerSnapshot) -> [String] {
        var changes: [String] = []
        for (t, task) in now.tasks.enumerated() where base.userWeights.indices.contains(t) && now.userWeights.indices.contains(t) {
            if base.userWeights[t] != now.userWeights[t] {
                changes.append("weight \(task) \(format(base.userWeights[t])) → \(format(now.userWeights[t]))")
            }
        }
        if base.strategy != now.strategy { changes.append("strategy \(base.strategy.rawValue) → \(now.strategy.rawValue)") }
        if base.schedule != now.schedule { changes.append("schedule \(base.schedule.spec) → \(now.schedule.spec)") }
        else if base.learningRate != now.learningRate, now.schedule == .constant {
            changes.append("lr \(format(base.learningRate)) → \(format(now.learningRate))")
        }
        let frozen = now.frozen.subtracting(base.frozen).sorted(), thawed = base.frozen.subtracting(now.frozen).sorted()
        if !frozen.isEmpty { changes.append("froze \(frozen.joined(separator: ", "))") }
        if !thawed.isEmpty { changes.append("unfroze \(thawed.joined(separator: ", "))") }
        for task in Set(base.lossShapes.keys).union(now.lossShapes.keys).sorted() where base.lossShapes[task] != now.lossShapes[task] {
            changes.append("loss shape of \(task)")
        }
        if base.earlyStop != now.earlyStop { changes.append(now.earlyStop == nil ? "early stop off" : "early stop \(now.earlyStop!.metric)") }
        if base.epochs != now.epochs { changes.append("epochs \(base.epochs) → \(now.epochs)") }
        return changes
    }
}
