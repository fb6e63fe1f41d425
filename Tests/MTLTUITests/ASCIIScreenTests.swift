import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// `--ascii` (and a terminal without UTF-8): every cell of every screen is ASCII, whatever the
/// screens or the data would draw, and each glyph the screens draw has a stand-in of its own.
@Suite struct ASCIIScreenTests {
    /// Every view (the binary task's curves and the regression's grid in view 4), while training and finished, with two
    /// runs' legend, the pickers and an example's detail open.
    static func screens(unicode: Bool) -> [(name: String, grid: Grid)] {
        let two = RunsOverlay(runs: [RunsViewTests.origin, RunsViewTests.branch(fork: Fixture.run.snapshot.step / 2)], selected: 0)
        let baselines = BaselineColumnTests.runner([BaselineColumnTests.result(0), BaselineColumnTests.result(1),
                                                    BaselineColumnTests.result(2)]).snapshot
        var screens: [(String, Grid)] = []
        for snapshot in [Fixture.run.snapshot, Fixture.running] {
            for view in View.allCases {
                for task in [0, 1, 2] {
                    var state = ViewState()
                    state.unicode = unicode
                    state.view = view
                    state.task = task
                    let grid = Screen.render(snapshot, state, Fixture.run.context, width: 140, height: 50, baselines: baselines, runs: two)
                    screens.append(("view \(view.rawValue), task \(task), \(snapshot.state)", grid))
                }
            }
        }
        var state = ViewState()
        state.unicode = unicode
        _ = Fixture.press([.enter], view: .examples, snapshot: Fixture.run.snapshot, &state)
        screens.append(("example detail", Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 140, height: 50)))
        for key: Character in ["W", "L"] {
            var picker = ViewState()
            picker.unicode = unicode
            _ = Fixture.press([.character(key)], view: .controls, snapshot: Fixture.running, &picker)
            screens.append(("picker \(key)", Screen.render(Fixture.running, picker, Fixture.run.context, width: 140, height: 50)))
        }
        var small = ViewState()
        small.unicode = unicode
        screens.append(("too small", Screen.render(Fixture.run.snapshot, small, Fixture.run.context, width: 40, height: 10)))
        return screens
    }

    @Test func everyCellIsASCIIWithoutUnicode() {
        for (name, grid) in Self.screens(unicode: false) {
            let bad = grid.cells.filter { !$0.text.utf8.allSatisfy { $0 < 0x80 } }.map(\.text)
            #expect(bad.isEmpty, "\(name): \(Set(bad).sorted())")
            #expect(grid.text.utf8.allSatisfy { $0 < 0x80 }, "\(name)")
            // Wide characters of the data become two cells of `?`: the rows keep their width.
            #expect((0..<grid.height).allSatisfy { grid.row($0).count == grid.width }, "\(name)")
        }
    }

    /// A glyph with no stand-in would become `?`: each one the screens draw (the data's own
    /// words aside) has its own.
    @Test func everyGlyphTheScreensDrawHasAStandIn() {
        let data = Set(Fixture.run.context.inputText.joined())
        var drawn = Set<Character>()
        for (_, grid) in Self.screens(unicode: true) {
            for cell in grid.cells { drawn.formUnion(cell.text.filter { !$0.isASCII && !data.contains($0) }) }
        }
        #expect(drawn.contains("·") && drawn.contains("×"), "the screens draw these: the check sees them")
        let missing = drawn.filter { ASCIIStandIn.table[$0] == nil && !$0.unicodeScalars.allSatisfy { (0x2800...0x28FF).contains($0.value) } }
        #expect(missing.isEmpty, "\(missing.sorted())")
    }

    @Test func standInsKeepColumns() {
        #expect(ASCIIStandIn.text("epoch 2 · 3×3 Δp ≥ 0.5 日本 café") == "epoch 2 - 3x3 dp > 0.5 ???? cafe")
        #expect(ASCIIStandIn.cell("⣿") == "." && ASCIIStandIn.cell("\u{2800}") == " " && ASCIIStandIn.cell("😀") == "?")
        #expect(Terminal.ascii("日") == "??" && Terminal.ascii("·") == "-" && Terminal.ascii("") == "")
        var grid = Grid(width: 12, height: 1)
        grid.asciiOnly = true
        grid.put("a·b 日本語…", x: 0, y: 0)
        #expect(grid.row(0) == "a-b ??????~ ")
    }
}
