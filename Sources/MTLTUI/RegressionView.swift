import Foundation
import MTLData
import MTLEngine

/// View 4 for a regression task, in place of a confusion matrix: the validation rows' predicted
/// values against their true ones as a density grid (predicted up, true across, the same range
/// on both, so y = x is the grid's diagonal), beside the errors in numbers — n, RMSE, MAE, R²,
/// the mean residual — and the residuals' quantiles and histogram. The rows are the hard
/// examples' (after early stopping, the kept model's). The arrows select a cell; enter lists
/// its rows in the hard-examples view.
enum RegressionView {
    /// Bins on each axis. Fixed rather than fitted to the screen, so the cell the arrows select
    /// holds the same rows at every size (a larger screen draws each bin larger); 12 fit the
    /// smallest screen.
    static let bins = 12

    /// The selected task's labelled validation rows with a finite prediction, in the data's units.
    struct Model {
        var task: Int
        var truths: [Double]
        var predictions: [Double]
        var axis: ValueBins
        /// `counts[true bin][predicted bin]`.
        var counts: [[Int]]
        var stats: RegressionStats
        /// Labelled rows whose prediction is not finite (a diverged model): left out.
        var nonFinite: Int
        var step: Int
    }

    /// Whether view 4 shows this view for the selected task: a regression task of a run whose rows are at hand.
    static func applies(_ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext) -> Bool {
        guard !s.tasks.isEmpty, context.watched == nil else { return false }
        return s.taskKinds[min(state.task, s.tasks.count - 1)] == .regression
    }

    /// A row's true value and prediction in the data's units; nil without a label.
    static func values(_ examples: ExampleTable, _ i: Int, task t: Int, context: WorkbenchContext) -> (truth: Double, prediction: Double)? {
        let target = context.targets[t], row = examples.rows[i]
        guard target.mask.indices.contains(row), target.mask[row] > 0 else { return nil }
        let truth = Double(target.values[row * target.width]) * context.scales[t].std + context.scales[t].mean
        return (truth, Double(examples.outputs[t][i]))
    }

    /// nil before the first evaluation.
    static func model(_ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext) -> Model? {
        guard applies(s, state, context), let examples = s.examples else { return nil }
        let t = min(state.task, s.tasks.count - 1)
        guard examples.outputs.indices.contains(t), context.targets.indices.contains(t) else { return nil }
        var truths: [Double] = [], predictions: [Double] = [], nonFinite = 0
        for i in 0..<examples.count {
            guard let v = values(examples, i, task: t, context: context) else { continue }
            guard v.prediction.isFinite, v.truth.isFinite else { nonFinite += 1; continue }
            truths.append(v.truth)
            predictions.append(v.prediction)
        }
        let axis = ValueBins(values: truths + predictions, count: bins)
        var counts = [[Int]](repeating: [Int](repeating: 0, count: bins), count: bins)
        for (truth, prediction) in zip(truths, predictions) { counts[axis.bin(truth)][axis.bin(prediction)] += 1 }
        return Model(task: t, truths: truths, predictions: predictions, axis: axis, counts: counts,
                     stats: RegressionStats(truths: truths, predictions: predictions), nonFinite: nonFinite, step: examples.step)
    }

    /// The selected cell: (true bin, predicted bin), the predicted bin counted from the bottom.
    static func selected(_ state: ViewState) -> (truth: Int, predicted: Int) {
        (max(0, min(bins - 1, state.confusionColumn)), max(0, min(bins - 1, state.confusionRow)))
    }

    /// Where the parts go: the grid (each bin `binWidth` × `binHeight` cells, twice as wide as
    /// high so bins look square) after the y labels, and the numbers to its right.
    struct Layout {
        var plotX: Int, plotY: Int, binWidth: Int, binHeight: Int, panelX: Int
        var plotWidth: Int { RegressionView.bins * binWidth }
        var plotHeight: Int { RegressionView.bins * binHeight }

        init(width: Int, y: Int, height: Int) {
            plotX = 1 + LineChart.labelWidth + 1
            plotY = y + 2
            // Under the title and the selected cell's line: the grid, its axis, labels and legend;
            // right of it 3 columns of gap and at least 24 for the numbers.
            let byHeight = (height - 6) / RegressionView.bins, byWidth = (width - plotX - 28) / (2 * RegressionView.bins)
            binHeight = max(1, min(byHeight, byWidth))
            binWidth = 2 * binHeight
            panelX = plotX + RegressionView.bins * binWidth + 3
        }
    }

    static func draw(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext, y: Int, height: Int) {
        let t = min(state.task, s.tasks.count - 1)
        guard let m = model(s, state, context) else {
            grid.put("The predicted-against-true view appears after the first evaluation (end of epoch 1).", x: 1, y: y + 1,
                     style: Style(.muted), limit: grid.width - 2)
            return
        }
        guard m.stats.count > 0 else {
            grid.put("\(s.tasks[t]): no validation row has a label and a finite prediction (T: next task)", x: 1, y: y + 1,
                     style: Style(.muted), limit: grid.width - 2)
            return
        }
        let title = FitText.fields([(s.tasks[t], 9), ("validation, \(modelName(s, task: t, step: m.step))", 3),
                                    ("predicted \(state.unicode ? "↑" : "^") against true \(state.unicode ? "→" : ">")", 2),
                                    ("\(m.stats.count) rows", 5)], width: grid.width - 2)
        grid.put(title, x: 1, y: y, style: Style(Role.task(t), bold: true), limit: grid.width - 2)
        let cell = selected(state)
        let count = m.counts[cell.truth][cell.predicted]
        let words = FitText.fields([("true \(m.axis.range(cell.truth)) \(Glyph.arrow(state.unicode)) predicted \(m.axis.range(cell.predicted))", 9),
                                    ("\(count) of \(m.stats.count) rows", 8), (count > 0 ? "enter lists them" : "", 2)], width: grid.width - 2)
        grid.put(words, x: 1, y: y + 1, style: Style(.muted), limit: grid.width - 2)
        let layout = Layout(width: grid.width, y: y, height: height)
        drawGrid(&grid, m, layout, selected: cell, unicode: state.unicode, bottom: y + height)
        RegressionPanel.draw(&grid, m, x: layout.panelX, y: y + 2, width: grid.width - 1 - layout.panelX, height: height - 2,
                             unicode: state.unicode)
    }

    /// A watched stream's regression task: its examples event holds the hardest rows only, not
    /// every validation row, so no grid; the errors its epoch events reported stand in.
    static func drawWatched(_ grid: inout Grid, _ s: TrainerSnapshot, task t: Int, y: Int) {
        let why = "no predicted-against-true grid: a stream sends its hardest validation rows only (view 3), not all of them"
        guard let record = s.keptRecord, let metrics = s.keptModelValidation, metrics.indices.contains(t) else {
            grid.put("\(s.tasks[t]): \(why); its errors appear with the first epoch the stream reports.", x: 1, y: y + 1,
                     style: Style(.muted), limit: grid.width - 2)
            return
        }
        let m = metrics[t]
        grid.put("\(s.tasks[t]) · validation, epoch \(record.epoch) · from the stream", x: 1, y: y, style: Style(Role.task(t), bold: true),
                 limit: grid.width - 2)
        let lines = [RegressionPanel.line("n", "\(m.count)", "validation rows"), RegressionPanel.line("RMSE", m.rmse.map(RegressionPanel.number) ?? "—"),
                     RegressionPanel.line("MAE", m.mae.map(RegressionPanel.number) ?? "—"), RegressionPanel.line("R²", m.r2.map(RegressionPanel.number) ?? "—")]
        for (i, line) in lines.enumerated() {
            grid.put(FitText.withoutHints(line, width: grid.width - 2), x: 1, y: y + 2 + i, style: Style(.text, bold: i > 0), limit: grid.width - 2)
        }
        grid.put(why, x: 1, y: y + 3 + lines.count, style: Style(.muted), limit: grid.width - 2)
    }

    /// The model the rows describe, as the confusion view names it.
    static func modelName(_ s: TrainerSnapshot, task t: Int, step: Int) -> String {
        if s.keptValidation != nil {
            if s.linearTasks.contains(s.tasks[t]) { return "the kept linear model" }
            if let kept = s.keptRecord { return "kept epoch \(kept.epoch)" }
        }
        return s.history.last { $0.step == step }.map { "epoch \($0.epoch)" } ?? "step \(step)"
    }

    /// The density grid with its axes, labels and legend (the legend only above `bottom`).
    static func drawGrid(_ grid: inout Grid, _ m: Model, _ l: Layout, selected: (truth: Int, predicted: Int), unicode: Bool, bottom: Int) {
        let axisStyle = Style(.border), muted = Style(.muted)
        for row in 0..<l.plotHeight { grid.put(unicode ? "│" : "|", x: l.plotX - 1, y: l.plotY + row, style: axisStyle) }
        grid.put(unicode ? "└" : "+", x: l.plotX - 1, y: l.plotY + l.plotHeight, style: axisStyle)
        for column in 0..<l.plotWidth { grid.put(unicode ? "─" : "-", x: l.plotX + column, y: l.plotY + l.plotHeight, style: axisStyle) }
        // y labels at the top edge of the top row, the middle and the bottom edge; x labels likewise.
        let (low, high) = (m.axis.low, m.axis.high), middle = (low + high) / 2
        for (row, value) in [(0, high), (l.plotHeight / 2, middle), (l.plotHeight - 1, low)] {
            grid.put(LineChart.format(value).leftPadded(LineChart.labelWidth), x: 1, y: l.plotY + row, style: muted)
        }
        if l.plotHeight >= 8 { grid.put("pred", x: 1, y: l.plotY + l.plotHeight / 4, style: muted) }
        let labels = l.plotY + l.plotHeight + 1
        let lowText = LineChart.format(low), middleText = LineChart.format(middle), highText = LineChart.format(high)
        let middleX = l.plotX + l.plotWidth / 2 - TextWidth.of(middleText) / 2
        grid.put(lowText, x: l.plotX, y: labels, style: muted)
        grid.put(middleText, x: middleX, y: labels, style: muted)
        grid.put(highText, x: l.plotX + l.plotWidth - TextWidth.of(highText), y: labels, style: muted)
        // The axis name in the gap between the low and middle labels, where it fits.
        let gap = (from: l.plotX + TextWidth.of(lowText) + 1, to: middleX - 1)
        if gap.to - gap.from >= 4 { grid.put("true", x: gap.from + (gap.to - gap.from - 4) / 2, y: labels, style: muted) }
        let most = m.counts.joined().max() ?? 0
        for truth in 0..<bins {
            for predicted in 0..<bins {
                let count = m.counts[truth][predicted], diagonal = truth == predicted
                let x0 = l.plotX + truth * l.binWidth, y0 = l.plotY + (bins - 1 - predicted) * l.binHeight
                let isSelected = truth == selected.truth && predicted == selected.predicted
                for dy in 0..<l.binHeight {
                    for dx in 0..<l.binWidth {
                        var text = " ", style = Style.plain
                        if count > 0 {
                            // On y = x the shade is green: those rows are predicted about right.
                            text = shade(count, of: most, unicode: unicode)
                            style = diagonal ? Style(.good, bold: true) : Style(Role.task(m.task))
                        } else if diagonal, dx / 2 == l.binHeight - 1 - dy {
                            text = unicode ? "╱" : "/"
                            style = muted
                        }
                        if isSelected { style = Style(.selectedText, background: .selectedBackground, bold: true) }
                        grid[x0 + dx, y0 + dy] = Cell(text: text, style: style)
                    }
                }
            }
        }
        // The legend: on two lines where they fit, else the first and the diagonal's mark.
        let shades = "\(unicode ? "░▒▓█" : ".:*#") 1 to \(most) rows a cell", line = "\(unicode ? "╱" : "/") y = x (green: rows on it)"
        let legend = labels + 1, width = l.panelX - 3
        if legend + 1 < bottom {
            grid.put(shades, x: 1, y: legend, style: muted, limit: width)
            grid.put(line, x: 1, y: legend + 1, style: muted, limit: width)
        } else if legend < bottom {
            grid.put(FitText.fields([(shades, 5), (FitText.withoutHints(line, width: 0), 4)], width: width), x: 1, y: legend, style: muted, limit: width)
        }
    }

    /// A cell's shade: a quarter of the fullest cell's count per step, any row at least the lightest.
    static func shade(_ count: Int, of most: Int, unicode: Bool) -> String {
        let levels = unicode ? Array("░▒▓█") : Array(".:*#")
        let level = Int((Double(count) / Double(max(most, 1)) * Double(levels.count)).rounded(.up))
        return String(levels[max(1, min(levels.count, level)) - 1])
    }

    /// ↑/↓ the predicted bin, ←/→ the true one.
    static func move(_ action: Action, state: inout ViewState) {
        let cell = selected(state)
        switch action {
        case .up: state.confusionRow = min(bins - 1, cell.predicted + 1)
        case .down: state.confusionRow = max(0, cell.predicted - 1)
        case .left: state.confusionColumn = max(0, cell.truth - 1)
        default: state.confusionColumn = min(bins - 1, cell.truth + 1)
        }
    }

    /// Enter: the examples view, listing the selected cell's rows.
    static func open(state: inout ViewState, snapshot: TrainerSnapshot, context: WorkbenchContext) {
        guard let m = model(snapshot, state, context) else { return }
        let cell = selected(state)
        state.valueCell = ValueCell(task: m.task, axis: m.axis, truth: cell.truth, predicted: cell.predicted)
        state.pair = nil
        state.thresholdErrors = nil
        state.misclassifiedOnly = false
        state.wrongOnAll = false
        state.exampleSplit = .validation
        state.view = .examples
    }
}

/// Equal bins over a range of values; a flat range is widened by 0.5 each way.
public struct ValueBins: Sendable, Equatable {
    public var low: Double
    public var high: Double
    public var count: Int

    init(values: [Double], count: Int) {
        var low = values.min() ?? 0, high = values.max() ?? 1
        if high - low < 1e-12 { low -= 0.5; high += 0.5 }
        (self.low, self.high, self.count) = (low, high, count)
    }

    /// The bin of `value`: bins are closed below, the last one above too.
    func bin(_ value: Double) -> Int {
        max(0, min(count - 1, Int(((value - low) / (high - low) * Double(count)).rounded(.down))))
    }

    func lower(_ bin: Int) -> Double { low + (high - low) * Double(bin) / Double(count) }

    /// A bin's range as text.
    func range(_ bin: Int) -> String { "\(LineChart.format(lower(bin))) to \(LineChart.format(lower(bin + 1)))" }
}

/// The examples filter `enter` on a predicted-against-true cell sets: the rows in that cell.
public struct ValueCell: Sendable, Equatable {
    public var task: Int
    public var axis: ValueBins
    public var truth: Int
    public var predicted: Int

    /// Whether example `i` lies in the cell. Rows of another task than the one selected are all
    /// kept (the filter speaks of its own task).
    func keeps(_ examples: ExampleTable, _ i: Int, task t: Int, context: WorkbenchContext) -> Bool {
        guard t == task else { return true }
        guard let v = RegressionView.values(examples, i, task: t, context: context), v.prediction.isFinite else { return false }
        return axis.bin(v.truth) == truth && axis.bin(v.prediction) == predicted
    }

    var description: String { "true \(axis.range(truth)), predicted \(axis.range(predicted))" }
}
