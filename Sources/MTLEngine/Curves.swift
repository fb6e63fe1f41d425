/// The ROC and precision–recall curves of one binary decision (a binary task, or one label of a
/// multi-label task), computed the way scikit-learn's `roc_curve` and `precision_recall_curve`
/// compute them, so the pictures agree with the figures `eval` prints (ROC-AUC, average precision).
///
/// ```swift
/// let curves = ThresholdCurves(scores: [0.9, 0.4, 0.7], truths: [true, false, false])
/// curves?.pr.first   // the lowest threshold: every row predicted positive
/// curves?.at(0.5)    // counts at the decision threshold in use
/// ```
public struct ThresholdCurves: Sendable, Equatable {
    public struct ROCPoint: Sendable, Equatable {
        public var fpr: Double
        public var tpr: Double
        /// Rows with a score ≥ this are predicted positive; +∞ for the first point (nothing is).
        public var threshold: Double
    }

    public struct PRPoint: Sendable, Equatable {
        public var precision: Double
        public var recall: Double
        public var threshold: Double
    }

    /// Counts of one decision threshold.
    public struct Counts: Sendable, Equatable {
        public var truePositives = 0, falsePositives = 0, falseNegatives = 0, trueNegatives = 0
        public var precision: Double {
            truePositives + falsePositives > 0 ? Double(truePositives) / Double(truePositives + falsePositives) : 0
        }
        public var recall: Double {
            truePositives + falseNegatives > 0 ? Double(truePositives) / Double(truePositives + falseNegatives) : 0
        }
        public var fpr: Double {
            falsePositives + trueNegatives > 0 ? Double(falsePositives) / Double(falsePositives + trueNegatives) : 0
        }
    }

    /// ROC points from (0, 0) up, collinear points dropped (`drop_intermediate=True`, the default).
    public let roc: [ROCPoint]
    /// PR points by increasing threshold, one per distinct score; scikit-learn's closing
    /// (precision 1, recall 0) point, which has no threshold, is left out.
    public let pr: [PRPoint]
    /// ROC-AUC (trapezoids over `roc`) and average precision (Σ ΔR·P), as `eval` reports them.
    public let auc: Double
    public let averagePrecision: Double
    let scores: [Float]
    let truths: [Bool]

    /// nil unless both outcomes occur (neither curve is defined otherwise) and every score is
    /// finite (a diverged model's NaN equals no score, so it would have no place on the curve).
    public init?(scores: [Float], truths: [Bool]) {
        precondition(scores.count == truths.count, "one truth per score")
        let positives = truths.filter { $0 }.count
        guard positives > 0, positives < truths.count, scores.allSatisfy(\.isFinite) else { return nil }
        self.scores = scores
        self.truths = truths
        // Cumulative true and false positives at each distinct score, highest first.
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var tps: [Int] = [], fps: [Int] = [], thresholds: [Double] = []
        var tp = 0, fp = 0, i = 0
        while i < order.count {
            let score = scores[order[i]]
            while i < order.count, scores[order[i]] == score {
                if truths[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            tps.append(tp); fps.append(fp); thresholds.append(Double(score))
        }
        let negatives = truths.count - positives
        // ROC: keep a point only where the curve bends (the second difference is non-zero).
        var roc = [ROCPoint(fpr: 0, tpr: 0, threshold: .infinity)]
        for k in tps.indices {
            let bends = k == 0 || k == tps.count - 1
                || tps[k + 1] - 2 * tps[k] + tps[k - 1] != 0 || fps[k + 1] - 2 * fps[k] + fps[k - 1] != 0
            if bends {
                roc.append(ROCPoint(fpr: Double(fps[k]) / Double(negatives), tpr: Double(tps[k]) / Double(positives), threshold: thresholds[k]))
            }
        }
        self.roc = roc
        pr = tps.indices.reversed().map { k in
            PRPoint(precision: Double(tps[k]) / Double(tps[k] + fps[k]), recall: Double(tps[k]) / Double(positives), threshold: thresholds[k])
        }
        var area = 0.0
        for k in 1..<roc.count { area += (roc[k].fpr - roc[k - 1].fpr) * (roc[k].tpr + roc[k - 1].tpr) / 2 }
        auc = area
        var ap = 0.0, previousRecall = 0.0
        for point in pr.reversed() {
            ap += (point.recall - previousRecall) * point.precision
            previousRecall = point.recall
        }
        averagePrecision = ap
    }

    /// The counts when rows scoring ≥ `threshold` are predicted positive.
    public func at(_ threshold: Double) -> Counts {
        var counts = Counts()
        for (score, truth) in zip(scores, truths) {
            switch (truth, Double(score) >= threshold) {
            case (true, true): counts.truePositives += 1
            case (false, true): counts.falsePositives += 1
            case (true, false): counts.falseNegatives += 1
            case (false, false): counts.trueNegatives += 1
            }
        }
        return counts
    }

    /// The index in `pr` of the lowest threshold ≥ `threshold` (the PR point that decides as
    /// `threshold` does on these rows), or the last point when every score is below it.
    public func prIndex(atOrAbove threshold: Double) -> Int {
        pr.firstIndex { $0.threshold >= threshold } ?? pr.count - 1
    }
}
