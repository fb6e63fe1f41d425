import MTLData
import MTLEngine

/// The learning-rate schedule picker (L): a few schedules ready to use, the one in use marked;
/// ↑↓ or j k move, enter switches to it from the next step, esc closes. An overlay over any view,
/// drawn like the strategy picker.
enum SchedulePicker {
    /// The choices for this run: warm-up over one epoch's steps; the schedule in use when it is none of them.
    static func choices(_ s: TrainerSnapshot) -> [(schedule: LearningRateSchedule, summary: String)] {
        var list: [(LearningRateSchedule, String)] = [
            (.constant, "the base rate throughout"),
            (.step(every: 2, factor: 0.5), "halve every 2 epochs (StepLR)"),
            (.cosine(warmup: 0), "half cosine from the rate to 0 at the last planned step"),
            (.cosine(warmup: max(s.stepsPerEpoch, 1)), "one epoch of linear warm-up, then the cosine"),
            (.plateau(patience: 2, factor: 0.5), "halve after 2 epochs without improvement (ReduceLROnPlateau)"),
        ]
        if !list.contains(where: { $0.0 == s.schedule }) { list.append((s.schedule, "the run's own")) }
        return list
    }

    static func handle(_ key: Key, cursor: Int, snapshot: TrainerSnapshot, state: inout ViewState) -> [Effect] {
        let list = choices(snapshot)
        switch ListPicker.outcome(key, cursor: cursor, count: list.count, closeKey: "L") {
        case .move(let row):
            state.schedulePicker = row
        case .choose(let row):
            state.schedulePicker = nil
            state.note = "learning-rate schedule: \(list[row].schedule.spec)"
            return [.command(.setSchedule(list[row].schedule))]
        case .close:
            state.schedulePicker = nil
        case .ignore:
            break
        }
        return []
    }

    static func draw(_ grid: inout Grid, _ s: TrainerSnapshot, cursor: Int, unicode: Bool, y: Int, height: Int) {
        ListPicker.draw(&grid, title: "Learning-rate schedule",
                        rows: choices(s).map { ($0.schedule.spec, $0.summary, $0.schedule == s.schedule) },
                        cursor: cursor, unicode: unicode, y: y, height: height)
    }

    /// The rate trace under a column of loss charts: one value per change, as the weight traces.
    static func drawTrace(_ grid: inout Grid, _ s: TrainerSnapshot, unicode: Bool, x: Int, y: Int, width: Int) {
        let label = "lr"
        grid.put(label, x: x + LineChart.labelWidth - label.count, y: y, style: Style(.muted))
        let range = 0...Double(max(s.step, 1))
        var points = s.rateTrace.map { (x: Double($0.step), y: $0.weight) }
        if let last = points.last { points.append((x: range.upperBound, y: last.y)) }
        // The rate and schedule in force at the right end, when the line has room for both.
        let now = s.reportedRate.map { " \(LineChart.format($0)) \(s.schedule.spec)" } ?? " —"
        let room = width - LineChart.labelWidth - 1
        let text = room > now.count + 20 ? now : ""
        Sparkline.draw(points, xRange: range, into: &grid, x: x + LineChart.labelWidth + 1, y: y,
                       width: room - text.count, style: Style(.info), unicode: unicode)
        grid.put(text, x: x + width - text.count, y: y, style: Style(.muted))
    }
}
