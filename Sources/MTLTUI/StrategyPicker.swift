import MTLData
import MTLEngine

/// The strategy picker (W): every loss-weighting strategy with its one-line summary, the one in
/// use marked; ↑↓ or j k move, enter applies it, esc closes. An overlay over any view.
enum StrategyPicker {
    static let strategies = WeightingStrategy.allCases

    /// Keys while the picker is open: it takes them all, so nothing else happens behind it.
    static func handle(_ key: Key, cursor: Int, state: inout ViewState) -> [Effect] {
        switch key {
        case .up, .character("k"):
            state.picker = max(0, cursor - 1)
        case .down, .character("j"):
            state.picker = min(strategies.count - 1, cursor + 1)
        case .enter:
            state.picker = nil
            let chosen = strategies[max(0, min(strategies.count - 1, cursor))]
            state.note = "loss weighting: \(chosen.rawValue)"
            return [.command(.setStrategy(chosen))]
        case .escape, .character("W"), .character("q"):
            state.picker = nil
        default:
            break
        }
        return []
    }

    static func draw(_ grid: inout Grid, _ s: TrainerSnapshot, cursor: Int, unicode: Bool, y: Int, height: Int) {
        let nameWidth = (strategies.map { $0.rawValue.count }.max() ?? 8) + 2
        let widest = strategies.map { TextWidth.of($0.summary) }.max() ?? 40
        let width = min(grid.width - 4, nameWidth + widest + 8)
        let boxHeight = min(height, strategies.count + 4)
        let x = (grid.width - width) / 2, top = y + max(0, (height - boxHeight) / 2)
        grid.box(x: x, y: top, width: width, height: boxHeight, title: "Loss weighting · \(Glyph.current(unicode)) in use", unicode: unicode)
        for (i, strategy) in strategies.enumerated() where top + 1 + i < top + boxHeight - 2 {
            let selected = i == cursor
            let inUse = strategy == s.strategy
            let text = (selected ? Glyph.cursor(unicode) : " ") + " " + (inUse ? Glyph.current(unicode) : " ") + " "
                + strategy.rawValue.padded(nameWidth) + strategy.summary
            let style = selected ? Style(.selectedText, background: .selectedBackground, bold: true) : Style(inUse ? .highlight : .text, bold: inUse)
            if selected { grid.fill(x: x + 1, y: top + 1 + i, width: width - 2, height: 1, style: style) }
            grid.put(text, x: x + 2, y: top + 1 + i, style: style, limit: width - 4)
        }
        grid.put("j k or arrows move · enter apply · esc close", x: x + 2, y: top + boxHeight - 2, style: Style(.muted), limit: width - 4)
    }
}
