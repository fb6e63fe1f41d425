import Foundation
import MTLData
import MTLEngine

/// View 4 for a binary task, or one label of a multi-label task: the ROC and precision–recall
/// curves of the latest validation predictions, the decision threshold in use marked on both,
/// and a cursor that walks the PR curve showing what another threshold would give.
///
/// ←/→ move the cursor along the PR curve (→ towards higher recall, i.e. a lower threshold);
/// ↑/↓ pick the label of a multi-label task; enter lists the validation rows the cursor's
/// threshold gets wrong (its false positives and false negatives) in the examples view.
enum CurvesView {
    /// The task's curves at the latest validation, its decision threshold in use, and the cursor.
    struct Model {
        var task: Int
        /// The multi-label label shown; nil for a binary task.
        var label: Int?
        var curves: ThresholdCurves
        var operating: Double
        /// Index into `curves.pr` under the cursor.
        var cursor: Int
        var step: Int
    }

    /// Whether view 4 shows curves for the selected task (binary and multi-label tasks).
    static func applies(_ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext) -> Bool {
        // A watched run has no rows at hand to draw curves from.
        guard !s.tasks.isEmpty, context.watched == nil else { return false }
        let kind = s.taskKinds[min(state.task, s.tasks.count - 1)]
        return kind == .binary || kind == .multilabel
    }

    /// nil before the first evaluation, or when the rows lack one of the two outcomes.
    static func model(_ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext) -> Model? {
        guard applies(s, state, context), let examples = s.examples else { return nil }
        let t = min(state.task, s.tasks.count - 1)
        let width = examples.widths[t]
        let label: Int? = s.taskKinds[t] == .multilabel ? max(0, min(state.curveLabel, width - 1)) : nil
        guard let curves = CurveCache.curves(examples, task: t, label: label ?? 0, targets: context.targets[t]) else { return nil }
        // The thresholds the examples are read with: tuned on validation once the run has ended.
        let operating = label.map { Double(examples.threshold(task: t, label: $0)) } ?? Double(DecisionThresholds.standard)
        let cursor = curves.prIndex(atOrAbove: state.curveThreshold ?? operating)
        return Model(task: t, label: label, curves: curves, operating: operating, cursor: cursor, step: examples.step)
    }

    static func draw(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext, y: Int, height: Int) {
        let t = min(state.task, s.tasks.count - 1)
        guard let m = model(s, state, context) else {
            let text = s.examples == nil ? "The ROC and precision–recall curves appear after the first evaluation (end of epoch 1)."
                : "\(s.tasks[t]): the validation rows lack positives or negatives, so there is no curve (T: next task)"
            grid.put(text, x: 1, y: y + 1, style: Style(.muted))
            return
        }
        let unicode = state.unicode
        let point = m.curves.pr[m.cursor]
        let atCursor = m.curves.at(point.threshold), atOperating = m.curves.at(m.operating)
        var title = s.tasks[t]
        if let label = m.label {
            title += " · label \(context.classes[t][label]) (\(label + 1)/\(context.classes[t].count), ↑↓ another)"
        }
        title += " · validation, step \(m.step) · threshold in use \(fixed(m.operating))"
        grid.put(title, x: 1, y: y, style: Style(Role.task(t), bold: true))
        // The counts at the cursor, as a 2 × 2 table, beside what the cursor and the threshold in use give.
        let names = m.label == nil ? context.classes[t] : ["not " + context.classes[t][m.label!], context.classes[t][m.label!]]
        let labelWidth = max(10, min(16, (names.map { TextWidth.of($0) }.max() ?? 4) + 1))
        grid.put("at cursor".padded(labelWidth) + " " + names[0].padded(9) + " " + names[1].padded(9), x: 1, y: y + 2,
                 style: Style(.muted, bold: true), limit: labelWidth + 21)
        let rows = [(names[0], [atCursor.trueNegatives, atCursor.falsePositives]), (names[1], [atCursor.falseNegatives, atCursor.truePositives])]
        for (r, row) in rows.enumerated() {
            grid.put(row.0.padded(labelWidth), x: 1, y: y + 3 + r, style: Style(.muted, bold: true), limit: labelWidth)
            for (c, count) in row.1.enumerated() {
                grid.put(String(format: "%6d", count), x: 2 + labelWidth + c * 10, y: y + 3 + r, style: Style(r == c ? .good : count > 0 ? .bad : .muted))
            }
        }
        let readoutX = labelWidth + 24, readoutWidth = grid.width - readoutX - 1
        // The cursor's counts are in the table; the threshold in use is what eval and predict decide with.
        grid.put("\(Glyph.cursorMark(unicode)) cursor  " + readout(point.threshold, point.precision, point.recall), x: readoutX, y: y + 2,
                 style: Style(.highlight, bold: true), limit: readoutWidth)
        grid.put("\(Glyph.operatingMark(unicode)) in use  " + readout(m.operating, atOperating.precision, atOperating.recall), x: readoutX, y: y + 3,
                 style: Style(.info), limit: readoutWidth)
        grid.put("←→ move the cursor · enter lists the rows it gets wrong", x: readoutX, y: y + 4,
                 style: Style(.muted), limit: readoutWidth)
        // The two charts side by side.
        let top = y + 6, chartHeight = height - 6, half = (grid.width - 2) / 2
        guard chartHeight >= 5 else { return }
        var roc = UnitPlot(title: NumberText.format("ROC · AUC %.3f", m.curves.auc), xName: "false positive rate", xShort: "FPR", yName: "TPR", unicode: unicode)
        roc.points = m.curves.roc.map { ($0.fpr, $0.tpr) }
        roc.diagonal = true
        roc.marks = [(atOperating.fpr, atOperating.recall, .operating), (atCursor.fpr, atCursor.recall, .cursor)]
        roc.draw(into: &grid, x: 1, y: top, width: half - 1, height: chartHeight, style: Style(Role.task(t)))
        var pr = UnitPlot(title: NumberText.format("Precision–recall · AP %.3f", m.curves.averagePrecision), xName: "recall", xShort: "recall", yName: "prec",
                          unicode: unicode)
        pr.points = m.curves.pr.reversed().map { ($0.recall, $0.precision) }
        pr.marks = [(atOperating.recall, atOperating.precision, .operating), (point.recall, point.precision, .cursor)]
        pr.draw(into: &grid, x: 1 + half, y: top, width: grid.width - 2 - half, height: chartHeight, style: Style(Role.task(t)))
    }

    /// ←/→: along the PR curve as drawn (→ higher recall, a lower threshold); ↑/↓: the label.
    static func move(_ action: Action, state: inout ViewState, snapshot: TrainerSnapshot, context: WorkbenchContext) {
        guard let m = model(snapshot, state, context) else { return }
        switch action {
        case .left, .right:
            let next = max(0, min(m.curves.pr.count - 1, m.cursor + (action == .right ? -1 : 1)))
            state.curveThreshold = m.curves.pr[next].threshold
        default:
            guard m.label != nil else { return }
            let labels = context.classes[m.task].count
            state.curveLabel = (state.curveLabel + (action == .down ? 1 : labels - 1)) % max(labels, 1)
            state.curveThreshold = nil
        }
    }

    /// Enter: the examples view, showing the rows the cursor's threshold misclassifies.
    static func open(state: inout ViewState, snapshot: TrainerSnapshot, context: WorkbenchContext) {
        guard let m = model(snapshot, state, context) else { return }
        state.thresholdErrors = ThresholdErrors(task: m.task, label: m.label, threshold: m.curves.pr[m.cursor].threshold)
        state.pair = nil
        state.valueCell = nil
        state.misclassifiedOnly = false
        state.wrongOnAll = false
        state.view = .examples
    }

    static func readout(_ threshold: Double, _ precision: Double, _ recall: Double) -> String {
        "threshold \(fixed(threshold)) · precision \(fixed(precision)) · recall \(fixed(recall))"
    }

    static func fixed(_ v: Double) -> String { v.isNaN ? "nan" : v.isFinite ? String(format: "%.3f", v) : v > 0 ? "∞" : "-∞" }
}

/// The examples filter `enter` on a curve point sets: the rows a threshold gets wrong.
public struct ThresholdErrors: Sendable, Equatable {
    public var task: Int
    /// The multi-label label; nil for a binary task.
    public var label: Int?
    public var threshold: Double

    /// Whether example `i` is a false positive or false negative at the threshold. Rows of
    /// another task than the one selected are all kept (the filter speaks of its own task).
    func keeps(_ examples: ExampleTable, _ i: Int, task t: Int, context: WorkbenchContext) -> Bool {
        guard t == task else { return true }
        let row = examples.rows[i], target = context.targets[t]
        guard target.mask[row] > 0 else { return false }
        let column = label ?? 0, width = examples.widths[t]
        let truth = target.values[row * target.width + column] > 0.5
        let predicted = Double(examples.outputs[t][i * width + column]) >= threshold
        return truth != predicted
    }

    func description(_ context: WorkbenchContext) -> String {
        let what = label.map { "label \(context.classes[task][$0]) " } ?? ""
        return "\(what)wrong at threshold \(CurvesView.fixed(threshold))"
    }
}

/// The curves of the latest validation pass, computed once per pass and label rather than per
/// frame (sorting thousands of scores 30 times a second would be wasted work).
enum CurveCache {
    struct Key: Hashable {
        var step: Int, task: Int, label: Int, rows: Int, scoreSum: Double
    }

    static let cache = Locked<[Key: ThresholdCurves?]>([:])

    static func curves(_ examples: ExampleTable, task t: Int, label: Int, targets: TaskTargets) -> ThresholdCurves? {
        let width = examples.widths[t]
        var scores: [Float] = [], truths: [Bool] = []
        scores.reserveCapacity(examples.count)
        truths.reserveCapacity(examples.count)
        for i in 0..<examples.count where targets.mask[examples.rows[i]] > 0 {
            scores.append(examples.outputs[t][i * width + label])
            truths.append(targets.values[examples.rows[i] * targets.width + label] > 0.5)
        }
        let key = Key(step: examples.step, task: t, label: label, rows: scores.count,
                      scoreSum: scores.reduce(0) { $0 + Double($1) })
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let computed = ThresholdCurves(scores: scores, truths: truths)
        cache.withLock { cache in
            if cache.count > 64 { cache.removeAll() }
            cache[key] = computed
        }
        return computed
    }
}

extension Glyph {
    static func operatingMark(_ unicode: Bool) -> String { unicode ? "●" : "O" }
    static func cursorMark(_ unicode: Bool) -> String { unicode ? "◆" : "X" }
}
