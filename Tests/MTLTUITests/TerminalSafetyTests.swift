import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// Data shown in the workbench: controls are visible and inert, grapheme clusters keep columns.
@Suite struct TerminalSafetyTests {
    /// The cells of a row as the terminal shows them: a wide cell covers its continuation.
    func columns(_ grid: Grid, _ y: Int) -> Int {
        (0..<grid.width).reduce(0) { $0 + (grid[$1, y].text.isEmpty ? 0 : max(TextWidth.of(grid[$1, y].text), 1)) }
    }

    @Test func controlsInDataAreShownAsAStandInNeverWritten() {
        var grid = Grid(width: 30, height: 1)
        grid.put("a\u{1B}]0;pwned\u{7}b\u{1B}[2J", x: 0, y: 0)
        #expect(grid.row(0).hasPrefix("a\u{FFFD}]0;pwned\u{FFFD}b\u{FFFD}[2J"))
        #expect(!grid.cells.contains { $0.text.unicodeScalars.contains(where: TerminalText.isUnsafe) })
    }

    @Test func aLabelWithEscapesIsNeutralisedInEveryView() {
        var snapshot = Fixture.run.snapshot
        snapshot.tasks[0] = "evil\u{1B}]0;pwned\u{7}"
        var context = Fixture.run.context
        context.classes[0][1] = "c\u{1B}[2J"
        for view in View.allCases {
            var state = ViewState()
            state.view = view
            let grid = Screen.render(snapshot, state, context, width: 160, height: 48)
            #expect(!grid.cells.contains { $0.text.unicodeScalars.contains(where: TerminalText.isUnsafe) }, "\(view)")
            if view != .help { #expect(grid.text.contains("evil\u{FFFD}]0;pwned\u{FFFD}"), "\(view)") }
        }
    }
}
