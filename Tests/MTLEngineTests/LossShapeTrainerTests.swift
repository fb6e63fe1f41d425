import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// Focal loss and OHEM switched while training: in force at the next batch, logged as a change,
/// saved in the checkpoint and resumed bit for bit.
@Suite(.serialized) struct LossShapeTrainerTests {
    let base = TrainerTests()

    @Test func aShapeSetMidRunIsTheLossOfTheNextBatch() {
        let plainSteps = TrainerTests.Recorder(), shapedSteps = TrainerTests.Recorder()
        let plain = Trainer(base.setup(), startPaused: true, observer: { plainSteps($0) })
        let shaped = Trainer(base.setup(), startPaused: true, observer: { shapedSteps($0) })
        for trainer in [plain, shaped] {
            trainer.start()
            trainer.send(.step(3))
            #expect(base.eventually(trainer) { $0.step == 3 })
        }
        // task2 is regression: OHEM keeps its worst quarter; focal loss is refused for it.
        shaped.send(.setLossShape(task: "task2", LossShape(ohem: 0.25)))
        shaped.send(.setLossShape(task: "task2", LossShape(focal: FocalLoss())))
        shaped.send(.setLossShape(task: "task1", LossShape(ohem: 0)))
        shaped.send(.setLossShape(task: "nope", LossShape(ohem: 0.5)))
        #expect(base.eventually(shaped) { $0.events.count >= 4 })
        for trainer in [plain, shaped] {
            trainer.send(.step(1))
            #expect(base.eventually(trainer) { $0.step == 4 })
        }
        let a = plainSteps.losses, b = shapedSteps.losses
        #expect(a.count == 4 && b.count == 4)
        #expect(a.prefix(3).map { $0.map { $0?.bitPattern } } == b.prefix(3).map { $0.map { $0?.bitPattern } })
        // Same parameters, same batch: the mean over the worst quarter is above the mean over all.
        #expect(b[3][2]! > a[3][2]!, "\(String(describing: b[3][2])) vs \(String(describing: a[3][2]))")
        #expect(a[3][0] == b[3][0] && a[3][1] == b[3][1])
        let s = shaped.snapshot
        #expect(s.lossShapes == ["task2": LossShape(ohem: 0.25)])
        #expect(s.events.map(\.message).filter { !$0.hasPrefix("paused") } == ["loss task2: ohem 0.25", "focal loss needs a classification task; 'task2' is regression",
                                            "an OHEM fraction must be in (0, 1]", "no task named 'nope'"])
        #expect(s.markers == [3])
        for trainer in [plain, shaped] {
            trainer.send(.stop)
            trainer.waitUntilFinished()
        }
    }

    /// Shapes switched on live before a stop come back from the checkpoint, and the resumed run
    /// ends with the same bytes as one that had them from the start.
    @Test func shapesAreSavedAndResumedBitForBit() throws {
        let directory = base.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let shapes = ["task0": LossShape(focal: FocalLoss(gamma: 2), ohem: 0.5), "task1": LossShape(focal: FocalLoss(gamma: 1, alpha: 0.25))]
        var straight = base.setup(epochs: 3, trunk: .mlp)
        straight.training.lossShapes = shapes
        // The part run starts plain and takes the shapes as commands before its first step.
        let runs = try StraightAndResumed(straight, part: base.setup(epochs: 3, trunk: .mlp), stopAfter: 37, in: directory) { b in
            for (task, shape) in shapes.sorted(by: { $0.key < $1.key }) { b.send(.setLossShape(task: task, shape)) }
        }
        let a = runs.straight, c = runs.resumed
        #expect(runs.reachedStop)
        #expect(runs.part.info.training.lossShapes == shapes)
        expectSameFiles(directory + "/straight", directory + "/resumed")
        #expect(c.snapshot.lossShapes == shapes)
        // The shaped run really trained otherwise than a plain one.
        let plain = Trainer(base.setup(epochs: 3, trunk: .mlp))
        plain.start()
        plain.waitUntilFinished()
        #expect(plain.snapshot.history.last?.validation[0].loss != a.snapshot.history.last?.validation[0].loss)
    }

    /// Checkpoints from before loss shapes, and shapes missing optional keys, still decode.
    @Test func decodingToleratesMissingKeys() throws {
        let old = try JSONDecoder().decode(TrainingConfig.self, from: Data(#"{"epochs": 4}"#.utf8))
        #expect(old.lossShapes.isEmpty && old.epochs == 4)
        let sparse = try JSONDecoder().decode(TrainingConfig.self, from: Data(#"{"lossShapes": {"a": {}, "b": {"focal": {"gamma": 3}}}}"#.utf8))
        #expect(sparse.lossShapes == ["a": LossShape(), "b": LossShape(focal: FocalLoss(gamma: 3, alpha: nil))])
        let round = try JSONDecoder().decode(TrainingConfig.self, from: JSONEncoder().encode(sparse))
        #expect(round == sparse)
    }
}
