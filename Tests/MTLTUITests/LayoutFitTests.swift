import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// Text that does not fit its place: whole fields yield, hints go first, and whatever is still
/// cut ends in `…` where the terminal shows it.
@Suite struct LayoutFitTests {
    /// The last row's last cell is never drawn (`Terminal` leaves it alone), so a note cut
    /// there lost its ellipsis: notes end a column early, dropping their hints first.
    @Test func aLongNoteInTheStatusLineDropsItsHintThenEndsInAnEllipsis() {
        var state = ViewState()
        state.note = "only training rows are dropped or weighted; on validation rows, r relabels (it fixes evaluation)"
        let footer = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 80, height: 24).row(23)
        #expect(footer == " only training rows are dropped or weighted; on validation rows, r relabels".padded(80), "\(footer)")
        state.note = String(repeating: "word ", count: 30)
        let cut = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 80, height: 24).row(23)
        #expect(cut.hasSuffix("… "), "\(cut)")
    }
}
