import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// Drives the trainer only through its public control API, as the workbench does.
@Suite(.serialized) struct TrainerTests {
    static let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.binary, 2), (.regression, 1)]

    func setup(epochs: Int = 2, trunk: TrunkKind = .cnn, dropout: Float = 0.2, rows: Int = 400,
               wide: Bool = false, sharing: Sharing = .hard) -> TrainingSetup {
        let model = ModelConfig(trunk: trunk, vocabulary: 60, embedding: 8, filters: 12, kernel: 3, hidden: [10],
                                dropout: dropout, features: 0, heads: SyntheticData.heads(Self.tasks),
                                ngrams: trunk == .bag || wide ? 90 : 0, wide: wide, sharing: sharing, recurrent: 7)
        var training = TrainingConfig()
        training.epochs = epochs
        training.batchSize = 16
        training.logEvery = 1
        return SyntheticData.setup(rows: rows, tokens: 12, vocabulary: 60, features: 0, tasks: Self.tasks, model: model, training: training)
    }

    /// Polls until `condition` holds or 10 s pass.
    func eventually(_ trainer: Trainer, _ condition: (TrainerSnapshot) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if condition(trainer.snapshot) { return true }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return false
    }

    final class Recorder: Sendable {
        let steps = Locked<[(step: Int, losses: [Float?], total: Float)]>([])
        func callAsFunction(_ progress: TrainerProgress) {
            if case let .step(step, _, _, _, losses, total) = progress { steps.withLock { $0.append((step, losses, total)) } }
        }
        var losses: [[Float?]] { steps.withLock { $0.map(\.losses) } }
    }

    func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "mtl-tui-test-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func pauseStopsTheStepCounterAndStepAdvancesByOne() {
        let trainer = Trainer(setup(epochs: 50))
        trainer.start()
        #expect(eventually(trainer) { $0.step >= 3 })
        trainer.send(.pause)
        #expect(eventually(trainer) { $0.state == .paused })
        let paused = trainer.snapshot.step
        Thread.sleep(forTimeInterval: 0.3)
        #expect(trainer.snapshot.step == paused)
        trainer.send(.step(1))
        #expect(eventually(trainer) { $0.step == paused + 1 })
        Thread.sleep(forTimeInterval: 0.2)
        #expect(trainer.snapshot.step == paused + 1)
        #expect(trainer.snapshot.state == .paused)
        trainer.send(.resume)
        #expect(eventually(trainer) { $0.step > paused + 3 && $0.state == .running })
        trainer.send(.stop)
        #expect(trainer.waitUntilFinished(seconds: 10))
        #expect(trainer.snapshot.state == .stopped)
        #expect(trainer.snapshot.events.map(\.message).contains("paused"))
    }

    @Test func aWeightChangedMidRunIsTheWeightOfTheNextBatch() {
        let recorder = Recorder()
        let trainer = Trainer(setup(), startPaused: true, observer: { recorder($0) })
        trainer.start()
        trainer.send(.step(2))
        #expect(eventually(trainer) { $0.step == 2 })
        trainer.send(.setLossWeight(task: "task1", weight: 3))
        trainer.send(.step(1))
        #expect(eventually(trainer) { $0.step == 3 })
        // Each step command is said when done, with the count it asked for.
        let said = trainer.snapshot.events.map(\.message).filter { $0.hasPrefix("paused after") }
        #expect(said == ["paused after 2 steps", "paused after a single step"], "\(said)")
        let steps = recorder.steps.withLock { $0 }
        #expect(steps.count == 3)
        func total(_ s: (step: Int, losses: [Float?], total: Float), _ w: [Float]) -> Float {
            zip(s.losses, w).reduce(0) { $0 + $1.1 * ($1.0 ?? 0) }
        }
        #expect(abs(steps[1].total - total(steps[1], [1, 1, 1])) < 1e-5)
        #expect(abs(steps[2].total - total(steps[2], [1, 3, 1])) < 1e-5)
        #expect(abs(steps[2].total - total(steps[2], [1, 1, 1])) > 1e-3)
        let event = trainer.snapshot.events.first { $0.message.hasPrefix("weight task1") }
        #expect(event?.step == 2)
        #expect(trainer.snapshot.lossWeights == [1, 3, 1])
        trainer.send(.stop)
        trainer.waitUntilFinished()
    }

    @Test func aFrozenLayerDoesNotChangeWhileTheOthersDo() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let trainer = Trainer(setup(), startPaused: true)
        trainer.start()
        trainer.send(.step(2))
        trainer.send(.save(directory + "/before"))
        trainer.send(.freeze("conv"))
        trainer.send(.step(5))
        #expect(eventually(trainer) { $0.step == 7 })
        trainer.send(.save(directory + "/after"))
        #expect(eventually(trainer) { $0.events.filter { $0.message.hasPrefix("saved") }.count == 2 })
        trainer.send(.stop)
        trainer.waitUntilFinished()
        let before = try Checkpoint.read(from: directory + "/before"), after = try Checkpoint.read(from: directory + "/after")
        for tensor in before.info.tensors {
            let range = tensor.offset..<(tensor.offset + tensor.count)
            let same = before.parameters[range].elementsEqual(after.parameters[range]) { $0.bitPattern == $1.bitPattern }
            #expect(same == (tensor.layer == "conv"), "\(tensor.name)")
        }
        #expect(trainer.snapshot.frozen == ["conv"])
    }

    @Test func theSameSeedGivesTheSameLosses() {
        func run() -> [[Float?]] {
            let recorder = Recorder()
            let trainer = Trainer(setup(epochs: 2), observer: { recorder($0) })
            trainer.start()
            trainer.waitUntilFinished()
            return recorder.losses
        }
        let first = run(), second = run()
        #expect(first.count == 40)   // 320 training rows / 16 per batch × 2 epochs
        #expect(first.map { $0.map { $0?.bitPattern } } == second.map { $0.map { $0?.bitPattern } })
    }

    @Test(arguments: ["cnn", "mlp", "gru", "bag+wide", "gru, mmoe:2"])
    func resumingContinuesBitForBit(model: String) throws {
        let trunk = TrunkKind(rawValue: String(model.prefix { $0.isLetter }))!
        let wide = model.contains("wide"), sharing: Sharing = model.contains("mmoe") ? .mmoe(experts: 2) : .hard
        func setup(epochs: Int, trunk: TrunkKind) -> TrainingSetup { self.setup(epochs: epochs, trunk: trunk, wide: wide, sharing: sharing) }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Stop part-way through the second epoch, then resume to the end.
        let runs = try StraightAndResumed(setup(epochs: 3, trunk: trunk), stopAfter: 37, in: directory)
        #expect(runs.reachedStop)
        let a = runs.straight, c = runs.resumed
        expectSameFiles(directory + "/straight", directory + "/resumed")
        #expect(c.snapshot.history.count == 3)
        #expect(c.snapshot.history.last == a.snapshot.history.last.map { var r = $0; r.seconds = c.snapshot.history.last!.seconds; return r })
    }

    @Test func aNonFiniteLossSkipsTheUpdateAndNamesTaskAndStep() {
        var bad = setup(epochs: 1, trunk: .mlp)
        for r in 0..<bad.inputs.rows.count { bad.inputs.rows.targets[2].values[r] = .infinity }
        // In the workbench (continuable) the run pauses, diverged, for the user to steer.
        let steered = Trainer(bad, continuable: true)
        steered.start()
        #expect(eventually(steered) { $0.state == .diverged })
        #expect(steered.snapshot.divergence == "task2 loss is inf at step 1; the update was skipped")
        #expect(steered.snapshot.step == 0)
        // Its weights are not saved, as headless runs never save a diverged model.
        let directory = temporaryDirectory()
        steered.send(.save(directory))
        #expect(eventually(steered) { $0.events.last?.message.hasPrefix("the run diverged, so it is not saved") == true })
        #expect(!FileManager.default.fileExists(atPath: directory + "/model.json"))
        steered.send(.stop)
        steered.waitUntilFinished()
        // Headless, no one can: the run ends by itself (it waited forever), the divergence kept.
        let headless = Trainer(bad)
        headless.start()
        #expect(headless.waitUntilFinished(seconds: 30))
        #expect(headless.snapshot.state == .stopped && headless.snapshot.divergence == "task2 loss is inf at step 1; the update was skipped")
    }

    /// An update that overflows the outputs (finite loss before it) on an epoch's last batch is
    /// caught by the epoch's evaluation: it cannot be undone, so the run ends diverged, in the
    /// workbench too, with nothing recorded, saved or tested from the broken weights.
    @Test func outputsThatOverflowEndTheRunInTheWorkbenchToo() {
        var s = setup(epochs: 1, trunk: .mlp)
        s.training.batchSize = 512   // one batch: the overflowing update is the epoch's last
        s.training.optimizer = OptimizerConfig(kind: .sgd, learningRate: 1e30)
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        s.saveDirectory = directory
        let trainer = Trainer(s, continuable: true)
        trainer.start()
        #expect(trainer.waitUntilFinished(seconds: 30))
        let snapshot = trainer.snapshot
        #expect(snapshot.state == .stopped, "not finished on broken weights: \(snapshot.state)")
        #expect(snapshot.divergence?.contains("outputs on the validation rows are not finite after step 1") == true, "\(snapshot.divergence ?? "")")
        #expect(snapshot.history.isEmpty && snapshot.test == nil)
        #expect(!FileManager.default.fileExists(atPath: directory + "/model.json"))
    }

    /// Finite losses whose weighted sum leaves 32-bit floats (a weight from an edited
    /// checkpoint, say): the gradient norm is not finite, and the task that made it is named.
    @Test func aWeightedLossBeyondFloatsNamesItsTask() {
        var bad = setup(epochs: 1, trunk: .mlp)
        bad.training.lossWeights = [1, 1e39, 1]
        let trainer = Trainer(bad)
        trainer.start()
        #expect(trainer.waitUntilFinished(seconds: 30))
        let divergence = trainer.snapshot.divergence ?? ""
        #expect(divergence.hasPrefix("gradient norm is ") && divergence.contains(" at step 1 (task1: loss ")
                && divergence.hasSuffix(" × weight 1e+39 is beyond 32-bit floats); the update was skipped"), "\(divergence)")
    }

    @Test func learningRateAndStrategyCommandsAreLogged() {
        let trainer = Trainer(setup(), startPaused: true)
        trainer.start()
        trainer.send(.setLearningRate(0.01))
        trainer.send(.setStrategy(.dwa))
        trainer.send(.freeze("nope"))
        #expect(eventually(trainer) { $0.events.count >= 3 })
        let s = trainer.snapshot
        #expect(s.learningRate == Double(Float(0.01)))
        #expect(s.strategy == .dwa)
        // A refused command sent without a reply (as the workbench sends) is logged, naming the layers there are.
        #expect(s.events.map(\.message) == ["learning rate 0.01", "weighting strategy dwa",
                                            "no layer named 'nope' (layers: embedding, conv, dense, head.task0, head.task1, head.task2; groups: trunk, heads)"])
        #expect(s.events.last?.kind == .warning)
        trainer.send(.stop)
        trainer.waitUntilFinished()
    }

    /// An unknown layer's message names the group words too, each of which names layers.
    @Test func anUnknownLayerListsTheGroupsThatWork() {
        let model = Model(setup(epochs: 1, trunk: .cnn, wide: true, sharing: .mmoe(experts: 2)).model, seed: 1)
        let message = model.noLayerMessage("expert3")
        let groups = message.split(separator: "groups: ").last!.dropLast().split(separator: ", ").map(String.init)
        #expect(groups.starts(with: ["trunk", "heads", "gates", "wide", "expert1", "expert2"]) && groups.contains("conv"), "\(message)")
        for word in groups { #expect(!model.layerNames(matching: word).isEmpty, "\(word)") }
        #expect(model.layerNames(matching: "expert3").isEmpty)
    }

    /// Keys pressed twice before the snapshot caught up: both relative commands apply at the
    /// same batch boundary, each to the value the previous one left.
    @Test func relativeCommandsInOneBatchEachCount() {
        let trainer = Trainer(setup(), startPaused: true)
        for command: TrainerCommand in [.scaleLossWeight(task: "task1", factor: 1.25), .scaleLossWeight(task: "task1", factor: 1.25),
                                        .scaleLearningRate(factor: 2), .scaleLearningRate(factor: 2),
                                        .setLossWeight(task: "task2", weight: 0), .scaleLossWeight(task: "task2", factor: 1.25),
                                        .scaleLossWeight(task: "task0", factor: 0.8), .scaleLearningRate(factor: 0)] {
            trainer.send(command)   // all queued before the run takes its first batch of commands
        }
        trainer.start()
        #expect(eventually(trainer) { $0.events.count >= 8 })
        let s = trainer.snapshot
        #expect(s.userWeights == [0.8, 1.563, 0.1])
        #expect(s.learningRate == Double(Float(0.004)))
        #expect(s.events.map(\.message) == ["weight task1 = 1.25", "weight task1 = 1.563", "learning rate 0.002", "learning rate 0.004",
                                            "weight task2 = 0", "weight task2 = 0.1", "weight task0 = 0.8",
                                            "learning rate must be a finite number > 0 within 32-bit floats (got 0)"])
        #expect(s.step == 0)
        trainer.send(.stop)
        trainer.waitUntilFinished()
    }

    @Test func earlyStoppingRestoresTheBestEpoch() {
        var s = setup(epochs: 30)
        s.training.earlyStop = EarlyStop(metric: "loss", patience: 1)
        s.training.optimizer.learningRate = 0.05   // overfits random labels fast
        let trainer = Trainer(s)
        trainer.start()
        trainer.waitUntilFinished()
        let snapshot = trainer.snapshot
        #expect(snapshot.history.count < 30)
        #expect(snapshot.events.contains { $0.message.hasPrefix("restored the parameters of epoch") })
        #expect(snapshot.restoredEpoch != nil && snapshot.restoredEpoch! < snapshot.history.count)
        // The hard examples were recomputed with the kept weights.
        let kept = snapshot.history.first { $0.epoch == snapshot.restoredEpoch }
        #expect(kept != nil && snapshot.examples?.step == kept?.step)
        #expect(snapshot.test != nil)
        // In the workbench the training and test lists, evaluated with the kept weights too, say so.
        let workbench = Trainer(s, continuable: true)
        workbench.start()
        #expect(eventually(workbench) { $0.state == .finished })
        workbench.send(.showExamples(.train))
        #expect(eventually(workbench) { $0.otherExamples?.split == .train })
        #expect(workbench.snapshot.otherExamples?.step == kept?.step)
        workbench.send(.stop)
        workbench.waitUntilFinished()
    }

    @Test func aChangedObjectiveRestartsEarlyStopTracking() {
        var s = setup(epochs: 50)
        s.training.earlyStop = EarlyStop(metric: "loss", patience: 5)
        let trainer = Trainer(s)
        trainer.start()
        #expect(eventually(trainer) { $0.history.count >= 1 })
        trainer.send(.setLossWeight(task: trainer.snapshot.tasks[0], weight: 3))
        #expect(eventually(trainer) { $0.events.contains { $0.message == "early stop: loss is tracked afresh from the next epoch" } })
        trainer.send(.stop)
        trainer.waitUntilFinished()
    }

    @Test func earlyStoppingTurnedOffMidRunLetsEveryEpochRun() {
        var s = setup(epochs: 6)
        s.training.earlyStop = EarlyStop(metric: "loss", patience: 0)
        s.training.optimizer.learningRate = 0.05   // overfits random labels: patience 0 would stop early
        let trainer = Trainer(s, startPaused: true)
        trainer.start()
        trainer.send(.setEarlyStop(nil))
        trainer.send(.resume)
        trainer.waitUntilFinished()
        let snapshot = trainer.snapshot
        #expect(snapshot.history.count == 6)
        #expect(snapshot.earlyStop == nil && snapshot.restoredEpoch == nil)
        #expect(snapshot.events.contains { $0.message == "early stop off: every epoch runs, the last is kept" })
    }

    @Test func addedEpochsRunAndNeverCutTheEpochInProgress() {
        let trainer = Trainer(setup(epochs: 2), startPaused: true)
        trainer.start()
        trainer.send(.addEpochs(3))
        trainer.send(.addEpochs(-100))   // at most back to the epoch in progress (the first)
        trainer.send(.addEpochs(3))
        trainer.send(.resume)
        trainer.waitUntilFinished()
        let snapshot = trainer.snapshot
        #expect(snapshot.history.count == 4 && snapshot.epochs == 4)
        #expect(snapshot.events.map(\.message).filter { $0.hasPrefix("epochs") } == ["epochs 2 → 5", "epochs 5 → 1", "epochs 1 → 4"])
    }

    @Test func earlyStoppingNeedsValidationRows() {
        var s = setup(epochs: 1)
        s.training.earlyStop = EarlyStop(metric: "loss", patience: 1)
        s.split.train += s.split.validation
        s.split.validation = []
        let trainer = Trainer(s)
        trainer.start()
        trainer.waitUntilFinished()
        #expect(trainer.snapshot.events.contains { $0.message == "early stopping is off: there are no validation rows" })
        #expect(trainer.snapshot.state == .finished)
    }
}
