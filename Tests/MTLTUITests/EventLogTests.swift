import Foundation
import MTLEngine
import Testing
@testable import MTLTUI

/// The Controls view's event log wraps a long event (a wide fit's grid of Cs) instead of
/// cutting it at the screen's edge, and keeps the latest events when they do not all fit.
@Suite struct EventLogTests {
    @Test func longEventsWrapAndTheLatestStayInView() {
        var s = Fixture.run.snapshot
        let grid = (0..<30).map { "C=\($0) 0.\(600 + $0) (40 it)" }.joined(separator: ", ")
        s.events = (0..<40).map { TrainerEvent.reported(step: $0, epoch: 0, kind: .info, message: "event \($0)") }
            + [TrainerEvent.reported(step: 40, epoch: 0, kind: .info, message: "wide fit: polarity C=100 by validation macro_f1 [\(grid)] in 8.5 s")]
        var state = ViewState()
        state.view = .controls
        let screen = Screen.render(s, state, Fixture.run.context, width: 120, height: 40)
        let rows = (0..<screen.height).map { screen.row($0) }
        // The message's end is on screen, lines below its start.
        let start = rows.firstIndex { $0.contains("step 40  wide fit: polarity") }
        let end = rows.lastIndex { $0.contains("(40 it)] in 8.5 s") }
        #expect(start != nil && end != nil && end! > start!, "\(rows.joined(separator: "\n"))")
        // The oldest events gave way; the one before the last is still shown.
        #expect(rows.contains { $0.contains("step 39  event 39") })
        #expect(!rows.contains { $0.contains("step 0  event 0 ") })
    }
}
