import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// The per-task backward pass, the gradient-conflict measures and each strategy's arithmetic on
/// cases worked by hand. (PyTorch parity of one full step per strategy: StrategyParityTests.)
struct WeightingTests {
    static let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.binary, 2), (.regression, 1)]

    func buffers(_ model: Model) -> [FloatBuffer] { model.config.heads.map { _ in FloatBuffer(count: model.sharedCount) } }

    @Test(arguments: ["cnn", "mlp", "bag+wide", "cnn, mmoe:3", "mlp+wide, mmoe:2"])
    func perTaskGradientsSumToTheSummedBackwardPass(model name: String) {
        let trunk = TrunkKind(rawValue: String(name.prefix { $0.isLetter }))!
        let sharing: Sharing = name.contains("mmoe") ? .mmoe(experts: Int(String(name.last!))!) : .hard
        let h = Harness(trunk: trunk, tasks: Self.tasks, features: 3, hidden: trunk == .bag ? [] : [7], sharing: sharing,
                        wide: name.contains("wide"), ngrams: name.contains("wide") || trunk == .bag ? 10 : 0)
        let summed = h.analyticGradient()   // weights h.weights, scaled into the logit gradients
        let model = h.model
        model.gradients.fill(0)
        model.forward(h.batch, h.work, training: false, step: 0)
        _ = model.losses(h.batch, h.work, taskWeights: h.weights)
        let perTask = buffers(model)
        model.backwardPerTask(h.batch, h.work, frozen: [], into: perTask)
        let shared = model.sharedCount
        #expect(shared > 0 && shared < model.parameterCount)
        for i in 0..<model.parameterCount {
            let value = i < shared ? perTask.reduce(Float(0)) { $0 + $1[i] } : model.gradients[i]
            #expect(abs(value - summed[i]) <= 1e-5 * max(1, abs(summed[i])), "parameter \(i)")
        }
    }

    /// Two tasks with the same labels and the same head start with identical gradients: cosine 1,
    /// magnitude similarity 1, no conflict. Flipping one head's sign flips its gradient: cosine −1.
    @Test func identicalTasksHaveCosineOneAndOppositeOnesMinusOne() throws {
        let h = Harness(trunk: .mlp, tasks: [(.regression, 1), (.regression, 1)], tokens: 0, features: 4, hidden: [5, 6])
        let model = h.model
        h.batch.targets[1].pointer.update(from: h.batch.targets[0].pointer, count: h.batch.count)
        let head0 = try #require(model.tensors.first { $0.name == "head.task0.weight" })
        let head1 = try #require(model.tensors.first { $0.name == "head.task1.weight" })
        func measure(sign: Float) -> GradientConflict {
            for i in 0..<head0.count { model.parameters[head1.offset + i] = sign * model.parameters[head0.offset + i] }
            for i in 0..<1 { model.parameters[head1.offset + head0.count + i] = model.parameters[head0.offset + head0.count + i] }
            model.gradients.fill(0)
            model.forward(h.batch, h.work, training: false, step: 0)
            _ = model.losses(h.batch, h.work, taskWeights: [1, 1])
            let perTask = buffers(model)
            model.backwardPerTask(h.batch, h.work, frozen: [], into: perTask)
            var conflict = GradientConflict(tasks: ["a", "b"], layers: model.sharedLayers)
            conflict.record(perTask, step: 7)
            return conflict
        }
        let same = measure(sign: 1)
        #expect(same.layers.map(\.name) == ["dense1", "dense2"])
        for layer in same.layers {
            #expect(abs(layer.cosine[0] - 1) < 1e-5 && abs(layer.magnitudeSimilarity[0] - 1) < 1e-5 && layer.conflictShare == 0)
        }
        #expect(same.pairNames == ["a|b"] && same.steps == [7])
        // The last shared layer's gradient of a head with negated weights (and equal targets
        // scaled by −1 in the output space) points the other way only at the top layer.
        let opposite = measure(sign: -1)
        #expect(opposite.layers.last!.cosine[0] < 1)
    }

    @Test func conflictMeasuresOnVectorsWorkedByHand() {
        let a = FloatBuffer([1, 0, 3, 4]), b = FloatBuffer([-2, 0, 0, 0]), c = FloatBuffer([0, 0, 0, 0])
        var conflict = GradientConflict(tasks: ["a", "b", "c"], layers: [LayerRange(name: "x", offset: 0, count: 2),
                                                                         LayerRange(name: "y", offset: 2, count: 2)])
        conflict.record([a, b, c], step: 1)
        let x = conflict.layers[0], y = conflict.layers[1]
        #expect(conflict.pairs.map { [$0.0, $0.1] } == [[0, 1], [0, 2], [1, 2]])
        #expect(x.cosine[0] == -1 && abs(x.magnitudeSimilarity[0] - 0.8) < 1e-12)   // 2·1·2 / (1 + 4)
        #expect(x.cosine[1].isNaN && x.conflictShare == 1)                           // c is zero: not measured
        #expect(y.cosine[0].isNaN && y.conflictShare == 0)
        conflict.record([b, a, c], step: 2)
        #expect(conflict.layers[0].cosineEMA[0] == -1)
        #expect(conflict.layers[0].history[0] == [-1, -1] && conflict.steps == [1, 2])
        #expect(conflict.layersByConflict.first?.name == "x")
    }

    @Test func pcgradProjectsOnlyConflictingPairs() {
        // g1·g2 = −1 < 0: each loses its component along the other; g3 conflicts with nobody.
        let g1 = FloatBuffer([1, 0]), g2 = FloatBuffer([-1, 1]), g3 = FloatBuffer([0, 0])
        let shared = FloatBuffer(count: 2)
        PCGrad.project([g1, g2, g3], weights: [1, 1, 1], orders: [[1, 2, 0], [0, 2, 1], [0, 1, 2]], into: shared.pointer)
        // g1' = g1 − (−1/2)·g2 = (0.5, 0.5); g2' = g2 − (−1/1)·g1 = (0, 1); sum (0.5, 1.5).
        #expect(abs(shared[0] - 0.5) < 1e-6 && abs(shared[1] - 1.5) < 1e-6)
        PCGrad.project([g1, FloatBuffer([1, 1])], weights: [2, 1], orders: [[1], [0]], into: shared.pointer)
        #expect(shared[0] == 3 && shared[1] == 1)   // no conflict: the weighted sum 2·g1 + g2
    }

    @Test func gradnormMovesWeightTowardTheSlowerTask() {
        // Equal norms, task 0's loss has fallen less (ratio 1 vs 0.5): its weight rises.
        let w = GradNorm.update(weights: [1, 1], effective: [1, 1], norms: [2, 2], losses: [1, 0.5], initialLosses: [1, 1],
                                alpha: 1.5, learningRate: 0.1)
        // r = (4/3, 2/3); targets 2·r^1.5 = (3.08, 1.09): G₀ below, G₁ above → w₀ + 0.2, w₁ − 0.2.
        #expect(abs(w[0] - 1.2) < 1e-12 && abs(w[1] - 0.8) < 1e-12)
        #expect(abs(w.reduce(0, +) - 2) < 1e-12)
    }

    @Test func dwaRlwUwAndFamoWeights() {
        func record(_ losses: [Double]) -> EpochRecord {
            EpochRecord(epoch: 1, step: 0, train: losses.map { TaskMetrics(loss: $0, count: 1) }, validation: [], validationTotal: 0, seconds: 0)
        }
        let dwa = DynamicWeightAverage.weights(history: [record([1, 1]), record([0.5, 1])], tasks: 2, temperature: 2)
        let e0 = exp(0.25), e1 = exp(0.5)
        #expect(abs(dwa[0] - 2 * e0 / (e0 + e1)) < 1e-12 && abs(dwa[1] - 2 * e1 / (e0 + e1)) < 1e-12)
        #expect(RandomLossWeighting.weights(noise: [0, log(3)]) == [0.25, 0.75])

        let step = WeightingStep(step: 0, losses: [2, 0.5], present: [true, true], history: [],
                                 optimizer: OptimizerConfig(kind: .adam, learningRate: 0.1))
        let uw = UncertaintyWeighting(tasks: 2)
        #expect(uw.weights(step).map { ($0 * 1e9).rounded() } == [1 / (2 * exp(-0.5)), 1 / (2 * exp(-0.5))].map { ($0 * 1e9).rounded() })
        uw.afterStep(step) { [] }
        // ∂/∂s = −L/(2e^s) + ½: task 0 (loss 2) raises its log-variance, task 1 (0.5) lowers it.
        #expect(uw.logVariance[0] > -0.5 && uw.logVariance[1] < -0.5)
        #expect(abs(uw.logVariance[0] + 0.4) < 1e-6)   // Adam's first step moves by the rate

        let famo = FAMO(tasks: 2, learningRate: 0.025, decay: 0.001)
        let w = famo.weights(step)   // z = ½ each: wᵢ = (1/Dᵢ) / Σ 1/Dⱼ
        #expect(abs(w[0] - 0.2) < 1e-6 && abs(w[1] - 0.8) < 1e-6)
        famo.afterStep(step) { [1, 0.5] }   // task 0 fell (δ₀ = log 2), task 1 did not
        #expect(famo.logits[0] < 0 && famo.logits[1] > 0)   // weight moves to the task that is not improving
        let absent = famo.weights(WeightingStep(step: 1, losses: [2, 0], present: [true, false], history: [],
                                                optimizer: step.optimizer))
        #expect(absent[1] == 0 && absent[0] > 0)
    }

    @Test func stateRoundTripsAndBadStateIsRefused() {
        let step = WeightingStep(step: 0, losses: [2, 0.5], present: [true, true], history: [],
                                 optimizer: OptimizerConfig(kind: .adam, learningRate: 0.1))
        for strategy in WeightingStrategy.allCases {
            let a = strategy.make(tasks: 2, seed: 1)
            _ = a.weights(step)
            a.afterStep(step) { [1, 0.4] }
            let b = strategy.make(tasks: 2, seed: 1)
            #expect(b.restore(a.state) == nil, "\(strategy)")
            #expect(b.state == a.state, "\(strategy)")
            #expect(b.weights(step) == a.weights(step), "\(strategy)")
        }
        let uw = WeightingStrategy.uw.make(tasks: 3, seed: 1)
        #expect(uw.restore(WeightingState(strategy: .uw, values: ["log_variance": [0, .nan, 0]])) != nil)
        #expect(WeightingStrategy.famo.make(tasks: 2, seed: 1).restore(WeightingState(strategy: .famo)) != nil)
    }

    @Test func strategiesParseWithOptionsAndRefuseWhatTheyDoNotTake() throws {
        let (strategy, options) = try WeightingStrategy.parse("gradnorm:alpha=1.2,every=4").get()
        #expect(strategy == .gradnorm && options == ["alpha": 1.2, "every": 4])
        func message(_ text: String) -> String {
            if case .failure(let error) = WeightingStrategy.parse(text) { return error.description }
            return "accepted"
        }
        #expect(message("nope").hasPrefix("expected one of fixed, dwa, rlw, uw, gradnorm, pcgrad, famo"))
        #expect(message("uw:alpha=1") == "uw has no option 'alpha'")
        #expect(message("pcgrad:every=0") == "pcgrad: every must be a whole number ≥ 1, got 0")
        #expect(message("gradnorm:alpha") == "gradnorm: expected KEY=NUMBER, got 'alpha'")
        #expect(message("famo:lr=nan") == "famo: expected KEY=NUMBER, got 'lr=nan'")
    }
}

/// Δp from numbers worked by hand, and single-task setups that keep everything but the other tasks.
struct BaselineTests {
    func metrics(_ values: [String: Double]) -> TaskMetrics {
        TaskMetrics(loss: 1, count: 10, accuracy: values["accuracy"], macroF1: values["macro_f1"],
                    mae: values["mae"], rmse: values["rmse"])
    }

    @Test func deltaPAveragesWithinEachTaskThenOverTasks() throws {
        // Task a: accuracy +10 %, F1 −10 % → 0. Task b: MAE 0.8 vs 1.0 → +20 %, RMSE 1.1 vs 1.0 → −10 % → +5 %.
        let multi = [metrics(["accuracy": 0.88, "macro_f1": 0.72]), metrics(["mae": 0.8, "rmse": 1.1])]
        let single = [metrics(["accuracy": 0.8, "macro_f1": 0.8]), metrics(["mae": 1.0, "rmse": 1.0])]
        let delta = try #require(Baselines.deltaP(multiTask: multi, singleTask: single, kinds: [.multiclass, .regression]))
        #expect(abs(delta - 2.5) < 1e-9)
        #expect(Baselines.deltaP(multiTask: multi, singleTask: [metrics(["accuracy": 0, "macro_f1": 0.8]), single[1]],
                                 kinds: [.multiclass, .regression]) == nil)
    }

    @Test func aSingleTaskSetupKeepsTheTrunkAndDropsTheOtherTasks() {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.binary, 2)]
        let model = ModelConfig(trunk: .cnn, vocabulary: 30, embedding: 4, filters: 5, kernel: 3, hidden: [6],
                                dropout: 0, features: 0, heads: SyntheticData.heads(tasks))
        var training = TrainingConfig()
        training.lossWeights = [2, 3]
        training.strategy = .uw
        training.earlyStop = EarlyStop(metric: "task0.macro_f1", patience: 2)
        let setup = SyntheticData.setup(rows: 40, tokens: 6, vocabulary: 30, features: 0, tasks: tasks, model: model, training: training)
        let single = setup.singleTask(1)
        #expect(single.model.heads.map(\.name) == ["task1"])
        #expect(single.encoder.tasks.map(\.spec.name) == ["task1"] && single.inputs.rows.targets.count == 1)
        #expect(single.inputs.rows.targets[0].values == setup.inputs.rows.targets[1].values)
        #expect(single.training.lossWeights == [1] && single.training.strategy == .fixed)
        #expect(single.training.earlyStop == EarlyStop(metric: "loss", patience: 2))
        #expect(setup.singleTask(0).training.earlyStop == training.earlyStop)
        let multi = Model(setup.model, seed: 1), alone = Model(single.model, seed: 1)
        #expect(Array(UnsafeBufferPointer(start: multi.parameters.pointer, count: multi.sharedCount))
                == Array(UnsafeBufferPointer(start: alone.parameters.pointer, count: alone.sharedCount)))
    }
}
