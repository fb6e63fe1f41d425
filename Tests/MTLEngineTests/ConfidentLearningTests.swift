@testable import MTLEngine
import Testing

/// Confident learning on hand-built cases; every expected value is worked out in the comments.
struct ConfidentLearningTests {
    /// Three classes, one masked row. Thresholds: t0 = (.8+.6+.1)/3 = .5, t1 = (.7+.8+.4+.3)/4 = .55,
    /// t2 = (.8+.6+.6+.2)/4 = .55 (row 9 is masked, so it counts nowhere).
    static let probabilities: [[Double]] = [
        [0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.1, 0.7, 0.2],   // labelled 0; row 2 is confidently 1
        [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1],   // labelled 1; row 5 is confidently 0 (p0 = t0)
        [0.1, 0.1, 0.8], [0.2, 0.2, 0.6], [0.1, 0.3, 0.6],   // labelled 2
        [0.3, 0.3, 0.4],                                     // masked
        [0.5, 0.3, 0.2],                                     // labelled 2, confidently 0: sc .2, margin −.3
        [0.7, 0.3, 0.0],                                     // labelled 1, confidently 0: sc .3, margin −.4
    ]
    static let labels: [Int?] = [0, 0, 0, 1, 1, 1, 2, 2, 2, nil, 2, 1]

    @Test func thresholdsAreTheMeanProbabilityOfEachClassOverItsLabelledRows() {
        let t = ConfidentLearning.thresholds(Self.probabilities, labels: Self.labels, classes: 3)
        #expect(t.count == 3)
        for (value, expected) in zip(t, [0.5, 0.55, 0.55]) { #expect(abs(value! - expected) < 1e-12) }
        // A class nobody is labelled with has no threshold.
        #expect(ConfidentLearning.thresholds([[0.5, 0.5]], labels: [0], classes: 2)[1] == nil)
    }

    @Test func confidentJointAndSuspectsRankedBySelfConfidenceAndByMargin() {
        let bySelf = ConfidentLearning.find(Self.probabilities, labels: Self.labels, classes: 3)
        // Rows 0,1 → 0; 2 → 1; 3,4 → 1; 5 → 0; 6,7,8 → 2; 10 → 0; 11 → 0 (row 9 masked).
        #expect(bySelf.joint == [[2, 1, 0], [2, 2, 0], [1, 0, 3]])
        // Self-confidence: row 2 (.1), 10 (.2), 11 (.3), 5 (.4).
        #expect(bySelf.suspects.map(\.index) == [2, 10, 11, 5])
        #expect(bySelf.suspects.map(\.given) == [0, 2, 1, 1])
        #expect(bySelf.suspects.map(\.likely) == [1, 0, 0, 0])
        let expectedSelf = [0.1, 0.2, 0.3, 0.4], expectedMargin = [-0.6, -0.3, -0.4, -0.1]
        for (s, (c, m)) in zip(bySelf.suspects, zip(expectedSelf, expectedMargin)) {
            #expect(abs(s.selfConfidence - c) < 1e-12 && abs(s.margin - m) < 1e-12)
        }
        // Margin: row 2 (−.6), 11 (−.4), 10 (−.3), 5 (−.1).
        let byMargin = ConfidentLearning.find(Self.probabilities, labels: Self.labels, classes: 3, ranking: .margin)
        #expect(byMargin.suspects.map(\.index) == [2, 11, 10, 5])
    }

    @Test func baselineRanksEveryLabelledRowBySelfConfidence() {
        let ranked = ConfidentLearning.lowestSelfConfidence(Self.probabilities, labels: Self.labels)
        #expect(ranked.count == 11)
        #expect(!ranked.contains { $0.index == 9 })
        // .1, .2, .3, .4, then the three at .6 by margin (rows 1 and 8: .3, row 7: .4), then row 3 (.7).
        #expect(ranked.prefix(8).map(\.index) == [2, 10, 11, 5, 1, 8, 7, 3])
        #expect(ranked[0].likely == 1 && ranked[1].likely == 0)
    }

    @Test func severalConfidentClassesCountForTheMostProbableAndMissingThresholdsNeverConfide() {
        #expect(ConfidentLearning.confidentClass([0.5, 0.45, 0.05], thresholds: [0.4, 0.4, nil]) == 0)
        #expect(ConfidentLearning.confidentClass([0.5, 0.45, 0.05], thresholds: [0.6, 0.4, nil]) == 1)
        #expect(ConfidentLearning.confidentClass([0.0, 0.0, 1.0], thresholds: [0.5, 0.5, nil]) == nil)
    }

    /// Binary, dyadic probabilities (exact in binary floating point). p1 by row:
    /// labelled 0: .125, .375, .75, .4375 → t0 = (.875+.625+.25+.5625)/4 = .578125;
    /// labelled 1: .875, .25, .125, .125 → t1 = 1.375/4 = .34375.
    @Test func binaryRowsAreTwoClassesAndAgreementWithTheModelClearsARow() {
        let p = ConfidentLearning.twoClass([0.125, 0.375, 0.75, 0.4375, 0.875, 0.25, 0.125, 0.125])
        let labels: [Int?] = [0, 0, 0, 0, 1, 1, 1, 1]
        let result = ConfidentLearning.find(p, labels: labels, classes: 2)
        #expect(result.thresholds == [0.578125, 0.34375])
        // Row 1: both classes confident → the larger, 0. Row 3: confident only in 1, but the
        // model's top class is its label 0 → in the joint's off-diagonal, yet no suspect.
        #expect(result.joint == [[2, 2], [3, 1]])
        #expect(result.suspects.map(\.index) == [6, 7, 2, 5])
        #expect(result.suspects.map(\.likely) == [0, 0, 1, 0])
        #expect(result.suspects.map(\.margin) == [-0.75, -0.75, -0.5, -0.5])
    }
}
