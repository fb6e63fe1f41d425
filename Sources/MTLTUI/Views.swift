import Foundation
import MTLData
import MTLEngine

/// View 2: task weights and layers to steer, the learning rate, the weighting strategy and the
/// log of every change.
enum ControlsView {
    static func draw(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext,
                     _ baselines: BaselineRunner.Snapshot?, y: Int, height: Int) {
        let left = min(56, grid.width / 2)
        drawSteerable(&grid, s, state, width: left - 2, y: y, height: height)
        // Right: rate, strategy, pins, early stopping, baselines, event log.
        let x = left + 1, width = grid.width - x - 1
        for r in y..<(y + height) { grid.put(state.unicode ? "│" : "|", x: left - 1, y: r, style: Style(.border)) }
        var line = y
        func put(_ text: String, _ style: Style = .plain) {
            for part in fitted(text, width: width) {
                grid.put(part, x: x, y: line, style: style, limit: width)
                line += 1
            }
        }
        put("learning rate \(s.rateText)  (< halve, > double)", Style(.highlight))
        put("schedule \(s.schedule.spec) (L pick; < > scale it from here on)")
        put("strategy \(s.strategy.rawValue) (w next, W pick) · state \(s.state.rawValue) · step \(s.step)")
        put("  " + s.strategy.summary, Style(.muted))
        let pinned = s.tasks.filter { s.pinned.contains($0) }
        put(pinned.isEmpty ? "no pinned weights (e types a weight and pins it)"
            : "pinned \(pinned.joined(separator: ", ")): the strategy leaves \(pinned.count == 1 ? "it" : "them") (u unpins)")
        let stopping = s.earlyStop.map { rule in
            "early stop \(rule.metric), patience \(rule.patience)" + (s.bestEpoch.map { " · best epoch \($0)" } ?? "")
        } ?? "early stop off"
        put(stopping + " (x)")
        put(LossShapeKeys.line(s), Style(s.lossShapes.isEmpty ? .muted : .text))
        for text in PseudoLabelKeys.lines(s) { put(text, Style(s.pseudoLabel == nil ? .muted : .text)) }
        if let baselines { put(BaselineText.progress(baselines), Style(.info)) }
        line += 1
        put("Changes and events", Style(.title, bold: true))
        // The latest events, each wrapped (a wide fit's grid of Cs runs long), as many as fit;
        // the notes from preparing the run come first.
        let rows = y + height - line
        var lines: [(text: String, role: Role)] = []
        let notes = context.notes.map { (kind: $0.hasPrefix("warning") ? TrainerEvent.Kind.warning : .info, text: "data  \($0)") }
        for event in (notes + s.events.map { ($0.kind, "step \($0.step)  \($0.message)") }).reversed() where lines.count < rows {
            let role: Role = switch event.kind {
            case .command: .highlight
            case .info: .text
            case .warning: .warning
            case .error: .bad
            }
            let wrapped = event.text.wrapped(width: max(width, 1))
            // Whole events only, except the latest: a message's last word alone reads as noise.
            if !lines.isEmpty, lines.count + wrapped.count > rows { break }
            lines.insert(contentsOf: wrapped.map { ($0, role) }, at: 0)
        }
        for (i, entry) in lines.suffix(max(rows, 0)).enumerated() {
            grid.put(entry.text, x: x, y: line + i, style: Style(entry.role), limit: width)
        }
    }
}

extension ControlsView {
    /// `text` within `width` columns: when it is wider, its key hints in parentheses go first
    /// (the key bar and Help list the same keys), so the values before and after them stay whole;
    /// a line still too wide breaks at its ` · ` separators onto indented continuation lines.
    static func fitted(_ text: String, width: Int) -> [String] {
        let text = FitText.withoutHints(text, width: width)
        guard TextWidth.of(text) > width else { return [text] }
        return FitText.packed(text.components(separatedBy: " · "), width: width, separator: " · ", indent: "  ")
    }

    /// The left column: the tasks with their weights, then the layers with their state, one list
    /// under the cursor (`controlsRow`). A list taller than the view scrolls to keep the cursor
    /// in sight (an MMoE model at 80×24 has more layers than rows).
    static func drawSteerable(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, width: Int, y: Int, height: Int) {
        let unicode = state.unicode
        let selectedStyle = Style(.selectedText, background: .selectedBackground, bold: true)
        var lines: [(text: String, style: Style)] = []
        var cursorLine = 0
        let adaptive = s.strategy != .fixed
        lines.append(("Tasks · weight" + (adaptive ? " yours \(Glyph.arrow(unicode)) in force" : "") + " · \(Glyph.pin(unicode)) pinned",
                      Style(.title, bold: true)))
        // Names as wide as the longest (at most 16), so the weights fit in 80 columns.
        let taskWidth = min(16, s.tasks.map(\.count).max() ?? 0)
        for (t, name) in s.tasks.enumerated() {
            let weight = s.userWeights.indices.contains(t) ? s.userWeights[t] : 1
            let selected = t == state.controlsRow
            var text = (selected ? Glyph.cursor(unicode) : " ") + (s.pinned.contains(name) ? Glyph.pin(unicode) : " ") + " "
                + name.padded(taskWidth) + " weight " + LineChart.format(weight).padded(6)
            // What the strategy makes of it: the weight the loss is multiplied by now.
            if adaptive, s.lossWeights.indices.contains(t) {
                text += Glyph.arrow(unicode).padded(2) + " " + LineChart.format(s.lossWeights[t]).padded(6)
            }
            text += s.taskKinds[t].rawValue
            if selected { cursorLine = lines.count }
            lines.append((text, selected ? selectedStyle : Style(Role.task(t))))
        }
        lines.append(("", .plain))
        lines.append(("Layers · parameters · state", Style(.title, bold: true)))
        let layerWidth = min(18, s.layers.map(\.name.count).max() ?? 0)
        for (i, layer) in s.layers.enumerated() {
            let selected = s.tasks.count + i == state.controlsRow
            let frozen = s.frozen.contains(layer.name)
            let count = Screen.compact(Double(layer.parameters))
            let text = (selected ? Glyph.cursor(unicode) + " " : "  ") + layer.name.padded(layerWidth)
                + String(repeating: " ", count: max(0, 8 - count.count)) + count + "  " + (frozen ? "frozen" : "trainable")
            if selected { cursorLine = lines.count }
            lines.append((text, selected ? selectedStyle : Style(frozen ? .info : .text)))
        }
        // The window: everything when it fits, else the cursor kept a third of the way down.
        var first = 0
        if lines.count > height, height > 2 {
            first = max(0, min(lines.count - height, cursorLine - height / 3))
        }
        let shown = Array(lines[first..<min(lines.count, first + max(height, 0))])
        for (i, line) in shown.enumerated() {
            var (text, style) = line
            // A hint takes the place of a line, which it counts among those it hides.
            let hiddenAbove = first, hiddenBelow = lines.count - first - shown.count
            if i == 0, hiddenAbove > 0 { (text, style) = ("  \(hiddenAbove + 1) more above (k)", Style(.muted)) }
            if i == shown.count - 1, hiddenBelow > 0 { (text, style) = ("  \(hiddenBelow + 1) more below (j)", Style(.muted)) }
            grid.put(text, x: 1, y: y + i, style: style, limit: width)
        }
    }
}

/// View 3: validation examples of the selected task, highest loss first, with filters and a
/// detail pane showing every task's prediction and the full input.
enum ExamplesView {
    static func draw(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext, y: Int, height: Int) {
        if let watched = context.watched {
            return WatchedExamplesView.draw(&grid, s, state, context, watched: watched, y: y, height: height)
        }
        guard let examples = ExampleList.table(s, state), !s.tasks.isEmpty else {
            let waiting = state.exampleSplit == .validation ? "Hard examples appear after the first evaluation (end of epoch 1)."
                : "Evaluating the \(state.exampleSplit.rawValue) rows… (v: next split)"
            grid.put(waiting, x: 1, y: y + 1, style: Style(.muted))
            return
        }
        let t = min(state.task, s.tasks.count - 1)
        let list = ExampleList.indices(examples, state: state, context: context)
        var filters: [String] = []
        if state.misclassifiedOnly { filters.append("misclassified") }
        if state.wrongOnAll { filters.append("wrong on every task") }
        if state.suspects { filters.append(ExampleSuspects.applies(context, task: t) ? ExampleSuspects.header(context, task: t) : "suspects: binary and multiclass tasks only") }
        if let pair = state.pair, context.classes[t].indices.contains(pair.truth), context.classes[t].indices.contains(pair.predicted) {
            filters.append("true \(context.classes[t][pair.truth]) → predicted \(context.classes[t][pair.predicted])")
        }
        if !state.search.isEmpty { filters.append("\"\(state.search)\"") }
        if let errors = state.thresholdErrors, errors.task == t { filters.append(errors.description(context)) }
        if let cell = state.valueCell, cell.task == t { filters.append(cell.description) }
        if state.correctedOnly { filters.append("corrected") }
        if let problem = state.book.problem { filters.append("\(state.book.unsaved) unsaved: \(problem)") }
        // The filters before the step, so a filter's names (true Bag → predicted Coat) stay whole.
        let header = FitText.fields([(s.tasks[t], 9), ("\(list.count) of \(examples.count) \(examples.split.rawValue) examples by loss", 7),
                                     ("step \(examples.step)", 1), (filters.joined(separator: ", "), 8)], width: grid.width - 2)
        grid.put(header, x: 1, y: y, style: Style(Role.task(t), bold: true), limit: grid.width - 2)
        let cursor = currentCursor(list, examples, state)
        // Image rows are as tall as their thumbnail; the list keeps room for at least one.
        let entryHeight = context.image == nil ? 1 : ExampleImages.thumbnailRows
        let listHeight = max(state.detail ? max(3, height / 3) : height - 2, entryHeight)
        let entries = max(1, listHeight / entryHeight)
        // Columns as wide as the task's class names (up to 24; the prediction adds " 100%"), so
        // the input keeps room at 80 columns; a multi-label set of names gets 15 at least.
        let longest = context.classes.indices.contains(t) ? context.classes[t].map { TextWidth.of($0) }.max() ?? 0 : 0
        let least = context.kinds.indices.contains(t) && context.kinds[t] == .multilabel ? 15 : 7
        // The prediction adds " 100%", the suspects' column "likely " before the name.
        let truthWidth = min(max(least, longest), 24), predictionWidth = min(max(least + 2, longest + (state.suspects ? 7 : 5)), 31)
        // The fix column once this session has corrections ("→" and a class name, or a set as
        // wide as the true column's, "drop", "×4").
        let fixWidth = state.book.made.isEmpty ? 0 : min(max(9, (least == 15 ? truthWidth : longest) + 1), 16)
        // Over the rows' cursor column and their right-aligned 6-column score.
        let leading: String = "   \(state.suspects ? "   p" : "loss")  split " + "true".padded(truthWidth) + " "
        let middle: String = (state.suspects ? "likely" : "predicted").padded(predictionWidth) + " " + (fixWidth > 0 ? "fix".padded(fixWidth) + " " : "")
        // Other tasks' losses, each column as wide as the task's name (8 to 16 columns), while
        // the input keeps 24 columns or more.
        let otherTasks = s.tasks.indices.filter { $0 != t }
        let otherWidths = Dictionary(uniqueKeysWithValues: otherTasks.map { ($0, min(max(8, TextWidth.of(s.tasks[$0])), 16)) })
        let showsOthers = grid.width - 2 - TextWidth.of(leading + middle) - otherWidths.values.reduce(0) { $0 + $1 + 1 } >= 24
        let others: String = showsOthers ? otherTasks.map { s.tasks[$0].padded(otherWidths[$0]!) + " " }.joined() : ""
        let columns = leading + middle + others + "input"
        grid.put(columns, x: 1, y: y + 1, style: Style(.muted, bold: true))
        let first = max(0, min(cursor - entries / 2, list.count - entries))
        let suspects = state.suspects ? ExampleSuspects.find(examples, task: t, context: context) : [:]
        for (line, index) in list.dropFirst(first).prefix(entries).enumerated() {
            let i = index, top = y + 2 + line * entryHeight
            let selected = first + line == cursor
            let correct = ExampleList.isCorrect(examples, i, task: t, context: context)
            let suspect = state.suspects ? ExampleSuspects.columns(suspects[i]?.suspect, task: t, context: context) : nil
            let loss = examples.losses[t][i]
            var text = (selected ? (state.unicode ? "▶" : ">") : " ") + (suspect?.score ?? (loss.isNaN ? "     —  " : String(format: "%6.3f  ", loss)))
            text += String(examples.split.rawValue.prefix(5)).padded(5) + " "
            text += ExampleList.truthText(examples, i, task: t, context: context).padded(truthWidth) + " "
            text += (suspect?.likely ?? ExampleList.predictionText(examples, i, task: t, context: context)).padded(predictionWidth) + " "
            if fixWidth > 0 { text += state.book.mark(examples.rows[i], task: s.tasks[t]).padded(fixWidth) + " " }
            for other in otherTasks where showsOthers {
                let loss = examples.losses[other][i]
                text += (loss.isNaN ? "—" : String(format: "%.2f", loss)).padded(otherWidths[other]!) + " "
            }
            let style = selected ? Style(.selectedText, background: .selectedBackground, bold: true)
                : Style(correct == false ? .bad : .text)
            grid.fill(x: 1, y: top, width: grid.width - 2, height: entryHeight, style: selected ? style : .plain)
            var used = grid.put(text, x: 1, y: top, style: style, limit: grid.width - 2)
            if let image = context.image, 1 + used < grid.width - 2 {
                used += ExampleImages.thumbnail(&grid, context, row: examples.rows[i], image: image, x: 1 + used, y: top,
                                                limit: grid.width - 3 - used, state: state) + 1
            }
            let input = context.inputText[examples.rows[i]].replacingOccurrences(of: "\n", with: " ")
            grid.put(input, x: 1 + used, y: top, style: style, limit: max(grid.width - 2 - used, 0))
        }
        if list.isEmpty { grid.put("no example matches the filters (esc clears them)", x: 2, y: y + 3, style: Style(.muted)) }
        if state.detail, list.indices.contains(cursor) {
            detail(&grid, s, context, examples, list[cursor], y: y + 3 + listHeight, height: height - listHeight - 3, unicode: state.unicode,
                   greys: state.greys)
        }
    }

    static func currentCursor(_ list: [Int], _ examples: ExampleTable, _ state: ViewState) -> Int {
        if let row = state.exampleRow, let found = list.firstIndex(where: { examples.rows[$0] == row }) { return found }
        return max(0, min(state.exampleCursor, list.count - 1))
    }

    static func detail(_ grid: inout Grid, _ s: TrainerSnapshot, _ context: WorkbenchContext, _ examples: ExampleTable, _ i: Int,
                       y: Int, height: Int, unicode: Bool, greys: Bool = true) {
        for x in 0..<grid.width { grid.put(unicode ? "─" : "-", x: x, y: y - 1, style: Style(.border)) }
        let row = examples.rows[i]
        var line = y
        var artWidth = 0
        if let image = context.image {
            artWidth = ExampleImages.detail(&grid, context, row: row, image: image, x: 1, y: y, columns: grid.width / 2,
                                            rows: height, mode: ImageArt.mode(unicode: unicode, greys: greys)) + 2
        }
        let x = 1 + artWidth
        if context.rowIDs.indices.contains(row) {
            grid.put("id \(context.rowIDs[row])", x: x, y: line, style: Style(.muted), limit: grid.width - x - 1)
            line += 1
        }
        for t in s.tasks.indices where line < y + height {
            let truth = ExampleList.truthText(examples, i, task: t, context: context)
            var text = "\(s.tasks[t]): true \(truth) · predicted \(ExampleList.predictionText(examples, i, task: t, context: context))"
            let loss = examples.losses[t][i]
            if !loss.isNaN { text += String(format: " · loss %.3f", loss) }
            if context.kinds[t] == .multiclass {
                let width = examples.widths[t]
                let top = (0..<width).sorted { examples.outputs[t][i * width + $0] > examples.outputs[t][i * width + $1] }.prefix(3)
                text += " · " + top.map { "\(context.classes[t][$0]) \(ExampleList.percent(examples.outputs[t][i * width + $0]))" }.joined(separator: ", ")
            }
            grid.put(text, x: x, y: line, style: Style(Role.task(t)), limit: grid.width - x - 1)
            line += 1
        }
        line += 1
        wrap(&grid, context.inputText[row], x: x, y: line, width: grid.width - x - 1, end: y + height)
    }

    /// An input in full on lines from `y` up to `end`, wrapped at `width` columns.
    static func wrap(_ grid: inout Grid, _ text: String, x: Int, y: Int, width: Int, end: Int) {
        for (i, part) in text.wrapped(width: width, limit: max(end - y, 0)).enumerated() { grid.put(part, x: x, y: y + i) }
    }
}

/// View 5: every key, generated from the key table, each description whole (wrapped), the
/// list scrolling with ↑ ↓ when it is taller than the screen.
enum HelpView {
    static let labelWidth = 11

    /// The help's lines at `width` columns: (key label or "", text, scope or "").
    static func lines(width: Int) -> [(label: String, text: String, scope: String)] {
        var out: [(String, String, String)] = []
        let textWidth = max(width - labelWidth - 2, 10)
        for binding in KeyMap.bindings {
            let scope = binding.views.isEmpty ? "everywhere" : binding.views.sorted { $0.rawValue < $1.rawValue }.map(\.title).joined(separator: ", ")
            let parts = (binding.help + " (" + scope + ")").wrapped(width: textWidth)
            for (i, part) in parts.enumerated() {
                // The scope is shown muted: split it off the line it ends on.
                let isLast = i == parts.count - 1
                if isLast, let open = part.range(of: " (", options: .backwards), part.hasSuffix(")") {
                    out.append((i == 0 ? binding.label : "", String(part[..<open.lowerBound]), String(part[open.lowerBound...])))
                } else {
                    out.append((i == 0 ? binding.label : "", part, ""))
                }
            }
        }
        return out
    }

    /// The largest first line on a screen of this size: the last line then sits at the bottom.
    static func maxOffset(width: Int, height: Int) -> Int {
        max(0, lines(width: width - 1).count - room(bodyHeight: Screen.bodyHeight(height)))
    }

    /// Rows for key lines under the title.
    static func room(bodyHeight: Int) -> Int { max(bodyHeight - 1, 0) }

    static func draw(_ grid: inout Grid, _ state: ViewState, y: Int, height: Int) {
        let all = lines(width: grid.width - 1)
        let room = room(bodyHeight: height)
        let first = max(0, min(state.helpOffset, all.count - room))
        var title = "Keys"
        if all.count > room { title += " · lines \(first + 1)–\(min(first + room, all.count)) of \(all.count) (↑ ↓ k j scroll)" }
        grid.put(title, x: 1, y: y, style: Style(.title, bold: true), limit: grid.width - 2)
        for (i, line) in all.dropFirst(first).prefix(room).enumerated() {
            let row = y + 1 + i
            grid.put(line.label, x: 1, y: row, style: Style(.highlight, bold: true), limit: labelWidth - 1)
            let used = grid.put(line.text, x: 1 + labelWidth, y: row, limit: grid.width - labelWidth - 2)
            grid.put(line.scope, x: 1 + labelWidth + used, y: row, style: Style(.muted), limit: max(grid.width - labelWidth - 2 - used, 0))
        }
    }
}
