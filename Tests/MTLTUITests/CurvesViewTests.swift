import Testing
import MTLData
@testable import MTLEngine
@testable import MTLTUI

/// View 4 of a binary or multi-label task: ROC and PR curves, the threshold in use marked, a
/// cursor along the PR curve, and enter listing the rows its threshold gets wrong.
@Suite struct CurvesViewTests {
    // Eight validation rows, highest score first. At 0.5: TP rows 0, 1, 3; FP row 2; FN row 4.
    static let scores: [Float] = [0.95, 0.85, 0.7, 0.6, 0.45, 0.3, 0.2, 0.1]
    static let truths: [Float] = [1, 1, 0, 1, 1, 0, 0, 0]

    /// Task 0 binary ("sex"), task 1 multiclass, task 2 multi-label with two labels (tuned
    /// thresholds 0.5 and 0.3, carried by the examples).
    static func run() -> (TrainerSnapshot, WorkbenchContext) {
        let n = scores.count
        let tagScores: [Float] = (0..<n).flatMap { [scores[$0], scores[n - 1 - $0]] }
        let tagTruths: [Float] = (0..<n).flatMap { [truths[$0], truths[n - 1 - $0]] }
        var s = TrainerSnapshot()
        s.tasks = ["sex", "species", "tags"]
        s.taskKinds = [.binary, .multiclass, .multilabel]
        s.classes = [["female", "male"], ["a", "b", "c"], ["red", "blue"]]
        s.examples = ExampleTable(rows: Array(0..<n), losses: [[Float](repeating: 0.5, count: n), [Float](repeating: 1, count: n),
                                                              [Float](repeating: 0.7, count: n)],
                                  outputs: [scores, [Float](repeating: 1.0 / 3, count: 3 * n), tagScores], widths: [1, 3, 2], step: 40)
        // The run has ended: its examples are read with the thresholds tuned on validation,
        // while the epoch's record keeps the 0.5 it was measured at during training.
        s.examples!.thresholds = [nil, nil, [0.5, 0.3]]
        var tags = TaskMetrics(loss: 0.7, count: n)
        tags.thresholds = [0.5, 0.5]
        s.history = [EpochRecord(epoch: 1, step: 40, train: [], validation: [TaskMetrics(loss: 0.5, count: n), TaskMetrics(loss: 1, count: n), tags],
                                 validationTotal: 2.2, seconds: 1, learningRate: 0.01)]
        let ones = [Float](repeating: 1, count: n)
        let context = WorkbenchContext(
            title: "curves", tasks: s.tasks, kinds: s.taskKinds, classes: s.classes, inputText: (0..<n).map { "row \($0)" },
            targets: [TaskTargets(width: 1, values: truths, mask: ones, weights: ones),
                      TaskTargets(width: 1, values: [Float](repeating: 0, count: n), mask: ones, weights: ones),
                      TaskTargets(width: 2, values: tagTruths, mask: ones, weights: ones)],
            scales: [(0, 1), (0, 1), (0, 1)], image: nil, features: [], featureWidth: 0)
        return (s, context)
    }

    /// The plot area of the chart whose frame title contains `title`, found from its axis corner.
    struct Plot { var x: Int, y: Int, width: Int, height: Int }

    static func plot(_ grid: Grid, titled title: String) throws -> Plot {
        let top = try #require((0..<grid.height).first { grid.row($0).contains(title) })
        let left = try #require(grid.row(top).range(of: title).map { grid.row(top).distance(from: grid.row(top).startIndex, to: $0.lowerBound) })
        // The title starts 3 columns right of the frame's corner; the plot 6 right of it, after the y labels.
        let corner = try #require((top..<grid.height).first { grid[left + 2, $0].text == "└" })
        let width = (left + 3..<grid.width).prefix { grid[$0, corner].text == "─" }.count
        return Plot(x: left + 3, y: top + 1, width: width, height: corner - top - 1)
    }

    /// The cell showing the point (x, y) of the unit square.
    static func cell(_ p: Plot, _ x: Double, _ y: Double) -> (Int, Int) {
        let dx = Int((x * Double(p.width * 2 - 1)).rounded()), dy = Int(((1 - y) * Double(p.height * 4 - 1)).rounded())
        return (p.x + dx / 2, p.y + dy / 4)
    }

    static func braille(_ grid: Grid, _ p: Plot, column: Int) -> Bool {
        (p.y..<(p.y + p.height)).contains { grid[column, $0].text.unicodeScalars.first.map { $0.value > 0x2800 && $0.value <= 0x28FF } ?? false }
    }

    static func press(_ key: Key, _ state: inout ViewState, _ run: (TrainerSnapshot, WorkbenchContext)) {
        _ = Controller.handle(key, state: &state, snapshot: run.0, context: run.1)
    }

    @Test func binaryTaskDrawsBothCurvesWithTheirAreas() throws {
        let run = Self.run()
        var state = ViewState()
        state.view = .confusion
        let grid = Screen.render(run.0, state, run.1, width: 120, height: 40)
        let pairs = Array(zip(Self.scores, Self.truths.map { $0 > 0.5 }))
        let auc = try #require(MetricAccumulator.rocAUC(pairs)), ap = try #require(MetricAccumulator.averagePrecision(pairs))
        let roc = try Self.plot(grid, titled: String(format: "ROC · AUC %.3f", auc))
        let pr = try Self.plot(grid, titled: String(format: "Precision–recall · AP %.3f", ap))
        #expect(roc.x + roc.width < pr.x && roc.height >= 20, "\(roc) \(pr)")
        // Axis labels and names.
        #expect(grid.row(roc.y + roc.height + 1).contains("false positive rate") && grid.row(pr.y + pr.height + 1).contains("recall"))
        #expect(grid.row(pr.y).contains("   1│") && grid.row(pr.y + pr.height - 1).contains("   0│"))
        // The ROC curve runs from the left edge to the right one; so does the PR curve (recall 0.25 … 1).
        #expect(Self.braille(grid, roc, column: roc.x) && Self.braille(grid, roc, column: roc.x + roc.width - 1))
        #expect(Self.braille(grid, pr, column: pr.x + pr.width - 1) && !Self.braille(grid, pr, column: pr.x))
        // The cursor starts at the threshold in use: precision 0.75, recall 0.75, FPR 0.25.
        let (cx, cy) = Self.cell(pr, 0.75, 0.75)
        #expect(grid[cx, cy].text == "◆")
        let (rx, ry) = Self.cell(roc, 0.25, 0.75)
        #expect(grid[rx, ry].text == "◆")
        #expect(grid.text.contains("threshold in use 0.500"))
        #expect(grid.text.contains("threshold 0.600 · precision 0.750 · recall 0.750"), "\(grid.text)")
    }

    @Test func cursorMovesAlongThePRCurveAndTheOperatingPointStays() throws {
        let run = Self.run()
        var state = ViewState()
        state.view = .confusion
        Self.press(.right, &state, run)   // towards higher recall: the next lower threshold, 0.45
        let grid = Screen.render(run.0, state, run.1, width: 120, height: 40)
        let roc = try Self.plot(grid, titled: "ROC · AUC"), pr = try Self.plot(grid, titled: "Precision–recall · AP")
        // At 0.45: TP 4, FP 1: precision 0.8, recall 1, FPR 0.25.
        #expect(grid.text.contains("threshold 0.450 · precision 0.800 · recall 1.000"))
        let cursor = Self.cell(pr, 1, 0.8), operating = Self.cell(pr, 0.75, 0.75)
        #expect(grid[cursor.0, cursor.1].text == "◆" && grid[operating.0, operating.1].text == "●")
        let rocCursor = Self.cell(roc, 0.25, 1), rocOperating = Self.cell(roc, 0.25, 0.75)
        #expect(grid[rocCursor.0, rocCursor.1].text == "◆" && grid[rocOperating.0, rocOperating.1].text == "●")
        // The 2 × 2 table follows the cursor: male row (true positives) 0 FN, 4 TP.
        #expect(grid.text.split(separator: "\n").contains { $0.hasPrefix(" male ") && $0.contains("     0         4") }, "\(grid.text)")
        // ← three times: 0.6, 0.7, 0.85; then it stops at the highest score.
        for _ in 0..<3 { Self.press(.left, &state, run) }
        #expect(Screen.render(run.0, state, run.1, width: 120, height: 40).text.contains("threshold 0.850 · precision 1.000 · recall 0.500"))
        for _ in 0..<10 { Self.press(.left, &state, run) }
        #expect(Screen.render(run.0, state, run.1, width: 120, height: 40).text.contains("threshold 0.950 · precision 1.000 · recall 0.250"))
        for _ in 0..<20 { Self.press(.character("h"), &state, run); Self.press(.right, &state, run); Self.press(.right, &state, run) }
        #expect(Screen.render(run.0, state, run.1, width: 120, height: 40).text.contains("threshold 0.100 · precision 0.500 · recall 1.000"))
        // Esc puts it back at the threshold in use.
        Self.press(.escape, &state, run)
        #expect(state.curveThreshold == nil && Screen.render(run.0, state, run.1, width: 120, height: 40).text.contains("◆ cursor  threshold 0.600"))
    }

    @Test func enterListsTheRowsTheCursorThresholdGetsWrong() throws {
        let run = Self.run()
        var state = ViewState()
        state.view = .confusion
        Self.press(.enter, &state, run)   // at the threshold in use: the false positive (row 2) and false negative (row 4)
        #expect(state.view == .examples)
        #expect(state.thresholdErrors == ThresholdErrors(task: 0, label: nil, threshold: Double(Float(0.6))))
        let examples = try #require(run.0.examples)
        #expect(Set(ExampleList.indices(examples, state: state, context: run.1).map { examples.rows[$0] }) == [2, 4])
        #expect(Screen.render(run.0, state, run.1, width: 120, height: 40).row(2).contains("2 of 8 validation examples by loss · step 40 · wrong at threshold 0.600"))
        // Back in view 4, one step towards recall: only the false positive is left.
        Self.press(.character("4"), &state, run)
        Self.press(.right, &state, run)
        Self.press(.enter, &state, run)
        #expect(ExampleList.indices(examples, state: state, context: run.1).map { examples.rows[$0] } == [2])
        // Esc clears the filter.
        Self.press(.escape, &state, run)
        #expect(state.thresholdErrors == nil && ExampleList.indices(examples, state: state, context: run.1).count == 8)
    }

    @Test func multiLabelPicksALabelAndUsesItsTunedThreshold() throws {
        let run = Self.run()
        var state = ViewState()
        state.view = .confusion
        Self.press(.character("T"), &state, run)
        #expect(Screen.render(run.0, state, run.1, width: 120, height: 40).text.contains("The confusion matrix appears after the first evaluation."))
        Self.press(.character("T"), &state, run)
        var text = Screen.render(run.0, state, run.1, width: 120, height: 40).text
        #expect(text.contains("tags · label red (1/2, ↑↓ another)") && text.contains("threshold in use 0.500"))
        Self.press(.down, &state, run)
        text = Screen.render(run.0, state, run.1, width: 120, height: 40).text
        // Label blue: scores reversed, truths reversed; its tuned threshold 0.3 puts rows scoring ≥ 0.3 positive.
        #expect(text.contains("tags · label blue (2/2, ↑↓ another)") && text.contains("threshold in use 0.300"), "\(text)")
        #expect(text.contains("threshold 0.300 · precision 0.667 · recall 1.000"), "\(text)")
        Self.press(.enter, &state, run)
        let examples = try #require(run.0.examples)
        // The examples predict with the tuned thresholds too: row 2 scores red 0.7, blue 0.3.
        #expect(ExampleList.predictionText(examples, 2, task: 2, context: run.1) == "red|blue")
        // Blue's truth at row r is truths[7 - r], its score scores[7 - r]: wrong at 0.3 are the false positives scoring 0.7 and 0.3.
        #expect(Set(ExampleList.indices(examples, state: state, context: run.1).map { examples.rows[$0] }) == [5, 2])
        #expect(Screen.render(run.0, state, run.1, width: 120, height: 40).row(2).contains("label blue wrong at threshold 0.300"))
    }

    @Test func asciiAndSmallTerminals() {
        let run = Self.run()
        var state = ViewState()
        state.view = .confusion
        state.unicode = false
        let grid = Screen.render(run.0, state, run.1, width: 60, height: 20)
        #expect(grid.text.contains("ROC") && grid.text.contains("X cursor") && grid.text.contains("O in use") && !grid.text.unicodeScalars.contains { $0.value >= 0x2800 && $0.value <= 0x28FF })
        // Before the first evaluation: a note, no chart.
        var empty = run.0
        empty.examples = nil
        state.unicode = true
        #expect(Screen.render(empty, state, run.1, width: 120, height: 40).text.contains("curves appear after the first evaluation"))
    }
}
