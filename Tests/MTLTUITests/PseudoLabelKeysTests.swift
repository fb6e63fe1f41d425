import Foundation
import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// P: pseudo-labels on and off; the Controls view shows the rule and the last epoch's counts.
@Suite struct PseudoLabelKeysTests {
    func controls(_ s: TrainerSnapshot) -> Grid {
        var state = ViewState()
        state.view = .controls
        return Screen.render(s, state, Fixture.run.context, width: 150, height: 40)
    }

    func line(_ grid: Grid, containing text: String) -> String? {
        (0..<grid.height).map { grid.row($0) }.first { $0.contains(text) }
    }

    @Test func pTurnsTheRunsRuleOffAndBackOnInAnyView() {
        var s = Fixture.running
        s.pseudoPool = 120
        let rule = PseudoLabel(threshold: 0.9, startEpoch: 3, weight: 0.5)
        s.pseudoLabel = rule
        var state = ViewState()
        #expect(Fixture.press([.character("P")], view: .dashboard, snapshot: s, &state) == [.command(.setPseudoLabel(nil))])
        #expect(state.note == "pseudo-labels off from the next epoch")
        s.pseudoLabel = nil
        #expect(Fixture.press([.character("P")], view: .examples, snapshot: s, &state) == [.command(.setPseudoLabel(rule))])
        #expect(state.note == "pseudo-labels on from the next epoch: p ≥ 0.9 from epoch 3, weight 0.5 on 120 rows")
    }

    @Test func withoutARuleTheDefaultIfThereAreRowsElseANote() {
        var s = Fixture.running
        s.pseudoPool = 40
        var state = ViewState()
        #expect(Fixture.press([.character("P")], view: .controls, snapshot: s, &state)
                == [.command(.setPseudoLabel(PseudoLabel(threshold: 0.95, startEpoch: 1)))])
        s.pseudoPool = 0
        #expect(Fixture.press([.character("P")], view: .controls, snapshot: s, &state) == [])
        #expect(state.note == "no training row lacks every label: nothing to pseudo-label (--unlabeled FILE adds rows)")
        // The note is drawn in the status line.
        let grid = Screen.render(s, state, Fixture.run.context, width: 150, height: 40)
        #expect(line(grid, containing: "nothing to pseudo-label") != nil)
        s.pseudoPool = 40
        s.state = .finished
        #expect(Fixture.press([.character("P")], view: .controls, snapshot: s, &state) == [])
        #expect(state.note == "training has ended")
    }

    @Test func theControlsViewShowsTheRuleAndTheLastEpochsCounts() throws {
        var s = Fixture.running
        s.pseudoPool = 250
        let off = try #require(line(controls(s), containing: "pseudo-labels"))
        #expect(off.contains("pseudo-labels off · 250 unlabelled training rows (P)"))
        s.pseudoLabel = PseudoLabel(threshold: 0.95, startEpoch: 2)
        try #require(!s.history.isEmpty)
        s.history[s.history.count - 1].pseudoLabels = [212, 187, 0]
        let epoch = s.history[s.history.count - 1].epoch
        let grid = controls(s)
        #expect(line(grid, containing: "pseudo-labels p ≥ 0.95 from epoch 2 on 250 rows (P)") != nil)
        #expect(line(grid, containing: "epoch \(epoch) pseudo-labelled: task0 212 · task1 187 · task2 0") != nil)
    }

    @Test func theHelpViewListsTheKey() {
        var state = ViewState()
        state.view = .help
        let grid = Screen.render(Fixture.running, state, Fixture.run.context, width: 150, height: 60)
        #expect((0..<60).contains { grid.row($0).contains("pseudo-labels on or off from the next epoch") })
    }
}
