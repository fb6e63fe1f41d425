import Foundation
import MTLData
import Testing
@testable import MTLEngine

@Suite struct OptimizerTests {
    func model() -> Model {
        Model(ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [3], features: 2, heads: [HeadConfig(name: "y", kind: .binary, outputs: 1)]), seed: 1)
    }

    @Test func adamMatchesItsDefinition() {
        let m = model()
        let optimizer = Optimizer(OptimizerConfig(kind: .adam, learningRate: 0.1), parameterCount: m.parameterCount)
        let start = m.parameters.array
        var g: [Float] = []
        for step in 1...3 {
            g = (0..<m.parameterCount).map { Float($0 % 5) - 2 + Float(step) * 0.1 }
            for i in g.indices { m.gradients[i] = g[i] }
            optimizer.step(m, frozen: [])
        }
        // Replay in double precision for parameter 7.
        var mom = 0.0, vel = 0.0, p = Double(start[7])
        for step in 1...3 {
            let grad = Double(7 % 5) - 2 + Double(step) * 0.1
            mom = 0.9 * mom + 0.1 * grad
            vel = 0.999 * vel + 0.001 * grad * grad
            let mHat = mom / (1 - pow(0.9, Double(step))), vHat = vel / (1 - pow(0.999, Double(step)))
            p -= 0.1 * mHat / (vHat.squareRoot() + 1e-8)
        }
        #expect(abs(Double(m.parameters[7]) - p) < 1e-5)
    }

    @Test func frozenLayersStayBitIdenticalAndKeepTheirStepCount() {
        let m = model()
        let optimizer = Optimizer(OptimizerConfig(kind: .adamw, learningRate: 0.1), parameterCount: m.parameterCount)
        let before = m.parameters.array
        for i in 0..<m.parameterCount { m.gradients[i] = 1 }
        optimizer.step(m, frozen: ["dense"])
        let dense = m.layer(named: "dense")!
        for i in 0..<m.parameterCount {
            let inDense = (dense.offset..<(dense.offset + dense.count)).contains(i)
            #expect((m.parameters[i].bitPattern == before[i].bitPattern) == inDense)
        }
        #expect(optimizer.layerSteps["dense"] == nil && optimizer.layerSteps["head.y"] == 1)
    }

    @Test func clippingBoundsTheGlobalNorm() {
        let m = model()
        let optimizer = Optimizer(OptimizerConfig(kind: .sgd, learningRate: 1, clipNorm: 1), parameterCount: m.parameterCount)
        let before = m.parameters.array
        for i in 0..<m.parameterCount { m.gradients[i] = 10 }
        let norm = optimizer.step(m, frozen: [])
        #expect(abs(norm - 10 * Float(m.parameterCount).squareRoot()) < 1e-3)
        let moved = zip(before, m.parameters.array).map { Double($0 - $1) }
        let length = moved.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(length - 1) < 1e-4)
    }
}
