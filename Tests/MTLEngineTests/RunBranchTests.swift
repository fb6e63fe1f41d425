import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// Continuing a finished run in place and branching a run: exact copies, through the public API.
@Suite(.serialized) struct RunBranchTests {
    let base = TrainerTests()

    func eventually(_ trainer: Trainer, _ condition: (TrainerSnapshot) -> Bool) -> Bool { base.eventually(trainer, condition) }

    /// Waits for the fork a `.fork` command deposits.
    func fork(of trainer: Trainer) -> Checkpoint? {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let fork = trainer.takeFork() { return fork }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return nil
    }

    @Test(arguments: [WeightingStrategy.fixed, .rlw, .famo])
    func aBranchWithNoChangesHasBitIdenticalLosses(strategy: WeightingStrategy) throws {
        var setup = base.setup(epochs: 3)
        setup.training.strategy = strategy
        setup.training.schedule = .cosine(warmup: 5)
        let originRecorder = TrainerTests.Recorder(), branchRecorder = TrainerTests.Recorder()
        let origin = Trainer(setup, startPaused: true, observer: { originRecorder($0) })
        origin.start()
        origin.send(.step(37))   // part-way through the second epoch (20 batches each)
        #expect(eventually(origin) { $0.step == 37 })
        origin.send(.fork)
        let checkpoint = try #require(fork(of: origin))
        #expect(checkpoint.info.position.step == 37)
        let branch = Trainer(setup.branch(from: checkpoint), observer: { branchRecorder($0) })
        branch.start()
        origin.send(.resume)
        origin.waitUntilFinished()
        branch.waitUntilFinished()

        let after = originRecorder.steps.withLock { $0.filter { $0.step > 37 } }
        let branched = branchRecorder.steps.withLock { $0 }
        #expect(after.count == 3 * origin.snapshot.stepsPerEpoch - 37 && branched.count == after.count)
        #expect(zip(after, branched).allSatisfy { $0.step == $1.step && $0.losses == $1.losses && $0.total == $1.total })
        #expect(origin.snapshot.history.last?.validationTotal == branch.snapshot.history.last?.validationTotal)
        #expect(origin.snapshot.events.contains { $0.message == "branched at step 37" })
    }

    @Test func aBranchKeepsItsOwnSettingsAndTheOriginItsOwn() throws {
        let origin = Trainer(base.setup(epochs: 2), startPaused: true)
        origin.start()
        origin.send(.step(5))
        #expect(eventually(origin) { $0.step == 5 })
        origin.send(.fork)
        let branch = Trainer(base.setup(epochs: 2).branch(from: try #require(fork(of: origin))), startPaused: true)
        branch.start()
        #expect(eventually(branch) { $0.step == 5 && $0.state == .paused })
        let before = branch.snapshot
        branch.send(.setLossWeight(task: before.tasks[1], weight: 2))
        #expect(eventually(branch) { $0.userWeights[1] == 2 })
        #expect(RunDifference.changes(from: before, to: branch.snapshot) == ["weight \(before.tasks[1]) 1 → 2"])
        #expect(origin.snapshot.userWeights[1] == 1)
        origin.send(.stop)
        branch.send(.stop)
        origin.waitUntilFinished()
        branch.waitUntilFinished()
    }

    @Test func anEarlyStoppedRunContinuesFromTheKeptWeights() throws {
        var setup = base.setup(epochs: 30)
        setup.training.earlyStop = EarlyStop(metric: "loss", patience: 1)
        setup.training.optimizer.learningRate = 0.05   // overfits random labels fast: stops early
        let trainer = Trainer(setup, continuable: true)
        trainer.start()
        #expect(eventually(trainer) { $0.state == .finished })
        let stopped = trainer.snapshot
        let kept = stopped.restoredEpoch
        #expect(kept != nil && stopped.history.count < 30)
        // The confusion view's figures are the kept model's: those of the restored epoch.
        let keptRecord = try #require(stopped.history.first { $0.epoch == kept })
        let confusions = try #require(stopped.keptValidation).map(\.confusion)
        #expect(confusions.contains { $0 != nil } && confusions == keptRecord.validation.map(\.confusion))
        #expect(stopped.history.last!.validation.map(\.confusion) != confusions)
        trainer.send(.addEpochs(2))
        #expect(eventually(trainer) { $0.history.count > stopped.history.count })
        let continuing = trainer.snapshot
        let done = stopped.history.count
        #expect(continuing.events.contains {
            $0.message == "continuing to epoch 32 (2 more than the 30 planned) from the kept weights of epoch \(kept!) (early stopping's best)"
                + "; early stopping (loss, patience 1) may end it sooner"
        })
        // The first epoch after continuing starts from the kept weights, so its training loss
        // is near the kept epoch's validation loss, not the last (overfit) epoch's.
        #expect(continuing.history[done].epoch == done + 1)
        // The plan is picked up again, so a schedule keeps its length.
        #expect(continuing.epochs == 32)
        trainer.send(.stop)
        #expect(trainer.waitUntilFinished(seconds: 10))
    }

    @Test func aFinishedRunContinuesAndABranchOfItTrainsOn() throws {
        let trainer = Trainer(base.setup(epochs: 1), continuable: true)
        trainer.start()
        #expect(eventually(trainer) { $0.state == .finished && $0.test != nil })
        trainer.send(.fork)
        let checkpoint = try #require(fork(of: trainer))
        #expect(checkpoint.info.position.epoch == 1 && checkpoint.info.position.batch == 0)
        trainer.send(.addEpochs(1))
        #expect(eventually(trainer) { $0.state == .finished && $0.history.count == 2 })
        #expect(trainer.snapshot.events.contains { $0.message == "continuing to epoch 2 (1 more than the 1 planned) from the last epoch's weights" })
        let branch = Trainer(base.setup(epochs: 1).branch(from: checkpoint), continuable: true)
        branch.start()
        #expect(eventually(branch) { $0.state == .finished })
        #expect(branch.snapshot.history.count == 1)   // no epoch trained twice
        branch.send(.addEpochs(1))
        #expect(eventually(branch) { $0.state == .finished && $0.history.count == 2 })
        // Continuing the branch is continuing the origin: the same second epoch.
        #expect(branch.snapshot.history[1].validationTotal == trainer.snapshot.history[1].validationTotal)
        trainer.send(.stop)
        branch.send(.stop)
        #expect(trainer.waitUntilFinished(seconds: 10) && branch.waitUntilFinished(seconds: 10))
    }

    @Test func aFreshRunTakesTheSettingsInForceAndANewSeed() {
        let trainer = Trainer(base.setup(epochs: 1), startPaused: true)
        trainer.start()
        trainer.send(.setLossWeight(task: "task0", weight: 3))
        trainer.send(.setStrategy(.dwa))
        trainer.send(.scaleLearningRate(factor: 0.25))
        #expect(eventually(trainer) { $0.strategy == .dwa && $0.baseLearningRate == Double(Float(base.setup(epochs: 1).training.optimizer.learningRate * 0.25)) })
        let fresh = trainer.setup.fresh(settings: trainer.snapshot, seed: 7)
        #expect(fresh.training.seed == 7 && fresh.training.strategy == .dwa && fresh.training.lossWeights[0] == 3)
        // The rate as `<` left it, not the launch rate.
        #expect(fresh.training.optimizer.learningRate == trainer.setup.training.optimizer.learningRate * 0.25)
        #expect(fresh.training.pinned == ["task0"] && fresh.resume == nil)
        trainer.send(.stop)
        trainer.waitUntilFinished()
    }
}
