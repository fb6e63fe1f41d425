import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// The fused, sparse conv path against the plain dense formulation it replaces.
@Suite struct TextConvTests {
    /// Dense reference in double precision: every window of every filter, ReLU, max over windows;
    /// backward through the first maximal window, as autograd does.
    func reference(_ h: Harness, outputGradient: [Double]) -> (out: [Double], dEmbedding: [Double], dWeight: [Double], dBias: [Double]) {
        let conv = h.model.textConv!
        let p = h.model.parameters
        let e = conv.embedding, k = conv.kernel, f = conv.filters
        var out = [Double](repeating: 0, count: h.batch.count * f)
        var dEmbedding = [Double](repeating: 0, count: conv.vocabulary * e)
        var dWeight = [Double](repeating: 0, count: e * k * f)
        var dBias = [Double](repeating: 0, count: f)
        for b in 0..<h.batch.count {
            let start = h.batch.starts[b], windows = h.batch.lengths[b] - k + 1
            for j in 0..<f {
                var best = -Double.infinity, arg = 0
                for t in 0..<windows {
                    var v = Double(p[conv.convBias + j])
                    for kk in 0..<k {
                        let id = Int(h.batch.tokens[start + t + kk])
                        for ee in 0..<e {
                            v += Double(p[conv.embeddingWeight + id * e + ee]) * Double(p[conv.convWeight + (ee * k + kk) * f + j])
                        }
                    }
                    let relu = max(v, 0)
                    if relu > best { best = relu; arg = t }
                }
                out[b * f + j] = best
                let g = outputGradient[b * f + j]
                guard best > 0 else { continue }
                dBias[j] += g
                for kk in 0..<k {
                    let id = Int(h.batch.tokens[start + arg + kk])
                    for ee in 0..<e {
                        dWeight[(ee * k + kk) * f + j] += g * Double(p[conv.embeddingWeight + id * e + ee])
                        dEmbedding[id * e + ee] += g * Double(p[conv.convWeight + (ee * k + kk) * f + j])
                    }
                }
            }
        }
        return (out, dEmbedding, dWeight, dBias)
    }

    /// 72 filters: two register blocks of 32 and 8 filters on the one-at-a-time path.
    @Test(arguments: [[40, 3, 17, 1, 40, 25], [8, 8, 8, 8, 8, 8]])
    func matchesDenseFormulation(lengths: [Int]) {
        let h = Harness(trunk: .cnn, tasks: [(.multiclass, 3)], rows: 6, tokens: 40, vocabulary: 50,
                        lengths: lengths, embedding: 8, filters: 72, kernel: 4)
        let conv = h.model.textConv!
        let f = conv.filters
        let ws = TextConv.Workspace(conv, batch: 6, maxTokens: 6 * 40)
        let out = FloatBuffer(count: 6 * f)
        conv.forward(tokens: h.batch.tokens.pointer, starts: h.batch.starts.pointer, lengths: h.batch.lengths.pointer,
                     batch: 6, output: out.pointer, outputStride: f, parameters: h.model.parameters.pointer, workspace: ws)
        var random = SeededRandom(seed: 5)
        let dy = (0..<(6 * f)).map { _ in random.nextFloat() - 0.5 }
        let expected = reference(h, outputGradient: dy.map(Double.init))
        for i in 0..<(6 * f) { #expect(abs(Double(out[i]) - expected.out[i]) < 1e-4 * max(1, abs(expected.out[i]))) }

        h.model.gradients.fill(0)
        let dyBuffer = FloatBuffer(dy)
        defer { withExtendedLifetime(dyBuffer) {} }
        conv.backward(tokens: h.batch.tokens.pointer, starts: h.batch.starts.pointer, batch: 6, outputGradient: dyBuffer.pointer,
                      gradientStride: f, parameters: h.model.parameters.pointer, gradients: h.model.gradients.pointer,
                      workspace: ws, convFrozen: false, embeddingFrozen: false)
        func close(_ offset: Int, _ values: [Double]) -> Bool {
            values.indices.allSatisfy { abs(Double(h.model.gradients[offset + $0]) - values[$0]) < 1e-4 * max(1, abs(values[$0])) }
        }
        #expect(close(conv.embeddingWeight, expected.dEmbedding))
        #expect(close(conv.convWeight, expected.dWeight))
        #expect(close(conv.convBias, expected.dBias))
        #expect(expected.dEmbedding.contains { $0 != 0 })
    }
}

@Suite struct LossTests {
    func run(_ kind: TaskKind, logits: [Float], targets: [Float], weights: [Float], width: Int,
             regression: RegressionLoss = .mse) -> (TaskLoss.Result, rows: [Float], gradient: [Float]) {
        let n = weights.count
        let p = FloatBuffer(count: n * width), rows = FloatBuffer(count: n), g = FloatBuffer(count: n * width)
        let z = FloatBuffer(logits), y = FloatBuffer(targets), w = FloatBuffer(weights)
        let result = withExtendedLifetime((z, y, w)) {
            TaskLoss.compute(kind: kind, regression: regression, logits: z.pointer, targets: y.pointer, weights: w.pointer,
                             batch: n, width: width, probabilities: p.pointer, rowLoss: rows.pointer,
                             gradient: g.pointer, scale: 1)
        }
        return (result, rows.array, g.array)
    }

    @Test func crossEntropyIsAWeightedMeanThatSkipsMissingLabels() {
        // Row 0: logits (0, ln 3) → p = (1/4, 3/4), true class 1 → −ln ¾. Row 1: missing (weight 0).
        // Row 2: uniform over 2 → ln 2, weight 3.
        let (result, rows, gradient) = run(.multiclass, logits: [0, log(3), 5, -5, 1, 1], targets: [1, 0, 0],
                                           weights: [1, 0, 3], width: 2)
        let expected = (-log(0.75) + 3 * log(2)) / 4
        #expect(abs(Double(result.loss) - expected) < 1e-6)
        #expect(abs(rows[0] - -log(0.75)) < 1e-6)
        #expect(result.weightSum == 4)
        #expect(gradient[2] == 0 && gradient[3] == 0)
        #expect(abs(gradient[0] - 0.25 / 4) < 1e-6 && abs(gradient[1] - (-0.25 / 4)) < 1e-6)
    }

    @Test func binaryCrossEntropyIsStableForLargeLogits() {
        let (result, rows, _) = run(.binary, logits: [100, -100, 0], targets: [0, 0, 1], weights: [1, 1, 1], width: 1)
        #expect(abs(rows[0] - 100) < 1e-4)
        #expect(rows[1] < 1e-30)
        #expect(abs(rows[2] - Float(log(2.0))) < 1e-6)
        #expect(result.loss.isFinite)
    }

    @Test func huberIsQuadraticInsideDeltaAndLinearOutside() {
        let (_, rows, gradient) = run(.regression, logits: [0.5, 3, -2], targets: [0, 0, 0], weights: [1, 1, 1], width: 1, regression: .huber)
        #expect(rows == [0.125, 2.5, 1.5])
        let expected: [Float] = [0.5 / 3, 1.0 / 3, -1.0 / 3]
        #expect(zip(gradient, expected).allSatisfy { abs($0 - $1) < 1e-7 })
    }

    @Test func batchWithNoLabelsHasNoLossAndNoGradient() {
        let (result, _, gradient) = run(.multiclass, logits: [1, 2], targets: [1], weights: [0], width: 2)
        #expect(result.loss == 0 && result.weightSum == 0)
        #expect(gradient == [0, 0])
    }
}

@Suite struct MetricTests {
    func accumulate(_ kind: TaskKind, classes: Int, probabilities: [[Float]], targets: [[Float]]) -> TaskMetrics {
        var m = MetricAccumulator(kind: kind, classes: classes)
        for (p, y) in zip(probabilities, targets) { m.add(probabilities: p, targets: y, mask: 1, weight: 1, loss: 0) }
        return m.metrics()
    }

    @Test func multiclassConfusionAndMacroF1() {
        // true: 0 0 1 1 2; predicted: 0 1 1 1 0
        let m = accumulate(.multiclass, classes: 3,
                           probabilities: [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.3, 0.6, 0.1], [0.5, 0.2, 0.3]],
                           targets: [[0], [0], [1], [1], [2]])
        #expect(m.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 0]])
        #expect(m.accuracy == 0.6)
        // class 0: p 1/2 r 1/2 f 1/2; class 1: p 2/3 r 1 f 0.8; class 2: 0.
        #expect(abs(m.macroF1! - (0.5 + 0.8 + 0) / 3) < 1e-12)
        #expect(m.precision! == [0.5, 2.0 / 3, 0])
    }

    /// Macro means over the classes that occur among labels or predictions, as scikit-learn's
    /// `f1_score(average="macro")`: the expected values are its output on the same labels.
    @Test func macroMeansSkipAClassNeitherLabelledNorPredicted() {
        let probabilities: [[Float]] = [[0.8, 0.1, 0.1, 0], [0.2, 0.7, 0.1, 0], [0.1, 0.8, 0.1, 0], [0.3, 0.6, 0.1, 0]]
        // true 0 0 1 1 2, predicted 0 1 1 1 0; class 3 appears nowhere: 0.4333…, as with 3 classes.
        let absent = accumulate(.multiclass, classes: 4, probabilities: probabilities + [[0.5, 0.2, 0.3, 0]],
                                targets: [[0], [0], [1], [1], [2]])
        #expect(abs(absent.macroF1! - 0.43333333333333335) < 1e-12)
        #expect(absent.precision! == [0.5, 2.0 / 3, 0, 0])   // per class, every class still listed
        #expect(abs(absent.value("precision")! - 0.38888888888888884) < 1e-12)
        #expect(absent.value("recall") == 0.5)
        // Predicted 0 1 1 1 3: class 3 is predicted, so it counts (F1 0): 0.3667, precision
        // 0.4167, recall 0.375.
        let predicted = accumulate(.multiclass, classes: 4, probabilities: probabilities + [[0.1, 0.2, 0.3, 0.4]],
                                   targets: [[0], [0], [1], [1], [2]])
        #expect(abs(predicted.macroF1! - 0.3666666666666667) < 1e-12)
        #expect(abs(predicted.value("precision")! - 0.41666666666666663) < 1e-12)
        #expect(abs(predicted.value("recall")! - 0.375) < 1e-12)
    }

    @Test func aucCountsTiesAsHalf() {
        // positives 0.9, 0.5; negatives 0.5, 0.1: pairs (0.9>0.5 ✓, 0.9>0.1 ✓, 0.5=0.5 ½, 0.5>0.1 ✓) → 3.5 / 4.
        let m = accumulate(.binary, classes: 1, probabilities: [[0.9], [0.5], [0.5], [0.1]], targets: [[1], [1], [0], [0]])
        #expect(m.auc == 0.875)
    }

    @Test func regressionInOriginalUnits() {
        var m = MetricAccumulator(kind: .regression, classes: 1, mean: 10, std: 2)
        // standardised predictions 1, −1 vs targets 0, 0 → original 12, 8 vs 10, 10.
        m.add(probabilities: [1], targets: [0], mask: 1, weight: 1, loss: 1)
        m.add(probabilities: [-1], targets: [1], mask: 1, weight: 1, loss: 4)
        let metrics = m.metrics()
        #expect(metrics.mae == 3)          // |12 − 10| and |8 − 12|
        #expect(metrics.loss == 2.5)
        #expect(abs(metrics.rmse! - (10.0).squareRoot()) < 1e-12)
        #expect(abs(metrics.r2! - (1 - 20.0 / 2)) < 1e-9)   // targets 10, 12: Σ(y − ȳ)² = 2
        // One row (or a constant target) leaves R² undefined, not 0.
        var one = MetricAccumulator(kind: .regression, classes: 1, mean: 10, std: 2)
        one.add(probabilities: [1], targets: [0], mask: 1, weight: 1, loss: 1)
        #expect(one.metrics().r2 == nil && one.metrics().rmse == 2)
    }
}

@Suite struct PretrainedEmbeddingTests {
    @Test func vectorsStartTheirRowsScaledToTheRandomRowsSpread() throws {
        let config = ModelConfig(trunk: .cnn, vocabulary: 6, embedding: 2, filters: 3, kernel: 2, hidden: [],
                                 dropout: 0, features: 0, heads: [HeadConfig(name: "y", kind: .binary, outputs: 1)])
        let model = Model(config, seed: 4)
        let untouched = Model(config, seed: 4)
        let vectors = WordVectors(file: "v.txt", dimension: 2, ids: [2, 4], values: [3, -1, 1, -3])
        model.initializeEmbedding(from: vectors)
        let table = try #require(model.tensors.first { $0.name == "trunk.embedding.weight" })
        func row(_ m: Model, _ id: Int) -> [Float] { (0..<2).map { m.parameters[table.offset + id * 2 + $0] } }
        // The values' σ is √5, so both rows are multiplied by (0.05/√3)/√5.
        let scale = Float(0.05 / 3.0.squareRoot() / 5.0.squareRoot())
        let expected: [Float] = [3, -1, 1, -3].map { $0 * scale }
        for (got, want) in zip(row(model, 2) + row(model, 4), expected) {
            #expect(abs(got - want) < 1e-7)
        }
        for id in [0, 1, 3, 5] { #expect(row(model, id) == row(untouched, id)) }
        // Every other parameter keeps its random start.
        for i in 0..<model.parameterCount where !(table.offset..<table.offset + table.count).contains(i) {
            #expect(model.parameters[i] == untouched.parameters[i])
        }
    }
}
