import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// The wide path learns at `wideLearningRate` × the run's rate; the other layers at the run's.
@Suite struct WideTrainingTests {
    /// One Adam step on the same gradients with factors 1 and 8: the wide layers move exactly
    /// 8× as far (Adam's first step is the rate times a ratio the factor leaves alone), the rest
    /// bit-identically.
    @Test func theWideLayersStepByTheirFactor() throws {
        func stepped(factor: Float) -> (model: Model, before: [Float]) {
            let h = Harness(trunk: .bag, tasks: [(.multiclass, 3), (.binary, 2)], rows: 6, features: 2, hidden: [4],
                            wide: true, ngrams: 12)
            var config = h.model.config
            config.wideLearningRate = factor
            let model = Model(config, seed: 1)
            model.parameters.pointer.update(from: h.model.parameters.pointer, count: model.parameterCount)
            let work = model.workspace(batch: h.batch.count, maxTokens: h.inputs.maxTokens)
            let before = model.parameters.array
            model.beginStep(h.batch)
            model.forward(h.batch, work, training: true, step: 0)
            _ = model.losses(h.batch, work, taskWeights: [1, 1])
            model.backward(h.batch, work, frozen: [])
            Optimizer(OptimizerConfig(kind: .adam, learningRate: 0.01), parameterCount: model.parameterCount).step(model, frozen: [])
            return (model, before)
        }
        let (plain, before) = stepped(factor: 1), (fast, _) = stepped(factor: 8)
        var wideMoved = 0
        for layer in plain.layers {
            for i in layer.offset..<(layer.offset + layer.count) {
                let a = Double(plain.parameters[i] - before[i]), b = Double(fast.parameters[i] - before[i])
                if layer.name.hasPrefix("wide.") {
                    #expect(abs(b - 8 * a) <= 1e-6 + 1e-4 * abs(b), "\(layer.name)[\(i - layer.offset)]")
                    if a != 0 { wideMoved += 1 }
                } else {
                    #expect(plain.parameters[i].bitPattern == fast.parameters[i].bitPattern, "\(layer.name)")
                }
            }
        }
        #expect(wideMoved > 0)
    }

    /// A frozen wide path gets no gradient, so a step notes none of its rows (they would only be
    /// cleared and skipped): the steps are bit-identical to noting them, and unfreezing notes them again.
    @Test func aFrozenWidePathNotesNoRows() throws {
        let h = Harness(trunk: .bag, tasks: [(.multiclass, 3), (.binary, 2)], rows: 6, features: 2, hidden: [4], wide: true, ngrams: 12)
        let frozen = Set(h.model.layers.map(\.name).filter { $0.hasPrefix("wide.") })
        #expect(frozen.count == 2)
        func train(noting: Bool, steps: Int) -> Model {
            let model = Model(h.model.config, seed: 1)
            let work = model.workspace(batch: h.batch.count, maxTokens: h.inputs.maxTokens)
            let optimizer = Optimizer(OptimizerConfig(kind: .adam, learningRate: 0.01), parameterCount: model.parameterCount)
            for step in 0..<steps {
                model.beginStep(h.batch, frozen: noting ? [] : frozen)
                #expect(model.touched[.wide].isEmpty != noting && !model.touched[.bag].isEmpty)
                model.forward(h.batch, work, training: true, step: step)
                _ = model.losses(h.batch, work, taskWeights: [1, 1])
                model.backward(h.batch, work, frozen: frozen)
                optimizer.step(model, frozen: frozen)
            }
            return model
        }
        let noted = train(noting: true, steps: 3), skipped = train(noting: false, steps: 3)
        #expect(noted.parameters.array.map(\.bitPattern) == skipped.parameters.array.map(\.bitPattern))
        // Unfrozen, the next step notes the rows again and the wide path learns.
        let work = skipped.workspace(batch: h.batch.count, maxTokens: h.inputs.maxTokens)
        let before = skipped.parameters.array
        skipped.beginStep(h.batch, frozen: [])
        #expect(!skipped.touched[.wide].isEmpty)
        skipped.forward(h.batch, work, training: true, step: 3)
        _ = skipped.losses(h.batch, work, taskWeights: [1, 1])
        skipped.backward(h.batch, work, frozen: [])
        Optimizer(OptimizerConfig(kind: .adam, learningRate: 0.01), parameterCount: skipped.parameterCount).step(skipped, frozen: [])
        let wide = skipped.layers.filter { $0.name.hasPrefix("wide.") }
        #expect(wide.contains { layer in (layer.offset..<(layer.offset + layer.count)).contains { skipped.parameters[$0] != before[$0] } })
    }

    @Test func checkpointsWithoutTheKeyLoadWithFactorOne() throws {
        let config = ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [3], features: 2,
                                 heads: [HeadConfig(name: "y", kind: .binary, outputs: 1)], wide: true, wideLearningRate: 30)
        // Sorted keys: the encoder's order varies between processes, and the key may come first.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var json = try #require(String(data: encoder.encode(config), encoding: .utf8))
        #expect(try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8)).wideLearningRate == 30)
        json = json.replacingOccurrences(of: #","wideLearningRate":30"#, with: "")
        #expect(!json.contains("wideLearningRate"))
        #expect(try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8)).wideLearningRate == 1)
    }
}
