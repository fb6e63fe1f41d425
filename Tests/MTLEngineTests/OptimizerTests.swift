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

    /// A step clears each gradient it has read, so the next beginStep need not; a layer the step
    /// left alone (frozen here, or every layer of a step skipped for a NaN) keeps its gradient
    /// until beginStep clears it, and a step then starts from zero everywhere.
    /// The same for row-sparse tables (the bag's n-gram embedding and the wide path), whose step
    /// clears the rows it updated.
    @Test(arguments: [false, true]) func aStepClearsTheGradientsItReadAndBeginStepTheRest(rowSparse: Bool) throws {
        // The hidden layer's 2 × 2100 weights and 2100 biases span two of the pieces Adam clears at a time.
        let h = rowSparse
            ? Harness(trunk: .bag, tasks: [(.multiclass, 3)], rows: 6, features: 2, hidden: [], wide: true, ngrams: 40)
            : Harness(trunk: .mlp, tasks: [(.multiclass, 3)], rows: 6, features: 2, hidden: [2100])
        let m = h.model
        let optimizer = Optimizer(OptimizerConfig(kind: .adam, learningRate: 0.01), parameterCount: m.parameterCount)
        func gradient(of layer: String) throws -> ArraySlice<Float> {
            let range = try #require(m.layers.first { $0.name == layer })
            return m.gradients.array[range.offset..<(range.offset + range.count)]
        }
        func backward() {
            h.batch.fill(Array(0..<6)[...], from: h.inputs, kernel: h.model.config.kernel)
            m.beginStep(h.batch)
            #expect(m.gradients.array.allSatisfy { $0 == 0 }, "beginStep leaves no gradient behind")
            m.forward(h.batch, h.work, training: true, step: 0)
            _ = m.losses(h.batch, h.work, taskWeights: [1])
            m.backward(h.batch, h.work, frozen: [])
        }
        let frozen = try #require(m.layers.first?.name)
        backward()
        let nonZero = m.layers.map(\.name).filter { name in (try? gradient(of: name))?.contains { $0 != 0 } == true }
        #expect(nonZero.count == m.layers.count, "\(nonZero)")
        optimizer.step(m, frozen: [frozen])
        for layer in m.layers where layer.name != frozen { #expect(try gradient(of: layer.name).allSatisfy { $0 == 0 }, "\(layer.name)") }
        #expect(try gradient(of: frozen).contains { $0 != 0 })
        // The step of a NaN loss stops before the optimizer: its gradients stay until beginStep.
        backward()
        m.beginStep(h.batch)
        #expect(m.gradients.array.allSatisfy { $0 == 0 })
    }
}

/// The n-gram tables are updated row by row (PyTorch's SparseAdam): the rows a batch touches
/// take exactly the dense update, the others and their moments stay as they were.
@Suite struct RowSparseUpdateTests {
    @Test func onlyTouchedRowsMoveAndTheirUpdateIsAdams() throws {
        let h = Harness(trunk: .bag, tasks: [(.multiclass, 3), (.binary, 2)], rows: 6, features: 2, hidden: [],
                        wide: true, ngrams: 40)
        let model = h.model
        let dense = Model(model.config, seed: 1)
        dense.parameters.pointer.update(from: model.parameters.pointer, count: model.parameterCount)
        let sparseAdam = Optimizer(OptimizerConfig(kind: .adam, learningRate: 0.05), parameterCount: model.parameterCount)
        let denseAdam = Optimizer(OptimizerConfig(kind: .adam, learningRate: 0.05), parameterCount: model.parameterCount)
        let table = try #require(model.rowSparse.first { $0.source == .bag })

        // Step 1 on rows 0–2, step 2 on rows 3–5: the second batch leaves some rows of the first untouched.
        for (step, rows) in [[0, 1, 2], [3, 4, 5]].enumerated() {
            h.batch.fill(rows[...], from: h.inputs, kernel: 3)
            let before = model.parameters.array, firstBefore = sparseAdam.first.array
            model.beginStep(h.batch)
            model.forward(h.batch, h.work, training: true, step: step)
            _ = model.losses(h.batch, h.work, taskWeights: [1, 1])
            model.backward(h.batch, h.work, frozen: [])
            dense.gradients.pointer.update(from: model.gradients.pointer, count: model.parameterCount)
            // The reference updates every row, as dense Adam does.
            dense.touched.bag = (0..<Int32(table.rows)).map { $0 }
            dense.touched.wide = (0..<Int32(model.config.wideInputs)).map { $0 }
            sparseAdam.step(model, frozen: [])
            denseAdam.step(dense, frozen: [])
            let touched = Set(model.touched.bag.map(Int.init))
            #expect(!touched.isEmpty && touched.count < table.rows)
            for row in 0..<table.rows {
                let range = (table.offset + row * table.width)..<(table.offset + (row + 1) * table.width)
                if touched.contains(row) {
                    // Moments of a row untouched at step 1 start from zero in both, so the updates agree.
                    if step == 0 { for i in range { #expect(model.parameters[i] == dense.parameters[i]) } }
                } else {
                    for i in range {
                        #expect(model.parameters[i] == before[i], "row \(row) untouched at step \(step + 1)")
                        #expect(sparseAdam.first[i] == firstBefore[i])
                    }
                }
            }
        }
        // Gradients of the previous step's rows are cleared by the next beginStep.
        model.beginStep(h.batch)
        #expect(model.gradients.array.allSatisfy { $0 == 0 })
    }
}
