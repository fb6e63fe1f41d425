import MTLData
import MTLEngine

/// The learning-rate schedule picker (R): a few schedules ready to use, the one in use marked;
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
        switch key {
        case .up, .character("k"):
            state.schedulePicker = max(0, cursor - 1)
        case .down, .character("j"):
            state.schedulePicker = min(list.count - 1, cursor + 1)
        case .enter:
            state.schedulePicker = nil
            let chosen = list[max(0, min(list.count - 1, cursor))].schedule
            state.note = "learning-rate schedule: \(chosen.spec)"
            return [.command(.setSchedule(chosen))]
        case .escape, .character("L"), .character("q"):
            state.schedulePicker = nil
        default:
            break
        }
        return []
    }

    static func draw(_ grid: inout Grid, _ s: TrainerSnapshot, cursor: Int, unicode: Bool, y: Int, height: Int) {
        let list = choices(s)
        let nameWidth = (list.map { $0.schedule.spec.count }.max() ?? 8) + 2
        let widest = list.map { TextWidth.of($0.summary) }.max() ?? 40
        let width = min(grid.width - 4, nameWidth + widest + 8)
        let boxHeight = min(height, list.count + 4)
        let x = (grid.width - width) / 2, top = y + max(0, (height - boxHeight) / 2)
        grid.box(x: x, y: top, width: width, height: boxHeight, title: "Learning-rate schedule · \(Glyph.current(unicode)) in use", unicode: unicode)
        for (i, choice) in list.enumerated() where top + 1 + i < top + boxHeight - 2 {
            let selected = i == cursor
            let inUse = choice.schedule == s.schedule
            let text = (selected ? Glyph.cursor(unicode) : " ") + " " + (inUse ? Glyph.current(unicode) : " ") + " "
                + choice.schedule.spec.padded(nameWidth) + choice.summary
            let style = selected ? Style(.selectedText, background: .selectedBackground, bold: true) : Style(inUse ? .highlight : .text, bold: inUse)
            if selected { grid.fill(x: x + 1, y: top + 1 + i, width: width - 2, height: 1, style: style) }
            grid.put(text, x: x + 2, y: top + 1 + i, style: style, limit: width - 4)
        }
        grid.put("j k or arrows move · enter apply · esc close", x: x + 2, y: top + boxHeight - 2, style: Style(.muted), limit: width - 4)
    }

    /// The rate trace under a column of loss charts: one value per change, as the weight traces.
    static func drawTrace(_ grid: inout Grid, _ s: TrainerSnapshot, unicode: Bool, x: Int, y: Int, width: Int) {
        let label = "lr"
        grid.put(label, x: x + LineChart.labelWidth - label.count, y: y, style: Style(.muted))
        let range = 0...Double(max(s.step, 1))
        var points = s.rateTrace.map { (x: Double($0.step), y: $0.weight) }
        if let last = points.last { points.append((x: range.upperBound, y: last.y)) }
        // The rate and schedule in force at the right end, when the line has room for both.
        let now = " \(LineChart.format(s.learningRate)) \(s.schedule.spec)"
        let room = width - LineChart.labelWidth - 1
        let text = room > now.count + 20 ? now : ""
        Sparkline.draw(points, xRange: range, into: &grid, x: x + LineChart.labelWidth + 1, y: y,
                       width: room - text.count, style: Style(.info), unicode: unicode)
        grid.put(text, x: x + width - text.count, y: y, style: Style(.muted))
    }
}
