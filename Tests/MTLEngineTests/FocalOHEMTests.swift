import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// Focal loss and online hard example mining against PyTorch, finite differences and
/// hand-built batches.
@Suite struct FocalOHEMTests {
    struct LossCase: Decodable {
        var name: String
        var kind: String
        var width: Int
        var label_smoothing: Float
        var pos_weight: [Float]?
        var gamma: Float
        var alpha: Float?
        var ohem: Double?
        var logits: [Float]
        var targets: [Float]
        var weights: [Float]
        var loss: Double
        var row_loss: [Double]
        var kept: [Double]
        var gradient: [Double]
    }

    struct Fixture: Decodable { var losses: [LossCase] }

    /// Loss, per-row losses and ∂L/∂logits of one call.
    static func compute(_ kind: TaskKind, logits: [Float], targets: [Float], weights: [Float], width: Int,
                        smoothing: Float = 0, positive: [Float]? = nil, focal: FocalLoss?, ohem: Double? = nil,
                        regression: RegressionLoss = .mse) -> (loss: Float, rows: [Float], gradient: [Float]) {
        let n = weights.count
        let p = FloatBuffer(count: n * width), rows = FloatBuffer(count: n), g = FloatBuffer(count: n * width)
        let z = FloatBuffer(logits), y = FloatBuffer(targets), w = FloatBuffer(weights), scratch = FloatBuffer(count: 2 * n)
        let result = withExtendedLifetime((z, y, w, scratch)) {
            TaskLoss.compute(kind: kind, regression: regression, logits: z.pointer, targets: y.pointer, weights: w.pointer,
                             batch: n, width: width, probabilities: p.pointer, rowLoss: rows.pointer,
                             gradient: g.pointer, scale: 1, labelSmoothing: smoothing, positiveWeights: positive,
                             focal: focal, mining: ohem.map { TaskLoss.Mining(fraction: $0, scratch: scratch.pointer) })
        }
        return (result.loss, rows.array, g.array)
    }

    static func close(_ a: Float, _ b: Double, _ tolerance: Double = 2e-5) -> Bool {
        abs(Double(a) - b) <= tolerance * max(1, abs(b))
    }

    /// Written by scripts/focal_fixtures.py from PyTorch autograd.
    @Test func focalAndOHEMMatchPyTorch() throws {
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/losses_focal_ohem.json"))
        let cases = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).losses
        #expect(cases.count >= 10)
        for c in cases {
            let kind = try #require(TaskKind(rawValue: c.kind))
            // The OHEM-only cases run the plain loss path; every other case the focal one.
            let focal = c.name.contains("focal") ? FocalLoss(gamma: c.gamma, alpha: c.alpha) : nil
            let out = Self.compute(kind, logits: c.logits, targets: c.targets, weights: c.weights, width: c.width,
                                   smoothing: c.label_smoothing, positive: c.pos_weight, focal: focal, ohem: c.ohem)
            #expect(Self.close(out.loss, c.loss), "\(c.name): loss \(out.loss) vs \(c.loss)")
            for (b, expected) in c.row_loss.enumerated() {
                #expect(Self.close(out.rows[b], expected), "\(c.name): row \(b) \(out.rows[b]) vs \(expected)")
            }
            for (i, expected) in c.gradient.enumerated() {
                #expect(Self.close(out.gradient[i], expected), "\(c.name): gradient[\(i)] \(out.gradient[i]) vs \(expected)")
                // A row OHEM left out (or without a label) gets no gradient at all.
                if c.kept[i / c.width] == 0 || c.weights[i / c.width] == 0 { #expect(out.gradient[i] == 0, "\(c.name) [\(i)]") }
            }
        }
    }

    /// Central differences of the focal loss against its analytic gradient.
    @Test(arguments: [(TaskKind.binary, Float(2), Float?(0.25), Float(0)), (.binary, 0.5, nil, 0.1),
                      (.multilabel, 1.5, 0.25, 0.2), (.multilabel, 3, 0.9, 0),
                      (.multiclass, 2, nil, 0), (.multiclass, 0.7, 0.5, 0.2), (.multiclass, 1, nil, 0.05)])
    func focalGradientsMatchFiniteDifferences(_ kind: TaskKind, _ gamma: Float, _ alpha: Float?, _ smoothing: Float) {
        let width = kind == .binary ? 1 : 4, rows = 6
        var random = SeededRandom(seed: 5)
        let logits = (0..<(rows * width)).map { _ in (random.nextFloat() * 2 - 1) * 3 }
        let targets: [Float] = kind == .multiclass ? (0..<rows).map { Float(($0 * 3) % width) }
            : (0..<(rows * width)).map { Float(($0 * 5 + 1) % 3 == 0 ? 1 : 0) }
        let weights: [Float] = [1, 0, 2, 0.5, 1, 1.5]
        let positive: [Float]? = kind == .multilabel ? [1, 2, 0.5, 4] : nil
        let focal = FocalLoss(gamma: gamma, alpha: alpha)
        func loss(_ z: [Float]) -> Float {
            Self.compute(kind, logits: z, targets: targets, weights: weights, width: width, smoothing: smoothing,
                         positive: positive, focal: focal).loss
        }
        let analytic = Self.compute(kind, logits: logits, targets: targets, weights: weights, width: width,
                                    smoothing: smoothing, positive: positive, focal: focal).gradient
        let h: Float = 1e-2
        for i in logits.indices {
            var up = logits, down = logits
            up[i] += h
            down[i] -= h
            let numeric = Double(loss(up) - loss(down)) / Double(2 * h)
            #expect(abs(Double(analytic[i]) - numeric) < 2e-3, "\(kind) γ \(gamma) [\(i)]: \(analytic[i]) vs \(numeric)")
        }
        #expect(analytic.contains { $0 != 0 })
    }

    /// γ = 0 without α is exactly the plain cross-entropy, and γ > 0 shrinks an easy row's loss
    /// far more than a hard row's.
    @Test func focalReducesToCrossEntropyAndDownWeightsEasyRows() {
        let logits: [Float] = [4, -1, 0, 0.2, 1.5, -2], targets: [Float] = [0, 2], weights: [Float] = [1, 1]
        let plain = Self.compute(.multiclass, logits: logits, targets: targets, weights: weights, width: 3, focal: nil)
        let zero = Self.compute(.multiclass, logits: logits, targets: targets, weights: weights, width: 3, focal: FocalLoss(gamma: 0))
        #expect(abs(plain.loss - zero.loss) < 1e-6)
        for i in plain.gradient.indices { #expect(abs(plain.gradient[i] - zero.gradient[i]) < 1e-6) }
        let focal = Self.compute(.multiclass, logits: logits, targets: targets, weights: weights, width: 3, focal: FocalLoss(gamma: 2))
        // Row 0 is right with p ≈ 0.99, row 1 wrong: focal keeps most of row 1's loss only.
        #expect(focal.rows[0] / plain.rows[0] < 0.001)
        #expect(focal.rows[1] / plain.rows[1] > 0.5)
    }

    /// A hand-built batch whose row losses are known: OHEM keeps the hardest labelled rows,
    /// averages over them, and leaves every other row without gradient.
    @Test func ohemKeepsTheHardestLabelledRows() {
        // MSE with zero predictions: the row losses are the squared targets 1, 9, 4, 0.25, 16, 25.
        let targets: [Float] = [1, 3, 2, 0.5, 4, -5]
        let weights: [Float] = [1, 1, 1, 1, 2, 0]   // row 5 (the largest loss) has no label
        let logits = [Float](repeating: 0, count: 6)
        let out = Self.compute(.regression, logits: logits, targets: targets, weights: weights, width: 1, focal: nil, ohem: 0.5)
        // ⌈0.5 · 5⌉ = 3 of the 5 labelled rows: 4 (16, weight 2), 1 (9), 2 (4).
        #expect(abs(out.loss - (2 * 16 + 9 + 4) / 4) < 1e-5, "\(out.loss)")
        for b in [0, 3, 5] { #expect(out.gradient[b] == 0, "row \(b)") }
        for b in [1, 2, 4] { #expect(out.gradient[b] != 0, "row \(b)") }
        #expect(abs(out.gradient[4] - 2 * 2 * -4 / 4) < 1e-5)
        // A fraction of 1 is the plain mean; a tiny one still keeps the hardest row.
        let all = Self.compute(.regression, logits: logits, targets: targets, weights: weights, width: 1, focal: nil, ohem: 1)
        let plain = Self.compute(.regression, logits: logits, targets: targets, weights: weights, width: 1, focal: nil)
        #expect(all.loss == plain.loss && all.gradient == plain.gradient)
        let one = Self.compute(.regression, logits: logits, targets: targets, weights: weights, width: 1, focal: nil, ohem: 0.01)
        #expect(one.loss == 16 && one.gradient.indices.filter { one.gradient[$0] != 0 } == [4])
        // Ties at the cut keep the earlier rows, so the choice is the same every time.
        let tied = Self.compute(.regression, logits: [Float](repeating: 0, count: 4), targets: [2, 1, -1, 1],
                                weights: [1, 1, 1, 1], width: 1, focal: nil, ohem: 0.5)
        #expect(tied.gradient.map { $0 != 0 } == [true, true, false, false])
        #expect(HardExampleMining.count(0.7, of: 10) == 7 && HardExampleMining.count(0.3, of: 10) == 3)
    }

    /// `--loss` and `--ohem` resolve per task; a task's own setting wins over the global one.
    @Test func lossShapesResolvePerTask() throws {
        let tasks = [TaskSpec(name: "kind", kind: .multiclass), TaskSpec(name: "flag", kind: .binary),
                     TaskSpec(name: "size", kind: .regression)]
        var options = RunOptions(data: "unused")
        options.losses = [(nil, "focal:3"), ("flag", "focal:1:none")]
        options.ohem = [("size", 0.25), (nil, 0.5)]
        let shapes = try RunPreparation.lossShapes(options, tasks: tasks)
        #expect(shapes["kind"] == LossShape(focal: FocalLoss(gamma: 3, alpha: nil), ohem: 0.5))
        #expect(shapes["flag"] == LossShape(focal: FocalLoss(gamma: 1, alpha: nil), ohem: 0.5))
        #expect(shapes["size"] == LossShape(focal: nil, ohem: 0.25))
        options.losses = [(nil, "focal")]
        options.ohem = []
        #expect(try RunPreparation.lossShapes(options, tasks: tasks)["flag"]?.focal == FocalLoss(gamma: 2, alpha: 0.25))
        for (losses, message) in [([("size", "focal")], "size=focal: focal loss needs a binary, multiclass or multilabel task"),
                                  ([("kind", "focal:-1")], "γ must be ≥ 0, got -1"),
                                  ([("nope", "focal")], "no task named 'nope'"),
                                  ([("flag", "focal:2:1.5")], "α must be a number in [0, 1] or none"),
                                  ([("flag", "dice")], "expected focal[:GAMMA[:ALPHA]] or ce")] as [([(String?, String)], String)] {
            options.losses = losses
            #expect(throws: UsageError.self) { try RunPreparation.lossShapes(options, tasks: tasks) }
            do { _ = try RunPreparation.lossShapes(options, tasks: tasks) } catch let error as UsageError {
                #expect(error.option == "--loss" && error.message.contains(message), "\(error)")
            }
        }
    }
}
