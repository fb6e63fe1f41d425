import Foundation
import MTLData

/// One task's metrics over a set of rows. Classification: accuracy, macro-F1, per-class
/// precision and recall, the confusion matrix (rows = true class), ROC-AUC and average
/// precision (PR-AUC) for binary tasks. The macro means (macro-F1, precision, recall) are over
/// the classes that occur among the rows' labels or predictions, as scikit-learn's `f1_score`
/// takes them: a class absent from both (a rare class the test split happens not to hold) would
/// otherwise add an F1 of 0 that says nothing about the model.
/// Multi-label: micro-F1 (pooled over every label decision, the figure a multi-label user reads
/// first), macro-F1 (mean over labels), subset accuracy (rows whose whole label set is right),
/// label-wise accuracy, per-label precision, recall, F1 and support, all at `thresholds`, and
/// ROC-AUC and average precision as macro means over the labels that have both outcomes.
/// Regression: MAE, RMSE and R² in the target's original units. `loss` is the weighted mean.
public struct TaskMetrics: Sendable, Codable, Equatable {
    public var loss: Double
    /// Rows that had this task's label.
    public var count: Int
    public var accuracy: Double?
    public var macroF1: Double?
    public var precision: [Double]?
    public var recall: [Double]?
    public var confusion: [[Int]]?
    public var auc: Double?
    /// Average precision (the area under the precision–recall curve as scikit-learn's
    /// `average_precision_score` steps it): binary, and the macro mean over labels for multi-label.
    public var averagePrecision: Double?
    public var mae: Double?
    public var rmse: Double?
    public var r2: Double?
    /// Multi-label: F1 over all (row, label) decisions pooled.
    public var microF1: Double?
    /// Multi-label: share of rows whose predicted label set equals the true one.
    public var subsetAccuracy: Double?
    /// Multi-label: F1 and true count (support) per label.
    public var f1: [Double]?
    public var support: [Int]?
    /// Multi-label: the decision threshold per label these metrics were computed at.
    public var thresholds: [Double]?

    /// Metric by its public name: loss, accuracy, macro_f1, micro_f1, subset_accuracy, precision,
    /// recall (macro means), auc, ap (average precision), mae, rmse, r2.
    public func value(_ name: String) -> Double? {
        switch name {
        case "loss": loss
        case "accuracy": accuracy
        case "macro_f1": macroF1
        case "micro_f1": microF1
        case "subset_accuracy": subsetAccuracy
        case "precision": precision.map(occurringMean)
        case "recall": recall.map(occurringMean)
        case "auc": auc
        case "ap": averagePrecision
        case "mae": mae
        case "rmse": rmse
        case "r2": r2
        default: nil
        }
    }

    /// The mean of per-class values over the classes that occur (`Self.occurring`); without a
    /// confusion matrix (a multi-label task, whose labels are all scored as in scikit-learn, or
    /// an old epoch's one stored mean) over every value.
    fileprivate func occurringMean(_ values: [Double]) -> Double {
        let classes = confusion.map { Self.occurring($0).filter { $0 < values.count } } ?? Array(values.indices)
        return classes.isEmpty ? 0 : classes.reduce(0) { $0 + values[$1] } / Double(classes.count)
    }

    /// Classes with a row labelled or predicted as them in a confusion matrix (rows = true class).
    static func occurring(_ matrix: [[Int]]) -> [Int] {
        matrix.indices.filter { c in matrix[c].contains { $0 > 0 } || matrix.contains { $0[c] > 0 } }
    }

    /// Names this task reports, in display order.
    public static func names(for kind: TaskKind) -> [String] {
        switch kind {
        case .binary: ["loss", "accuracy", "macro_f1", "precision", "recall", "auc", "ap"]
        case .multiclass: ["loss", "accuracy", "macro_f1", "precision", "recall"]
        // accuracy: label-wise (Hamming) accuracy; subset_accuracy: the whole set right.
        case .multilabel: ["loss", "micro_f1", "macro_f1", "subset_accuracy", "accuracy", "precision", "recall", "auc", "ap"]
        case .regression: ["loss", "mae", "rmse", "r2"]
        }
    }

    /// The one metric a summary shows for a task: macro-F1 for classes, micro-F1 for label sets
    /// (macro-F1 over many rare labels is dominated by labels with a handful of rows), MAE for regression.
    public static func mainMetric(for kind: TaskKind) -> String {
        switch kind {
        case .regression: "mae"
        case .multilabel: "micro_f1"
        case .binary, .multiclass: "macro_f1"
        }
    }

    /// Whether a larger value is better.
    public static func higherIsBetter(_ name: String) -> Bool {
        !["loss", "mae", "rmse"].contains(name)
    }
}

/// Collects predictions batch by batch; `metrics()` summarises them.
public struct MetricAccumulator: Sendable {
    public let kind: TaskKind
    public let classes: Int
    /// Regression targets are standardised; these convert back to original units.
    let mean: Double
    let std: Double
    var lossSum: Double = 0
    var weightSum: Double = 0
    var count = 0
    var confusion: [Int]
    var scores: [(Float, Bool)] = []
    /// Multi-label: per label, each row's probability and truth (for ROC-AUC and average precision).
    var labelScores: [[(Float, Bool)]] = []
    var absoluteError: Double = 0
    var squaredError: Double = 0
    var targetSum: Double = 0
    var targetSquares: Double = 0
    /// Multi-label: a label is predicted when its probability is ≥ its threshold.
    let thresholds: [Float]
    /// Multi-label: rows whose every label decision was right.
    var exactRows = 0

    /// `thresholds`: per label (multi-label only); nil or absent decides at 0.5.
    public init(kind: TaskKind, classes: Int, mean: Double = 0, std: Double = 1, thresholds: [Float]? = nil) {
        self.kind = kind
        self.classes = classes
        self.mean = mean
        self.std = std
        let perLabel = kind == .multilabel ? classes : 0
        self.thresholds = thresholds.flatMap { $0.count == perLabel ? $0 : nil }
            ?? [Float](repeating: DecisionThresholds.standard, count: perLabel)
        let cells = switch kind {
        case .multilabel: classes * 4
        case .binary: 4
        case .multiclass: classes * classes
        case .regression: 0
        }
        confusion = [Int](repeating: 0, count: cells)
        if kind == .multilabel { labelScores = [[(Float, Bool)]](repeating: [], count: classes) }
    }

    /// Room for `rows` binary scores, so accumulating an epoch does not reallocate.
    public mutating func reserve(_ rows: Int) {
        if kind == .binary { scores.reserveCapacity(rows) }
        for c in labelScores.indices { labelScores[c].reserveCapacity(rows) }
    }

    /// One row: its probabilities (or value), target(s), label mask, loss weight and loss.
    public mutating func add(probabilities p: UnsafePointer<Float>, targets y: UnsafePointer<Float>,
                             mask: Float, weight: Float, loss: Float) {
        guard mask > 0 else { return }
        count += 1
        lossSum += Double(weight) * Double(loss)
        weightSum += Double(weight)
        switch kind {
        case .multiclass:
            confusion[Int(y[0]) * classes + Self.argmax(p, classes)] += 1
        case .binary:
            let truth = y[0] > 0.5
            confusion[(truth ? 2 : 0) + (p[0] >= 0.5 ? 1 : 0)] += 1
            scores.append((p[0], truth))
        case .multilabel:
            var exact = true
            for c in 0..<classes {
                let truth = y[c] > 0.5, predicted = p[c] >= thresholds[c]
                confusion[c * 4 + (truth ? 2 : 0) + (predicted ? 1 : 0)] += 1
                if truth != predicted { exact = false }
                labelScores[c].append((p[c], truth))
            }
            if exact { exactRows += 1 }
        case .regression:
            let prediction = Double(p[0]) * std + mean, truth = Double(y[0]) * std + mean
            absoluteError += abs(prediction - truth)
            squaredError += (prediction - truth) * (prediction - truth)
            targetSum += truth
            targetSquares += truth * truth
        }
    }

    static func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for c in 1..<n where p[c] > p[best] { best = c }
        return best
    }

    public func metrics() -> TaskMetrics {
        var m = TaskMetrics(loss: weightSum > 0 ? lossSum / weightSum : 0, count: count)
        guard count > 0 else { return m }
        let n = Double(count)
        switch kind {
        case .regression:
            m.mae = absoluteError / n
            m.rmse = (squaredError / n).squareRoot()
            let variance = targetSquares - targetSum * targetSum / n
            // Undefined (nil, shown as —) for one row or a constant target, where 0 read as a score.
            m.r2 = variance > 1e-12 * max(targetSquares, 1) ? 1 - squaredError / variance : nil
        case .multiclass, .binary:
            let k = kind == .binary ? 2 : classes
            let matrix = (0..<k).map { r in Array(confusion[(r * k)..<(r * k + k)]) }
            m.confusion = matrix
            let (precision, recall, f1) = Self.perClass(matrix)
            m.precision = precision
            m.recall = recall
            m.macroF1 = m.occurringMean(f1)
            m.accuracy = Double((0..<k).reduce(0) { $0 + matrix[$1][$1] }) / n
            if kind == .binary {
                m.auc = Self.rocAUC(scores)
                m.averagePrecision = Self.averagePrecision(scores)
            }
        case .multilabel:
            var precision: [Double] = [], recall: [Double] = [], f1: [Double] = [], support: [Int] = []
            var correct = 0, tp = 0, fp = 0, fn = 0
            for c in 0..<classes {
                let cell = Array(confusion[(c * 4)..<(c * 4 + 4)])   // [tn, fp, fn, tp]
                let (p, r, f) = Self.perClass([[cell[0], cell[1]], [cell[2], cell[3]]])
                precision.append(p[1]); recall.append(r[1]); f1.append(f[1]); support.append(cell[2] + cell[3])
                correct += cell[0] + cell[3]
                tp += cell[3]; fp += cell[1]; fn += cell[2]
            }
            m.precision = precision
            m.recall = recall
            m.f1 = f1
            m.support = support
            m.macroF1 = f1.reduce(0, +) / Double(classes)
            // 2·TP / (2·TP + FP + FN) over every decision; 0 when nothing is true or predicted (scikit-learn).
            m.microF1 = tp > 0 ? Double(2 * tp) / Double(2 * tp + fp + fn) : 0
            m.subsetAccuracy = Double(exactRows) / n
            m.accuracy = Double(correct) / (n * Double(classes))
            // Grid values as written (0.35, not 0.3499999940395355).
            m.thresholds = thresholds.map { (Double($0) * 10_000).rounded() / 10_000 }
            m.auc = Self.macroMean(labelScores.map(Self.rocAUC))
            m.averagePrecision = Self.macroMean(labelScores.map(Self.averagePrecision))
        }
        return m
    }

    /// Precision, recall and F1 per class of a confusion matrix (0 where undefined, as scikit-learn).
    static func perClass(_ matrix: [[Int]]) -> ([Double], [Double], [Double]) {
        let k = matrix.count
        var precision = [Double](repeating: 0, count: k), recall = precision, f1 = precision
        for c in 0..<k {
            let tp = Double(matrix[c][c])
            let predicted = Double((0..<k).reduce(0) { $0 + matrix[$1][c] })
            let actual = Double(matrix[c].reduce(0, +))
            precision[c] = predicted > 0 ? tp / predicted : 0
            recall[c] = actual > 0 ? tp / actual : 0
            f1[c] = precision[c] + recall[c] > 0 ? 2 * precision[c] * recall[c] / (precision[c] + recall[c]) : 0
        }
        return (precision, recall, f1)
    }

    /// The mean of the defined values (labels with both outcomes), nil if none is.
    static func macroMean(_ values: [Double?]) -> Double? {
        let defined = values.compactMap { $0 }
        return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
    }

    /// Σ (Rₙ − Rₙ₋₁) Pₙ over the distinct scores from the highest down, tied scores taken as one
    /// threshold (scikit-learn's `average_precision_score`); nil without both outcomes, or when
    /// a score is not finite (a diverged model: NaN equals no score, so ties could not be grouped).
    static func averagePrecision(_ scores: [(Float, Bool)]) -> Double? {
        let positives = scores.filter(\.1).count
        guard positives > 0, positives < scores.count, scores.allSatisfy({ $0.0.isFinite }) else { return nil }
        let sorted = scores.sorted { $0.0 > $1.0 }
        var tp = 0, fp = 0, previousRecall = 0.0, sum = 0.0
        var i = 0
        while i < sorted.count {
            var j = i
            while j < sorted.count, sorted[j].0 == sorted[i].0 {
                if sorted[j].1 { tp += 1 } else { fp += 1 }
                j += 1
            }
            let recall = Double(tp) / Double(positives)
            sum += (recall - previousRecall) * Double(tp) / Double(tp + fp)
            previousRecall = recall
            i = j
        }
        return sum
    }

    /// Area under the ROC curve via ranks (Mann–Whitney U), ties sharing their mean rank; nil
    /// without both outcomes or with a score that is not finite.
    static func rocAUC(_ scores: [(Float, Bool)]) -> Double? {
        let positives = scores.filter(\.1).count
        let negatives = scores.count - positives
        guard positives > 0, negatives > 0, scores.allSatisfy({ $0.0.isFinite }) else { return nil }
        let sorted = scores.sorted { $0.0 < $1.0 }
        var rankSum = 0.0
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count, sorted[j + 1].0 == sorted[i].0 { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for r in i...j where sorted[r].1 { rankSum += rank }
            i = j + 1
        }
        return (rankSum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
    }
}

/// Per-label decision thresholds for multi-label heads, tuned on validation rows after
/// training: a label whose scores are calibrated low (a rare label) is better cut below 0.5.
public enum DecisionThresholds {
    /// The threshold where nothing was tuned.
    public static let standard: Float = 0.5
    /// Candidates: 0.05, 0.10, …, 0.95.
    public static let grid: [Float] = (1...19).map { Float($0) / 20 }
    /// Fewer validation positives than this keep `standard`: an F1 over 1–4 positives picks a
    /// threshold by chance, and a low one then predicts the label on many test rows (on WordNet
    /// lexicographer files with label smoothing 0.1, tuning those labels too cut test micro-F1
    /// from 0.62 to 0.40).
    public static let minimumPositives = 5

    /// Per label, the grid value maximising that label's F1 on the given rows (the one closest
    /// to 0.5 on ties); `standard` where the rows hold fewer than `minimumPositives` positives
    /// of the label. `probabilities` and `targets` are `[rows, labels]`, `mask` `[rows]`
    /// (0: the row has no label set for this task).
    public static func tune(probabilities: [Float], targets: [Float], mask: [Float], labels: Int,
                            minimumPositives: Int = minimumPositives) -> [Float] {
        let rows = mask.count
        precondition(probabilities.count == rows * labels && targets.count == rows * labels, "[rows, labels] inputs")
        return (0..<labels).map { c in
            var positives = 0
            for r in 0..<rows where mask[r] > 0 && targets[r * labels + c] > 0.5 { positives += 1 }
            guard positives >= max(minimumPositives, 1) else { return standard }
            var best = standard, bestF1 = -1.0
            // Visit 0.5 first, then outwards, so a tie keeps the threshold nearest the default.
            let order = grid.sorted { abs($0 - standard) < abs($1 - standard) || (abs($0 - standard) == abs($1 - standard) && $0 < $1) }
            for threshold in order {
                var tp = 0, fp = 0
                for r in 0..<rows where mask[r] > 0 && probabilities[r * labels + c] >= threshold {
                    if targets[r * labels + c] > 0.5 { tp += 1 } else { fp += 1 }
                }
                let f1 = Double(2 * tp) / Double(tp + fp + positives)
                if f1 > bestF1 { bestF1 = f1; best = threshold }
            }
            return best
        }
    }

    /// Why `thresholds` cannot serve a head with `labels` labels, or nil.
    public static func problem(_ thresholds: [Float], labels: Int) -> String? {
        if thresholds.count != labels { return "\(thresholds.count) thresholds for \(labels) labels" }
        if let bad = thresholds.first(where: { !($0 > 0 && $0 < 1) }) { return "\(bad) is not in (0, 1)" }
        return nil
    }
}
