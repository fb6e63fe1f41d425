import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// `Trainer.send(_:applied:)`: the acknowledgement a protocol `ack` reports.
@Suite struct TrainerAckTests {
    @Test func eachCommandIsAcknowledgedWithTheStepsCompletedWhenItApplied() {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.binary, 2), (.regression, 1)]
        let model = ModelConfig(trunk: .cnn, vocabulary: 60, embedding: 8, filters: 6, kernel: 3, hidden: [6],
                                features: 0, heads: SyntheticData.heads(tasks))
        var training = TrainingConfig()
        training.epochs = 50
        training.batchSize = 16
        let setup = SyntheticData.setup(rows: 200, tokens: 12, vocabulary: 60, features: 0, tasks: tasks, model: model, training: training)
        let trainer = Trainer(setup, startPaused: true)
        let acks = Locked<[String: Int]>([:])
        func ack(_ name: String) -> @Sendable (Int) -> Void { { step in acks.withLock { $0[name] = step } } }
        trainer.start()
        trainer.send(.step(3), applied: ack("step"))
        let deadline = Date().addingTimeInterval(10)
        while trainer.snapshot.step < 3, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        #expect(trainer.snapshot.step == 3)
        trainer.send(.setLearningRate(0.01), applied: ack("lr"))
        trainer.send(.setLossWeight(task: "task1", weight: 2))   // no callback: nothing to call
        trainer.send(.stop, applied: ack("stop"))
        #expect(trainer.waitUntilFinished(seconds: 10))
        #expect(acks.withLock { $0 } == ["step": 0, "lr": 3, "stop": 3])
        #expect(trainer.snapshot.learningRate == Double(Float(0.01)))
    }
}
