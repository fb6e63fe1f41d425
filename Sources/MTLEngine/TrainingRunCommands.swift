import Dispatch
import Foundation
import MTLData

/// Why the run did not apply a command: a warning (it names nothing the run has) or an error
/// (it failed, as a save to a directory that cannot be written).
struct CommandRefusal {
    var kind: TrainerEvent.Kind = .warning
    var message: String
}

/// The commands a run takes between steps: applied in order at the next batch.
extension TrainingRun {
    /// Applies `taken` and answers each: a reply to its sender (`ack` or `command_error`), or,
    /// for a refused command nobody waits on (the workbench's), a line in the run's events.
    func take(_ taken: [TakenCommand]) {
        answer(taken, apply(taken.map(\.command)))
    }

    /// Replies to each taken command with what `apply` made of it (`refusals` in the same order).
    func answer(_ taken: [TakenCommand], _ refusals: [CommandRefusal?]) {
        for (command, refusal) in zip(taken, refusals) {
            if let reply = command.reply {
                reply(refusal.map { .refused($0.message, step: position.step) } ?? .applied(step: position.step))
            } else if let refusal {
                log(refusal.kind, refusal.message)
            }
        }
    }

    /// Applies `commands` in order; for each, why it was refused, or nil when it applied.
    func apply(_ commands: [TrainerCommand]) -> [CommandRefusal?] {
        let refusals = commands.map(applyOne)
        if !commands.isEmpty {
            refreshDerived()
            publish(force: true)
        }
        return refusals
    }

    private func applyOne(_ command: TrainerCommand) -> CommandRefusal? {
        switch command {
        case .pause:
            if state == .running { state = .paused; log(.command, "paused") }
        case .resume:
            if state == .paused || state == .diverged { state = .running; stepBudget = 0; snapshot.divergence = nil; log(.command, "resumed") }
        case .step(let n):
            if state == .running { state = .paused }
            if state == .diverged { state = .paused; snapshot.divergence = nil }
            stepBudget += max(n, 1)
            stepsAsked += max(n, 1)
        case .setLossWeight(let task, _), .scaleLossWeight(let task, _):
            guard let t = tasks.firstIndex(of: task) else { return CommandRefusal(message: "no task named '\(task)'") }
            var weight = config.lossWeights[t]
            switch command {
            case .setLossWeight(_, let typed): weight = typed
            case .scaleLossWeight(_, let factor):
                guard factor > 0, factor.isFinite else { return CommandRefusal(message: "a loss weight factor must be a finite number > 0") }
                weight = weight == 0 ? (factor > 1 ? 0.1 : 0) : (weight * factor * 1000).rounded() / 1000
            default: return nil
            }
            guard LossWeight.allows(weight) else { return CommandRefusal(message: "\(task)'s loss weight must be \(LossWeight.expected), got \(format(weight))") }
            config.lossWeights[t] = weight
            var pin = ""
            if case .setLossWeight = command, !config.pinned.contains(task) {
                config.pinned.append(task)
                if config.strategy != .fixed { pin = " (pinned: \(config.strategy.rawValue) leaves it)" }
            }
            log(.command, "weight \(task) = \(format(weight))\(pin)")
            restartEarlyStopTracking()
        case .unpinLossWeight(let task):
            guard config.pinned.contains(task) else { return CommandRefusal(message: "'\(task)' has no pinned weight") }
            config.pinned.removeAll { $0 == task }
            log(.command, "weight \(task) unpinned: \(config.strategy.rawValue) sets it")
            restartEarlyStopTracking()
        case .setStrategy(let strategy):
            config.strategy = strategy
            config.strategyOptions = [:]
            weighting = strategy.make(tasks: tasks.count, seed: config.seed)
            strategyWeights = [Double](repeating: 1, count: tasks.count)
            log(.command, "weighting strategy \(strategy.rawValue)")
            restartEarlyStopTracking()
        case .setLossShape(let task, let shape):
            return setLossShape(task, shape)
        case .freeze(let name), .unfreeze(let name):
            let names = model.layerNames(matching: name)
            guard !names.isEmpty else { return CommandRefusal(message: model.noLayerMessage(name)) }
            var frozen = Set(config.frozen)
            if case .freeze = command { frozen.formUnion(names) } else { frozen.subtract(names) }
            config.frozen = frozen.sorted()
            if case .freeze = command { log(.command, "froze \(name)") } else { log(.command, "unfroze \(name)") }
        case .setLearningRate, .scaleLearningRate, .setSchedule:
            return changeRate(command)
        case .addEpochs(let count):
            let epochs = max(config.epochs + count, position.epoch + 1)
            guard epochs != config.epochs else { return nil }
            log(.command, "epochs \(config.epochs) → \(epochs)")
            config.epochs = epochs
            snapshot.epochs = epochs
        case .setEarlyStop(let rule):
            if rule != nil, setup.split.validation.isEmpty {
                return CommandRefusal(message: "early stopping needs validation rows; there are none")
            }
            config.earlyStop = rule
            best = nil
            log(.command, rule.map { "early stop on: \($0.metric), patience \($0.patience)" } ?? "early stop off: every epoch runs, the last is kept")
        case .save(let directory):
            if snapshot.divergence != nil {
                return CommandRefusal(message: "the run diverged, so it is not saved: "
                    + (state == .diverged ? "lower the rate (<) and resume, or R for a fresh run" : "R starts a fresh one"))
            }
            if let failure = writeCheckpoint(to: directory, position: finishedPosition) { return CommandRefusal(kind: .error, message: failure) }
            log(.info, "saved checkpoint to \(directory)")
        case .correct(let correction):
            return applyCorrection(correction)
        case .setPseudoLabel(let rule):
            config.pseudoLabel = rule
            log(.command, rule.map { "pseudo-labels from epoch \($0.startEpoch) at p ≥ \(format($0.threshold)), weight \(format($0.weight))" } ?? "pseudo-labels off")
        case .showExamples(let split):
            exampleSplit = split
            refreshOtherExamples()
        case .fork:
            channel.deposit(fork: forkCheckpoint())
            log(.command, "branched at step \(position.step)")
        case .stop:
            stopRequested = true
            log(.command, "stop requested")
        }
        return nil
    }
}
