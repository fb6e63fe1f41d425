import Foundation
import MTLData
import Testing
@testable import MTLEngine
@testable import MTLTUI

/// View 4 of a regression task: predicted against true as a density grid with y = x marked,
/// the errors beside it, and enter listing a cell's rows.
@Suite struct RegressionViewTests {
    /// (true, predicted) of the validation rows, in the data's units: quarters, exact in a Float.
    /// 0 and 12 set the range, so each of the 12 bins is 1 wide; (2.5, 7.5) is alone in its
    /// cell, 4 rows share (5, 5), the fullest.
    static let points: [(Double, Double)] = [(0, 0), (12, 12), (2.5, 7.5), (5.25, 5.5), (5.5, 5.25), (5.75, 5.75), (5.5, 5.75),
                                             (8.5, 6.25), (9.25, 10.5), (3.25, 1.75), (6.5, 6.25), (10.75, 8.25), (1.25, 0.5)]
    /// After them: a row without a label (its wild prediction must count nowhere) and one whose
    /// prediction is not finite.
    static let unlabelled = 100.0

    /// Task 0 regression (standardised with mean 1, std 2), task 1 multiclass. Three epochs;
    /// early stopping kept epoch 2, whose weights the examples were evaluated with.
    static func run(kept: Bool = true) -> (TrainerSnapshot, WorkbenchContext) {
        let n = points.count + 2
        var s = TrainerSnapshot()
        s.state = kept ? .finished : .running
        s.tasks = ["score", "species"]
        s.taskKinds = [.regression, .multiclass]
        s.classes = [[], ["a", "b", "c"]]
        let predictions = points.map { Float($0.1) } + [Float(unlabelled), .nan]
        s.examples = ExampleTable(rows: Array(0..<n), losses: [(0..<n).map { $0 == points.count ? .nan : Float($0) }, [Float](repeating: 1, count: n)],
                                  outputs: [predictions, [Float](repeating: 1.0 / 3, count: 3 * n)], widths: [1, 3], step: kept ? 20 : 30)
        var score = TaskMetrics(loss: 0.5, count: n - 1)
        score.mae = 0.9
        s.history = (1...3).map { EpochRecord(epoch: $0, step: 10 * $0, train: [], validation: [score, TaskMetrics(loss: 1, count: n)],
                                              validationTotal: 1.5, seconds: 1, learningRate: 0.01) }
        if kept {
            s.restoredEpoch = 2
            s.keptValidation = s.history[1].validation
        }
        let truths = points.map { Float(($0.0 - 1) / 2) } + [0, 0.5]
        var mask = [Float](repeating: 1, count: n)
        mask[points.count] = 0
        let ones = [Float](repeating: 1, count: n)
        let context = WorkbenchContext(
            title: "regression", tasks: s.tasks, kinds: s.taskKinds, classes: s.classes, inputText: (0..<n).map { "row \($0)" },
            targets: [TaskTargets(width: 1, values: truths, mask: mask, weights: ones),
                      TaskTargets(width: 1, values: [Float](repeating: 0, count: n), mask: ones, weights: ones)],
            scales: [(1, 2), (0, 1)], image: nil, features: [], featureWidth: 0)
        return (s, context)
    }

    static func render(_ run: (TrainerSnapshot, WorkbenchContext), width: Int, height: Int, unicode: Bool = true,
                       _ adjust: (inout ViewState) -> Void = { _ in }) -> Grid {
        var state = ViewState()
        state.view = .confusion
        state.unicode = unicode
        adjust(&state)
        return Screen.render(run.0, state, run.1, width: width, height: height)
    }

    /// The grid's plot area, found from its axis corner (`└`, `+` in ASCII) under the y axis.
    struct Plot { var x: Int, y: Int, width: Int, height: Int }

    static func plot(_ grid: Grid, unicode: Bool = true) throws -> Plot {
        let (corner, vertical, horizontal) = unicode ? ("└", "│", "─") : ("+", "|", "-")
        let bottom = try #require((2..<grid.height).first { grid[8, $0].text == corner && grid[9, $0].text == horizontal }, "\(grid.text)")
        let height = (0..<bottom).reversed().prefix { grid[8, $0].text == vertical }.count
        let width = (9..<grid.width).prefix { grid[$0, bottom].text == horizontal }.count
        return Plot(x: 9, y: bottom - height, width: width, height: height)
    }

    /// The cells of bin (true, predicted), predicted counted from the bottom.
    static func cells(_ p: Plot, truth: Int, predicted: Int) -> [(x: Int, y: Int)] {
        let w = p.width / 12, h = p.height / 12
        return (0..<h).flatMap { dy in (0..<w).map { dx in (p.x + truth * w + dx, p.y + (11 - predicted) * h + dy) } }
    }

    /// The quantile as NumPy's default computes it: linear between the nearest ranks.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1), below = Int(position)
        let above = min(below + 1, sorted.count - 1)
        return sorted[below] + (sorted[above] - sorted[below]) * (position - Double(below))
    }

    @Test(arguments: [(80, 24, 1), (120, 40, 2)])
    func theGridPlacesEachRowInItsCellWithTheDiagonalMarked(width: Int, height: Int, binHeight: Int) throws {
        let grid = Self.render(Self.run(), width: width, height: height)
        #expect(!grid.text.contains("no confusion matrix"), "\(grid.text)")
        #expect(grid.row(2).hasPrefix(" score · validation, kept epoch 2 · predicted ↑ against true →"), "\(grid.text)")
        let p = try Self.plot(grid)
        // Square bins: twice as wide as high, 12 each way.
        #expect(p.height == 12 * binHeight && p.width == 24 * binHeight, "\(p)")
        // The axes: the range of every labelled finite value, the same on both.
        #expect(grid.row(p.y).hasPrefix("    12.0│") && grid.row(p.y + p.height - 1).hasPrefix("       0│"), "\(grid.text)")
        #expect(grid.row(p.y + p.height + 1).dropFirst(9).hasPrefix("0 ") && grid.row(p.y + p.height + 1).contains("12.0 "), "\(grid.text)")
        // The known point alone in its cell: the lightest shade, in the task's colour; the cell
        // above it and the one right of it are empty.
        for c in Self.cells(p, truth: 2, predicted: 7) {
            #expect(grid[c.x, c.y].text == "░" && grid[c.x, c.y].style.foreground == .task1, "\(c) \(grid.text)")
        }
        for c in Self.cells(p, truth: 2, predicted: 8) + Self.cells(p, truth: 3, predicted: 7) { #expect(grid[c.x, c.y].text == " ") }
        // The fullest cell, on the diagonal: the darkest shade, green.
        for c in Self.cells(p, truth: 5, predicted: 5) {
            #expect(grid[c.x, c.y].text == "█" && grid[c.x, c.y].style.foreground == .good, "\(grid.text)")
        }
        // An empty cell on y = x draws the line through it, bottom left to top right.
        let diagonal = Self.cells(p, truth: 7, predicted: 7)
        for c in diagonal {
            let row = (c.y - p.y) % binHeight, column = (c.x - p.x) % (2 * binHeight)
            #expect(grid[c.x, c.y].text == (column / 2 == binHeight - 1 - row ? "╱" : " "), "\(c) \(grid.text)")
        }
        #expect(grid.text.contains("░▒▓█ 1 to 4 rows a cell") && grid.text.contains("╱ y = x"), "\(grid.text)")
        // The selected cell (bottom left at first) in words, highlighted.
        #expect(grid.row(3).hasPrefix(" true 0 to 1.00 → predicted 0 to 1.00 · 1 of 13 rows · enter lists them"), "\(grid.row(3))")
        #expect(Self.cells(p, truth: 0, predicted: 0).allSatisfy { grid[$0.x, $0.y].style.background == .selectedBackground })
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func theNumbersBesideTheGridAreTheRowsErrors(width: Int, height: Int) throws {
        let grid = Self.render(Self.run(), width: width, height: height)
        let truths: [Double] = Self.points.map(\.0), predictions: [Double] = Self.points.map(\.1)
        let residuals: [Double] = zip(predictions, truths).map { $0 - $1 }
        let n = Double(residuals.count)
        let mean: Double = truths.reduce(0, +) / n
        let squares: Double = residuals.map { $0 * $0 }.reduce(0, +)
        let total: Double = truths.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
        let rmse = (squares / n).squareRoot()
        let mae: Double = residuals.map { abs($0) }.reduce(0, +) / n
        let r2 = 1 - squares / total
        let bias: Double = residuals.reduce(0, +) / n
        let text = grid.text
        func expectLine(_ name: String, _ value: String) {
            let line = (0..<height).map(grid.row).first { $0.contains(" \(name.padded(8))") }
            #expect(line?.contains(name.padded(8) + value.leftPadded(9)) == true, "\(name) \(value) in \(text)")
        }
        expectLine("n", "13")
        #expect(text.contains("13  (1 non-finite left out)"), "\(text)")
        expectLine("RMSE", String(format: "%.3f", rmse))
        expectLine("MAE", String(format: "%.3f", mae))
        expectLine("R²", String(format: "%.3f", r2))
        expectLine("bias", String(format: "%+.3f", bias))
        let sorted = residuals.sorted()
        for (name, q) in [("min", 0.0), ("10%", 0.1), ("25%", 0.25), ("median", 0.5), ("75%", 0.75), ("90%", 0.9), ("max", 1.0)] {
            let v = Self.quantile(sorted, q)
            expectLine(name, v == 0 ? "0.000" : String(format: "%+.3f", v))
        }
        // The histogram's range is the largest residual either way, 0 in the middle.
        let reach = sorted.map(abs).max()!
        #expect(text.contains(String(format: "%.3g", -reach)) && text.contains(String(format: "%.3g", reach)), "\(text)")
        #expect(text.contains("▁") || text.contains("█"), "\(text)")
    }

    @Test(arguments: [(80, 24), (60, 20), (120, 40)])
    func withoutUnicodeEveryCellIsASCII(width: Int, height: Int) throws {
        let grid = Self.render(Self.run(), width: width, height: height, unicode: false)
        #expect(grid.text.utf8.allSatisfy { $0 < 0x80 }, "\(grid.text)")
        let p = try Self.plot(grid, unicode: false)
        #expect(Self.cells(p, truth: 2, predicted: 7).allSatisfy { grid[$0.x, $0.y].text == "." }, "\(grid.text)")
        #expect(Self.cells(p, truth: 5, predicted: 5).allSatisfy { grid[$0.x, $0.y].text == "#" }, "\(grid.text)")
        #expect(Self.cells(p, truth: 7, predicted: 7).contains { grid[$0.x, $0.y].text == "/" }, "\(grid.text)")
        #expect(grid.text.contains(".:*# 1 to 4 rows a cell") && grid.text.contains("R2 "), "\(grid.text)")
    }

    /// Arrows move the selected cell (up: a higher prediction); enter lists its rows alone.
    @Test func enterListsTheSelectedCellsRows() throws {
        let run = Self.run()
        var state = ViewState()
        state.view = .confusion
        for key: Key in [.right, .right, .up, .up, .up, .up, .up, .up, .up, .up, .down] {
            _ = Controller.handle(key, state: &state, snapshot: run.0, context: run.1)
        }
        var grid = Screen.render(run.0, state, run.1, width: 80, height: 24)
        #expect(grid.row(3).hasPrefix(" true 2.00 to 3.00 → predicted 7.00 to 8.00 · 1 of 13 rows"), "\(grid.text)")
        #expect(grid.row(23).hasPrefix(" arrows select a cell · enter lists its rows"), "\(grid.row(23))")
        _ = Controller.handle(.enter, state: &state, snapshot: run.0, context: run.1)
        #expect(state.view == .examples)
        let examples = try #require(run.0.examples)
        #expect(ExampleList.indices(examples, state: state, context: run.1) == [2])
        grid = Screen.render(run.0, state, run.1, width: 120, height: 40)
        #expect(grid.row(2).contains("1 of 15 validation examples by loss") && grid.row(2).contains("true 2.00 to 3.00, predicted 7.00 to 8.00"),
                "\(grid.row(2))")
        // esc clears the filter: every labelled row again.
        _ = Controller.handle(.escape, state: &state, snapshot: run.0, context: run.1)
        #expect(state.valueCell == nil && ExampleList.indices(examples, state: state, context: run.1).count == 14)
        // T: the next task's matrix starts at its first cell, not at this grid's.
        state.view = .confusion
        _ = Controller.handle(.character("T"), state: &state, snapshot: run.0, context: run.1)
        #expect(state.task == 1 && state.confusionRow == 0 && state.confusionColumn == 0)
    }

    /// While the run trains the rows are the latest epoch's.
    @Test func aRunningRunShowsItsLatestEpoch() {
        let grid = Self.render(Self.run(kept: false), width: 80, height: 24)
        #expect(grid.row(2).hasPrefix(" score · validation, epoch 3 ·"), "\(grid.row(2))")
    }

    /// A watched stream sends its hardest rows only: no grid, its reported errors instead.
    @Test func aWatchedStreamShowsItsErrorsAndWhyNoGrid() {
        var (s, context) = Self.run()
        s.keptValidation = nil
        s.restoredEpoch = nil
        s.history[2].validation[0].rmse = 1.25
        s.history[2].validation[0].r2 = 0.5
        context.watched = [:]
        let grid = Self.render((s, context), width: 120, height: 40)
        #expect(grid.row(2).hasPrefix(" score · validation, epoch 3 · from the stream"), "\(grid.text)")
        for line in ["RMSE        1.250", "MAE         0.900", "R²          0.500", "n              14  (validation rows)"] {
            #expect(grid.text.contains(line), "\(line) in \(grid.text)")
        }
        #expect(grid.text.contains("no predicted-against-true grid: a stream sends its hardest validation rows only"), "\(grid.text)")
    }
}
