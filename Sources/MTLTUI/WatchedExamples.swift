import Foundation
import MTLData
import MTLEngine
import MTLProtocol

/// Views 3 and 4 of a watched run: the selected task's hard examples and confusion counts from
/// the stream's latest `examples` event. Read-only: the rows live with the producer.
enum WatchedExamplesView {
    static func noExamples(_ task: String) -> String {
        "\(task): this stream carries no examples (its producer writes them: train --json-examples N, or Run.examples in python/)"
    }

    static let readOnly = "corrections are not available for a watched run: its rows live with its producer"

    /// The event's rows the list shows (highest loss first, as sent), with `m`, the confusion
    /// cell chosen in view 4 and the search applied.
    static func rows(_ event: RunEvent.Examples, _ state: ViewState, kind: TaskKind, classes: [String]) -> [RunEvent.ExampleRow] {
        let query = state.search.lowercased()
        return event.rows.filter { row in
            if state.misclassifiedOnly, !isWrong(row, kind: kind) { return false }
            if let pair = state.pair, classes.indices.contains(pair.truth), classes.indices.contains(pair.predicted),
               row.label != classes[pair.truth] || row.predicted != classes[pair.predicted] { return false }
            return query.isEmpty || (row.text ?? "").lowercased().contains(query) || row.key.lowercased().contains(query)
        }
    }

    /// A class prediction that is not the true label (regression rows are never "wrong").
    static func isWrong(_ row: RunEvent.ExampleRow, kind: TaskKind) -> Bool {
        kind != .regression && row.label != nil && row.predicted != nil && row.label != row.predicted
    }

    /// The selected task's latest event, its class names and the rows the list shows (nil
    /// without an event): what view 3 draws and what the cursor moves through.
    static func shown(_ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext, watched: [String: RunEvent.Examples])
        -> (event: RunEvent.Examples, classes: [String], rows: [RunEvent.ExampleRow])? {
        guard !s.tasks.isEmpty else { return nil }
        let t = min(state.task, s.tasks.count - 1)
        guard let event = watched[s.tasks[t]] else { return nil }
        let classes = event.confusion?.classes ?? (context.classes.indices.contains(t) ? context.classes[t] : [])
        return (event, classes, rows(event, state, kind: s.taskKinds[t], classes: classes))
    }

    static func draw(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext,
                     watched: [String: RunEvent.Examples], y: Int, height: Int) {
        guard !s.tasks.isEmpty else {
            grid.put("waiting for the stream's start event", x: 1, y: y + 1, style: Style(.muted))
            return
        }
        let t = min(state.task, s.tasks.count - 1)
        guard let (event, classes, list) = shown(s, state, context, watched: watched) else {
            grid.put(noExamples(s.tasks[t]), x: 1, y: y + 1, style: Style(.muted), limit: grid.width - 2)
            return
        }
        var filters: [String] = []
        if state.misclassifiedOnly { filters.append("misclassified") }
        if let pair = state.pair, classes.indices.contains(pair.truth), classes.indices.contains(pair.predicted) {
            filters.append("true \(classes[pair.truth]) → predicted \(classes[pair.predicted])")
        }
        if !state.search.isEmpty { filters.append("\"\(state.search)\"") }
        let header = "\(s.tasks[t]) · \(list.count) of \(event.rows.count) hardest examples by loss · step \(event.step)"
            + (event.epoch.map { ", epoch \($0)" } ?? "") + " · from the stream, read-only"
            + (filters.isEmpty ? "" : " · " + filters.joined(separator: ", "))
        grid.put(header, x: 1, y: y, style: Style(Role.task(t), bold: true), limit: grid.width - 2)
        grid.put("   loss  split true            predicted          p     key              input", x: 1, y: y + 1, style: Style(.muted, bold: true))
        let entries = max(1, state.detail ? height / 2 - 2 : height - 2)
        let cursor = max(0, min(state.exampleCursor, list.count - 1))
        let first = max(0, min(cursor - entries / 2, list.count - entries))
        for (line, row) in list.dropFirst(first).prefix(entries).enumerated() {
            let selected = first + line == cursor
            var text = (selected ? Glyph.cursor(state.unicode) : " ") + (row.loss.map { NumberText.format("%6.3f  ", $0) } ?? "     —  ")
            text += String(row.split.prefix(5)).padded(5) + " " + (row.label ?? "—").padded(15) + " "
            text += (row.predicted ?? "—").padded(18) + " " + (row.probability.map { ExampleList.percent(Float($0)) } ?? "—").padded(5) + " "
            text += String(row.key.prefix(16)).padded(16) + " " + (row.text ?? "").replacingOccurrences(of: "\n", with: " ")
            let style = selected ? Style(.selectedText, background: .selectedBackground, bold: true)
                : Style(isWrong(row, kind: s.taskKinds[t]) ? .bad : .text)
            grid.put(text, x: 1, y: y + 2 + line, style: style, limit: grid.width - 2)
        }
        if list.isEmpty { grid.put("no example matches the filters (esc clears them)", x: 2, y: y + 3, style: Style(.muted)) }
        if state.detail, list.indices.contains(cursor) {
            detail(&grid, list[cursor], task: s.tasks[t], y: y + 3 + entries, height: height - entries - 3, unicode: state.unicode)
        }
    }

    /// `enter`: the selected row in full (its text as the producer cut it).
    static func detail(_ grid: inout Grid, _ row: RunEvent.ExampleRow, task: String, y: Int, height: Int, unicode: Bool) {
        for x in 0..<grid.width { grid.put(unicode ? "─" : "-", x: x, y: y - 1, style: Style(.border)) }
        var facts = "\(task): true \(row.label ?? "—") · predicted \(row.predicted ?? "—")"
        if let p = row.probability { facts += " (\(ExampleList.percent(Float(p))))" }
        if let loss = row.loss { facts += NumberText.format(" · loss %.3f", loss) }
        grid.put(facts + " · \(row.split) row \(row.key)", x: 1, y: y, style: Style(.highlight), limit: grid.width - 2)
        ExamplesView.wrap(&grid, row.text ?? "", x: 1, y: y + 2, width: grid.width - 2, end: y + height)
    }

    /// View 4 from the event's confusion counts; false when the event has none for the task.
    static func drawConfusion(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState,
                              watched: [String: RunEvent.Examples], y: Int, height: Int) -> Bool {
        let t = min(state.task, s.tasks.count - 1)
        guard t >= 0, let event = watched[s.tasks[t]], let confusion = event.confusion else { return false }
        let total = confusion.matrix.joined().reduce(0, +)
        let right = confusion.matrix.indices.reduce(0) { $0 + (confusion.matrix[$1].indices.contains($1) ? confusion.matrix[$1][$1] : 0) }
        grid.put("\(s.tasks[t]) · step \(event.step)" + (event.epoch.map { ", epoch \($0)" } ?? "")
                 + " · rows true, columns predicted · accuracy \(LineChart.format(Double(right) / Double(max(total, 1)))) · from the stream",
                 x: 1, y: y, style: Style(Role.task(t), bold: true), limit: grid.width - 2)
        ConfusionView.matrix(&grid, classes: confusion.classes, matrix: confusion.matrix, state: state, y: y, height: height)
        return true
    }
}
