import MTLData
import MTLEngine

/// The `S` filter of the hard-example view: the listed rows whose label is likely wrong, by
/// confident learning. With `--oof FILE` it ranks every row the file covers by its out-of-fold
/// probabilities (as `mtl-tui suspects` does), so training rows can be checked too; otherwise the
/// listed rows by the model's predictions, which are held out only for validation and test rows.
/// Binary and multiclass tasks only.
enum ExampleSuspects {
    /// Whether the task can be checked.
    static func applies(_ context: WorkbenchContext, task t: Int) -> Bool {
        context.kinds.indices.contains(t) && (context.kinds[t] == .binary || context.kinds[t] == .multiclass)
    }

    /// The suspects among the examples, by example index, with their rank (0 = most suspect).
    static func find(_ examples: ExampleTable, task t: Int, context: WorkbenchContext) -> [Int: (rank: Int, suspect: ConfidentLearning.Suspect)] {
        guard applies(context, task: t), examples.outputs.indices.contains(t) else { return [:] }
        let classes = context.classes[t].count
        if let oof = context.outOfFold[t] {
            // Thresholds come from all the file's rows; the list shows the suspects it holds.
            let labels = oof.rows.map { ExampleList.truth(row: $0, task: t, context: context) }
            let result = ConfidentLearning.find(oof.probabilities, labels: labels, classes: classes)
            var listed: [Int: Int] = [:]
            for (i, row) in examples.rows.enumerated() { listed[row] = i }
            var found: [Int: (rank: Int, suspect: ConfidentLearning.Suspect)] = [:]
            for (rank, suspect) in result.suspects.enumerated() {
                if let i = listed[oof.rows[suspect.index]] { found[i] = (rank, suspect) }
            }
            return found
        }
        let width = examples.widths[t]
        let probabilities: [[Double]] = (0..<examples.count).map { i in
            let outputs = examples.outputs[t][(i * width)..<(i * width + width)].map(Double.init)
            return context.kinds[t] == .binary ? [1 - outputs[0], outputs[0]] : outputs
        }
        let labels = (0..<examples.count).map { ExampleList.truth(examples, $0, task: t, context: context) }
        let result = ConfidentLearning.find(probabilities, labels: labels, classes: classes)
        return Dictionary(uniqueKeysWithValues: result.suspects.enumerated().map { ($1.index, ($0, $1)) })
    }

    /// `list` (already filtered) cut to the suspects, most suspect first.
    static func filter(_ list: [Int], _ examples: ExampleTable, task t: Int, context: WorkbenchContext) -> [Int] {
        let suspects = find(examples, task: t, context: context)
        return list.filter { suspects[$0] != nil }.sorted { suspects[$0]!.rank < suspects[$1]!.rank }
    }

    /// The list's first two columns in suspect mode: p of the given label, and the likely label.
    static func columns(_ suspect: ConfidentLearning.Suspect?, task t: Int, context: WorkbenchContext) -> (score: String, likely: String) {
        guard let suspect else { return ("     —  ", "") }
        return (NumberText.format("%6.3f  ", suspect.selfConfidence), "likely \(context.classes[t][suspect.likely])")
    }

    static func header(_ context: WorkbenchContext, task t: Int) -> String {
        context.outOfFold[t] == nil ? "suspect labels (confident learning), lowest p(given) first"
            : "suspect labels (confident learning on --oof probabilities), lowest p(given) first"
    }
}
