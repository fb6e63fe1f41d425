import Foundation
import Testing
@testable import MTLEngine

/// ROC and precision–recall curve points against scikit-learn (scripts/curve_fixtures.py).
struct CurvesTests {
    struct Fixture: Decodable {
        struct ROC: Decodable { var fpr: [Double]; var tpr: [Double]; var thresholds: [Double?] }
        struct PR: Decodable { var precision: [Double]; var recall: [Double]; var thresholds: [Double] }
        var name: String
        var scores: [Float]
        var labels: [Int]
        var roc: ROC
        var pr: PR
        var auc: Double
        var ap: Double
    }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }

    /// A diverged model's NaN scores have no rank: the curves and their areas are undefined, and
    /// computing them ends (NaN equals no score, so grouping ties once never moved on).
    @Test(.timeLimit(.minutes(1))) func notFiniteScoresHaveNoCurves() {
        let truths = [true, false, true, false]
        for bad in [Float.nan, -Float.nan, .infinity] {
            let scores: [Float] = [0.9, bad, 0.2, 0.4]
            #expect(MetricAccumulator.averagePrecision(Array(zip(scores, truths))) == nil)
            #expect(MetricAccumulator.rocAUC(Array(zip(scores, truths))) == nil)
            #expect(ThresholdCurves(scores: scores, truths: truths) == nil)
        }
        #expect(MetricAccumulator.averagePrecision(Array(zip([0.9, 0.1, 0.2, 0.4], truths))) != nil)
    }

    @Test func pointsMatchScikitLearn() throws {
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/curves.json"))
        let cases = try JSONDecoder().decode([Fixture].self, from: Data(contentsOf: url))
        #expect(cases.count >= 4)
        for c in cases {
            let curves = try #require(ThresholdCurves(scores: c.scores, truths: c.labels.map { $0 == 1 }), "\(c.name)")
            #expect(curves.roc.count == c.roc.fpr.count, "\(c.name): \(curves.roc.count) ROC points vs \(c.roc.fpr.count)")
            for (k, point) in zip(c.roc.fpr.indices, curves.roc) {
                #expect(Self.close(point.fpr, c.roc.fpr[k]) && Self.close(point.tpr, c.roc.tpr[k]), "\(c.name): ROC point \(k)")
                if let threshold = c.roc.thresholds[k] { #expect(Self.close(point.threshold, threshold), "\(c.name): ROC threshold \(k)") }
                else { #expect(point.threshold == .infinity) }
            }
            // scikit-learn closes the PR curve with (precision 1, recall 0), which has no threshold.
            #expect(curves.pr.count == c.pr.thresholds.count, "\(c.name): \(curves.pr.count) PR points vs \(c.pr.thresholds.count)")
            #expect(c.pr.precision.last == 1 && c.pr.recall.last == 0)
            for (k, point) in zip(c.pr.thresholds.indices, curves.pr) {
                #expect(Self.close(point.precision, c.pr.precision[k]) && Self.close(point.recall, c.pr.recall[k])
                        && Self.close(point.threshold, c.pr.thresholds[k]), "\(c.name): PR point \(k)")
            }
            #expect(Self.close(curves.auc, c.auc), "\(c.name): auc \(curves.auc) vs \(c.auc)")
            #expect(Self.close(curves.averagePrecision, c.ap), "\(c.name): ap \(curves.averagePrecision) vs \(c.ap)")
            // The metrics eval prints give the same areas.
            #expect(Self.close(MetricAccumulator.rocAUC(Array(zip(c.scores, c.labels.map { $0 == 1 })))!, curves.auc))
        }
    }

    @Test func countsAtAThreshold() throws {
        let curves = try #require(ThresholdCurves(scores: [0.9, 0.8, 0.6, 0.5, 0.3, 0.1], truths: [true, false, true, false, true, false]))
        let counts = curves.at(0.5)
        #expect(counts == ThresholdCurves.Counts(truePositives: 2, falsePositives: 2, falseNegatives: 1, trueNegatives: 1))
        #expect(counts.precision == 0.5 && abs(counts.recall - 2.0 / 3) < 1e-12 && abs(counts.fpr - 2.0 / 3) < 1e-12)
        // The PR point deciding like 0.55 is the one at 0.6; above every score, the last.
        #expect(curves.pr[curves.prIndex(atOrAbove: 0.55)].threshold == Double(Float(0.6)))
        #expect(curves.prIndex(atOrAbove: 0.95) == curves.pr.count - 1)
        // The counts at a PR point's threshold give that point.
        for point in curves.pr {
            let at = curves.at(point.threshold)
            #expect(Self.close(at.precision, point.precision) && Self.close(at.recall, point.recall))
        }
        #expect(ThresholdCurves(scores: [0.2, 0.4], truths: [true, true]) == nil)
    }
}
