import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// Corrections made live in the workbench: applied by the trainer at the next batch, and the
/// file they leave replays to the same rows headless.
@Suite(.serialized) struct LiveCorrectionsTests {
    final class Steps: Sendable {
        let losses = Locked<[[Float?]]>([])
        func callAsFunction(_ progress: TrainerProgress) {
            if case let .step(_, _, _, _, losses, _) = progress { self.losses.withLock { $0.append(losses) } }
        }
    }

    @Test func aCorrectionAppliesAtTheNextBatch() throws {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.binary, 2)]
        let model = ModelConfig(trunk: .mlp, vocabulary: 40, embedding: 8, filters: 8, kernel: 3, hidden: [8],
                                dropout: 0, features: 0, heads: SyntheticData.heads(tasks))
        var training = TrainingConfig()
        training.epochs = 1
        training.batchSize = 8
        training.logEvery = 1
        let setup = SyntheticData.setup(rows: 80, tokens: 6, vocabulary: 40, features: 0, tasks: tasks, model: model, training: training)
        // The first batch's rows, as the run shuffles them.
        var random = SeededRandom(seed: training.seed, stream: 4, index: 0)
        var order = setup.split.train
        order.shuffle(using: &random)
        let steps = Steps()
        let trainer = Trainer(setup, startPaused: true, observer: { steps($0) })
        trainer.start()
        defer { trainer.send(.stop); _ = trainer.waitUntilFinished(seconds: 10) }
        for row in order.prefix(8) { trainer.send(.correct(RowCorrection(row: row, key: "k\(row)", action: .drop))) }
        // A validation row cannot be dropped: a warning, nothing applied.
        trainer.send(.correct(RowCorrection(row: setup.split.validation[0], key: "v", action: .drop)))
        trainer.send(.step(2))
        let deadline = Date().addingTimeInterval(10)
        while steps.losses.withLock({ $0.count }) < 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let losses = steps.losses.withLock { $0 }
        try #require(losses.count >= 2)
        // Step 1 drew only dropped rows: no task had a row left to learn from. Step 2 did.
        #expect(losses[0] == [nil, nil])
        #expect(losses[1].allSatisfy { $0 != nil })
        let snapshot = trainer.snapshot
        #expect(snapshot.droppedRows == Set(order.prefix(8)) && snapshot.correctionCount == 8)
        let applied = snapshot.events.filter { $0.message.hasPrefix("correction: dropped row") }
        #expect(applied.count == 8 && applied.allSatisfy { $0.step == 0 && $0.kind == .command })
        #expect(snapshot.events.contains { $0.kind == .warning && $0.message.contains("row v is not a training row") })
    }

    static func penguins() throws -> PreparedRun {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var options = RunOptions(data: root.appendingPathComponent("sample-data/penguins").path)
        options.epochs = 1
        return try RunPreparation.prepare(options)
    }

    /// Live corrections written as they are made, then the file read back headless: every row's
    /// targets, mask and weight are the same (the replay after a crash sees what the run saw).
    @Test func theFileReplaysToTheSameRows() throws {
        let prepared = try Self.penguins()
        let setup = prepared.setup
        let keys = RowKeys.keys(prepared.table, spec: prepared.spec)
        var counts: [String: Int] = [:]
        for key in keys { counts[key, default: 0] += 1 }
        let train = setup.split.train.filter { counts[keys[$0]] == 1 }
        let validation = setup.split.validation.filter { counts[keys[$0]] == 1 }
        let species = setup.encoder.tasks[0].classes
        func other(_ row: Int) -> String { species[(Int(setup.inputs.rows.targets[0].values[row]) + 1) % species.count] }
        func c(_ row: Int, _ action: Corrections.Action, task: String? = nil, _ value: String? = nil) -> RowCorrection {
            RowCorrection(row: row, key: keys[row], task: task, action: action, value: value)
        }
        let made = [
            c(train[0], .drop),
            c(train[1], .weight, "2"), c(train[1], .weight, "2"), c(train[1], .weight, "0.25"), c(train[1], .undo),
            c(train[2], .relabel, task: "species", other(train[2])),
            c(validation[0], .relabel, task: "sex", "female"),
            c(train[3], .drop), c(train[3], .undo),
            c(train[4], .relabel, task: "species", other(train[4])), c(train[4], .weight, "2"),
            c(train[4], .relabel, task: "species", species[0]),
            c(train[5], .relabel, task: "sex", "male"), c(train[5], .drop),
        ]
        let file = NSTemporaryDirectory() + "mtl-tui-live-\(UUID().uuidString).corrections.jsonl"
        defer { unlink(file) }
        let writer = CorrectionsWriter(path: file)
        var live = LiveCorrections()
        var targets = setup.inputs.rows.targets
        for (step, correction) in made.enumerated() {
            _ = try live.apply(correction, to: &targets, tasks: setup.encoder.tasks, training: Set(setup.split.train))
            try writer.append(correction.jsonLine(step: step))
        }
        #expect(live.dropped == [train[0], train[5]])
        // Headless, as `train --corrections FILE` does it.
        var table = prepared.table
        let plan = try CorrectionPlan.apply(try Corrections.read(file), to: &table, spec: prepared.spec, skipBad: false)
        var replayed = try setup.encoder.encode(table).targets
        plan.applyWeights(&replayed, train: setup.split.train)
        #expect(plan.dropped == live.dropped)
        #expect(plan.summary == CorrectionPlan.Summary(dropped: 2, relabeled: 4, weighted: 2, unmatched: 0))
        for t in targets.indices {
            #expect(targets[t].values == replayed[t].values, "task \(t)")
            for r in 0..<targets[t].mask.count where !plan.dropped.contains(r) {
                #expect(targets[t].mask[r] == replayed[t].mask[r] && abs(targets[t].weights[r] - replayed[t].weights[r]) < 1e-6, "task \(t) row \(r)")
            }
            for r in plan.dropped { #expect(targets[t].mask[r] == 0 && targets[t].weights[r] == 0) }
        }
        // The corrections changed something: weights ×4 on train[1], a new species on train[2].
        #expect(abs(targets[0].weights[train[1]] - 4 * setup.inputs.rows.targets[0].weights[train[1]]) < 1e-6)
        #expect(targets[0].values[train[2]] != setup.inputs.rows.targets[0].values[train[2]])
        // A class the task does not have is refused.
        #expect(throws: LiveCorrections.Problem.self) {
            try live.apply(c(train[6], .relabel, task: "species", "Dodo"), to: &targets, tasks: setup.encoder.tasks, training: Set(setup.split.train))
        }
    }
}
