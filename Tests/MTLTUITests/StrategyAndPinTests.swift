import Foundation
import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// The strategy picker and pinned weights.
@Suite struct StrategyAndPinTests {
    func press(_ keys: [Key], view: View, snapshot: TrainerSnapshot, _ state: inout ViewState) -> [Effect] {
        Fixture.press(keys, view: view, snapshot: snapshot, &state)
    }

    var running: TrainerSnapshot { Fixture.running }

    /// `w` steps through every strategy, in order, and wraps; its help names them all.
    @Test func wCyclesThroughEveryStrategy() {
        let all = WeightingStrategy.allCases
        var s = running
        for (i, strategy) in all.enumerated() {
            s.strategy = strategy
            var state = ViewState()
            #expect(press([.character("w")], view: .controls, snapshot: s, &state) == [.command(.setStrategy(all[(i + 1) % all.count]))])
        }
        let help = KeyMap.bindings.first { $0.action == .nextStrategy }!.help
        for strategy in all { #expect(help.contains(strategy.rawValue)) }
    }

    /// W opens the picker on the strategy in use; j k move, enter applies, esc closes with no
    /// command, and keys meant for the view behind it (q, space) do nothing while it is open.
    @Test func thePickerMovesAppliesAndCloses() {
        var s = running
        s.strategy = .dwa
        var state = ViewState()
        #expect(press([.character("W")], view: .confusion, snapshot: s, &state) == [])
        #expect(state.picker == 1)
        #expect(press([.character("j"), .character("j"), .down, .character("k")], view: .confusion, snapshot: s, &state) == [])
        #expect(state.picker == 3)
        #expect(press([.character(" ")], view: .confusion, snapshot: s, &state) == [])
        #expect(press([.enter], view: .confusion, snapshot: s, &state) == [.command(.setStrategy(.uw))])
        #expect(state.picker == nil)
        // Esc: closed, nothing sent; the cursor stops at both ends.
        _ = press([.character("W"), .up, .up, .up], view: .dashboard, snapshot: s, &state)
        #expect(state.picker == 0)
        _ = press(Array(repeating: .down, count: 20), view: .dashboard, snapshot: s, &state)
        #expect(state.picker == WeightingStrategy.allCases.count - 1)
        #expect(press([.escape], view: .dashboard, snapshot: s, &state) == [])
        #expect(state.picker == nil && state.view == .dashboard)
        // q closes the picker; it does not quit.
        _ = press([.character("W")], view: .controls, snapshot: s, &state)
        #expect(press([.character("q")], view: .controls, snapshot: s, &state) == [])
        #expect(state.picker == nil && state.prompt == nil)
    }

    /// The overlay lists every strategy with its summary; the one in use is marked, the cursor
    /// row is highlighted; without Unicode both marks are ASCII.
    @Test func thePickerShowsEveryStrategyWithItsSummary() {
        var s = running
        s.strategy = .famo
        for unicode in [true, false] {
            var state = ViewState()
            state.view = .controls
            state.unicode = unicode
            state.picker = 2   // rlw
            let grid = Screen.render(s, state, Fixture.run.context, width: 120, height: 40)
            let rows = (0..<grid.height).map(grid.row)
            for strategy in WeightingStrategy.allCases {
                let summary = unicode ? strategy.summary : ASCIIStandIn.text(strategy.summary)   // α as a
                #expect(rows.contains { $0.contains(strategy.rawValue.padded(10) + summary) }, "\(strategy)")
            }
            let (cursor, current) = unicode ? ("▶", "●") : (">", "*")
            #expect(rows.contains { $0.contains("\(cursor)   rlw") }, "\(grid.text)")
            #expect(rows.contains { $0.contains("  \(current) famo") }, "\(grid.text)")
            let y = rows.firstIndex { $0.contains("rlw       Random") }!
            let x = Array(rows[y]).firstIndex(of: "r")!
            #expect(grid[x, y].style.background == .selectedBackground)
            #expect(grid.text.contains("enter apply"))
        }
    }

    /// Pinned tasks carry a marker (ASCII `*` without Unicode) and, under an adaptive strategy,
    /// the weight in force beside the user's; `u` unpins the selected task.
    @Test func pinnedTasksAreMarkedAndUUnpins() {
        var s = running
        s.strategy = .uw
        s.pinned = ["task1"]
        s.userWeights = [1, 2.5, 1]
        s.lossWeights = [0.8, 2.5, 1.4]
        for unicode in [true, false] {
            var state = ViewState()
            state.view = .controls
            state.unicode = unicode
            state.controlsRow = 2
            let text = Screen.render(s, state, Fixture.run.context, width: 120, height: 40).text
            let (pin, arrow) = unicode ? ("●", "→ ") : ("*", "->")
            #expect(text.contains("  \(pin) task1 weight 2.50  \(arrow) 2.50"), "\(text)")
            #expect(text.contains("    task0 weight 1.00  \(arrow) 0.800"), "\(text)")
            #expect(text.contains("pinned task1: the strategy leaves it (u unpins)"))
            #expect(text.contains(WeightingStrategy.uw.summary))
        }
        var state = ViewState()
        state.controlsRow = 1
        #expect(press([.character("u")], view: .controls, snapshot: s, &state) == [.command(.unpinLossWeight(task: "task1"))])
        state.controlsRow = 0
        #expect(press([.character("u")], view: .controls, snapshot: s, &state) == [])
        #expect(state.note == "task0 is not pinned (e types a weight and pins it)")
        state.controlsRow = s.tasks.count   // a layer
        #expect(press([.character("u")], view: .controls, snapshot: s, &state) == [])
        // Help and the footer say that typing a weight pins it.
        #expect(KeyMap.bindings.first { $0.action == .edit }!.help.contains("pin"))
        state = ViewState()
        state.view = .controls
        #expect(Screen.render(s, state, Fixture.run.context, width: 120, height: 40).row(39).contains("e type weight (pins it) · u unpin"))
    }
}
