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

    /// Clusters of several scalars take one cell (two with the continuation when wide), so
    /// whatever follows them starts at the same column in every row.
    @Test func graphemeClustersKeepTheColumnsAfterThemInLine() {
        let labels = ["👨‍👩‍👧‍👦 fam", "🇫🇷 fr", "cafe\u{301}", "日本語", "plain"]
        var grid = Grid(width: 20, height: labels.count)
        for (y, label) in labels.enumerated() {
            grid.put(label.padded(8), x: 0, y: y)
            grid.put("|next", x: 8, y: y)
        }
        for y in labels.indices {
            #expect(grid[8, y].text == "|" && grid.row(y).hasSuffix("|next" + String(repeating: " ", count: 7)), "\(grid.row(y))")
            #expect(columns(grid, y) == 20)
        }
        #expect(grid[0, 0].text == "👨‍👩‍👧‍👦" && grid[1, 0].text == "" && grid[2, 0].text == " ")
        #expect(grid[0, 1].text == "🇫🇷" && grid[1, 1].text == "")
        #expect(grid[3, 2].text == "e\u{301}" && grid[4, 2].text == " ")
    }

    @Test func overwritingHalfAWideCharacterBlanksTheOtherHalf() {
        var grid = Grid(width: 6, height: 2)
        grid.put("日本語", x: 0, y: 0)
        grid.put("x", x: 1, y: 0)          // the right half of 日
        grid.put("y", x: 2, y: 0)          // the left half of 本
        #expect(grid.row(0) == " xy 語")
        #expect(columns(grid, 0) == 6)
        grid.put("👨‍👩‍👧‍👦👨‍👩‍👧‍👦", x: 0, y: 1)
        grid.put("ab", x: 1, y: 1)
        #expect(grid.row(1) == " ab   ")
        #expect(columns(grid, 1) == 6)
    }

    /// Views 3 and 4 place their columns by display width, not by the count of characters.
    @Test func hardExamplesAndConfusionAlignWithWideLabels() {
        var wide = Fixture.run.snapshot
        wide.tasks = ["日本語日本語日本語", "👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦", "cafe\u{301}cafe\u{301}"]
        // ASCII names of the same display widths (the loss columns are as wide as the names).
        var ascii = Fixture.run.snapshot
        ascii.tasks = wide.tasks.map { String(repeating: "x", count: TextWidth.of($0)) }
        var state = ViewState()
        state.view = .examples
        let plain = Screen.render(ascii, state, Fixture.run.context, width: 160, height: 40)
        let shown = Screen.render(wide, state, Fixture.run.context, width: 160, height: 40)
        func inputColumn(_ grid: Grid) -> Int? { (0..<grid.width - 5).first { x in (0..<5).allSatisfy { grid[x + $0, 3].text == Array("input")[$0].description } } }
        #expect(inputColumn(plain) != nil && inputColumn(shown) == inputColumn(plain), "\(shown.row(3))")

        var context = Fixture.run.context
        context.classes[0] = ["👨‍👩‍👧‍👦", "🇫🇷 flag", "日本語のクラス名"]
        state.view = .confusion
        let confusion = Screen.render(Fixture.run.snapshot, state, context, width: 120, height: 40)
        let matrix = Fixture.run.snapshot.history.last!.validation[0].confusion!
        // Every matrix row: the label, then the counts at the same columns.
        let rows = (0..<confusion.height).filter { y in matrix.indices.contains { confusion.row(y).contains(String(format: "%5d ", matrix[$0][0])) } }
        let starts = rows.map { y in (0..<confusion.width).first { x in confusion[x, y].text.first?.isNumber == true } }
        #expect(rows.count >= 3 && Set(starts).count == 1, "\(rows.map { confusion.row($0) })")
        for y in 0..<confusion.height { #expect(columns(confusion, y) == 120) }
        // The row labels are cut to the label column with an ellipsis, never overwritten by the counts.
        #expect(rows.contains { confusion.row($0).hasPrefix(" 日本語のクラス…") } && rows.contains { confusion.row($0).hasPrefix(" 👨‍👩‍👧‍👦") },
                "\(rows.map { confusion.row($0) })")
    }

    @Test func theTerminalDrawsAClusterAtTheWidthTheGridGaveIt() {
        // A wcwidth-like measure: emoji and CJK 2, joiners and combining marks 0, others 1.
        func measure(_ s: Unicode.Scalar) -> Int {
            if s.value == 0x200D || s.value == 0xFE0F || s.properties.generalCategory == .nonspacingMark { return 0 }
            return s.properties.isEmojiPresentation && !(0x1F1E6...0x1F1FF).contains(s.value) || (0x3000...0x9FFF).contains(s.value) ? 2 : 1
        }
        #expect(Terminal.drawable("x", scalarWidth: measure) == "x")
        #expect(Terminal.drawable("日", scalarWidth: measure) == "日")
        #expect(Terminal.drawable("e\u{301}", scalarWidth: measure) == "e\u{301}")
        #expect(Terminal.drawable("🇫🇷", scalarWidth: measure) == "🇫🇷")          // 1 + 1: as the grid says
        #expect(Terminal.drawable("👨‍👩‍👧‍👦", scalarWidth: measure) == "👨")          // 8 columns to ncurses: the first stands in
        #expect(Terminal.drawable("👍🏽", scalarWidth: measure) == "👍")
        #expect(Terminal.drawable("❤\u{FE0F}", scalarWidth: measure) == "❤ ")     // 1 column to ncurses, 2 in the grid
    }

    @Test func leavingClearsTheScreenOnlyWithoutAnAlternateScreen() {
        #expect(Terminal.clearsOnExit(alternateScreen: nil))          // TERM=linux, vt100
        #expect(Terminal.clearsOnExit(alternateScreen: ""))
        #expect(!Terminal.clearsOnExit(alternateScreen: "\u{1B}[?1049h"))
    }
}
