import Foundation
import MTLData

/// One task's metrics over a set of rows. Classification: accuracy, macro-F1, per-class
/// precision and recall, the confusion matrix (rows = true class), ROC-AUC for binary tasks.
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
    public var mae: Double?
    public var rmse: Double?
    public var r2: Double?

    /// Metric by its public name: loss, accuracy, macro_f1, precision, recall (macro means), auc, mae, rmse, r2.
    public func value(_ name: String) -> Double? {
        switch name {
        case "loss": loss
        case "accuracy": accuracy
        case "macro_f1": macroF1
        case "precision": precision.map { $0.reduce(0, +) / Double(max($0.count, 1)) }
        case "recall": recall.map { $0.reduce(0, +) / Double(max($0.count, 1)) }
        case "auc": auc
        case "mae": mae
        case "rmse": rmse
        case "r2": r2
        default: nil
        }
    }

    /// Names this task reports, in display order.
    public static func names(for kind: TaskKind) -> [String] {
        switch kind {
        case .binary: ["loss", "accuracy", "macro_f1", "precision", "recall", "auc"]
        case .multiclass, .multilabel: ["loss", "accuracy", "macro_f1", "precision", "recall"]
        case .regression: ["loss", "mae", "rmse", "r2"]
        }
    }

    /// The one metric a summary shows for a task: macro-F1 for classes, MAE for regression.
    public static func mainMetric(for kind: TaskKind) -> String { kind == .regression ? "mae" : "macro_f1" }

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
    var absoluteError: Double = 0
    var squaredError: Double = 0
    var targetSum: Double = 0
    var targetSquares: Double = 0

    public init(kind: TaskKind, classes: Int, mean: Double = 0, std: Double = 1) {
        self.kind = kind
        self.classes = classes
        self.mean = mean
        self.std = std
        let cells = switch kind {
        case .multilabel: classes * 4
        case .binary: 4
        case .multiclass: classes * classes
        case .regression: 0
        }
        confusion = [Int](repeating: 0, count: cells)
    }

    /// Room for `rows` binary scores, so accumulating an epoch does not reallocate.
    public mutating func reserve(_ rows: Int) {
        if kind == .binary { scores.reserveCapacity(rows) }
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
            for c in 0..<classes { confusion[c * 4 + (y[c] > 0.5 ? 2 : 0) + (p[c] >= 0.5 ? 1 : 0)] += 1 }
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
            m.r2 = variance > 0 ? 1 - squaredError / variance : 0
        case .multiclass, .binary:
            let k = kind == .binary ? 2 : classes
            let matrix = (0..<k).map { r in Array(confusion[(r * k)..<(r * k + k)]) }
            m.confusion = matrix
            let (precision, recall, f1) = Self.perClass(matrix)
            m.precision = precision
            m.recall = recall
            m.macroF1 = f1.reduce(0, +) / Double(k)
            m.accuracy = Double((0..<k).reduce(0) { $0 + matrix[$1][$1] }) / n
            if kind == .binary { m.auc = Self.rocAUC(scores) }
        case .multilabel:
            var precision: [Double] = [], recall: [Double] = [], f1: [Double] = []
            var correct = 0
            for c in 0..<classes {
                let cell = Array(confusion[(c * 4)..<(c * 4 + 4)])   // [tn, fp, fn, tp]
                let (p, r, f) = Self.perClass([[cell[0], cell[1]], [cell[2], cell[3]]])
                precision.append(p[1]); recall.append(r[1]); f1.append(f[1])
                correct += cell[0] + cell[3]
            }
            m.precision = precision
            m.recall = recall
            m.macroF1 = f1.reduce(0, +) / Double(classes)
            m.accuracy = Double(correct) / (n * Double(classes))
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

    /// Area under the ROC curve via ranks (Mann–Whitney U), ties sharing their mean rank.
    static func rocAUC(_ scores: [(Float, Bool)]) -> Double? {
        let positives = scores.filter(\.1).count
        let negatives = scores.count - positives
        guard positives > 0, negatives > 0 else { return nil }
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
