import MTLData
import MTLEngine

/// The strategy picker (W): every loss-weighting strategy with its one-line summary, the one in
/// use marked; ↑↓ or j k move, enter applies it, esc closes. An overlay over any view.
enum StrategyPicker {
    static let strategies = WeightingStrategy.allCases

    /// Keys while the picker is open: it takes them all, so nothing else happens behind it.
    static func handle(_ key: Key, cursor: Int, state: inout ViewState) -> [Effect] {
        switch ListPicker.outcome(key, cursor: cursor, count: strategies.count, closeKey: "W") {
        case .move(let row):
            state.picker = row
        case .choose(let row):
            state.picker = nil
            state.note = "loss weighting: \(strategies[row].rawValue)"
            return [.command(.setStrategy(strategies[row]))]
        case .close:
            state.picker = nil
        case .ignore:
            break
        }
        return []
    }

    static func draw(_ grid: inout Grid, _ s: TrainerSnapshot, cursor: Int, unicode: Bool, y: Int, height: Int) {
        ListPicker.draw(&grid, title: "Loss weighting", rows: strategies.map { ($0.rawValue, $0.summary, $0 == s.strategy) },
                        cursor: cursor, unicode: unicode, y: y, height: height)
    }
}
