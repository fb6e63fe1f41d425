import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// Strategies inside the trainer: every one trains, stateful ones resume bit for bit, and the
/// gradient-conflict measure reaches the snapshot on schedule.
@Suite(.serialized) struct TrainerStrategyTests {
    static let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.binary, 2), (.regression, 1)]

    func setup(_ strategy: WeightingStrategy, options: [String: Double] = [:], epochs: Int = 2, conflictEvery: Int = 0) -> TrainingSetup {
        let model = ModelConfig(trunk: .cnn, vocabulary: 60, embedding: 8, filters: 12, kernel: 3, hidden: [10],
                                dropout: 0.2, features: 0, heads: SyntheticData.heads(Self.tasks))
        var training = TrainingConfig()
        training.epochs = epochs
        training.batchSize = 16
        training.strategy = strategy
        training.strategyOptions = options
        training.conflictEvery = conflictEvery
        return SyntheticData.setup(rows: 400, tokens: 12, vocabulary: 60, features: 0, tasks: Self.tasks, model: model, training: training)
    }

    func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "mtl-tui-strategy-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test(arguments: WeightingStrategy.allCases)
    func everyStrategyTrainsAndMovesItsWeights(_ strategy: WeightingStrategy) {
        let trainer = Trainer(setup(strategy, epochs: 3))
        trainer.start()
        trainer.waitUntilFinished()
        let s = trainer.snapshot
        #expect(s.state == .finished && s.divergence == nil, "\(strategy)")
        #expect(s.strategy == strategy)
        let first = s.history.first!.train.map(\.loss), last = s.history.last!.train.map(\.loss)
        #expect(zip(first, last).filter { $1 < $0 }.count >= 2, "\(strategy): \(first) → \(last)")
        let moves = s.weightTrace.map(\.count).max() ?? 0
        switch strategy {
        case .fixed, .pcgrad: #expect(s.lossWeights == [1, 1, 1], "\(strategy)")
        default: #expect(moves > 1 || s.lossWeights != [1, 1, 1], "\(strategy) never changed a weight")
        }
    }

    /// A run stopped part-way and resumed from its checkpoint ends where an uninterrupted one
    /// does, with the strategy's learned state (log-variances, task logits, GradNorm weights).
    @Test(arguments: [WeightingStrategy.uw, .famo, .gradnorm, .rlw, .pcgrad])
    func statefulStrategiesResumeBitForBit(_ strategy: WeightingStrategy) throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let options: [String: Double] = strategy == .gradnorm ? ["every": 3] : [:]
        let runs = try StraightAndResumed(setup(strategy, options: options, epochs: 2), stopAfter: 29, in: directory)
        #expect(runs.part.info.weighting?.strategy == strategy)
        #expect(runs.part.info.training.strategyOptions == options)
        expectSameFiles(directory + "/straight", directory + "/resumed", ["model.safetensors", "optimizer.safetensors"], "\(strategy)")
        let straightState = try Checkpoint.read(from: directory + "/straight").info.weighting
        let resumedState = try Checkpoint.read(from: directory + "/resumed").info.weighting
        #expect(straightState == resumedState, "\(strategy)")
    }

    @Test func conflictIsMeasuredEveryNStepsAndReported() {
        let trainer = Trainer(setup(.fixed, epochs: 1, conflictEvery: 5), observer: { _ in })
        let reports = ConflictRecorder()
        let observed = Trainer(setup(.fixed, epochs: 1, conflictEvery: 5), observer: { reports($0) })
        trainer.start()
        observed.start()
        trainer.waitUntilFinished()
        observed.waitUntilFinished()
        let conflict = trainer.snapshot.conflict
        #expect(conflict?.layers.map(\.name) == ["embedding", "conv", "dense"])
        #expect(conflict?.steps == [5, 10, 15, 20])   // 320 rows / 16 = 20 steps
        #expect(conflict?.layers.allSatisfy { $0.cosine.count == 3 && $0.cosine.allSatisfy { abs($0) <= 1 } } == true)
        #expect(reports.steps == [5, 10, 15, 20])
        let off = Trainer(setup(.fixed, epochs: 1, conflictEvery: 0))
        off.start()
        off.waitUntilFinished()
        #expect(off.snapshot.conflict == nil)
    }

    final class ConflictRecorder: Sendable {
        let recorded = Locked<[Int]>([])
        func callAsFunction(_ progress: TrainerProgress) {
            if case let .gradientConflict(step, _) = progress { recorded.withLock { $0.append(step) } }
        }
        var steps: [Int] { recorded.withLock { $0 } }
    }

    @Test func aSavedStateOfAnotherShapeIsRefused() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var run = setup(.uw, epochs: 1)
        run.saveDirectory = directory + "/run"
        let trainer = Trainer(run)
        trainer.start()
        trainer.waitUntilFinished()
        let path = directory + "/run/model.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"strategy\" : \"uw\"", with: "\"strategy\" : \"famo\"", options: [], range: nil)
            .write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: CheckpointError.self) { try Checkpoint.read(from: directory + "/run") }
    }

    @Test func aTypedWeightIsPinnedAndTheStrategyKeepsTheOthers() {
        let trainer = Trainer(setup(.uw, epochs: 5), startPaused: true)
        trainer.start()
        trainer.send(.setLossWeight(task: "task0", weight: 2))
        trainer.send(.step(3))
        let deadline = Date().addingTimeInterval(10)
        while trainer.snapshot.step < 3, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        let pinned = trainer.snapshot
        #expect(pinned.pinned == ["task0"])
        #expect(pinned.lossWeights[0] == 2)                          // the typed weight, not 2 × 1/(2e^s)
        #expect(pinned.lossWeights[1] != 1 && pinned.lossWeights[2] != 1)   // uw sets the others
        #expect(pinned.events.contains { $0.message == "weight task0 = 2 (pinned: uw leaves it)" })
        trainer.send(.unpinLossWeight(task: "task0"))
        trainer.send(.step(1))
        while trainer.snapshot.step < 4, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        #expect(trainer.snapshot.pinned.isEmpty)
        #expect(trainer.snapshot.lossWeights[0] != 2 && abs(trainer.snapshot.lossWeights[0] - 2 * 0.82) < 0.1)
        trainer.send(.stop)
        trainer.waitUntilFinished()
    }

    @Test func baselinesTrainEachTaskAloneAndGiveDeltaP() throws {
        let run = setup(.fixed, epochs: 2)
        let baselines = BaselineRunner(run)
        baselines.start()
        let trainer = Trainer(run)
        trainer.start()
        trainer.waitUntilFinished()
        #expect(baselines.waitUntilFinished(seconds: 30))
        let results = baselines.snapshot.results
        #expect(results.map { $0?.task } == ["task0", "task1", "task2"])
        #expect(results.allSatisfy { $0?.test != nil && $0!.epochs == 2 })
        let multi = try #require(trainer.snapshot.test)
        let delta = try #require(BaselineRunner.deltaP(multi, baselines: results, kinds: trainer.snapshot.taskKinds, test: true))
        let expected = try #require(Baselines.deltaP(multiTask: multi, singleTask: results.map { $0!.test! }, kinds: trainer.snapshot.taskKinds))
        #expect(delta == expected && delta.isFinite)
        // A single-task model on the same seed and split is the multi-task model with one head.
        let alone = Trainer(run.singleTask(1))
        alone.start()
        alone.waitUntilFinished()
        #expect(alone.snapshot.test?.first == results[1]?.test)
        let reused = BaselineRunner(run, reusing: results.compactMap { $0 })
        #expect(reused.snapshot.finished)
    }
}

/// The sweep on a small synthetic run: every row per seed, Δp against the same seed's baselines.
struct SweepTests {
    @Test func aSweepTrainsBaselinesAndEveryStrategyPerSeed() throws {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.regression, 1)]
        let model = ModelConfig(trunk: .mlp, vocabulary: 0, embedding: 4, filters: 4, kernel: 1, hidden: [8],
                                dropout: 0, features: 6, heads: SyntheticData.heads(tasks))
        var training = TrainingConfig()
        training.epochs = 2
        training.batchSize = 16
        let setup = SyntheticData.setup(rows: 120, tokens: 0, vocabulary: 0, features: 6, tasks: tasks, model: model, training: training)
        var messages: [String] = []
        let result = try Sweep.run(setup, strategies: [(.fixed, [:]), (.gradnorm, ["alpha": 1.2])], seeds: [1, 2]) { messages.append($0) }
        #expect(result.rows.map(\.name) == ["single-task", "fixed", "gradnorm:alpha=1.2"])
        #expect(result.split == "test" && result.seeds == [1, 2])
        #expect(messages.count == 2 * (2 + 2))
        for row in result.rows {
            #expect(row.metrics.count == 2 && row.metrics.allSatisfy { $0.count == 2 })
            #expect(row.millisecondsPerStep.allSatisfy { $0 > 0 })
        }
        for seed in 0..<2 {
            let expected = Baselines.deltaP(multiTask: result.rows[1].metrics[seed], singleTask: result.rows[0].metrics[seed],
                                            kinds: result.kinds)
            #expect(result.rows[1].deltaP[seed] == expected && expected != nil)
        }
        #expect(result.rows[1].metrics[0] != result.rows[1].metrics[1])   // seeds differ
        #expect(meanAndDeviation([1, 3]) == (2, 2.squareRoot()))
    }
}
