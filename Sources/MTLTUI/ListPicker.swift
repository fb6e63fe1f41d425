import MTLData

/// The list overlay the pickers share (W strategies, L schedules): one row per choice with its
/// one-line summary, the one in use marked; ↑↓ or j k move, enter chooses, esc, q or the
/// picker's own key close. It takes every key while open, so nothing happens behind it.
enum ListPicker {
    enum Outcome: Equatable { case move(Int), choose(Int), close, ignore }

    static func outcome(_ key: Key, cursor: Int, count: Int, closeKey: Character) -> Outcome {
        switch key {
        case .up, .character("k"): .move(max(0, cursor - 1))
        case .down, .character("j"): .move(min(count - 1, cursor + 1))
        case .enter: .choose(max(0, min(count - 1, cursor)))
        case .escape, .character("q"), .character(closeKey): .close
        default: .ignore
        }
    }

    static func draw(_ grid: inout Grid, title: String, rows: [(name: String, summary: String, inUse: Bool)],
                     cursor: Int, unicode: Bool, y: Int, height: Int) {
        let nameWidth = (rows.map { $0.name.count }.max() ?? 8) + 2
        let widest = rows.map { TextWidth.of($0.summary) }.max() ?? 40
        let width = min(grid.width - 4, nameWidth + widest + 8)
        let boxHeight = min(height, rows.count + 4)
        let x = (grid.width - width) / 2, top = y + max(0, (height - boxHeight) / 2)
        grid.box(x: x, y: top, width: width, height: boxHeight, title: "\(title) · \(Glyph.current(unicode)) in use", unicode: unicode)
        for (i, row) in rows.enumerated() where top + 1 + i < top + boxHeight - 2 {
            let selected = i == cursor
            let text = (selected ? Glyph.cursor(unicode) : " ") + " " + (row.inUse ? Glyph.current(unicode) : " ") + " "
                + row.name.padded(nameWidth) + row.summary
            let style = selected ? Style(.selectedText, background: .selectedBackground, bold: true)
                                 : Style(row.inUse ? .highlight : .text, bold: row.inUse)
            if selected { grid.fill(x: x + 1, y: top + 1 + i, width: width - 2, height: 1, style: style) }
            grid.put(text, x: x + 2, y: top + 1 + i, style: style, limit: width - 4)
        }
        grid.put("j k or arrows move · enter apply · esc close", x: x + 2, y: top + boxHeight - 2, style: Style(.muted), limit: width - 4)
    }
}
