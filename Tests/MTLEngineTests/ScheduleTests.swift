import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// Learning-rate schedules: each one's sequence against values worked out by hand from the
/// PyTorch/Keras definitions, the rate the trainer really applies, manual changes that scale the
/// schedule, and resuming mid-schedule bit for bit.
@Suite(.serialized) struct ScheduleTests {
    func factors(_ schedule: LearningRateSchedule, steps: Int, perEpoch: Int, total: Int) -> [Double] {
        (0..<steps).map { schedule.factor(step: $0, epoch: $0 / perEpoch, totalSteps: total, state: ScheduleState()) }
    }

    @Test func stepHalvesEveryTwoEpochs() {
        // StepLR(step_size=2, gamma=0.5) stepped per epoch, 3 batches an epoch.
        #expect(factors(.step(every: 2, factor: 0.5), steps: 18, perEpoch: 3, total: 18)
            == [1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25])
    }

    @Test func cosineWarmsUpLinearlyThenFollowsAHalfCosineToZero() {
        // LinearLR(1/4, total_iters=3) for 4 steps, then CosineAnnealingLR(T_max=8): 12 steps.
        let f = factors(.cosine(warmup: 4), steps: 12, perEpoch: 4, total: 12)
        let expected = [0.25, 0.5, 0.75, 1, 1, 0.9619397662556434, 0.8535533905932737, 0.6913417161825449,
                        0.5, 0.3086582838174551, 0.1464466094067262, 0.03806023374435663]
        for (a, b) in zip(f, expected) { #expect(abs(a - b) < 1e-12) }
        #expect(f.count == expected.count)
        // Without warm-up the first step is at the base rate.
        #expect(factors(.cosine(warmup: 0), steps: 1, perEpoch: 1, total: 10) == [1])
    }

    @Test func plateauCutsAfterPatienceEpochsWithoutImprovementAsKeras() {
        // Keras ReduceLROnPlateau(patience=2, factor=0.5, cooldown=0): a cut after 2 epochs that
        // do not beat the best, the count restarting after the cut.
        let schedule = LearningRateSchedule.plateau(patience: 2, factor: 0.5)
        var state = ScheduleState()
        let losses = [1.0, 0.9, 0.95, 0.92, 0.8, 0.85, 0.86, 0.87, 0.9]
        var scales: [Double] = []
        for loss in losses {
            _ = schedule.observe(loss, higherIsBetter: false, state: &state)
            scales.append(schedule.factor(step: 0, epoch: 0, totalSteps: 1, state: state))
        }
        #expect(scales == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125])
        // Higher-is-better metrics improve upwards.
        var up = ScheduleState()
        for value in [0.5, 0.6, 0.7] { #expect(schedule.observe(value, higherIsBetter: true, state: &up) == nil) }
        #expect(up.scale == 1)
    }

    @Test func constantKeepsTheBaseRateExactly() {
        let rates = RateSchedule(schedule: .constant)
        #expect((0..<50).allSatisfy { rates.rate(base: 0.0007, step: $0, epoch: $0 / 7, totalSteps: 50) == 0.0007 })
    }

    @Test func parsesEveryFormAndRejectsBadOnesWithAReason() throws {
        for text in ["constant", "step:3:0.1", "cosine", "cosine:100", "plateau", "plateau:4:0.2"] {
            let parsed = try LearningRateSchedule.parse(text)
            #expect(try LearningRateSchedule.parse(parsed.spec) == parsed)
        }
        #expect(try LearningRateSchedule.parse("plateau") == .plateau(patience: 2, factor: 0.5))
        let bad = ["step:0:0.5": "EVERY (epochs) must be a whole number ≥ 1, got '0' in 'step:0:0.5'",
                   "cosine:-1": "WARMUP (steps) must be a whole number ≥ 0, got '-1' in 'cosine:-1'",
                   "step:2:1.5": "FACTOR must be a number between 0 and 1 (exclusive), got '1.5' in 'step:2:1.5'"]
        for (text, message) in bad {
            #expect(throws: LearningRateSchedule.Invalid.self) { try LearningRateSchedule.parse(text) }
            do { _ = try LearningRateSchedule.parse(text) } catch { #expect(error.description == message) }
        }
        for text in ["plateau:x", "linear", "step:2", ""] {
            do { _ = try LearningRateSchedule.parse(text); Issue.record("'\(text)' parsed") } catch {
                #expect(error.description.hasPrefix("expected constant, step:EVERY:FACTOR"))
                #expect(!error.description.contains("\n"))
            }
        }
    }

    // MARK: In the trainer

    func setup(epochs: Int, schedule: LearningRateSchedule, learningRate: Float = 1e-3) -> TrainingSetup {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.regression, 1)]
        let model = ModelConfig(trunk: .cnn, vocabulary: 40, embedding: 6, filters: 8, kernel: 3, hidden: [8],
                                dropout: 0.1, features: 0, heads: SyntheticData.heads(tasks))
        var training = TrainingConfig()
        training.epochs = epochs
        training.batchSize = 16
        training.logEvery = 1
        training.schedule = schedule
        training.optimizer.learningRate = learningRate
        return SyntheticData.setup(rows: 200, tokens: 10, vocabulary: 40, features: 0, tasks: tasks, model: model, training: training)
    }

    final class Rates: Sendable {
        let reported = Locked<[Int: Double]>([:])
        func callAsFunction(_ progress: TrainerProgress) {
            if case let .learningRate(step, rate) = progress { reported.withLock { $0[step] = rate } }
        }
    }

    @Test func theTrainerAppliesTheScheduleAndReportsEachRate() {
        let rates = Rates()
        let trainer = Trainer(setup(epochs: 3, schedule: .step(every: 1, factor: 0.5)), observer: { rates($0) })
        trainer.start()
        trainer.waitUntilFinished()
        let history = trainer.snapshot.history
        #expect(history.map(\.learningRate) == [0.001, 0.0005, 0.00025])
        // 10 batches an epoch: the rate changes at steps 1, 11 and 21 (reported after the step).
        #expect(rates.reported.withLock { $0 } == [1: 0.001, 11: 0.0005, 21: 0.00025])
        #expect(trainer.snapshot.rateTrace.map(\.weight).contains(Double(Float(0.0005))))
    }

    @Test func aManualChangeScalesTheScheduleFromThatStepOnAndIsMarked() {
        let trainer = Trainer(setup(epochs: 2, schedule: .cosine(warmup: 4)), startPaused: true)
        trainer.start()
        trainer.send(.step(6))
        #expect(eventually(trainer) { $0.step == 6 })
        trainer.send(.scaleLearningRate(factor: 0.5))
        #expect(eventually(trainer) { $0.markers.contains(6) })
        let cosine = LearningRateSchedule.cosine(warmup: 4)
        // The base halves; the cosine goes on over it: base/2 · factor(step).
        let halved = Float(Double(Float(1e-3)) * 0.5)
        func scheduled(_ step: Int) -> Double {
            Double(Float(Double(halved) * cosine.factor(step: step, epoch: step / 10, totalSteps: 20, state: ScheduleState())))
        }
        #expect(eventually(trainer) { $0.learningRate == scheduled(6) })
        trainer.send(.step(4))
        #expect(eventually(trainer) { $0.step == 10 && $0.learningRate == scheduled(10) })
        #expect(scheduled(10) < scheduled(6))
        // A typed rate is the rate in force; the schedule goes on from it.
        trainer.send(.setLearningRate(0.002))
        #expect(eventually(trainer) { abs($0.learningRate - 0.002) < 1e-9 })
        #expect(trainer.snapshot.events.last?.message.contains("cosine:4 schedule goes on from it") == true)
        trainer.send(.stop)
        trainer.waitUntilFinished()
    }

    @Test(arguments: ["cosine:7", "plateau:1:0.5", "step:1:0.5"])
    func resumingMidScheduleContinuesBitForBit(spec: String) throws {
        let schedule = try LearningRateSchedule.parse(spec)
        let directory = NSTemporaryDirectory() + "mtl-tui-schedule-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var straight = setup(epochs: 4, schedule: schedule, learningRate: 0.03)
        straight.training.earlyStop = nil
        let runs = try StraightAndResumed(straight, stopAfter: 23, in: directory)
        let a = runs.straight, c = runs.resumed
        #expect(runs.reachedStop)
        if case .plateau = schedule {
            // The run must cut the rate, or the saved state is never put to the test.
            #expect(Set(a.snapshot.history.compactMap(\.learningRate)).count > 1)
        }
        expectSameFiles(directory + "/straight", directory + "/resumed")
        #expect(c.snapshot.history.map(\.learningRate) == a.snapshot.history.map(\.learningRate))
    }

    @Test func aCheckpointWithoutScheduleKeysStillLoads() throws {
        let directory = NSTemporaryDirectory() + "mtl-tui-schedule-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var run = setup(epochs: 1, schedule: .step(every: 1, factor: 0.5))
        run.saveDirectory = directory
        let trainer = Trainer(run)
        trainer.start()
        trainer.waitUntilFinished()
        let path = directory + "/model.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        #expect(json["schedule"] != nil)
        json["schedule"] = nil
        var training = json["training"] as! [String: Any]
        #expect(training["schedule"] as? String == "step:1:0.5")
        training["schedule"] = nil
        json["training"] = training
        var history = json["history"] as! [[String: Any]]
        for i in history.indices { history[i]["learningRate"] = nil }
        json["history"] = history
        json["files"] = nil   // an older, version-1 sidecar
        json["version"] = 1
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        let loaded = try Checkpoint.read(from: directory, for: .resume)
        #expect(loaded.info.schedule == nil)
        #expect(loaded.info.training.schedule == .constant)
        #expect(loaded.info.history.first?.learningRate == nil)
    }

    @Test func anEditedScheduleStateIsOneLineNamingTheKey() throws {
        let directory = NSTemporaryDirectory() + "mtl-tui-schedule-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var run = setup(epochs: 1, schedule: .plateau(patience: 1, factor: 0.5))
        run.saveDirectory = directory
        let trainer = Trainer(run)
        trainer.start()
        trainer.waitUntilFinished()
        let path = directory + "/model.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        json["schedule"] = ["scale": 0, "wait": 0]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        do { _ = try Checkpoint.read(from: directory, for: .resume); Issue.record("read an impossible state") } catch {
            #expect("\(error)" == "\(path): schedule.scale: expected a number in (0, 1], got 0.0")
        }
    }

    func eventually(_ trainer: Trainer, _ condition: (TrainerSnapshot) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if condition(trainer.snapshot) { return true }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return false
    }
}
