import Foundation
import MTLData
import MTLEngine

/// One run as the screens see it: its latest snapshot and where it came from.
public struct RunView: Sendable {
    public var id: Int
    public var snapshot: TrainerSnapshot
    /// "fresh, seed 42", "branch of run 1 at step 120", "saved run runs/a".
    public var origin: String
    /// What the run changed since it forked ("weight polarity 1 → 2").
    public var changes: [String] = []
    /// Where a branch's own curve starts.
    public var forkStep: Int?
    /// A saved run loaded with `--compare`: fixed curves, not selectable.
    public var isReference = false
    /// Its latest state is saved (or it has nothing to save).
    public var saved = false

    public init(id: Int, snapshot: TrainerSnapshot, origin: String) {
        self.id = id
        self.snapshot = snapshot
        self.origin = origin
    }

    /// The name in legends and table headers: `1`…`4`, references `c1`….
    public var label: String { isReference ? "c\(id)" : "\(id)" }

    /// A run that has ended, live or saved: the validation metrics of the model it ended with
    /// (nil while it trains). A saved run's are its kept epoch's record.
    var kept: [TaskMetrics]? {
        snapshot.state.isActive ? nil : snapshot.keptModelValidation
    }

    /// Each run's own colour, the same in every chart, the legend and the table.
    var role: Role { Role.task(isReference ? 3 + id : id - 1) }

    /// A reference's curves from a saved run's history: the training loss at each epoch's end
    /// (the steps' losses are not saved) and the validation losses.
    public static func reference(id: Int, directory: String, info: Checkpoint.Info) -> RunView {
        var s = TrainerSnapshot()
        s.state = .finished
        s.tasks = info.model.heads.map(\.name)
        s.taskKinds = info.model.heads.map(\.kind)
        s.history = info.history
        // The epochs it trained of those it planned (early stopping ends a run sooner; the
        // history's length is no count: a resumed run's starts later).
        s.epochs = info.training.epochs
        s.epoch = max((info.history.last?.epoch ?? 0) - 1, 0)
        s.step = info.history.last?.step ?? 0
        // The weights it saved: early stopping's best epoch when that was put back (the last
        // trained ones are then kept apart, in `last.safetensors`).
        if info.files?["last.safetensors"] != nil, info.training.earlyStop != nil, let best = info.best,
           best.epoch != info.history.last?.epoch {
            s.restoredEpoch = best.epoch
        }
        s.lossSeries = s.tasks.indices.map { t in
            var series = Series()
            for record in info.history where record.train.indices.contains(t) && record.train[t].count > 0 {
                series.append(step: record.step, value: Float(record.train[t].loss))
            }
            return series
        }
        var view = RunView(id: id, snapshot: s, origin: "saved run \(directory)")
        view.isReference = true
        view.saved = true
        return view
    }
}

/// Every run the workbench holds, the selected one first among equals: what the charts overlay.
public struct RunsOverlay: Sendable {
    public var runs: [RunView]
    /// Index in `runs` of the run receiving the controls.
    public var selected: Int
    /// The runs are watched event streams (`watch a.jsonl b.jsonl`), named by their files.
    public var streams = false
    /// A run asked for and not started yet ("run 4: branch of run 3, starts when its linear fit
    /// ends"): the runs view lists it under the others, so the count a refusal gives adds up.
    public var pending: String?

    public init(runs: [RunView], selected: Int) {
        self.runs = runs
        self.selected = selected
    }

    /// Worth drawing: more than the one run.
    public var isShown: Bool { runs.count > 1 }

    /// Index of `task` (by name) in run `r`'s tasks.
    func task(_ name: String, in r: Int) -> Int? { runs[r].snapshot.tasks.firstIndex(of: name) }

    /// Per run, the validation value of `metric` for `task` that stands for it (nil: none): a
    /// live run's best over its epochs so far; once a run has ended, its kept model's (early
    /// stopping's restored epoch, else the last, with any task that fell back to the linear
    /// model scored as that), which is the model it saves, not a best per task from
    /// different epochs. Saved runs (`--compare`) count as ended: their kept epoch's figures.
    func best(_ metric: String, task name: String) -> [Double?] {
        let higher = TaskMetrics.higherIsBetter(metric)
        return runs.indices.map { r in
            guard let t = task(name, in: r) else { return nil }
            if let kept = runs[r].kept {
                return kept.indices.contains(t) && kept[t].count > 0 ? kept[t].value(metric) : nil
            }
            let values = runs[r].snapshot.history.compactMap { record -> Double? in
                guard record.validation.indices.contains(t), record.validation[t].count > 0 else { return nil }
                return record.validation[t].value(metric)
            }
            return higher ? values.max() : values.min()
        }
    }

    /// The other runs' smoothed training losses for `task`, each in its colour (the selected
    /// one is drawn by the panel itself, brighter, on top).
    func curves(task name: String, smoothing: Double) -> [LineChart.Series] {
        runs.indices.compactMap { r in
            guard r != selected, let t = task(name, in: r), runs[r].snapshot.lossSeries.indices.contains(t) else { return nil }
            let raw = runs[r].snapshot.lossSeries[t].buckets.map { (x: Double($0.lastStep), y: Double($0.mean)) }
            let smooth = zip(raw, exponentialMovingAverage(raw.map(\.y), smoothing: smoothing)).map { (x: $0.0.x, y: $0.1) }
            return LineChart.Series(points: smooth, style: Style(runs[r].role, dim: true), scales: false)
        }
    }

    /// The last step any run reached: the charts' common x range.
    var lastStep: Int { runs.map(\.snapshot.step).max() ?? 0 }

    /// The legend's columns: "━1 ━2 ━c1".
    var legendWidth: Int { runs.reduce(0) { $0 + 2 + TextWidth.of($1.label) } - 1 }

    /// "━1 ━2 ━c1", the selected one bold, drawn right-aligned ending before `right`.
    func drawLegend(_ grid: inout Grid, right: Int, y: Int, unicode: Bool) {
        let items = runs.map { (unicode ? "━" : "-") + $0.label }
        var x = right - legendWidth
        guard x > 0 else { return }
        for (r, item) in items.enumerated() {
            x += grid.put(item, x: x, y: y, style: Style(runs[r].role, bold: r == selected, dim: r != selected)) + 1
        }
    }
}

/// View 7: the runs — id, state, progress, best metrics (with single-task baselines, each run's
/// Δp against them) and origin (fork step and what changed) — the selected one highlighted.
/// Columns are as wide as their contents; the best metrics and the origin wrap in the width
/// left, the origin on lines of its own under the run when too little is left beside it.
enum RunsView {
    /// Narrower than this beside the other columns, the origin goes under its run.
    static let originBeside = 24

    static func draw(_ grid: inout Grid, _ overlay: RunsOverlay?, _ state: ViewState, y: Int, height: Int,
                     baselines: BaselineRunner.Snapshot? = nil) {
        guard let overlay, !overlay.runs.isEmpty else {
            grid.put("one run: b branches it, R starts a fresh one (up to \(RunLimits.live) live runs)", x: 1, y: y, style: Style(.muted))
            return
        }
        let header = ["run", "state", "progress", "validation", overlay.streams ? "stream" : "origin: what changed since the fork"]
        let lines = overlay.runs.indices.map { line(overlay, $0, state: state, baselines: baselines) }
        // run, state, progress: as wide as their widest cell, two spaces apart.
        let widths = (0..<3).map { c in ([header[c]] + lines.map { $0.fixed[c] }).map { TextWidth.of($0) }.max()! + 2 }
        let bestX = 1 + widths.reduce(0, +), room = grid.width - 1 - bestX
        let bestNatural = ([header[3]] + lines.map { $0.best.joined(separator: "  ") }).map { TextWidth.of($0) }.max()!
        let originNatural = (["origin"] + lines.map(\.origin)).map { TextWidth.of($0) }.max()!
        // Beside the origin, the metrics take at most half the room unless the origin fits whole.
        let bestBeside = min(bestNatural, max(room / 2, room - 2 - originNatural))
        let beside = room - 2 - bestBeside >= min(originBeside, originNatural)
        let bestWidth = max(beside ? bestBeside : min(bestNatural, room), 1)
        let originX = bestX + bestWidth + 2, originWidth = grid.width - 1 - originX
        for (c, head) in header.enumerated() where c < 4 || beside {
            let x = c < 3 ? 1 + widths.prefix(c).reduce(0, +) : c == 3 ? bestX : originX
            // The origin's heading shortened rather than cut, when its column is narrower.
            let name = c == 4 && TextWidth.of(head) > originWidth ? String(head.prefix { $0 != ":" }) : head
            grid.put(name, x: x, y: y, style: Style(.muted, bold: true), limit: c < 3 ? widths[c] : c == 3 ? bestWidth : originWidth)
        }
        var row = y + 1
        for (r, run) in lines.enumerated() where row < y + height {
            let style = r == overlay.selected ? Style(.highlight, bold: true) : Style.plain
            var x = 1
            for (c, cell) in run.fixed.enumerated() {
                grid.put(cell, x: x, y: row, style: c == 0 ? Style(overlay.runs[r].role, bold: true) : style, limit: widths[c])
                x += widths[c]
            }
            let best = wrap(run.best, width: bestWidth)
            let origin = run.origin.wrapped(width: max(beside ? originWidth : grid.width - 2 - widths[0], 1))
            for (i, text) in best.enumerated() { grid.put(text, x: bestX, y: row + i, style: style, limit: bestWidth) }
            if beside {
                for (i, text) in origin.enumerated() { grid.put(text, x: originX, y: row + i, style: style, limit: originWidth) }
                row += max(best.count, origin.count)
            } else {
                row += best.count
                for text in origin { grid.put(text, x: 1 + widths[0], y: row, style: style, limit: grid.width - 2 - widths[0]); row += 1 }
            }
        }
        if let pending = overlay.pending, row < y + height {
            grid.put(pending, x: 1 + widths[0], y: row, style: Style(.muted), limit: grid.width - 2 - widths[0])
            row += 1
        }
        guard row < y + height else { return }
        let hints = overlay.streams ? ["( ) select", "the controls go to the selected stream's command file (STREAM.commands)"]
            : ["* unsaved", "( ) select", "b branch", "R fresh run", "E more epochs", "s save the selected run"]
        grid.put(FitText.fields(hints.enumerated().map { ($1, -$0) }, width: grid.width - 2),
                 x: 1, y: row + 1 < y + height ? row + 1 : row, style: Style(.muted))
    }

    /// One run's cells: the fixed columns, its best metrics (one item a task) and its origin.
    static func line(_ overlay: RunsOverlay, _ r: Int, state: ViewState, baselines: BaselineRunner.Snapshot?)
        -> (fixed: [String], best: [String], origin: String) {
        let run = overlay.runs[r], s = run.snapshot
        let marker = r == overlay.selected ? Glyph.cursor(state.unicode) : " "
        let status = run.isReference ? "saved" : s.state.rawValue + (run.saved ? "" : " *")
        let progress = "\(s.epochText) step \(s.step)"
        var best = s.tasks.indices.compactMap { t -> String? in
            let metric = TaskMetrics.mainMetric(for: s.taskKinds[t])
            guard let value = overlay.best(metric, task: s.tasks[t])[r] else { return nil }
            let linear = run.kept != nil && s.linearTasks.contains(s.tasks[t]) ? " (linear)" : ""
            return "\(s.tasks[t]) \(LineChart.format(value))" + linear
        }
        // Which model the figures are: an ended run's kept one, else each task's best epoch so far.
        if !best.isEmpty { best.insert(run.kept == nil ? "best" : s.keptRecord.map { "kept epoch \($0.epoch)" } ?? "kept", at: 0) }
        if let delta = baselines.flatMap({ BaselineText.deltaP(s, $0).value }) { best.append("Δp " + BaselineText.percent(delta)) }
        let origin = run.origin + (run.changes.isEmpty ? "" : ": " + run.changes.joined(separator: ", "))
        return ([marker + run.label, status, progress], best.isEmpty ? ["—"] : best, origin)
    }

    /// Items two spaces apart on lines of at most `width` columns, never split (one too wide is
    /// cut with `…` where it is drawn).
    static func wrap(_ items: [String], width: Int) -> [String] {
        let lines = FitText.packed(items, width: width, separator: "  ")
        return lines.isEmpty ? [""] : lines
    }
}

/// How many runs may train at once: each holds a model, optimizer moments and workspaces.
public enum RunLimits {
    public static let live = 4
}

/// The metrics table's column per run: each run's best validation value, the best run's marked.
enum RunsTable {
    static func cells(_ runs: RunsOverlay, metric: String, task: String) -> [String] {
        let values = runs.best(metric, task: task)
        let scored = values.compactMap { $0 }
        let winner = TaskMetrics.higherIsBetter(metric) ? scored.max() : scored.min()
        return values.map { value in
            guard let value else { return "—" }
            return LineChart.format(value) + (scored.count > 1 && value == winner ? " *" : "")
        }
    }

    static func style(_ runs: RunsOverlay, column: Int, _ cell: String) -> Style {
        Style(runs.runs[column].role, bold: column == runs.selected || cell.hasSuffix("*"))
    }
}
