import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// Pseudo-labels: only predictions at or above the threshold label a row, with the rule's weight.
@Suite struct PseudoLabelTests {
    @Test func onlyConfidentPredictionsBecomeLabels() {
        // Rows 0-3 of a 5-row table form the pool; row 4 is labelled and untouched.
        let kinds: [TaskKind] = [.binary, .multiclass, .multilabel, .regression]
        var targets = [
            TaskTargets(width: 1, values: [0, 0, 0, 0, 1], mask: [0, 0, 0, 0, 1], weights: [0, 0, 0, 0, 1]),
            TaskTargets(width: 1, values: [0, 0, 0, 0, 2], mask: [0, 0, 0, 0, 1], weights: [0, 0, 0, 0, 1]),
            TaskTargets(width: 2, values: [Float](repeating: 0, count: 10), mask: [0, 0, 0, 0, 1], weights: [0, 0, 0, 0, 1]),
            TaskTargets(width: 1, values: [0, 0, 0, 0, 0.5], mask: [0, 0, 0, 0, 1], weights: [0, 0, 0, 0, 1]),
        ]
        let examples = ExampleTable(rows: [0, 1, 2, 3], losses: [], outputs: [
            [0.97, 0.9, 0.02, 0.949],
            [0.96, 0.02, 0.02, 0.5, 0.4, 0.1, 0.01, 0.01, 0.98, 0.3, 0.3, 0.4],
            [0.99, 0.01, 0.99, 0.5, 0.03, 0.04, 0.2, 0.2],
            [3, 4, 5, 6],
        ], widths: [1, 3, 2, 1], step: 10)
        let rule = PseudoLabel(threshold: 0.95, startEpoch: 1, weight: 0.5)
        let counts = PseudoLabels.assign(examples, to: &targets, kinds: kinds, rule: rule)
        #expect(counts == [2, 2, 2, 0])
        #expect(targets[0].mask == [1, 0, 1, 0, 1] && targets[0].values == [1, 0, 0, 0, 1] && targets[0].weights == [0.5, 0, 0.5, 0, 1])
        #expect(targets[1].mask == [1, 0, 1, 0, 1] && targets[1].values == [0, 0, 2, 0, 2])
        #expect(targets[2].mask == [1, 0, 1, 0, 1] && targets[2].values == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(targets[3].mask == [0, 0, 0, 0, 1])
        // Off (or before the start epoch): the pool is unlabelled again.
        #expect(PseudoLabels.assign(examples, to: &targets, kinds: kinds, rule: nil) == [0, 0, 0, 0])
        #expect(targets.allSatisfy { $0.mask == [0, 0, 0, 0, 1] && $0.weights == [0, 0, 0, 0, 1] })
    }

    @Test func theRuleParsesAndRefusesNonsense() throws {
        #expect(try PseudoLabel.parse("0.9") == PseudoLabel(threshold: 0.9, startEpoch: 2, weight: 1))
        #expect(try PseudoLabel.parse("0.8:3:0.5") == PseudoLabel(threshold: 0.8, startEpoch: 3, weight: 0.5))
        for bad in ["0", "1.5", "x", "0.9:0", "0.9:2:0", "0.9:2:1:4", "0.9:a"] {
            #expect(throws: EarlyStop.Invalid.self, "\(bad)") { try PseudoLabel.parse(bad) }
        }
    }

    @Test func unlabelledHeldOutRowsJoinTraining() {
        let targets = [TaskTargets(width: 1, values: [0, 0, 0, 0, 0, 0], mask: [1, 0, 1, 0, 1, 0], weights: [1, 0, 1, 0, 1, 0])]
        var split = DataSplit(train: [0, 1], validation: [2, 3], test: [4, 5])
        PseudoLabels.moveUnlabeled(&split, targets)
        #expect(split == DataSplit(train: [0, 1, 3, 5], validation: [2], test: [4]))
        #expect(PseudoLabels.unlabeled(split.train, targets) == [1, 3, 5])
    }
}
