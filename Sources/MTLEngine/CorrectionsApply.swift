import Foundation
import MTLData

/// A corrections file matched against one table: relabels written into the table's label
/// cells, rows to drop from training, loss-weight factors per row and task, and counts for the
/// `start` event.
public struct CorrectionPlan: Sendable {
    public struct Summary: Sendable, Equatable {
        public var dropped = 0, relabeled = 0, weighted = 0, unmatched = 0
        public var json: [String: Int] { ["dropped": dropped, "relabeled": relabeled, "weighted": weighted, "unmatched": unmatched] }
    }

    public var summary = Summary()
    /// Table rows dropped from training.
    public var dropped: Set<Int> = []
    /// (row, task index or nil for every task) → factor, multiplied in file order.
    public var weights: [(row: Int, task: Int?, factor: Float)] = []
    /// Warnings: keys matching no row, lines skipped with --skip-bad-corrections.
    public var warnings: [String] = []

    /// Applies `corrections` to `table` (relabels) and returns what remains to apply after
    /// encoding. A malformed line, or a relabel to a class the task does not have, is an error
    /// naming file and line (the first in the file), or with `skipBad` a warning (in file
    /// order) and the line is left out.
    public static func apply(_ corrections: Corrections, to table: inout Table, spec: DatasetSpec,
                             skipBad: Bool) throws(DataError) -> CorrectionPlan {
        var plan = CorrectionPlan()
        var problems = corrections.problems
        let keys = RowKeys.keys(table, spec: spec)
        var rowsByKey: [String: [Int]] = [:]
        for (r, key) in keys.enumerated() { rowsByKey[key, default: []].append(r) }
        var unmatched: [String] = []
        var relabeled = Set<[Int]>(), weighted = Set<Int>()
        for line in corrections.active {
            do throws(DataError) {
                let taskIndex = try line.task.map { name throws(DataError) -> Int in
                    guard let t = spec.tasks.firstIndex(where: { $0.name == name }) else {
                        throw DataError(file: corrections.file, line: line.line, "no task named '\(name)' (tasks: \(spec.tasks.map(\.name).joined(separator: ", ")))")
                    }
                    return t
                }
                guard let rows = rowsByKey[line.key] else { unmatched.append(line.key); continue }
                switch line.action {
                case .drop:
                    plan.dropped.formUnion(rows)
                case .weight:
                    for r in rows { plan.weights.append((r, taskIndex, Float(Double(line.value!)!))); weighted.insert(r) }
                case .relabel:
                    let t = taskIndex!, task = spec.tasks[t]
                    try check(line.value!, for: task, table: table, file: corrections.file, line: line.line)
                    guard let c = table.header.firstIndex(of: task.column) else { continue }
                    for r in rows { table.columns[c][r] = line.value!; relabeled.insert([r, t]) }
                case .undo:
                    break
                }
            } catch {
                problems.append(error)
            }
        }
        // Each line has at most one problem: sorting by line puts read and match problems in file order.
        problems.sort { ($0.line ?? 0) < ($1.line ?? 0) }
        if !skipBad, let first = problems.first { throw first }
        plan.warnings = problems.map { "warning: skipped \($0)" }
        plan.summary = Summary(dropped: plan.dropped.count, relabeled: relabeled.count, weighted: weighted.count, unmatched: unmatched.count)
        if !unmatched.isEmpty {
            let shown = unmatched.prefix(5).joined(separator: ", ") + (unmatched.count > 5 ? ", …" : "")
            plan.warnings.append("warning: \(corrections.file): \(unmatched.count) correction\(unmatched.count == 1 ? "" : "s") match no row (keys: \(shown))")
        }
        return plan
    }

    /// A relabel's value must be a class the task already has (multi-label: each label), or a
    /// number for regression.
    static func check(_ value: String, for task: TaskSpec, table: Table, file: String, line: Int) throws(DataError) {
        if task.kind == .regression {
            guard Double(value)?.isFinite == true else { throw DataError(file: file, line: line, "relabel of '\(task.name)' needs a number, got '\(value)'") }
            return
        }
        let present = table.column(task.column) ?? []
        let classes = task.labels.map(Set.init) ?? Set(task.kind == .multilabel ? present.flatMap { $0.split(separator: "|").map(String.init) } : present.filter { !$0.isEmpty })
        let wanted = task.kind == .multilabel ? value.split(separator: "|").map(String.init) : [value]
        if let missing = wanted.first(where: { !classes.contains($0) }) {
            throw DataError(file: file, line: line, "relabel to '\(missing)': task '\(task.name)' has no such class (classes: \(classes.sorted().joined(separator: ", ")))")
        }
    }

    /// Removes dropped rows from the training split (validation and test rows are kept: they
    /// measure the model, not train it).
    public func filter(_ train: [Int]) -> [Int] { dropped.isEmpty ? train : train.filter { !dropped.contains($0) } }

    /// Multiplies the training rows' loss weights by the weight corrections (validation and
    /// test rows keep theirs, so their losses stay comparable).
    public func applyWeights(_ targets: inout [TaskTargets], train: [Int]) {
        let training = Set(train)
        for (row, task, factor) in weights where training.contains(row) {
            for t in task.map({ [$0] }) ?? Array(targets.indices) where row < targets[t].weights.count { targets[t].weights[row] *= factor }
        }
    }
}
