import Foundation
import MTLData

/// One correction made in the workbench on one dataset row: what `TrainerCommand.correct`
/// carries and what one line of the corrections file says (`jsonLine`).
public struct RowCorrection: Sendable, Equatable {
    public var row: Int
    /// The row's stable key (`RowKeys`), written to the file so a replay finds the row again.
    public var key: String
    /// nil: every task (drop, weight, an undo of either).
    public var task: String?
    public var action: Corrections.Action
    /// relabel: the class (multi-label: `a|b`, empty for none); weight: the factor.
    public var value: String?

    public init(row: Int, key: String, task: String? = nil, action: Corrections.Action, value: String? = nil) {
        self.row = row
        self.key = key
        self.task = task
        self.action = action
        self.value = value
    }

    /// The corrections-file line, as `Corrections.read` reads it.
    public func jsonLine(step: Int) -> String {
        var object: [String: Any] = ["key": key, "action": action.rawValue, "step": step]
        if let task { object["task"] = task }
        switch action {
        case .weight: object["value"] = Double(value ?? "1") ?? 1
        case .relabel: object["value"] = value ?? ""
        case .drop, .undo: break
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Which rows the hard-example browser lists.
public enum ExampleSplit: String, Sendable, CaseIterable {
    case validation, train, test
}

/// Corrections applied live to the encoded targets the batches are drawn from. Each change
/// recomputes the row from its original targets and the corrections in force, in the order a
/// headless replay (`CorrectionPlan`) uses: relabels, then weight factors, then the drop; so
/// the row ends in the state `train --corrections FILE` gives it. Drops and weights touch
/// training rows only; a relabel applies to any row (it fixes evaluation too).
struct LiveCorrections {
    struct Original { var values: [[Float]]; var mask: [Float]; var weight: [Float] }

    private(set) var active: [RowCorrection] = []
    private var originals: [Int: Original] = [:]
    private(set) var dropped: Set<Int> = []

    /// Applies `correction` to `targets`; returns the event message, or throws why it cannot apply.
    mutating func apply(_ correction: RowCorrection, to targets: inout [TaskTargets], tasks: [DataEncoder.TaskEncoding],
                        training: Set<Int>) throws(Problem) -> String {
        let row = correction.row
        guard let first = targets.first, row >= 0, row < first.mask.count else { throw Problem("no row \(row)") }
        let taskIndex = try correction.task.map { name throws(Problem) -> Int in
            guard let t = tasks.firstIndex(where: { $0.spec.name == name }) else { throw Problem("no task named '\(name)'") }
            return t
        }
        switch correction.action {
        case .drop, .weight:
            guard training.contains(row) else { throw Problem("row \(correction.key) is not a training row: only a relabel changes it") }
            if correction.action == .weight {
                guard let factor = correction.value.flatMap(Double.init), factor >= 0, factor.isFinite else {
                    throw Problem("a weight factor must be a finite number ≥ 0")
                }
            }
            active.append(correction)
        case .relabel:
            guard let t = taskIndex, let value = correction.value else { throw Problem("a relabel needs a task and a class") }
            _ = try Self.encode(value, tasks[t])
            active.append(correction)
        case .undo:
            guard let undone = active.lastIndex(where: { $0.key == correction.key && (correction.task == nil || $0.task == correction.task) }) else {
                throw Problem("nothing to undo for row \(correction.key)")
            }
            let removed = active.remove(at: undone)
            recompute(removed.row, &targets, tasks: tasks)
            return "undid \(Self.describe(removed))"
        }
        recompute(row, &targets, tasks: tasks)
        return Self.describe(correction)
    }

    static func describe(_ c: RowCorrection) -> String {
        switch c.action {
        case .drop: "dropped row \(c.key) from training"
        case .weight: "row \(c.key) loss weight ×\(c.value ?? "1")"
        case .relabel: "relabelled row \(c.key) \(c.task ?? "") → \(c.value.map { $0.isEmpty ? "(none)" : $0 } ?? "")"
        case .undo: "undo on row \(c.key)"
        }
    }

    /// Puts the row back to its original targets, then replays the corrections in force on it.
    private mutating func recompute(_ row: Int, _ targets: inout [TaskTargets], tasks: [DataEncoder.TaskEncoding]) {
        if originals[row] == nil {
            originals[row] = Original(values: targets.map { Array($0.values[row * $0.width..<(row + 1) * $0.width]) },
                                      mask: targets.map { $0.mask[row] }, weight: targets.map { $0.weights[row] })
        }
        let original = originals[row]!
        for t in targets.indices {
            let w = targets[t].width
            targets[t].values.replaceSubrange(row * w..<(row + 1) * w, with: original.values[t])
            targets[t].mask[row] = original.mask[t]
            targets[t].weights[row] = original.weight[t]
        }
        let mine = active.filter { $0.row == row }
        for c in mine where c.action == .relabel {
            guard let t = tasks.firstIndex(where: { $0.spec.name == c.task }), let encoded = try? Self.encode(c.value ?? "", tasks[t]) else { continue }
            let w = targets[t].width
            targets[t].values.replaceSubrange(row * w..<(row + 1) * w, with: encoded.values)
            // The encoder's weight is sample weight × class weight: swap the class weight.
            let before = original.mask[t] > 0 ? original.weight[t] / Self.classWeight(original.values[t], tasks[t]) : 1
            targets[t].weights[row] = before * encoded.classWeight
            targets[t].mask[row] = 1
        }
        for c in mine where c.action == .weight {
            let factor = Float(Double(c.value ?? "1") ?? 1)
            for t in targets.indices where c.task == nil || tasks[t].spec.name == c.task { targets[t].weights[row] *= factor }
        }
        if mine.contains(where: { $0.action == .drop }) {
            dropped.insert(row)
            // The loss reads the weight, metrics the mask: a dropped row has neither.
            for t in targets.indices { targets[t].mask[row] = 0; targets[t].weights[row] = 0 }
        } else {
            dropped.remove(row)
        }
    }

    /// A label as the encoder encodes it, or why it is not one of the task's.
    static func encode(_ value: String, _ task: DataEncoder.TaskEncoding) throws(Problem) -> (values: [Float], classWeight: Float) {
        switch task.spec.kind {
        case .regression:
            guard let v = Double(value), v.isFinite else { throw Problem("\(task.spec.name) needs a number, got '\(value)'") }
            return ([Float((v - task.mean) / task.std)], 1)
        case .binary, .multiclass:
            guard let c = task.classes.firstIndex(of: value) else {
                throw Problem("task '\(task.spec.name)' has no class '\(value)' (classes: \(task.classes.joined(separator: ", ")))")
            }
            return ([Float(c)], task.classWeights.indices.contains(c) ? task.classWeights[c] : 1)
        case .multilabel:
            var values = [Float](repeating: 0, count: task.width)
            for part in value.split(separator: "|") {
                guard let c = task.classes.firstIndex(of: String(part)) else {
                    throw Problem("task '\(task.spec.name)' has no label '\(part)' (labels: \(task.classes.joined(separator: ", ")))")
                }
                values[c] = 1
            }
            return (values, 1)
        }
    }

    static func classWeight(_ values: [Float], _ task: DataEncoder.TaskEncoding) -> Float {
        guard task.spec.kind == .binary || task.spec.kind == .multiclass, let v = values.first else { return 1 }
        let c = Int(v)
        let weight = task.classWeights.indices.contains(c) ? task.classWeights[c] : 1
        return weight > 0 ? weight : 1
    }

    struct Problem: Error { var message: String; init(_ message: String) { self.message = message } }
}
