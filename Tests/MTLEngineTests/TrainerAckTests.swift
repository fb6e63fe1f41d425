import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// `Trainer.send(_:reply:)`: the acknowledgement a protocol `ack` reports, or the refusal a
/// `command_error` reports.
@Suite struct TrainerAckTests {
    static func trainer(epochs: Int = 50, continuable: Bool = false) -> Trainer {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.binary, 2), (.regression, 1)]
        let model = ModelConfig(trunk: .cnn, vocabulary: 60, embedding: 8, filters: 6, kernel: 3, hidden: [6],
                                features: 0, heads: SyntheticData.heads(tasks))
        var training = TrainingConfig()
        training.epochs = epochs
        training.batchSize = 16
        let setup = SyntheticData.setup(rows: 200, tokens: 12, vocabulary: 60, features: 0, tasks: tasks, model: model, training: training)
        return Trainer(setup, startPaused: !continuable, continuable: continuable)
    }

    /// A finished run's batch of commands: what follows a stop is refused, not silently dropped.
    @Test func commandsAfterAStopAreRefusedAsTheRunHasEnded() {
        let trainer = Self.trainer(epochs: 1, continuable: true)
        trainer.start()
        let deadline = Date().addingTimeInterval(30)
        while trainer.snapshot.state != .finished, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let replies = Locked<[String: CommandReply]>([:])
        func reply(_ name: String) -> @Sendable (CommandReply) -> Void { { r in replies.withLock { $0[name] = r } } }
        trainer.send(.setLearningRate(0.01), reply: reply("rate"))
        trainer.send(.stop, reply: reply("stop"))
        trainer.send(.fork, reply: reply("fork"))
        #expect(trainer.waitUntilFinished(seconds: 10))
        let got = replies.withLock { $0 }
        let step = trainer.snapshot.step
        #expect(got["rate"] == .applied(step: step) && got["stop"] == .applied(step: step), "\(got)")
        #expect(got["fork"] == .refused("the run has ended", step: step), "\(got)")
        #expect(trainer.takeFork() == nil)
    }

    @Test func eachCommandIsAcknowledgedWithTheStepsCompletedWhenItApplied() {
        let trainer = Self.trainer()
        let replies = Locked<[String: CommandReply]>([:])
        func reply(_ name: String) -> @Sendable (CommandReply) -> Void { { r in replies.withLock { $0[name] = r } } }
        trainer.start()
        trainer.send(.step(3), reply: reply("step"))
        let deadline = Date().addingTimeInterval(10)
        while trainer.snapshot.step < 3, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        #expect(trainer.snapshot.step == 3)
        trainer.send(.setLearningRate(0.01), reply: reply("lr"))
        trainer.send(.setLossWeight(task: "task1", weight: 2))   // no callback: nothing to call
        trainer.send(.stop, reply: reply("stop"))
        #expect(trainer.waitUntilFinished(seconds: 10))
        #expect(replies.withLock { $0 } == ["step": .applied(step: 0), "lr": .applied(step: 3), "stop": .applied(step: 3)])
        #expect(trainer.snapshot.learningRate == Double(Float(0.01)))
    }

    /// A command the run cannot carry out is refused to its sender with the reason (and not
    /// logged as well); sent without a reply, as the workbench sends, the reason is logged.
    @Test func anUnknownLayerOrAFailedSaveIsRefusedWithItsReason() throws {
        let scratch = NSTemporaryDirectory() + "mtl-tui-refusal-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let file = scratch + "/a-file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        let trainer = Self.trainer()
        let replies = Locked<[String: CommandReply]>([:])
        func reply(_ name: String) -> @Sendable (CommandReply) -> Void { { r in replies.withLock { $0[name] = r } } }
        trainer.start()
        trainer.send(.freeze("conv9"), reply: reply("freeze"))
        trainer.send(.unfreeze("heads"), reply: reply("unfreeze"))
        trainer.send(.save(file + "/run"), reply: reply("save"))
        trainer.send(.save(scratch + "/saved"), reply: reply("saved"))
        trainer.send(.freeze("conv10"))
        // A rate beyond 32-bit floats, a loss shape the task cannot take: refused, the rate unchanged.
        trainer.send(.setLearningRate(1e39), reply: reply("rate"))
        trainer.send(.setLossShape(task: "task9", LossShape(ohem: 0.5)), reply: reply("shape"))
        trainer.send(.stop, reply: reply("stop"))
        #expect(trainer.waitUntilFinished(seconds: 10))
        let got = replies.withLock { $0 }
        guard case .refused(let layer, _) = got["freeze"], case .refused(let save, _) = got["save"] else {
            Issue.record("expected refusals, got \(got)")
            return
        }
        #expect(layer == "no layer named 'conv9' (layers: embedding, conv, dense, head.task0, head.task1; groups: trunk, heads)")
        #expect(save.hasPrefix("could not save: \(file)/run") && !save.contains("\n"), "\(save)")
        #expect(got["rate"] == .refused("learning rate must be a finite number > 0 within 32-bit floats (got 1e+39)", step: 0), "\(String(describing: got["rate"]))")
        #expect(got["shape"] == .refused("no task named 'task9'", step: 0))
        #expect(trainer.snapshot.learningRate < 1, "the refused rate is not in force")
        #expect(got["unfreeze"] == .applied(step: 0) && got["saved"] == .applied(step: 0) && got["stop"] == .applied(step: 0))
        #expect(FileManager.default.fileExists(atPath: scratch + "/saved/model.json"))
        let events = trainer.snapshot.events
        #expect(!events.contains { $0.message.contains("conv9") || $0.message.hasPrefix("could not save") }, "a refusal with a reply is not logged too")
        #expect(events.contains { $0.kind == .warning && $0.message.hasPrefix("no layer named 'conv10' (layers: ") })
    }

    /// A loss weight past `LossWeight.largest`, typed or scaled there, is refused with the
    /// range and the weight in force stays (1e300 made the next step's gradient norm NaN).
    @Test func aLossWeightPastTheRangeIsRefused() {
        let trainer = Self.trainer()
        let replies = Locked<[String: CommandReply]>([:])
        func reply(_ name: String) -> @Sendable (CommandReply) -> Void { { r in replies.withLock { $0[name] = r } } }
        trainer.start()
        trainer.send(.setLossWeight(task: "task1", weight: 1e300), reply: reply("huge"))
        trainer.send(.setLossWeight(task: "task0", weight: 800), reply: reply("large"))
        trainer.send(.scaleLossWeight(task: "task0", factor: 2), reply: reply("scaled"))
        trainer.send(.stop, reply: reply("stop"))
        #expect(trainer.waitUntilFinished(seconds: 10))
        let got = replies.withLock { $0 }
        #expect(got["huge"] == .refused("task1's loss weight must be a number from 0 to 1000, got 1e+300", step: 0), "\(got)")
        #expect(got["large"] == .applied(step: 0))
        #expect(got["scaled"] == .refused("task0's loss weight must be a number from 0 to 1000, got 1600", step: 0), "\(got)")
        #expect(trainer.snapshot.userWeights == [800, 1])
    }
}
