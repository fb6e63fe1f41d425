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
        s.epochs = info.history.count
        s.epoch = max(info.history.count - 1, 0)
        s.step = info.history.last?.step ?? 0
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

    public init(runs: [RunView], selected: Int) {
        self.runs = runs
        self.selected = selected
    }

    /// Worth drawing: more than the one run.
    public var isShown: Bool { runs.count > 1 }

    /// Index of `task` (by name) in run `r`'s tasks.
    func task(_ name: String, in r: Int) -> Int? { runs[r].snapshot.tasks.firstIndex(of: name) }

    /// Per run, the best validation value of `metric` for `task` over its epochs (nil: none).
    func best(_ metric: String, task name: String) -> [Double?] {
        let higher = TaskMetrics.higherIsBetter(metric)
        return runs.indices.map { r in
            guard let t = task(name, in: r) else { return nil }
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
            return LineChart.Series(points: smooth, style: Style(runs[r].role, dim: true))
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

/// View 7: the runs, one a line — id, origin (fork step and what changed), state, progress, best
/// metrics and, with single-task baselines, each run's Δp against them — the selected one highlighted.
enum RunsView {
    static func draw(_ grid: inout Grid, _ overlay: RunsOverlay?, _ state: ViewState, y: Int, height: Int,
                     baselines: BaselineRunner.Snapshot? = nil) {
        guard let overlay, !overlay.runs.isEmpty else {
            grid.put("one run: b branches it, R starts a fresh one (up to \(RunLimits.live) live runs)", x: 1, y: y, style: Style(.muted))
            return
        }
        let header = ["run", "state", "progress", "best validation", overlay.streams ? "stream" : "origin: what changed since the fork"]
        let widths = [5, 12, 22, max(24, min(50, grid.width / 3))]
        var x = 1
        for (i, name) in header.enumerated() {
            x += grid.put(name, x: x, y: y, style: Style(.muted, bold: true), limit: i < widths.count ? widths[i] - 1 : nil)
            x = 1 + widths.prefix(i + 1).reduce(0, +)
        }
        var row = y + 1
        for (r, run) in overlay.runs.enumerated() where row < y + height {
            let s = run.snapshot
            let selected = r == overlay.selected
            let marker = selected ? (state.unicode ? "▶" : ">") : " "
            var origin = run.origin
            if !run.changes.isEmpty { origin += ": " + run.changes.joined(separator: ", ") }
            let status = run.isReference ? "saved" : s.state.rawValue + (run.saved ? "" : " *")
            let progress = "epoch \(min(s.epoch + 1, max(s.epochs, 1)))/\(s.epochs) step \(s.step)"
            let best = s.tasks.indices.compactMap { t -> String? in
                let metric = TaskMetrics.mainMetric(for: s.taskKinds[t])
                guard let value = overlay.best(metric, task: s.tasks[t])[r] else { return nil }
                return "\(s.tasks[t]) \(LineChart.format(value))"
            }.joined(separator: "  ")
                + (baselines.flatMap { BaselineText.deltaP(s, $0).value }.map { "  Δp " + BaselineText.percent($0) } ?? "")
            let cells = ["\(marker)\(run.label)", status, progress, best.isEmpty ? "—" : best, origin]
            x = 1
            for (i, cell) in cells.enumerated() {
                let style = i == 0 ? Style(run.role, bold: true) : selected ? Style(.highlight, bold: true) : .plain
                grid.put(cell, x: x, y: row, style: style, limit: i < widths.count ? widths[i] - 1 : max(grid.width - x - 1, 0))
                x = 1 + widths.prefix(i + 1).reduce(0, +)
            }
            row += 1
        }
        if row < y + height {
            grid.put(overlay.streams ? "( ) select · the controls go to the selected stream's command file (STREAM.commands)"
                     : "* unsaved · ( ) select · b branch · R fresh run · E more epochs · s save the selected run",
                     x: 1, y: row + 1 < y + height ? row + 1 : row, style: Style(.muted))
        }
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
