import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// The cnn trunk's word dropout: a dropped word's vector is zero for the whole batch, and the
/// gradients match finite differences of the same (seeded) training pass.
@Suite struct EmbeddingDropoutTests {
    func model(_ rate: Float) -> (Harness, Model, Model.Workspace) {
        let h = Harness(trunk: .cnn, tasks: [(.multiclass, 3), (.binary, 2)], rows: 6, tokens: 9, vocabulary: 23, features: 2)
        var config = h.model.config
        config.embeddingDropout = rate
        let model = Model(config, seed: 1)
        model.parameters.pointer.update(from: h.model.parameters.pointer, count: model.parameterCount)
        return (h, model, model.workspace(batch: h.batch.count, maxTokens: h.inputs.maxTokens))
    }

    func trainingLoss(_ h: Harness, _ model: Model, _ work: Model.Workspace) -> Double {
        model.forward(h.batch, work, training: true, step: 3)
        return zip(model.losses(h.batch, work, taskWeights: nil), h.weights).reduce(0) { $0 + Double($1.1) * Double($1.0.loss) }
    }

    @Test func gradientsMatchFiniteDifferencesOfTheDroppedPass() throws {
        let (h, model, work) = model(0.4)
        model.gradients.fill(0)
        model.forward(h.batch, work, training: true, step: 3)
        _ = model.losses(h.batch, work, taskWeights: h.weights)
        model.backward(h.batch, work, frozen: [])
        let analytic = model.gradients.array
        let embedding = try #require(model.layer(named: "embedding")), conv = try #require(model.layer(named: "conv"))
        var checked = 0, zeroRows = 0
        for i in Array(embedding.offset..<(embedding.offset + embedding.count)) + Array(conv.offset..<(conv.offset + 40)) {
            let saved = model.parameters[i]
            model.parameters[i] = saved + 1e-3
            let up = trainingLoss(h, model, work)
            model.parameters[i] = saved - 1e-3
            let down = trainingLoss(h, model, work)
            model.parameters[i] = saved
            let numeric = (up - down) / 2e-3
            #expect(abs(numeric - Double(analytic[i])) < 2e-3 + 2e-2 * abs(numeric), "parameter \(i)")
            checked += 1
            if i < embedding.offset + embedding.count, analytic[i] == 0 { zeroRows += 1 }
        }
        #expect(checked > 100)
        // Some words of the batch were dropped: their rows get no gradient although they occur.
        let used = Set((0..<h.inputs.rows.tokenIDs.count).map { Int(h.inputs.rows.tokenIDs[$0]) })
        let droppedAndUsed = used.filter { id in (0..<model.config.embedding).allSatisfy { analytic[embedding.offset + id * model.config.embedding + $0] == 0 } }
        #expect(!droppedAndUsed.isEmpty && droppedAndUsed.count < used.count, "\(droppedAndUsed.count) of \(used.count)")
        #expect(zeroRows > 0)
    }

    @Test func evaluationAndRateZeroAreTheUndroppedModel() {
        let (h, plain, plainWork) = model(0)
        let (_, dropped, droppedWork) = model(0.5)
        plain.forward(h.batch, plainWork, training: true, step: 3)
        dropped.forward(h.batch, droppedWork, training: false, step: 3)
        #expect(plainWork.logits[0].array == droppedWork.logits[0].array)
        dropped.forward(h.batch, droppedWork, training: true, step: 3)
        #expect(plainWork.logits[0].array != droppedWork.logits[0].array)
    }
}
