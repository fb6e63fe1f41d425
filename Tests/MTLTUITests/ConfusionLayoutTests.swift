import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// Many classes at 80×24: the matrix fits with numbered column heads (the row labels carry
/// the numbers: the legend), or scrolls to keep the selected cell on screen.
@Suite struct ConfusionLayoutTests {
    static let fashion = ["Ankle boot", "Bag", "Coat", "Dress", "Pullover", "Sandal", "Shirt", "Sneaker", "T-shirt/top", "Trouser"]

    /// The fixture's run with task0 given `classes` and a diagonal-heavy matrix over them.
    static func run(classes: [String]) -> (snapshot: TrainerSnapshot, context: WorkbenchContext) {
        var (snapshot, context) = Fixture.run
        let n = classes.count
        context.classes[0] = classes
        var metrics = snapshot.history[snapshot.history.count - 1].validation[0]
        metrics.confusion = (0..<n).map { r in (0..<n).map { c in r == c ? 8 + r % 3 : (r + c) % 4 == 0 ? 1 : 0 } }
        metrics.precision = Array(repeating: 0.5, count: n)
        metrics.recall = Array(repeating: 0.5, count: n)
        metrics.accuracy = 0.75
        snapshot.history[snapshot.history.count - 1].validation[0] = metrics
        return (snapshot, context)
    }

    static func render(classes: [String], width: Int = 80, height: Int = 24, _ adjust: (inout ViewState) -> Void = { _ in }) -> Grid {
        let (snapshot, context) = run(classes: classes)
        var state = ViewState()
        state.view = .confusion
        adjust(&state)
        return Screen.render(snapshot, state, context, width: width, height: height)
    }

    @Test func tenClassesFitAt80x24() {
        let grid = Self.render(classes: Self.fashion)
        let rows = (2..<23).map(grid.row)
        #expect(!rows.contains { $0.contains("…") }, "\(grid.text)")
        #expect(grid.row(2).contains("accuracy 0.750"), "\(grid.text)")
        // Every column's head and every row's count, its label numbered as the heads are.
        let heads = grid.row(4).split(separator: " ").compactMap { Int($0) }
        #expect(heads == Array(1...10), "\(grid.row(4))")
        for (r, name) in Self.fashion.enumerated() {
            let row = rows.first { $0.hasPrefix(String(format: " %2d %@ ", r + 1, name)) }
            #expect(row != nil, "\(name) in \(grid.text)")
            #expect(row.map { $0.split(separator: " ").filter { Int($0) != nil }.count } == 11, "\(row ?? "")")
        }
        #expect(grid.row(3).hasPrefix(" true Ankle boot → predicted Ankle boot · 8 of "), "\(grid.row(3))")
    }

    /// 30 classes do not fit: the columns around the selected cell are shown, with arrows
    /// where more lie, and the selected cell is always among them.
    @Test(arguments: [0, 14, 29])
    func manyClassesScrollToTheSelectedCell(column: Int) throws {
        let classes = (1...30).map { "class \($0)" }
        let grid = Self.render(classes: classes) { $0.confusionColumn = column; $0.confusionRow = column }
        let selected = (0..<grid.height).flatMap { y in (0..<grid.width).map { (x: $0, y: y) } }
            .filter { grid[$0.x, $0.y].style.background == .selectedBackground && $0.y > 1 && $0.y < grid.height - 1 }
        #expect(!selected.isEmpty, "\(grid.text)")
        let heads = grid.row(4).split { " ‹›".contains($0) }.compactMap { Int($0) }
        #expect(heads.contains(column + 1) && heads.count < 30, "\(grid.row(4))")
        #expect(grid.row(4).contains("‹") == (heads.first! > 1) && grid.row(4).contains("›") == (heads.last! < 30), "\(grid.row(4))")
        #expect(grid.row(3).contains("columns \(heads.first!)–\(heads.last!) of 30"), "\(grid.row(3))")
    }

    /// `l` moves right in the confusion view as `h` moves left; elsewhere `l` keeps its meaning.
    @Test func lMovesRightAsHMovesLeft() {
        var state = ViewState()
        state.confusionColumn = 2
        _ = Fixture.press([.character("l")], view: .confusion, snapshot: Fixture.run.snapshot, &state)
        #expect(state.confusionColumn == 2, "task0 has 3 classes: the last column stays")
        _ = Fixture.press([.character("h"), .character("h"), .character("l")], view: .confusion, snapshot: Fixture.run.snapshot, &state)
        #expect(state.confusionColumn == 1)
        var dashboard = ViewState()
        _ = Fixture.press([.character("l")], view: .dashboard, snapshot: Fixture.run.snapshot, &dashboard)
        #expect(dashboard.logY)
    }
}

extension ConfusionLayoutTests {
    /// `enter` on a cell lists its rows; at 80 columns the pair's class names stay whole.
    @Test func theListOfACellsRowsNamesThePairWhole() {
        let (snapshot, context) = Self.run(classes: Self.fashion)
        var state = ViewState()
        state.view = .examples
        state.pair = ViewState.Pair(truth: 8, predicted: 4)
        let header = Screen.render(snapshot, state, context, width: 80, height: 24).row(2)
        #expect(header.contains("true T-shirt/top → predicted Pullover") && !header.contains("…"), "\(header)")
    }
}

extension ConfusionLayoutTests {
    /// The last column of each run of non-blank cells in `row` from `x`.
    static func ends(_ row: String, from x: Int) -> [Int] {
        let cells = Array(row)
        return cells.indices.filter { $0 >= x && cells[$0] != " " && ($0 + 1 == cells.count || cells[$0 + 1] == " ") }
    }

    /// Names over the columns (digits' "0"…"9", or words) end where their column's counts end.
    @Test(arguments: [(80, 24), (120, 40)])
    func columnHeadsAreRightAlignedOverTheirCounts(width: Int, height: Int) {
        for classes in [(0...9).map(String.init), ["cat", "dog", "horse"], ["a", "bb", "a longer one"]] {
            let grid = Self.render(classes: classes, width: width, height: height)
            let head = grid.row(4)
            #expect(classes.allSatisfy(head.contains), "\(grid.text)")
            // Each head's last column, by name (the heads row holds nothing else).
            let heads = classes.map { name -> Int in
                let start = head.range(of: " " + name)!.lowerBound
                return head.distance(from: head.startIndex, to: start) + name.count
            }
            let labelEnd = 1 + classes.map(\.count).max()!
            for r in classes.indices {
                let row = grid.row(5 + r)
                // The counts: the runs of digits after the row's label.
                let cells = Array(row)
                let counts = cells.indices.filter { $0 > labelEnd && cells[$0].isNumber && ($0 + 1 == cells.count || !cells[$0 + 1].isNumber) }
                #expect(counts == heads, "\(classes) row \(r) at \(width): heads end \(heads)\n\(head)\n\(row)")
            }
        }
    }
}
