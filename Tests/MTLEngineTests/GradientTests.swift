import MTLData
import Testing
@testable import MTLEngine

/// Every layer and loss against central finite differences, through whole models so that the
/// layers' wiring is checked too.
@Suite(.serialized) struct GradientTests {
    func check(_ harness: Harness, tolerance: Double = 5e-3, file: String = #filePath, line: Int = #line) {
        let analytic = harness.analyticGradient()
        var worst = 0.0, worstName = ""
        var checked = 0
        for tensor in harness.model.tensors {
            for j in 0..<tensor.count {
                let i = tensor.offset + j
                let numeric = harness.numericGradient(i)
                let error = abs(numeric - Double(analytic[i])) / max(1, abs(numeric))
                if error > worst { worst = error; worstName = "\(tensor.name)[\(j)] numeric \(numeric) analytic \(analytic[i])" }
                checked += 1
            }
        }
        #expect(checked == harness.model.parameterCount)
        #expect(worst < tolerance, "worst: \(worstName)")
        #expect(analytic.contains { $0 != 0 })
    }

    @Test func cnnWithEveryHeadKind() {
        check(Harness(trunk: .cnn, tasks: [(.multiclass, 3), (.binary, 2), (.multilabel, 4), (.regression, 1)],
                      lengths: [9, 2, 5, 3, 7, 1]))
    }

    @Test func cnnWithExtraFeaturesAndTwoDenseLayers() {
        check(Harness(trunk: .cnn, tasks: [(.multiclass, 4)], features: 3, hidden: [6, 5]))
    }

    @Test func mlpOnSparseText() {
        check(Harness(trunk: .mlp, tasks: [(.multiclass, 3), (.regression, 1)], features: 2, hidden: [6, 4]))
    }

    @Test func mlpOnDenseFeatures() {
        check(Harness(trunk: .mlp, tasks: [(.binary, 2), (.multilabel, 3)], tokens: 0, features: 5, hidden: [6]))
    }

    @Test func gruWithFeaturesWideAndExperts() {
        check(Harness(trunk: .gru, tasks: [(.multiclass, 3), (.regression, 1)], features: 2, hidden: [5], lengths: [9, 2, 5, 3, 7, 1]))
        check(Harness(trunk: .gru, tasks: [(.binary, 2), (.multilabel, 3)], hidden: [], wide: true, ngrams: 9))
        check(Harness(trunk: .gru, tasks: [(.multiclass, 3), (.binary, 2)], hidden: [4], sharing: .mmoe(experts: 2)))
    }

    @Test func bagOfNGramsWithFeatures() {
        check(Harness(trunk: .bag, tasks: [(.multiclass, 3), (.binary, 2)], features: 2, hidden: [], ngrams: 11))
        check(Harness(trunk: .bag, tasks: [(.multilabel, 3)], hidden: [5], ngrams: 7))
    }

    @Test func widePathBesideEachTrunk() {
        check(Harness(trunk: .cnn, tasks: [(.multiclass, 3), (.regression, 1)], features: 2, wide: true, ngrams: 9))
        check(Harness(trunk: .mlp, tasks: [(.binary, 2)], tokens: 0, features: 4, hidden: [5], wide: true))
        check(Harness(trunk: .bag, tasks: [(.multilabel, 3)], hidden: [], wide: true, ngrams: 8))
    }

    @Test func mixtureOfExpertsWithGatesPerTask() {
        check(Harness(trunk: .cnn, tasks: [(.multiclass, 3), (.binary, 2)], features: 2, hidden: [5], sharing: .mmoe(experts: 3)))
        check(Harness(trunk: .mlp, tasks: [(.multiclass, 3), (.regression, 1)], tokens: 0, features: 4, hidden: [5],
                      sharing: .mmoe(experts: 2), wide: true))
    }

    @Test func huberLossOnBothSidesOfDelta() {
        // Targets scaled so that some residuals fall beyond δ = 1 and some within.
        check(Harness(trunk: .mlp, tasks: [(.regression, 1)], rows: 12, tokens: 0, features: 4, hidden: [5],
                      regression: .huber, targetScale: 3))
    }

    @Test func frozenLayersGetNoGradientButPassItOn() {
        let harness = Harness(trunk: .cnn, tasks: [(.multiclass, 3)], hidden: [6, 5])
        let full = harness.analyticGradient()
        let partial = harness.analyticGradient(frozen: ["dense1"])
        for layer in harness.model.layers {
            let range = layer.offset..<(layer.offset + layer.count)
            if layer.name == "dense1" {
                #expect(partial[range].allSatisfy { $0 == 0 })
            } else {
                #expect(Array(partial[range]) == Array(full[range]), "\(layer.name)")
            }
        }
    }
}

