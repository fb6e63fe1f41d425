import MTLData

/// K-fold cross-validation folds over a set of rows (the non-test rows of a run).
///
/// Stratified on the first binary or multiclass task's label (`strataTask`); rows with identical
/// inputs form one group and land in the same fold, so a duplicated text never validates a
/// model that trained on its twin. Within a label, groups go (largest first, then in seeded
/// order) to the fold holding the fewest rows of that label, ties to the fold with the fewest
/// rows: with distinct inputs every fold holds each label's count divided by K, ±1.
public enum Folds {
    /// The folds of `rows`, each sorted; `k` of them, disjoint, together exactly `rows`.
    public static func make(_ table: Table, spec: DatasetSpec, rows: [Int], k: Int, seed: UInt64) throws -> [[Int]] {
        guard k >= 2 else { throw UsageError("--folds", "expected a whole number ≥ 2, got \(k)") }
        let groups = DataSplit.inputGroups(table, spec: spec, rows: rows)
        guard groups.count >= k else {
            throw UsageError("--folds", "\(k) folds need at least \(k) distinct rows outside the test split; there are \(groups.count)")
        }
        let task = strataTask(spec)
        let strata = DataSplit.stratify(groups, table: table, task: task)
        // A label with fewer groups than folds leaves some fold's model never validated on it.
        if let task, let (label, members) = strata.filter({ !$0.key.isEmpty }).min(by: { ($0.value.count, $0.key) < ($1.value.count, $1.key) }),
           members.count < k {
            throw UsageError("--folds", "\(k) folds need every class of '\(task.name)' in each fold; class '\(label)' has \(members.count) distinct row\(members.count == 1 ? "" : "s") outside the test split (use --folds \(max(2, members.count)) or fewer)")
        }
        var rng = SeededRandom(seed: seed, stream: 3)
        var folds = [[Int]](repeating: [], count: k)
        for label in strata.keys.sorted() {
            var members = strata[label]!
            members.shuffle(using: &rng)
            // Stable: equal sizes keep the seeded order.
            members = members.enumerated().sorted { (groups[$0.1].count, -$0.0) > (groups[$1.1].count, -$1.0) }.map(\.1)
            var inLabel = [Int](repeating: 0, count: k)
            for g in members {
                let f = (0..<k).min { (inLabel[$0], folds[$0].count, $0) < (inLabel[$1], folds[$1].count, $1) }!
                folds[f] += groups[g]
                inLabel[f] += groups[g].count
            }
        }
        return folds.map { $0.sorted() }
    }

    /// The task whose label stratifies the folds: the first binary or multiclass one. A label
    /// set is not a class (most sets are rare), so multi-label tasks are left out.
    public static func strataTask(_ spec: DatasetSpec) -> TaskSpec? {
        spec.tasks.first { $0.kind == .binary || $0.kind == .multiclass }
    }

    /// Fold `index`'s split: it validates, the other folds train, `test` stays held out.
    public static func split(_ folds: [[Int]], index: Int, test: [Int]) -> DataSplit {
        let train = folds.indices.filter { $0 != index }.flatMap { folds[$0] }.sorted()
        return DataSplit(train: train, validation: folds[index], test: test)
    }
}
