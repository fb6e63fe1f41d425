import Foundation
import MTLData
import MTLEngine

/// The whole screen as a pure function of the training snapshot, the view state and the size.
/// Only `Terminal` turns the result into terminal output.
public enum Screen {
    public static let minimumWidth = 60
    public static let minimumHeight = 20

    /// Rows between the title and status bars above and the key bar below.
    static func bodyHeight(_ height: Int) -> Int { height - 3 }

    /// `baselines`: the single-task baselines' progress and results, when the run has them.
    public static func render(_ snapshot: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext,
                              width: Int, height: Int, baselines: BaselineRunner.Snapshot? = nil,
                              runs: RunsOverlay? = nil) -> Grid {
        var grid = Grid(width: width, height: height)
        grid.asciiOnly = !state.unicode
        guard width >= minimumWidth, height >= minimumHeight else {
            let message = "enlarge the terminal: \(width)×\(height), need \(minimumWidth)×\(minimumHeight)"
            grid.put(message, x: max(0, (width - TextWidth.of(message)) / 2), y: height / 2, style: Style(.warning, bold: true))
            // A prompt or picker still takes keys here: its line shows what they answer.
            if state.prompt != nil || state.picker != nil || state.schedulePicker != nil || state.relabel != nil, height > 0 {
                footer(&grid, snapshot, state, context, y: height - 1)
            }
            return grid
        }
        titleBar(&grid, state, context)
        // The run legend has the status line's right end; the status fields yield to it.
        let legend = runs.flatMap { $0.isShown ? $0 : nil }
        statusBar(&grid, snapshot, state, y: 1, width: width - (legend.map { $0.legendWidth + 2 } ?? 0))
        legend?.drawLegend(&grid, right: width - 1, y: 1, unicode: state.unicode)
        let body = (y: 2, height: bodyHeight(height))
        switch state.view {
        case .dashboard: Dashboard.draw(&grid, snapshot, state, context, baselines, y: body.y, height: body.height, runs: runs)
        case .controls: ControlsView.draw(&grid, snapshot, state, context, baselines, y: body.y, height: body.height)
        case .examples: ExamplesView.draw(&grid, snapshot, state, context, y: body.y, height: body.height)
        case .confusion: ConfusionView.draw(&grid, snapshot, state, context, y: body.y, height: body.height)
        case .help: HelpView.draw(&grid, state, y: body.y, height: body.height)
        case .gradients: GradientsView.draw(&grid, snapshot, state, y: body.y, height: body.height)
        case .runs:
            let one = RunsOverlay(runs: [RunView(id: 1, snapshot: snapshot, origin: "the first run")], selected: 0)
            RunsView.draw(&grid, runs ?? one, state, y: body.y, height: body.height, baselines: baselines)
        }
        if let cursor = state.picker {
            StrategyPicker.draw(&grid, snapshot, cursor: cursor, unicode: state.unicode, y: body.y, height: body.height)
        }
        if let cursor = state.schedulePicker {
            SchedulePicker.draw(&grid, snapshot, cursor: cursor, unicode: state.unicode, y: body.y, height: body.height)
        }
        if let picker = state.relabel, state.view == .examples { CorrectionKeys.drawPicker(&grid, picker, context, unicode: state.unicode) }
        footer(&grid, snapshot, state, context, y: height - 1)
        return grid
    }

    static func titleBar(_ grid: inout Grid, _ state: ViewState, _ context: WorkbenchContext) {
        grid.fill(x: 0, y: 0, width: grid.width, height: 1, style: Style(.title, background: .selectedBackground))
        var x = grid.put(" mtl-tui ", x: 0, y: 0, style: Style(.title, background: .selectedBackground, bold: true))
        x += grid.put(context.title + " ", x: x, y: 0, style: Style(.title, background: .selectedBackground))
        // Every view by number and name; when that does not fit, the others by number only, so
        // the current view's name is always there.
        let compact = x + View.allCases.reduce(0) { $0 + TextWidth.of(" \($1.rawValue) \($1.title) ") } > grid.width
        for view in View.allCases {
            let label = view == state.view || !compact ? " \(view.rawValue) \(view.title) " : " \(view.rawValue) "
            guard x + TextWidth.of(label) <= grid.width else { break }
            let style = view == state.view ? Style(.selectedBackground, background: .title, bold: true)
                : Style(.title, background: .selectedBackground)
            x += grid.put(label, x: x, y: 0, style: style)
        }
    }

    /// The run's state, epoch and progress bar, then fields within `width` columns: the less
    /// important ones (speed first) are left out whole rather than cut.
    static func statusBar(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, y: Int, width: Int) {
        let (label, role): (String, Role) = switch s.state {
        case .starting: ("STARTING", .info)
        case .running: ("RUNNING", .good)
        case .paused: ("PAUSED", .warning)
        case .finished: ("FINISHED", .info)
        case .stopped: s.divergence == nil ? ("STOPPED", .muted) : ("DIVERGED", .bad)   // a headless run ends at its divergence
        case .diverged: ("DIVERGED", .bad)
        }
        var x = grid.put(" \(label) ", x: 0, y: y, style: Style(role, bold: true, reverse: true)) + 1
        if let preparing = s.preparing, s.state.isActive {
            grid.put(preparing, x: x, y: y, style: Style(.info), limit: width - x)
            return
        }
        x += grid.put(s.epochText + " ", x: x, y: y)
        // Speed and the time left only while the run trains: a paused or diverged run's last
        // estimate would go stale on the screen.
        var parts = [(text: "step \(s.step)" + (s.totalSteps.map { "/\($0)" } ?? ""), rank: 5)]
        if let kept = s.restoredEpoch { parts.append(("early stop: kept epoch \(kept)", 4)) }
        if s.samplesPerSecond > 0, s.state == .running { parts.append(("\(compact(s.samplesPerSecond)) samples/s", 0)) }
        if let eta = s.etaSeconds, s.state == .running { parts.append(("ETA \(duration(eta))", 3)) }
        parts.append(("lr \(s.rateText)" + (s.schedule == .constant ? "" : " \(s.schedule.spec)"), 2))
        if s.strategy != .fixed { parts.append(("weights \(s.strategy.rawValue)", 1)) }
        // A stream may not say how long the run is: then no bar, rather than a full one. The bar
        // narrows (to 10 cells) before a field is left out.
        if let done = s.progress {
            let wanted = max(10, min(30, grid.width / 6))
            let over = TextWidth.of(parts.map(\.text).joined(separator: " · ")) - (width - x - wanted - 1)
            let barWidth = max(10, wanted - max(over, 0))
            let filled = min(barWidth, Int(Double(barWidth) * done))
            let bar = state.unicode ? String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
                : String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled)
            x += grid.put(bar, x: x, y: y, style: Style(.highlight)) + 1
        }
        grid.put(FitText.fields(parts, width: width - x), x: x, y: y, limit: max(width - x, 0))
    }

    /// The quit prompt's line within `width`: after Ctrl-C it adds that another one quits.
    /// Where that is too wide, why one run asks goes first (the choices matter more), then the
    /// choices least needed (esc cancels too); several runs keep the list of the unsaved.
    static func quitQuestion(_ s: TrainerSnapshot, _ state: ViewState, width: Int) -> String {
        var choices: [(text: String, rank: Int)] = [("y quit", 3), (state.runCount > 1 ? "s save each and quit" : "s save and quit", 3), ("n cancel", 1)]
        if state.quitByInterrupt { choices.append(("Ctrl-C again quits without saving", 2)) }
        let question = state.runCount > 1 ? "Quit? unsaved runs: \(state.unsavedRuns.map(String.init).joined(separator: ", ")) ·"
            : s.state.isActive ? "Training is still running. Quit?" : "Quit? the run is not saved ·"
        let whole = question + " " + choices.map(\.text).joined(separator: " · ")
        if TextWidth.of(whole) <= width { return whole }
        let shorter = state.runCount > 1 ? question : "Quit?"
        return shorter + " " + FitText.fields(choices, width: width - TextWidth.of(shorter) - 1)
    }

    /// A watched stream's examples take no corrections and draw no curves (`context.watched`).
    /// Nothing is written to the screen's last cell (`Terminal` leaves it alone, so an ellipsis
    /// there would never show): every line here ends a column early.
    static func footer(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext, y: Int) {
        let watched = context.watched != nil
        let width = grid.width - 1
        if let prompt = state.prompt {
            let text: String = switch prompt {
            case .quit: quitQuestion(s, state, width: width - 1)
            case .weight(let task, let typed): "Loss weight of \(s.tasks.indices.contains(task) ? s.tasks[task] : "?"): \(typed)▏ (enter to set, esc to cancel)"
            case .search(let typed): "Search inputs: \(typed)▏ (enter to apply, esc to cancel)"
            }
            grid.fill(x: 0, y: y, width: grid.width, height: 1, style: Style(.title, background: .selectedBackground))
            grid.put(" " + text, x: 0, y: y, style: Style(.title, background: .selectedBackground, bold: true), limit: width)
            return
        }
        // A run that ended at its divergence (weights that cannot be repaired) offers a fresh run only.
        if let divergence = s.divergence, s.state == .diverged || s.state == .stopped {
            grid.put(" " + divergenceLine(divergence, width: width - 1, resumable: s.state == .diverged), x: 0, y: y,
                     style: Style(.bad, bold: true), limit: width)
            return
        }
        if state.picker != nil {
            grid.put(" pick a loss-weighting strategy: j k or arrows move · enter apply · esc close", x: 0, y: y, style: Style(.muted), limit: width)
            return
        }
        if state.schedulePicker != nil {
            grid.put(" pick a learning-rate schedule: j k or arrows move · enter apply · esc close", x: 0, y: y, style: Style(.muted), limit: width)
            return
        }
        if let picker = state.relabel {
            // Where the screen is too small for the picker, this line alone shows what enter would pick.
            grid.put(" " + CorrectionKeys.pickerLine(picker, context, unicode: state.unicode, width: width - 1), x: 0, y: y,
                     style: Style(.muted), limit: width)
            return
        }
        if let note = state.note {
            grid.put(" " + FitText.withoutHints(note, width: width - 1), x: 0, y: y, style: Style(.warning), limit: width)
            return
        }
        let hints: String = switch state.view {
        case .dashboard: "space pause · n step · l log-y · [ ] smoothing · < > rate · s save · ? help · q quit"
        case .controls: "↑↓ select · + - weight · e type weight (pins it) · u unpin · f freeze · w W strategy · < > rate · L schedule · ? help"
        case .examples where watched: "↑↓ move · enter detail · m misclassified · / search · T task · read-only: the stream's rows"
        case .examples: "↑↓ move · enter detail · m a / S filter · d drop · u U weight · r relabel · z undo · v split · c corrected · T task"
        case .confusion where CurvesView.applies(s, state, context):
            "←→ move along the PR curve · enter its errors" + (s.taskKinds[min(state.task, s.tasks.count - 1)] == .multilabel ? " · ↑↓ label" : "") + " · T task · ? help"
        case .confusion where RegressionView.applies(s, state, context): "arrows select a cell · enter lists its rows · T task · ? help · q quit"
        case .confusion: "arrows select a cell · enter show its examples · T task · ? help · q quit"
        case .help: "esc or ? back"
        case .gradients: "↑↓ j k select a layer · W strategy · ? help · q quit"
        case .runs: "( ) select a run · b branch · R fresh run · E more epochs · s save · ? help · q quit"
        }
        grid.put(" " + keyBar(hints, width: width - 1), x: 0, y: y, style: Style(.muted), limit: width)
    }

    /// A divergence and the way on within `width`: the keys stay whole (in short words where
    /// the sentence does not fit) and the reason yields, its clauses after `;` and its
    /// parenthesised details first, then cut with `…` (the event log keeps it whole).
    static func divergenceLine(_ reason: String, width: Int, resumable: Bool = true) -> String {
        let hints = resumable ? ["lower the rate (<) and resume (space), or R: a fresh run at the lowered rate",
                                 "< lower the rate, space resume, R a fresh run", "< rate · space resume · R fresh run"]
            : ["R: a fresh run (then < to lower its rate)", "R a fresh run", "R fresh run"]
        let clause = reason.components(separatedBy: "; ").first ?? reason
        let reasons = [reason, clause, FitText.withoutHints(clause, width: 0)]
        for hint in hints {
            for r in reasons where TextWidth.of("diverged: \(r) · \(hint)") <= width { return "diverged: \(r) · \(hint)" }
        }
        // The shortest hint, and the shortest reason cut to the rest (at least "diverged: x…").
        let hint = hints[hints.count - 1], room = width - TextWidth.of("diverged:  · " + hint)
        guard room >= 2 else { return "diverged · " + hint }
        return "diverged: \(reasons[reasons.count - 1].padded(room)) · \(hint)"
    }

    /// The key hints within `width`: whole hints drop from the end, except `? help` (which lists
    /// every key), so a narrow terminal never shows half a hint.
    static func keyBar(_ hints: String, width: Int) -> String {
        let parts = hints.components(separatedBy: " · ")
        return FitText.fields(parts.enumerated().map { ($0.element, $0.element == "? help" ? parts.count : -$0.offset) }, width: width)
    }

    static func compact(_ v: Double) -> String {
        v >= 1e6 ? String(format: "%.1fM", v / 1e6) : v >= 1e3 ? String(format: "%.1fk", v / 1e3) : NumberText.format("%.0f", v)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e9 else { return "—" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// How far the run is, as the status bar, the runs view and the controls say it. A watched stream
/// may leave out the epochs, the steps in one and the rate: those show as unknown, not as 0 or 1.
extension TrainerSnapshot {
    /// `epoch 3/10`, or `epoch 3` when the run did not say how many.
    var epochText: String { epochs > 0 ? "epoch \(min(epoch + 1, epochs))/\(epochs)" : "epoch \(epoch + 1)" }

    /// Planned steps, when both the epochs and the steps in one are known.
    var totalSteps: Int? { epochs > 0 && stepsPerEpoch > 0 ? epochs * stepsPerEpoch : nil }

    /// The share done: by steps when their total is known, else by epochs begun before this one;
    /// nil when the epochs are unknown too.
    var progress: Double? {
        if let total = totalSteps { return min(Double(step) / Double(total), 1) }
        return epochs > 0 ? min(Double(epoch) / Double(epochs), 1) : nil
    }

    /// The learning rate once the run has reported one (a trainer from its first publish, a
    /// stream when `start`, a step or an ack says it); before that `learningRate` 0 is no rate.
    var reportedRate: Double? { rateTrace.isEmpty ? nil : learningRate }

    /// The rate as the screens write it: `—` when not reported.
    var rateText: String { reportedRate.map(LineChart.format) ?? "—" }
}
