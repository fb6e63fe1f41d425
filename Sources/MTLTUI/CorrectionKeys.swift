import MTLData
import MTLEngine

/// This session's corrections from the browser, in order: what `z` undoes and what the list
/// marks. The file and the trainer hold the truth; this is the screen's memory of it.
public struct CorrectionBook: Sendable {
    /// Corrections made and not undone, oldest first.
    public var made: [RowCorrection] = []
    /// Corrections applied in memory whose line could not be written (see `problem`).
    public var unsaved = 0
    /// Why the corrections file cannot be written, shown in the browser's header until a write works.
    public var problem: String?

    public init() {}

    /// `2`, `0.25`: a factor as the file and the list show it.
    static func shortest(_ value: Double) -> String {
        let text = "\(value)"
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    public func corrected(_ row: Int) -> Bool { made.contains { $0.row == row } }

    /// The row's loss-weight factor from this session's `u`/`U` presses.
    public func weight(_ row: Int) -> Double {
        made.filter { $0.row == row && $0.action == .weight }.reduce(1) { $0 * (Double($1.value ?? "1") ?? 1) }
    }

    /// A short mark for the list: `✗` dropped, `×4` weighted, `→label` relabelled (for `task`).
    public func mark(_ row: Int, task: String) -> String {
        var parts: [String] = []
        if made.contains(where: { $0.row == row && $0.action == .drop }) { parts.append("drop") }
        let w = weight(row)
        if w != 1 { parts.append("×" + Self.shortest(w)) }
        if let relabel = made.last(where: { $0.row == row && $0.action == .relabel && $0.task == task }) {
            parts.append("→" + ((relabel.value ?? "").isEmpty ? "(none)" : relabel.value!))
        }
        return parts.joined(separator: " ")
    }
}

/// The class picker `r` opens on an example: one class (binary, multi-class), or labels to
/// toggle (multi-label) with space, confirmed with enter.
public struct RelabelPicker: Sendable, Equatable {
    public var row: Int
    public var task: Int
    public var cursor: Int
    public var chosen: Set<Int>
}

/// The browser's correction keys: d drop, u/U weight, r relabel, z undo, v split, c corrected only.
enum CorrectionKeys {
    static func handle(_ action: Action, state: inout ViewState, snapshot: TrainerSnapshot, context: WorkbenchContext) -> [Effect] {
        // A watched run's rows live with its producer: nothing here can drop, weigh or relabel them.
        guard context.watched == nil else { state.note = WatchedExamplesView.readOnly; return [] }
        switch action {
        case .cycleSplit:
            let all = ExampleSplit.allCases
            state.exampleSplit = all[((all.firstIndex(of: state.exampleSplit) ?? 0) + 1) % all.count]
            Controller.resetExamples(&state)
            return snapshot.state.takesCommands ? [.command(.showExamples(state.exampleSplit))] : []
        case .correctedOnly:
            state.correctedOnly.toggle()
            Controller.resetExamples(&state)
            return []
        case .undoCorrection:
            guard let last = state.book.made.popLast() else { state.note = "nothing to undo"; return [] }
            // The row as the user knows it: its id, else its number in the data (1 = first row).
            let id = context.rowIDs.indices.contains(last.row) && !context.rowIDs[last.row].isEmpty ? "id \(context.rowIDs[last.row])" : "row \(last.row + 1)"
            state.note = "undone: \(last.action.rawValue) of \(id)"
            return [.correction(RowCorrection(row: last.row, key: last.key, task: last.task, action: .undo))]
        default:
            break
        }
        guard let (row, split) = selectedRow(state, snapshot, context) else { state.note = "no example selected"; return [] }
        guard snapshot.state.takesCommands else { state.note = "this run was stopped: corrections apply to a run that can go on (R starts a fresh one)"; return [] }
        let key = context.rowKeys.indices.contains(row) ? context.rowKeys[row] : String(row)
        let trainOnly = "only training rows are dropped or weighted; on \(split.rawValue) rows, r relabels (it fixes evaluation)"
        switch action {
        case .dropExample:
            guard split == .train else { state.note = trainOnly; return [] }
            guard !state.book.made.contains(where: { $0.row == row && $0.action == .drop }) else { state.note = "already dropped (z undoes)"; return [] }
            return record(RowCorrection(row: row, key: key, action: .drop), &state)
        case .upWeight, .resetWeight:
            guard split == .train else { state.note = trainOnly; return [] }
            let current = state.book.weight(row)
            let factor = action == .upWeight ? 2 : 1 / current
            guard factor != 1 else { state.note = "weight is already 1"; return [] }
            return record(RowCorrection(row: row, key: key, action: .weight, value: CorrectionBook.shortest(factor)), &state)
        case .relabel:
            let t = min(state.task, context.tasks.count - 1)
            guard context.kinds[t] != .regression else {
                state.note = "\(context.tasks[t]) is a regression: relabel it in a corrections file ({\"action\":\"relabel\",\"value\":\"3.5\"})"
                return []
            }
            let chosen = Set(ExampleList.givenClasses(row: row, task: t, context: context) ?? [])
            state.relabel = RelabelPicker(row: row, task: t, cursor: chosen.min() ?? 0, chosen: chosen)
            return []
        default:
            return []
        }
    }

    /// The data's label of a row for a classification task, as a relabel would write it; nil when missing.
    static func currentLabel(row: Int, task t: Int, context: WorkbenchContext) -> String? {
        ExampleList.givenClasses(row: row, task: t, context: context)?.map { context.classes[t][$0] }.joined(separator: "|")
    }

    /// Keys while the class picker is open.
    static func handlePicker(_ key: Key, picker: RelabelPicker, state: inout ViewState, context: WorkbenchContext) -> [Effect] {
        var picker = picker
        let classes = context.classes[picker.task]
        let multi = context.kinds[picker.task] == .multilabel
        switch key {
        case .escape:
            state.relabel = nil
            return []
        case .up, .character("k"):
            picker.cursor = max(0, picker.cursor - 1)
        case .down, .character("j"):
            picker.cursor = min(classes.count - 1, picker.cursor + 1)
        case .character(" ") where multi:
            if picker.chosen.contains(picker.cursor) { picker.chosen.remove(picker.cursor) } else { picker.chosen.insert(picker.cursor) }
        case .enter:
            state.relabel = nil
            let value = multi ? picker.chosen.sorted().map { classes[$0] }.joined(separator: "|") : classes[picker.cursor]
            // The label in force: this session's last relabel of the row, else the data's.
            let task = context.tasks[picker.task]
            let current = state.book.made.last { $0.row == picker.row && $0.task == task && $0.action == .relabel }?.value
                ?? currentLabel(row: picker.row, task: picker.task, context: context)
            guard value != current else { state.note = "unchanged: \(task) is already \(value.isEmpty ? "(none)" : value)"; return [] }
            let key = context.rowKeys.indices.contains(picker.row) ? context.rowKeys[picker.row] : String(picker.row)
            return record(RowCorrection(row: picker.row, key: key, task: context.tasks[picker.task], action: .relabel, value: value), &state)
        default:
            break
        }
        state.relabel = picker
        return []
    }

    static func record(_ correction: RowCorrection, _ state: inout ViewState) -> [Effect] {
        state.book.made.append(correction)
        return [.correction(correction)]
    }

    /// The dataset row under the cursor, and its split.
    static func selectedRow(_ state: ViewState, _ snapshot: TrainerSnapshot, _ context: WorkbenchContext) -> (Int, ExampleSplit)? {
        guard let examples = ExampleList.table(snapshot, state) else { return nil }
        let list = ExampleList.indices(examples, state: state, context: context)
        guard !list.isEmpty else { return nil }
        let cursor = ExamplesView.currentCursor(list, examples, state)
        return (examples.rows[list[cursor]], examples.split)
    }

    /// The picker on one line (the footer's): the class under its cursor and the keys, so a
    /// screen too small for the picker still shows what enter would pick.
    static func pickerLine(_ picker: RelabelPicker, _ context: WorkbenchContext, unicode: Bool, width: Int) -> String {
        let classes = context.classes[picker.task]
        let multi = context.kinds[picker.task] == .multilabel
        let name = classes.indices.contains(picker.cursor) ? classes[picker.cursor] : "?"
        let box = multi ? (picker.chosen.contains(picker.cursor) ? "[x] " : "[ ] ") : (picker.chosen.contains(picker.cursor) ? "(now) " : "")
        let current = "relabel \(context.tasks[picker.task]): \(Glyph.cursor(unicode)) \(box)\(name) (\(picker.cursor + 1) of \(classes.count))"
        // Where they do not all fit, enter's key stays longest, then esc's.
        let keys = multi ? [("j k move", 2), ("space toggles", 4), ("enter saves", 5), ("esc cancels", 3)]
            : [("j k move", 2), ("enter picks", 5), ("esc cancels", 3)]
        return FitText.fields([(current, 9)] + keys, width: width)
    }

    /// The picker, drawn over the lower part of the examples view.
    static func drawPicker(_ grid: inout Grid, _ picker: RelabelPicker, _ context: WorkbenchContext, unicode: Bool) {
        let classes = context.classes[picker.task]
        let multi = context.kinds[picker.task] == .multilabel
        let title = "relabel for \(context.tasks[picker.task]): " + (multi ? "space toggles, enter saves" : "enter picks") + ", esc cancels"
        let width = min(grid.width - 2, max(TextWidth.of(title) + 4, 30))
        let height = min(grid.height - 4, classes.count + 2)
        let x = max(1, (grid.width - width) / 2), y = max(2, (grid.height - height) / 2)
        grid.fill(x: x, y: y, width: width, height: height, style: Style(.text, background: .selectedBackground))
        grid.put(title, x: x + 1, y: y, style: Style(.text, background: .selectedBackground, bold: true), limit: width - 2)
        let first = max(0, min(picker.cursor - (height - 3), classes.count - (height - 2)))
        for (line, c) in (first..<classes.count).prefix(height - 2).enumerated() {
            let box = multi ? (picker.chosen.contains(c) ? "[x] " : "[ ] ") : (picker.chosen.contains(c) ? "(now) " : "")
            let pointer = c == picker.cursor ? (unicode ? "▶ " : "> ") : "  "
            let style = c == picker.cursor ? Style(.selectedText, background: .selectedBackground, bold: true) : Style(.text, background: .selectedBackground)
            grid.put(pointer + box + classes[c], x: x + 1, y: y + 1 + line, style: style, limit: width - 2)
        }
    }
}
