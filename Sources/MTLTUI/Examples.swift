import MTLData
import MTLEngine

/// The validation examples as the hard-example view lists them: sorted by the selected task's
/// loss, highest first, then filtered.
public enum ExampleList {
    /// Indices into `snapshot.examples`.
    public static func indices(_ examples: ExampleTable, state: ViewState, context: WorkbenchContext) -> [Int] {
        let t = min(state.task, examples.losses.count - 1)
        guard t >= 0 else { return [] }
        let query = state.search.lowercased()
        var out: [Int] = []
        for i in 0..<examples.count {
            let loss = examples.losses[t][i]
            let corrected = state.book.corrected(examples.rows[i])
            // A dropped row has no loss left; it stays listed (last) so z and c can find it.
            guard !loss.isNaN || corrected else { continue }
            if state.correctedOnly, !corrected { continue }
            if state.misclassifiedOnly, isCorrect(examples, i, task: t, context: context) != false { continue }
            if state.wrongOnAll {
                let verdicts = examples.losses.indices.compactMap { isCorrect(examples, i, task: $0, context: context) }
                if verdicts.isEmpty || verdicts.contains(true) { continue }
            }
            if let pair = state.pair {
                guard truth(examples, i, task: t, context: context) == pair.truth,
                      predicted(examples, i, task: t) == pair.predicted else { continue }
            }
            if let errors = state.thresholdErrors, !errors.keeps(examples, i, task: t, context: context) { continue }
            if let cell = state.valueCell, !cell.keeps(examples, i, task: t, context: context) { continue }
            if !query.isEmpty, !context.inputText[examples.rows[i]].lowercased().contains(query) { continue }
            out.append(i)
        }
        if state.suspects { return ExampleSuspects.filter(out, examples, task: t, context: context) }
        func loss(_ i: Int) -> Float { let l = examples.losses[t][i]; return l.isNaN ? -.infinity : l }
        return out.sorted { loss($0) > loss($1) || (loss($0) == loss($1) && $0 < $1) }
    }

    /// The rows the browser lists: validation, or the training or test rows once evaluated.
    public static func table(_ snapshot: TrainerSnapshot, _ state: ViewState) -> ExampleTable? {
        if state.exampleSplit == .validation { return snapshot.examples }
        return snapshot.otherExamples.flatMap { $0.split == state.exampleSplit ? $0 : nil }
    }

    /// Predicted class of a classification task (argmax, or p ≥ 0.5 for binary); nil otherwise.
    public static func predicted(_ examples: ExampleTable, _ i: Int, task t: Int) -> Int? {
        let width = examples.widths[t]
        let outputs = examples.outputs[t]
        if width == 1 { return nil }
        var best = 0
        for c in 1..<width where outputs[i * width + c] > outputs[i * width + best] { best = c }
        return best
    }

    static func predictedClass(_ examples: ExampleTable, _ i: Int, task t: Int, kind: TaskKind) -> Int? {
        switch kind {
        case .binary: return examples.outputs[t][i] >= 0.5 ? 1 : 0
        case .multiclass: return predicted(examples, i, task: t)
        default: return nil
        }
    }

    /// True class index of a binary or multiclass task; nil when missing or not a class task.
    public static func truth(_ examples: ExampleTable, _ i: Int, task t: Int, context: WorkbenchContext) -> Int? {
        truth(row: examples.rows[i], task: t, context: context)
    }

    /// The classes a dataset row is labelled with for a classification task (one, or a
    /// multi-label set, possibly empty); nil for regression or a missing label.
    public static func givenClasses(row: Int, task t: Int, context: WorkbenchContext) -> [Int]? {
        let target = context.targets[t]
        guard target.mask.indices.contains(row), target.mask[row] > 0 else { return nil }
        switch context.kinds[t] {
        case .regression: return nil
        case .binary, .multiclass: return [Int(target.values[row])]
        case .multilabel: return (0..<target.width).filter { target.values[row * target.width + $0] > 0.5 }
        }
    }

    /// The given class of a dataset row; nil for regression, multi-label or a missing label.
    public static func truth(row: Int, task t: Int, context: WorkbenchContext) -> Int? {
        guard context.kinds[t] == .binary || context.kinds[t] == .multiclass else { return nil }
        return givenClasses(row: row, task: t, context: context)?.first
    }

    /// Whether the prediction is right; nil for regression, multi-label or a missing label.
    public static func isCorrect(_ examples: ExampleTable, _ i: Int, task t: Int, context: WorkbenchContext) -> Bool? {
        guard let truth = truth(examples, i, task: t, context: context),
              let guess = predictedClass(examples, i, task: t, kind: context.kinds[t]) else { return nil }
        return truth == guess
    }

    /// The predicted label (class names, or the value for regression) and, for one class, its probability.
    public static func prediction(_ examples: ExampleTable, _ i: Int, task t: Int, context: WorkbenchContext) -> (label: String, probability: Float?) {
        let width = examples.widths[t]
        let outputs = examples.outputs[t]
        switch context.kinds[t] {
        case .regression:
            return (LineChart.format(Double(outputs[i])), nil)
        case .binary:
            let p = outputs[i]
            let c = p >= 0.5 ? 1 : 0
            return (context.classes[t][c], c == 1 ? p : 1 - p)
        case .multiclass:
            let c = predicted(examples, i, task: t) ?? 0
            return (context.classes[t][c], outputs[i * width + c])
        case .multilabel:
            let on = (0..<width).filter { outputs[i * width + $0] >= examples.threshold(task: t, label: $0) }
            return (on.isEmpty ? "(none)" : on.map { context.classes[t][$0] }.joined(separator: "|"), nil)
        }
    }

    /// "label (p)" of the prediction, or the predicted value for regression.
    public static func predictionText(_ examples: ExampleTable, _ i: Int, task t: Int, context: WorkbenchContext) -> String {
        let guess = prediction(examples, i, task: t, context: context)
        return guess.probability.map { "\(guess.label) \(percent($0))" } ?? guess.label
    }

    /// The true label as text.
    public static func truthText(_ examples: ExampleTable, _ i: Int, task t: Int, context: WorkbenchContext) -> String {
        let row = examples.rows[i]
        let target = context.targets[t]
        guard target.mask[row] > 0 else { return "—" }
        switch context.kinds[t] {
        case .regression:
            return LineChart.format(Double(target.values[row]) * context.scales[t].std + context.scales[t].mean)
        case .binary, .multiclass, .multilabel:
            let given = givenClasses(row: row, task: t, context: context) ?? []
            return given.isEmpty ? "(none)" : given.map { context.classes[t][$0] }.joined(separator: "|")
        }
    }

    static func percent(_ p: Float) -> String { "\(Int((p * 100).rounded()))%" }
}

/// Image rows in the hard-example view: a thumbnail in the list, the full image in the detail.
enum ExampleImages {
    /// Rows of a list thumbnail: 8 pixels high, so an 8×8 digit shows whole and a 28×28
    /// garment at 8×8.
    static let thumbnailRows = 4

    /// Draws the thumbnail at (x, y) in at most `limit` columns; returns the columns used.
    static func thumbnail(_ grid: inout Grid, _ context: WorkbenchContext, row: Int, image: WorkbenchContext.ImageLayout,
                          x: Int, y: Int, limit: Int, state: ViewState) -> Int {
        ImageArt.draw(&grid, context, row: row, image: image, x: x, y: y, columns: min(limit, 2 * thumbnailRows), rows: thumbnailRows,
                      mode: ImageArt.mode(unicode: state.unicode, greys: state.greys)).columns
    }

    /// Draws the image at full resolution where it fits in `columns` × `rows`; returns the columns used.
    static func detail(_ grid: inout Grid, _ context: WorkbenchContext, row: Int, image: WorkbenchContext.ImageLayout,
                       x: Int, y: Int, columns: Int, rows: Int, mode: ImageArt.Mode) -> Int {
        ImageArt.draw(&grid, context, row: row, image: image, x: x, y: y, columns: columns, rows: rows, mode: mode).columns
    }
}
