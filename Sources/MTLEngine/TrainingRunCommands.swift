import Dispatch
import Foundation
import MTLData

/// The commands a run takes between steps: applied in order at the next batch.
extension TrainingRun {
    func apply(_ commands: [TrainerCommand]) {
        for command in commands {
            switch command {
            case .pause:
                if state == .running { state = .paused; log(.command, "paused") }
            case .resume:
                if state == .paused || state == .diverged { state = .running; stepBudget = 0; log(.command, "resumed") }
            case .step(let n):
                if state == .running { state = .paused }
                if state == .diverged { state = .paused }
                stepBudget += max(n, 1)
                stepsAsked += max(n, 1)
            case .setLossWeight(let task, _), .scaleLossWeight(let task, _):
                guard let t = tasks.firstIndex(of: task) else { log(.warning, "no task named '\(task)'"); continue }
                var weight = config.lossWeights[t]
                switch command {
                case .setLossWeight(_, let typed): weight = typed
                case .scaleLossWeight(_, let factor):
                    guard factor > 0, factor.isFinite else { log(.warning, "a loss weight factor must be a finite number > 0"); continue }
                    weight = weight == 0 ? (factor > 1 ? 0.1 : 0) : (weight * factor * 1000).rounded() / 1000
                default: continue
                }
                guard weight >= 0, weight.isFinite else { log(.warning, "loss weight must be a finite number ≥ 0"); continue }
                config.lossWeights[t] = weight
                var pin = ""
                if case .setLossWeight = command, !config.pinned.contains(task) {
                    config.pinned.append(task)
                    if config.strategy != .fixed { pin = " (pinned: \(config.strategy.rawValue) leaves it)" }
                }
                log(.command, "weight \(task) = \(format(weight))\(pin)")
                restartEarlyStopTracking()
            case .unpinLossWeight(let task):
                guard config.pinned.contains(task) else { log(.warning, "'\(task)' has no pinned weight"); continue }
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
                setLossShape(task, shape)
            case .freeze(let name), .unfreeze(let name):
                let names = model.layerNames(matching: name)
                guard !names.isEmpty else { log(.warning, "no layer named '\(name)'"); continue }
                var frozen = Set(config.frozen)
                if case .freeze = command { frozen.formUnion(names) } else { frozen.subtract(names) }
                config.frozen = frozen.sorted()
                if case .freeze = command { log(.command, "froze \(name)") } else { log(.command, "unfroze \(name)") }
            case .setLearningRate, .scaleLearningRate, .setSchedule:
                changeRate(command)
            case .addEpochs(let count):
                let epochs = max(config.epochs + count, position.epoch + 1)
                guard epochs != config.epochs else { continue }
                log(.command, "epochs \(config.epochs) → \(epochs)")
                config.epochs = epochs
                snapshot.epochs = epochs
            case .setEarlyStop(let rule):
                if rule != nil, setup.split.validation.isEmpty {
                    log(.warning, "early stopping needs validation rows; there are none"); continue
                }
                config.earlyStop = rule
                best = nil
                log(.command, rule.map { "early stop on: \($0.metric), patience \($0.patience)" } ?? "early stop off: every epoch runs, the last is kept")
            case .save(let directory):
                save(to: directory, position: finishedPosition, quiet: false)
            case .correct(let correction):
                applyCorrection(correction)
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
        }
        if !commands.isEmpty {
            refreshDerived()
            publish(force: true)
        }
    }
}
