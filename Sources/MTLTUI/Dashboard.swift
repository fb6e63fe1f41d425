import MTLData
import MTLEngine

/// View 1: a loss chart per task (raw, smoothed, validation points, change markers, the task's
/// weight under it) and a table of the latest and best validation metrics.
enum Dashboard {
    static func draw(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext,
                     _ baselines: BaselineRunner.Snapshot?, y: Int, height: Int, runs: RunsOverlay? = nil) {
        let runs = runs?.isShown == true ? runs : nil
        let tasks = s.tasks.count
        let tableLines = s.taskKinds.reduce(0) { $0 + tableMetrics($1).count }
        let tableHeight = min(tableLines + 1 + (baselines == nil ? 0 : 1), max(height / 3, 2))
        var chartsHeight = height - tableHeight - 1
        // One row under the charts for the learning-rate trace, when there is room.
        let rateRow = chartsHeight >= 9
        if rateRow { chartsHeight -= 1 }
        let (columns, panelHeight) = chartGrid(tasks: tasks, width: grid.width, height: chartsHeight)
        let panelWidth = grid.width / columns
        if panelHeight > 0 {
            for t in 0..<tasks {
                let px = (t % columns) * panelWidth, py = y + (t / columns) * panelHeight
                panel(&grid, s, state, t, x: px, y: py, width: panelWidth - (columns > 1 ? 1 : 0), height: panelHeight, runs: runs)
            }
        } else if chartsHeight >= 4, tasks > 0 {
            combined(&grid, s, state, y: y, height: chartsHeight)
        } else {
            grid.put("enlarge the terminal to see the loss charts", x: 1, y: y, style: Style(.muted))
        }
        if rateRow, chartsHeight >= 4 {
            for column in 0..<columns {
                SchedulePicker.drawTrace(&grid, s, unicode: state.unicode, x: column * panelWidth, y: y + chartsHeight,
                                         width: panelWidth - (columns > 1 ? 1 : 0))
            }
        }
        metricsTable(&grid, s, context, baselines, y: y + chartsHeight + (rateRow ? 2 : 1), height: tableHeight, runs: runs)
    }

    /// Panels under 4 rows are too short to read.
    static let minimumPanel = (width: 36, height: 4)

    /// Columns of chart panels and each one's height: two side by side from 120 columns, or
    /// from 72 when one column would leave each chart too short (4 tasks at 80×24). A height
    /// under the minimum means one chart for every task (in one column).
    static func chartGrid(tasks: Int, width: Int, height: Int) -> (columns: Int, panelHeight: Int) {
        func panelHeight(_ columns: Int) -> Int { height / max(1, (tasks + columns - 1) / columns) }
        let narrow = panelHeight(1) < minimumPanel.height && width / 2 >= minimumPanel.width
        let columns = tasks > 1 && (width >= 120 || narrow) ? 2 : 1
        return panelHeight(columns) < minimumPanel.height ? (1, 0) : (columns, panelHeight(columns))
    }

    /// The training loss of task `t` (each bucket's mean) and its exponential moving average.
    static func curves(_ s: TrainerSnapshot, _ t: Int, smoothing: Double) -> (raw: [(x: Double, y: Double)], smooth: [(x: Double, y: Double)]) {
        let series = s.lossSeries.indices.contains(t) ? s.lossSeries[t] : Series()
        let raw = series.buckets.map { (x: Double($0.lastStep), y: Double($0.mean)) }
        let smooth = zip(raw, exponentialMovingAverage(raw.map(\.y), smoothing: smoothing)).map { (x: $0.0.x, y: $0.1) }
        return (raw, smooth)
    }

    /// When no panel per task fits: every task's smoothed loss in one chart, each in its
    /// colour, the names in the title its legend.
    static func combined(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, y: Int, height: Int) {
        var x = 1 + grid.put("loss · smoothing \(String(format: "%.2f", state.smoothing))" + (state.logY ? " · log" : "") + " ·",
                             x: 1, y: y, style: Style(.muted, bold: true))
        for (t, name) in s.tasks.enumerated() where x < grid.width - 1 {
            x += grid.put(" " + (state.unicode ? "━" : "-") + name, x: x, y: y, style: Style(Role.task(t), bold: true), limit: grid.width - 1 - x)
        }
        var chart = LineChart()
        chart.unicode = state.unicode
        chart.logY = state.logY
        chart.series = s.tasks.indices.map { LineChart.Series(points: curves(s, $0, smoothing: state.smoothing).smooth, style: Style(Role.task($0), bold: true)) }
        chart.xRange = 0...Double(max(s.step, 1))
        chart.markers = s.markers.map(Double.init)
        chart.xTicks = s.history.map { (x: Double($0.step), label: "e\($0.epoch)") }
        chart.draw(into: &grid, x: 0, y: y + 1, width: grid.width, height: height - 1)
    }

    /// With several runs, the others' smoothed curves lie under this run's, each in its run's colour.
    static func panel(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, _ t: Int, x: Int, y: Int, width: Int, height: Int,
                      runs: RunsOverlay? = nil) {
        let color = runs.map { $0.runs[$0.selected].role } ?? Role.task(t)
        let (raw, smooth) = curves(s, t, smoothing: state.smoothing)
        // An epoch without validation rows for the task (a split with none) has no point to plot.
        let validation = s.history.compactMap { r in
            r.validation.indices.contains(t) && r.validation[t].count > 0 ? (x: Double(r.step), y: r.validation[t].loss) : nil
        }
        // The latest logged loss (the raw curve's end), as TensorBoard's "Value": smoothing only
        // draws the curve, so the figure stays put under [ ], and its level is named beside it.
        // In a narrow panel the figures the chart also shows yield first, whole.
        let weight = s.lossWeights.indices.contains(t) ? s.lossWeights[t] : 1
        let title = FitText.fields([(s.tasks[t], 9), ("loss \(raw.last.map { LineChart.format($0.y) } ?? "—")", 8),
                                    (validation.last.map { "val \(LineChart.format($0.y))" } ?? "", 7), ("weight \(LineChart.format(weight))", 5),
                                    ("smoothing \(String(format: "%.2f", state.smoothing))", 3), (state.logY ? "log" : "", 4)],
                                   width: width - 1, separator: "  ")
        grid.put(title, x: x + 1, y: y, style: Style(Role.task(t), bold: true), limit: width - 1)
        var chart = LineChart()
        chart.unicode = state.unicode
        chart.logY = state.logY
        chart.series = (runs?.curves(task: s.tasks[t], smoothing: state.smoothing) ?? []) + [LineChart.Series(points: raw, style: Style(.chartRaw)),
                        LineChart.Series(points: smooth, style: Style(color, bold: true)),
                        LineChart.Series(points: validation, style: Style(.highlight, bold: true), dots: true)]
        let range = 0...Double(max(s.step, runs?.lastStep ?? 0, 1))
        chart.xRange = range
        chart.markers = s.markers.map(Double.init)
        chart.xTicks = s.history.map { (x: Double($0.step), label: "e\($0.epoch)") }
        let sparkline = height >= 6
        chart.draw(into: &grid, x: x, y: y + 1, width: width, height: height - 1 - (sparkline ? 1 : 0))
        if sparkline, s.weightTrace.indices.contains(t) {
            let label = "weight"
            grid.put(label, x: x + LineChart.labelWidth - label.count, y: y + height - 1, style: Style(.muted))
            var points = s.weightTrace[t].map { (x: Double($0.step), y: $0.weight) }
            if let last = points.last { points.append((x: range.upperBound, y: last.y)) }
            Sparkline.draw(points, xRange: range, into: &grid, x: x + LineChart.labelWidth + 1, y: y + height - 1,
                           width: width - LineChart.labelWidth - 1, style: Style(.marker), unicode: state.unicode)
        }
    }

    /// The metrics a task's rows show: a multi-label task gets a second row, subset accuracy, since
    /// micro-F1 alone hides whether whole label sets come out right.
    static func tableMetrics(_ kind: TaskKind) -> [String] {
        kind == .multilabel ? ["micro_f1", "subset_accuracy"] : [TaskMetrics.mainMetric(for: kind)]
    }

    /// Per task: the latest validation loss and headline metric, and the best epoch's (marked *
    /// when it is the one shown); with baselines, the task trained alone (`single`) and a last
    /// line with Δp. Once the run has ended on another model than its last epoch's (early
    /// stopping restored an epoch, or tasks fell back to the linear model), the latest columns
    /// show that kept model, headed `kept e9` and `kept`, as the test figures and examples do.
    static func metricsTable(_ grid: inout Grid, _ s: TrainerSnapshot, _ context: WorkbenchContext,
                             _ baselines: BaselineRunner.Snapshot?, y: Int, height: Int, runs: RunsOverlay? = nil) {
        let kept = s.state.isActive ? nil : s.keptValidation
        let named = s.restoredEpoch.map { "kept e\($0)" } ?? "kept"
        let keptHeading = named.count <= 9 ? named : "kept"
        let shownEpoch = kept == nil ? nil : s.restoredEpoch
        var columns = [("task", 14), (kept == nil ? "val loss" : keptHeading, 10), ("best", 14), ("metric", 11),
                       (kept == nil ? "latest" : "kept", 8), ("best", 15), ("test", 8)]
        if baselines != nil { columns.append(("single", 14)) }
        let runColumns = columns.count
        for run in runs?.runs ?? [] { columns.append(("run \(run.label)", 9)) }
        var x = 1
        for (name, w) in columns {
            grid.put(name, x: x, y: y, style: Style(.muted, bold: true), limit: w)
            x += w
        }
        let lines = s.tasks.indices.flatMap { t in tableMetrics(s.taskKinds[t]).enumerated().map { (t, $1, $0 > 0) } }
        let rows = min(lines.count, height - 1 - (baselines == nil ? 0 : 1))
        for (line, (t, metric, continued)) in lines.prefix(max(rows, 0)).enumerated() {
            let row = y + 1 + line
            let higher = TaskMetrics.higherIsBetter(metric)
            // Epochs without validation rows for the task show "—", not a loss of 0.
            let measured = s.history.filter { $0.validation.indices.contains(t) && $0.validation[t].count > 0 }
            let values = measured.map { $0.validation[t] }
            var cells = [continued ? "" : s.tasks[t], "—", "—", metric == "subset_accuracy" ? "subset_acc" : metric, "—", "—", "—"]
            if let baselines { cells.append(BaselineText.cell(baselines, task: t, metric: metric)) }
            if continued { cells[1] = ""; cells[2] = "" }
            if let last = values.last {
                // The model the latest columns show: the kept one once the run has ended on it.
                let shown = kept.flatMap { $0.indices.contains(t) && $0[t].count > 0 ? $0[t] : nil } ?? last
                // A task that fell back to the linear model ends as epoch 0 (the fitted model) was.
                let epoch = kept != nil && s.linearTasks.contains(s.tasks[t]) ? 0 : shownEpoch ?? measured.last!.epoch
                if !continued {
                    cells[1] = LineChart.format(shown.loss)
                    let bestLoss = values.indices.min { values[$0].loss < values[$1].loss }!
                    cells[2] = "\(LineChart.format(values[bestLoss].loss)) e\(measured[bestLoss].epoch)"
                }
                if let v = shown.value(metric) { cells[4] = LineChart.format(v) }
                let scored = values.indices.filter { values[$0].value(metric) != nil }
                if let best = (higher ? scored.max { values[$0].value(metric)! < values[$1].value(metric)! }
                                      : scored.min { values[$0].value(metric)! < values[$1].value(metric)! }) {
                    cells[5] = "\(LineChart.format(values[best].value(metric)!)) e\(measured[best].epoch)\(measured[best].epoch == epoch ? " *" : "")"
                }
            }
            if let test = s.test?[t], let v = test.value(metric) { cells[6] = LineChart.format(v) }
            if let runs { cells += RunsTable.cells(runs, metric: metric, task: s.tasks[t]) }
            x = 1
            for (i, (_, w)) in columns.enumerated() {
                let style = i == 0 ? Style(Role.task(t), bold: true) : i >= runColumns ? RunsTable.style(runs!, column: i - runColumns, cells[i])
                    : i == 7 ? Style(.info) : .plain
                grid.put(cells[i], x: x, y: row, style: style, limit: w - 1)
                x += w
            }
        }
        if let baselines, height >= 2 {
            let (text, value) = BaselineText.deltaP(s, baselines)
            let role: Role = value.map { $0 >= 0 ? .good : .bad } ?? .muted
            grid.put(text, x: 1, y: y + 1 + max(rows, 0), style: Style(role, bold: value != nil), limit: grid.width - 2)
        }
    }
}
