import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// The loss options (label smoothing, BCE `pos_weight`) against PyTorch and finite differences.
@Suite struct LossOptionTests {
    struct LossCase: Decodable {
        var name: String
        var kind: String
        var width: Int
        var label_smoothing: Float
        var pos_weight: [Float]?
        var logits: [Float]
        var targets: [Float]
        var weights: [Float]
        var loss: Double
        var row_loss: [Double]
        var gradient: [Double]
    }

    struct MetricCase: Decodable {
        var name: String
        var labels: Int
        var probabilities: [Float]
        var targets: [Float]
        var thresholds: [Float]
        var micro_f1: Double
        var macro_f1: Double
        var subset_accuracy: Double
        var precision: [Double]
        var recall: [Double]
        var f1: [Double]
        var support: [Int]
    }

    struct Fixture: Decodable {
        var losses: [LossCase]
        var metrics: [MetricCase]
    }

    /// Written by scripts/loss_fixtures.py from PyTorch and scikit-learn.
    static func fixture() throws -> Fixture {
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/losses_options.json"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// Loss, per-row losses and ∂L/∂logits of one call.
    static func compute(_ kind: TaskKind, logits: [Float], targets: [Float], weights: [Float], width: Int,
                        smoothing: Float, positive: [Float]?) -> (loss: Float, rows: [Float], gradient: [Float]) {
        let n = weights.count
        let p = FloatBuffer(count: n * width), rows = FloatBuffer(count: n), g = FloatBuffer(count: n * width)
        let z = FloatBuffer(logits), y = FloatBuffer(targets), w = FloatBuffer(weights)
        let result = withExtendedLifetime((z, y, w)) {
            TaskLoss.compute(kind: kind, regression: .mse, logits: z.pointer, targets: y.pointer, weights: w.pointer,
                             batch: n, width: width, probabilities: p.pointer, rowLoss: rows.pointer,
                             gradient: g.pointer, scale: 1, labelSmoothing: smoothing, positiveWeights: positive)
        }
        return (result.loss, rows.array, g.array)
    }

    static func close(_ a: Float, _ b: Double, _ tolerance: Double = 1e-5) -> Bool {
        abs(Double(a) - b) <= tolerance * max(1, abs(b))
    }

    @Test func lossesAndGradientsMatchPyTorch() throws {
        let cases = try Self.fixture().losses
        #expect(cases.count >= 6)
        for c in cases {
            let kind = try #require(TaskKind(rawValue: c.kind))
            let out = Self.compute(kind, logits: c.logits, targets: c.targets, weights: c.weights, width: c.width,
                                   smoothing: c.label_smoothing, positive: c.pos_weight)
            #expect(Self.close(out.loss, c.loss), "\(c.name): loss \(out.loss) vs \(c.loss)")
            for (b, expected) in c.row_loss.enumerated() {
                #expect(Self.close(out.rows[b], expected), "\(c.name): row \(b) \(out.rows[b]) vs \(expected)")
            }
            for (i, expected) in c.gradient.enumerated() {
                #expect(Self.close(out.gradient[i], expected), "\(c.name): gradient[\(i)] \(out.gradient[i]) vs \(expected)")
            }
        }
    }

    /// Central differences of the loss against the analytic gradient, per option combination.
    @Test(arguments: [(TaskKind.multiclass, Float(0.2), false), (.binary, 0.1, true), (.multilabel, 0, true),
                      (.multilabel, 0.3, true), (.multilabel, 0.3, false)])
    func gradientsMatchFiniteDifferences(_ kind: TaskKind, _ smoothing: Float, _ weighted: Bool) {
        let width = kind == .binary ? 1 : 4, rows = 5
        var random = SeededRandom(seed: 21)
        let logits = (0..<(rows * width)).map { _ in (random.nextFloat() * 2 - 1) * 3 }
        let targets: [Float] = kind == .multiclass ? (0..<rows).map { Float($0 % width) }
            : (0..<(rows * width)).map { Float(($0 * 7 + 3) % 3 == 0 ? 1 : 0) }
        let weights: [Float] = [1, 0, 2, 0.5, 1]
        let positive: [Float]? = weighted ? (0..<width).map { Float($0) * 1.5 + 0.5 } : nil
        let analytic = Self.compute(kind, logits: logits, targets: targets, weights: weights, width: width,
                                    smoothing: smoothing, positive: positive).gradient
        let h: Float = 1e-2
        for i in logits.indices {
            var up = logits, down = logits
            up[i] += h
            down[i] -= h
            let lossUp = Self.compute(kind, logits: up, targets: targets, weights: weights, width: width, smoothing: smoothing, positive: positive).loss
            let lossDown = Self.compute(kind, logits: down, targets: targets, weights: weights, width: width, smoothing: smoothing, positive: positive).loss
            let numeric = Double(lossUp - lossDown) / Double(2 * h)
            #expect(abs(Double(analytic[i]) - numeric) < 2e-3, "\(kind) ε \(smoothing) [\(i)]: \(analytic[i]) vs \(numeric)")
        }
        #expect(analytic.contains { $0 != 0 })
    }

    /// A positive weight of 1 and no smoothing is exactly the plain loss.
    @Test func neutralOptionsLeaveTheLossUnchanged() {
        let logits: [Float] = [0.3, -1.2, 2.5, 0.1, -0.7, 1.9], targets: [Float] = [1, 0, 1, 0, 0, 1]
        let plain = Self.compute(.multilabel, logits: logits, targets: targets, weights: [1, 1], width: 3, smoothing: 0, positive: nil)
        let ones = Self.compute(.multilabel, logits: logits, targets: targets, weights: [1, 1], width: 3, smoothing: 0, positive: [1, 1, 1])
        #expect(plain.loss == ones.loss && plain.gradient == ones.gradient)
        // By hand, row 0 label 0: softplus(−0.3) = log(1 + e^−0.3).
        #expect(abs(Double(plain.rows[0]) - (log(1 + exp(-0.3)) + log(1 + exp(-1.2)) + log(1 + exp(-2.5))) / 3) < 1e-6)
    }
}

/// Multi-label metrics against hand-computed values and scikit-learn; threshold tuning.
@Suite struct MultiLabelMetricTests {
    static func metrics(probabilities: [Float], targets: [Float], labels: Int, thresholds: [Float]? = nil,
                        mask: [Float]? = nil) -> TaskMetrics {
        var accumulator = MetricAccumulator(kind: .multilabel, classes: labels, thresholds: thresholds)
        let rows = probabilities.count / labels
        probabilities.withUnsafeBufferPointer { p in
            targets.withUnsafeBufferPointer { y in
                for r in 0..<rows {
                    accumulator.add(probabilities: p.baseAddress! + r * labels, targets: y.baseAddress! + r * labels,
                                    mask: mask?[r] ?? 1, weight: 1, loss: 0)
                }
            }
        }
        return accumulator.metrics()
    }

    /// Three rows, three labels at 0.5: decisions [1,0,1 | 0,1,0 | 1,1,0] against truth
    /// [1,0,0 | 0,1,1 | 1,0,0]: TP 3, FP 2, FN 1 → micro-F1 6/9; per label F1 (1, 2/3, 0) →
    /// macro-F1 5/9; no row wholly right except none → subset accuracy 0; Hamming 6/9.
    @Test func handComputedCase() {
        let p: [Float] = [0.9, 0.2, 0.6, 0.1, 0.8, 0.4, 0.7, 0.55, 0.3]
        let y: [Float] = [1, 0, 0, 0, 1, 1, 1, 0, 0]
        let m = Self.metrics(probabilities: p, targets: y, labels: 3)
        #expect(abs(m.microF1! - 6.0 / 9) < 1e-12)
        #expect(abs(m.macroF1! - 5.0 / 9) < 1e-12)
        #expect(m.subsetAccuracy == 0)
        #expect(abs(m.accuracy! - 6.0 / 9) < 1e-12)
        #expect(m.support == [2, 1, 1])
        #expect(m.thresholds == [0.5, 0.5, 0.5])
        // Label 2's threshold at 0.65 drops its false positive and makes row 0 exact.
        let tuned = Self.metrics(probabilities: p, targets: y, labels: 3, thresholds: [0.5, 0.6, 0.65])
        #expect(abs(tuned.subsetAccuracy! - 2.0 / 3) < 1e-12)
        #expect(abs(tuned.microF1! - 6.0 / 7) < 1e-12)   // TP 3, FP 0, FN 1
        #expect(tuned.thresholds == [0.5, 0.6, 0.65])
        // A masked row counts nowhere.
        let masked = Self.metrics(probabilities: p, targets: y, labels: 3, mask: [1, 0, 1])
        #expect(masked.count == 2 && masked.support == [2, 0, 0])
    }

    @Test func matchesScikitLearn() throws {
        let cases = try LossOptionTests.fixture().metrics
        #expect(cases.count == 2)
        for c in cases {
            let m = Self.metrics(probabilities: c.probabilities, targets: c.targets, labels: c.labels, thresholds: c.thresholds)
            #expect(abs(m.microF1! - c.micro_f1) < 1e-9, "\(c.name) micro")
            #expect(abs(m.macroF1! - c.macro_f1) < 1e-9, "\(c.name) macro")
            #expect(abs(m.subsetAccuracy! - c.subset_accuracy) < 1e-9, "\(c.name) subset")
            #expect(m.support == c.support)
            for l in 0..<c.labels {
                #expect(abs(m.precision![l] - c.precision[l]) < 1e-9 && abs(m.recall![l] - c.recall[l]) < 1e-9
                        && abs(m.f1![l] - c.f1[l]) < 1e-9, "\(c.name) label \(l)")
            }
        }
    }

    @Test func thresholdsAreTunedPerLabelOnTheRowsGiven() {
        // Label 0: positives at 0.30 and 0.35, negatives at 0.10 and 0.20: F1 is 1 for any
        // threshold in (0.20, 0.30]; of the grid's 0.25 and 0.30 the one nearer 0.5 is kept.
        // Label 1: no positive → 0.5. Label 2: positives 0.9 and 0.8, negatives 0.6 and 0.7 →
        // (0.70, 0.80]: 0.75. Row 4 is masked: its misleading scores must not count.
        let p: [Float] = [0.30, 0.4, 0.9,
                          0.35, 0.1, 0.8,
                          0.10, 0.2, 0.6,
                          0.20, 0.3, 0.7,
                          0.05, 0.9, 0.99]
        let y: [Float] = [1, 0, 1,
                          1, 0, 1,
                          0, 0, 0,
                          0, 0, 0,
                          1, 1, 0]
        let tuned = DecisionThresholds.tune(probabilities: p, targets: y, mask: [1, 1, 1, 1, 0], labels: 3, minimumPositives: 1)
        #expect(tuned == [0.3, 0.5, 0.75])
        // By default two positives are too few to move a threshold.
        #expect(DecisionThresholds.tune(probabilities: p, targets: y, mask: [1, 1, 1, 1, 0], labels: 3) == [0.5, 0.5, 0.5])
        let m = MultiLabelMetricTests.metrics(probabilities: p, targets: y, labels: 3, thresholds: tuned, mask: [1, 1, 1, 1, 0])
        #expect(m.microF1 == 1 && m.subsetAccuracy == 1)
        #expect(DecisionThresholds.problem([0.5, 0.5], labels: 3) != nil)
        #expect(DecisionThresholds.problem([0.5, 1, 0.2], labels: 3) != nil)
        #expect(DecisionThresholds.problem([0.5, 0.05, 0.95], labels: 3) == nil)
    }
}

/// Thresholds tuned at the end of a run are saved, read back and checked.
@Suite(.serialized) struct ThresholdCheckpointTests {
    static func savedRun() -> (directory: String, run: String) {
        let (directory, _) = finishedRun(saving: true)
        return (directory, directory + "/run")
    }

    /// A finished run on synthetic rows (a multi-label task of 4 labels and a binary one).
    static func finishedRun(saving: Bool) -> (directory: String, snapshot: TrainerSnapshot) {
        let (directory, trainer) = finishedTrainer(saving: saving, continuable: false)
        return (directory, trainer.snapshot)
    }

    static func finishedTrainer(saving: Bool, continuable: Bool) -> (directory: String, trainer: Trainer) {
        let directory = NSTemporaryDirectory() + "mtl-tui-thresholds-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tasks: [(kind: TaskKind, classes: Int)] = [(.multilabel, 4), (.binary, 2)]
        let model = ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [6], dropout: 0, features: 3, heads: SyntheticData.heads(tasks))
        var training = TrainingConfig()
        training.epochs = 2
        training.batchSize = 16
        var setup = SyntheticData.setup(rows: 120, tokens: 0, vocabulary: 0, features: 3, tasks: tasks, model: model, training: training)
        if saving { setup.saveDirectory = directory + "/run" }
        let trainer = Trainer(setup, continuable: continuable)
        trainer.start()
        if continuable {
            let deadline = Date().addingTimeInterval(30)
            while trainer.snapshot.state != .finished, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        } else {
            trainer.waitUntilFinished()
        }
        return (directory, trainer)
    }

    /// A finished run continued (the workbench's E) trains and validates at 0.5 again, as any
    /// training does, and tunes its thresholds anew when it ends.
    @Test func aContinuedRunDecidesAtHalfUntilItEndsAgain() throws {
        let (directory, trainer) = Self.finishedTrainer(saving: false, continuable: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #require(trainer.snapshot.state == .finished && trainer.snapshot.examples?.thresholds.first??.isEmpty == false)
        trainer.send(.addEpochs(1))
        let deadline = Date().addingTimeInterval(30)
        while trainer.snapshot.history.count < 3 || trainer.snapshot.state != .finished, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let continued = try #require(trainer.snapshot.history.last)
        #expect(continued.epoch == 3 && continued.validation[0].thresholds == [0.5, 0.5, 0.5, 0.5], "\(continued.validation[0].thresholds ?? [])")
        trainer.send(.stop)
        trainer.waitUntilFinished()
    }

    @Test func theFinishedRunsExamplesUseTheTunedThresholds() throws {
        let (directory, snapshot) = Self.finishedRun(saving: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let saved = try #require(try Checkpoint.read(from: directory + "/run").info.thresholds?["task0"])
        let examples = try #require(snapshot.examples)
        // The hard examples predict as eval and predict will: with the saved thresholds.
        #expect(examples.thresholds.count == 2 && examples.thresholds[0] == saved && examples.thresholds[1] == nil)
        #expect((0..<4).map { examples.threshold(task: 0, label: $0) } == saved)
        #expect(examples.threshold(task: 1, label: 0) == DecisionThresholds.standard)
    }

    func edit(_ run: String, _ change: (inout [String: Any]) -> Void) throws {
        let path = run + "/model.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        change(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
    }

    @Test func thresholdsRoundTripAndBadOnesAreRefused() throws {
        let (directory, run) = Self.savedRun()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let checkpoint = try Checkpoint.read(from: run)
        let saved = try #require(checkpoint.info.thresholds?["task0"])
        #expect(saved.count == 4 && saved.allSatisfy { $0 > 0 && $0 < 1 })
        #expect(checkpoint.info.thresholds?["task1"] == nil)
        // The test metrics were computed at the same thresholds.
        let test = try #require(checkpoint.info.history.last?.validation[0])
        #expect(test.thresholds == [0.5, 0.5, 0.5, 0.5])   // per-epoch metrics decide at 0.5

        for (value, message) in [([0.5, 0.5] as [Any], "2 thresholds for 4 labels"), ([0.5, 0.5, 1.5, 0.5], "1.5 is not in (0, 1)"),
                                 ([0.5, 0.5, 0, 0.5], "0.0 is not in (0, 1)")] {
            try edit(run) { $0["thresholds"] = ["task0": value] }
            #expect(throws: CheckpointError.self) { try Checkpoint.read(from: run) }
            do { _ = try Checkpoint.read(from: run) } catch let error as CheckpointError {
                #expect(error.message.contains("thresholds.task0") && error.message.contains(message), "\(error)")
            }
        }
        try edit(run) { $0["thresholds"] = ["task1": [0.5]] }
        #expect(throws: CheckpointError.self) { try Checkpoint.read(from: run) }
        try edit(run) { $0["thresholds"] = ["nope": [0.5]] }
        #expect(throws: CheckpointError.self) { try Checkpoint.read(from: run) }
        // A checkpoint without thresholds (saved before them) still loads, deciding at 0.5.
        try edit(run) { json in
            json.removeValue(forKey: "thresholds")
            var model = json["model"] as! [String: Any]
            model["heads"] = (model["heads"] as! [[String: Any]]).map { head in
                var head = head
                head.removeValue(forKey: "labelSmoothing")
                head.removeValue(forKey: "positiveWeights")
                return head
            }
            json["model"] = model
        }
        let old = try Checkpoint.read(from: run)
        #expect(old.info.thresholds == nil && old.info.model.heads[0].labelSmoothing == 0)
    }
}
