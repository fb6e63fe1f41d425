import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// A finished two-epoch run on synthetic data, rendered as the workbench would.
enum Fixture {
    static let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.binary, 2), (.regression, 1)]

    static let run: (snapshot: TrainerSnapshot, context: WorkbenchContext) = {
        let model = ModelConfig(trunk: .cnn, vocabulary: 60, embedding: 8, filters: 12, kernel: 3, hidden: [10],
                                dropout: 0, features: 0, heads: SyntheticData.heads(tasks))
        // Inputs with wide and combining characters, to check alignment in every view.
        return WorkbenchContext.finishedSyntheticRun(model: model, tasks: tasks, rows: 200, tokens: 12, epochs: 2,
                                                     batchSize: 16, title: "synthetic") {
            "review \($0) 日本語 café 😀 " + String(repeating: "long text ", count: 30)
        }
    }()

    /// The effects of `keys` pressed in `view`.
    static func press(_ keys: [Key], view: View, snapshot: TrainerSnapshot, _ state: inout ViewState) -> [Effect] {
        state.view = view
        return keys.flatMap { Controller.handle($0, state: &state, snapshot: snapshot, context: run.context) }
    }

    /// The fixture's run as if still training.
    static var running: TrainerSnapshot {
        var s = run.snapshot
        s.state = .running
        return s
    }

    static func render(_ view: View, width: Int, height: Int, _ adjust: (inout ViewState) -> Void = { _ in }) -> Grid {
        var state = ViewState()
        state.view = view
        adjust(&state)
        return Screen.render(run.snapshot, state, run.context, width: width, height: height)
    }
}

@Suite struct ScreenTests {
    /// Every row of every view is exactly the terminal's width in cells, wide characters included.
    func expectAligned(_ grid: Grid, sourceLocation: SourceLocation = #_sourceLocation) {
        for y in 0..<grid.height {
            // What the terminal shows: a wide cell covers its continuation cell ("").
            let columns = (0..<grid.width).reduce(0) { $0 + (grid[$1, y].text.isEmpty ? 0 : max(TextWidth.of(grid[$1, y].text), 1)) }
            let wide = (0..<grid.width).filter { TextWidth.of(grid[$0, y].text) == 2 }
            #expect(columns == grid.width, "row \(y)", sourceLocation: sourceLocation)
            for x in wide { #expect(x + 1 < grid.width && grid[x + 1, y].text.isEmpty, "row \(y)", sourceLocation: sourceLocation) }
        }
    }

    @Test(arguments: [(200, 60), (80, 24)])
    func everyViewRendersAtCommonSizes(width: Int, height: Int) {
        for view in View.allCases {
            let grid = Fixture.render(view, width: width, height: height)
            #expect(grid.width == width && grid.height == height)
            #expect(grid.row(0).contains("mtl-tui"))
            #expect(grid.row(1).contains("FINISHED"))
            expectAligned(grid)
        }
    }

    @Test func theStatusBarSaysWhichEpochEarlyStoppingKept() {
        var snapshot = Fixture.run.snapshot
        #expect(!Screen.render(snapshot, ViewState(), Fixture.run.context, width: 120, height: 40).row(1).contains("kept epoch"))
        snapshot.restoredEpoch = 1
        let status = Screen.render(snapshot, ViewState(), Fixture.run.context, width: 120, height: 40).row(1)
        #expect(status.contains("FINISHED") && status.contains("early stop: kept epoch 1"), "\(status)")
        // The confusion view shows the kept epoch's matrix, not the last one's.
        var confusion = ViewState()
        confusion.view = .confusion
        #expect(Screen.render(snapshot, confusion, Fixture.run.context, width: 120, height: 40).row(2).contains("validation, epoch 1 ·"))
        snapshot.restoredEpoch = nil
        #expect(Screen.render(snapshot, confusion, Fixture.run.context, width: 120, height: 40).row(2).contains("validation, epoch 2 ·"))
    }

    /// While the wide path's linear fit runs no step is taken: the status bar says what happens
    /// instead of a progress bar standing at step 0; a finished run never shows it.
    @Test func theStatusBarSaysWhatTheRunPreparesBeforeItsFirstStep() {
        var snapshot = Fixture.running
        snapshot.preparing = "fitting the linear model of task0 (task 1 of 3) before training"
        let status = Screen.render(snapshot, ViewState(), Fixture.run.context, width: 120, height: 40).row(1)
        #expect(status.contains("RUNNING") && status.contains("fitting the linear model of task0 (task 1 of 3)"), "\(status)")
        #expect(!status.contains("step "), "\(status)")
        snapshot.preparing = nil
        #expect(Screen.render(snapshot, ViewState(), Fixture.run.context, width: 120, height: 40).row(1).contains("step "))
        snapshot.preparing = "fitting"
        snapshot.state = .stopped
        #expect(!Screen.render(snapshot, ViewState(), Fixture.run.context, width: 120, height: 40).row(1).contains("fitting"))
    }

    @Test func belowTheMinimumSizeShowsOneMessage() {
        for (w, h) in [(59, 30), (100, 19), (40, 12)] {
            let grid = Fixture.render(.dashboard, width: w, height: h)
            let lines = (0..<h).map { grid.row($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            #expect(lines.count == 1)
            #expect(lines.first?.hasPrefix("enlarge the terminal") == true)
        }
    }

    @Test func dashboardShowsAChartPerTaskAndTheMetricsTable() {
        let grid = Fixture.render(.dashboard, width: 200, height: 60)
        for task in Fixture.run.snapshot.tasks { #expect(grid.text.contains("\(task)  loss")) }
        #expect(grid.text.contains("┴e1"))
        #expect(grid.text.contains("weight ") && grid.text.contains("█"))
        let header = (0..<60).first { grid.row($0).contains("val loss") && grid.row($0).contains("metric") }
        #expect(header != nil)
        if let header {
            #expect(grid.row(header + 1).contains("task0") && grid.row(header + 1).contains("macro_f1"))
            #expect(grid.row(header + 3).contains("task2") && grid.row(header + 3).contains("mae"))
        }
        let log = Fixture.render(.dashboard, width: 200, height: 60) { $0.logY = true }
        #expect(log.text.contains("log"))
        #expect(log != grid)
    }

    @Test func hardExamplesAreSortedByLossAndFiltered() {
        let grid = Fixture.render(.examples, width: 200, height: 60)
        let losses = (4..<58).compactMap { Double(grid.row($0).dropFirst(2).split(separator: " ").first ?? "") }
        #expect(grid.row(4).hasPrefix(" ▶"))
        #expect(losses.count >= 19)
        #expect(losses == losses.sorted(by: >))
        let examples = Fixture.run.snapshot.examples!
        var state = ViewState()
        state.misclassifiedOnly = true
        let wrong = ExampleList.indices(examples, state: state, context: Fixture.run.context)
        #expect(wrong.allSatisfy { ExampleList.isCorrect(examples, $0, task: 0, context: Fixture.run.context) == false })
        #expect(!wrong.isEmpty && wrong.count < examples.count)
        let detail = Fixture.render(.examples, width: 120, height: 40) { $0.detail = true }
        #expect(detail.text.contains("task1: true") && !detail.text.contains("id row-"))
        // With an id column, the detail names the row by it.
        var context = Fixture.run.context
        context.rowIDs = (0..<context.inputText.count).map { "row-\($0)" }
        var shown = ViewState()
        shown.view = .examples
        shown.detail = true
        let first = examples.rows[ExampleList.indices(examples, state: shown, context: context)[0]]
        #expect(Screen.render(Fixture.run.snapshot, shown, context, width: 120, height: 40).text.contains("id row-\(first)"))
    }

    @Test func confusionCountsMatchTheValidationSet() {
        let grid = Fixture.render(.confusion, width: 120, height: 40)
        let matrix = Fixture.run.snapshot.history.last!.validation[0].confusion!
        #expect(matrix.flatMap { $0 }.reduce(0, +) == Fixture.run.snapshot.examples!.count)
        #expect(grid.text.contains("rows true, columns predicted"))
        #expect(grid.text.contains(String(format: "%5d", matrix[0][0])))
    }

    /// A finished run whose kept model is not the last epoch's shows the kept model's matrix,
    /// the one its hard examples and test figures describe, and says which it is.
    @Test func confusionShowsTheModelTheRunKept() {
        var s = Fixture.run.snapshot
        var kept = s.history.last!.validation
        var matrix = kept[0].confusion!
        matrix[0][0] = 4321
        kept[0].confusion = matrix
        s.keptValidation = kept
        s.linearTasks = [s.tasks[0]]
        var state = ViewState()
        state.view = .confusion
        let grid = Screen.render(s, state, Fixture.run.context, width: 120, height: 40)
        #expect(grid.row(2).contains("\(s.tasks[0]) · validation, the kept linear model") && grid.text.contains(" 4321"), "\(grid.text)")
    }

    /// What preparing the run noted (printed before the screen opens, so hidden) heads the
    /// Controls view's log.
    @Test func theNotesOfPreparingTheRunHeadTheLog() {
        var context = Fixture.run.context
        context.notes = ["applying the corrections in data.corrections.jsonl", "warning: 3 rows have no label"]
        var state = ViewState()
        state.view = .controls
        let grid = Screen.render(Fixture.run.snapshot, state, context, width: 160, height: 60)
        let log = (0..<grid.height).map(grid.row)
        let first = log.firstIndex { $0.contains("data  applying the corrections in data.corrections.jsonl") }
        let warning = log.firstIndex { $0.contains("data  warning: 3 rows have no label") }
        #expect(first != nil && warning != nil && first! < warning!, "\(grid.text)")
    }

    @Test func helpListsEveryKeyOfTheKeyTable() {
        let grid = Fixture.render(.help, width: 200, height: 60)
        for binding in KeyMap.bindings {
            #expect(grid.text.contains(binding.label + " ") && grid.text.contains(binding.help), "\(binding.label)")
        }
    }

    /// At 80 columns the hard examples keep room for the input: columns sized to the task's
    /// classes, no empty fix column, other tasks' losses left out when they would crowd it.
    @Test func hardExamplesShowTheInputAt80Columns() {
        let narrow = Fixture.render(.examples, width: 80, height: 24)
        #expect(narrow.row(3).contains("input") && !narrow.row(3).contains("fix"), "\(narrow.row(3))")
        #expect(narrow.row(4).contains("review "), "\(narrow.row(4))")
        let narrower = Fixture.render(.examples, width: 64, height: 24)
        #expect(!narrower.row(3).contains("task1") && narrower.row(4).contains("review "), "\(narrower.text)")
        let wide = Fixture.render(.examples, width: 160, height: 24)
        #expect(wide.row(3).contains("task1") && wide.row(3).contains("task2") && wide.row(3).contains("input"), "\(wide.row(3))")
        // Once the session has a correction, the fix column shows it.
        let marked = Fixture.render(.examples, width: 120, height: 24) {
            $0.book.made = [RowCorrection(row: Fixture.run.snapshot.examples!.rows[0], key: "k", action: .drop)]
        }
        #expect(marked.row(3).contains("fix") && marked.text.contains("drop"), "\(marked.text)")
    }

    /// At 120×40 the list is taller than the screen: nothing is cut, and ↓ scrolls to its end;
    /// at 60×20 too, and one ↑ from the end scrolls back at once.
    @Test(arguments: [(120, 40), (60, 20)])
    func helpWrapsAndScrolls(width: Int, height: Int) {
        var state = ViewState()
        state.view = .help
        state.helpLimit = HelpView.maxOffset(width: width, height: height)
        let top = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: width, height: height)
        #expect(top.text.contains("Keys · lines 1–"), "\(top.text)")
        let body = (3..<(height - 1)).map(top.row)
        #expect(!body.contains { $0.contains("…") }, "\(body)")
        let last = KeyMap.bindings.last!
        #expect(!body.contains { $0.contains(last.label + " ") })
        for _ in 0..<200 { _ = Fixture.press([.character("j")], view: .help, snapshot: Fixture.run.snapshot, &state) }
        #expect(state.helpOffset == state.helpLimit)
        let end = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: width, height: height)
        let count = HelpView.lines(width: width - 1).count
        #expect(end.text.contains(last.label + " ") && end.row(2).contains("–\(count) of \(count) ("), "\(end.text)")
        _ = Fixture.press([.character("k")], view: .help, snapshot: Fixture.run.snapshot, &state)
        let back = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: width, height: height)
        #expect(back.row(3) != end.row(3) && back.row(4) == end.row(3), "one k shows one line more at the top")
    }
}

@Suite struct ControllerTests {
    func press(_ keys: [Key], view: View = .dashboard, snapshot: TrainerSnapshot = Fixture.run.snapshot,
               _ state: inout ViewState) -> [Effect] {
        Fixture.press(keys, view: view, snapshot: snapshot, &state)
    }

    var running: TrainerSnapshot { Fixture.running }

    /// Toggles wait for the run to take the last command; typing into a prompt does not.
    @Test func togglesFollowTheRunStateButPromptsDoNot() {
        var state = ViewState()
        state.view = .controls
        #expect(Controller.followsTheRunState(.character("x"), state) && Controller.followsTheRunState(.character(" "), state))
        #expect(!Controller.followsTheRunState(.character("+"), state) && !Controller.followsTheRunState(.character("<"), state))
        state.prompt = .weight(task: 0, text: "")
        #expect(!Controller.followsTheRunState(.character("x"), state))
    }

    @Test func spacePausesAndResumes() {
        var state = ViewState()
        #expect(press([.character(" ")], snapshot: running, &state) == [.command(.pause)])
        var paused = running
        paused.state = .paused
        #expect(press([.character(" ")], snapshot: paused, &state) == [.command(.resume)])
        #expect(press([.character("n")], snapshot: paused, &state) == [.command(.step(1))])
        // A finished run takes no step, and says what does.
        #expect(press([.character("n")], snapshot: Fixture.run.snapshot, &state) == [] && state.note == "training has ended (E trains 5 more epochs)")
        // m on a regression task says why nothing is misclassified.
        state = ViewState()
        state.task = 2
        _ = press([.character("m")], view: .examples, snapshot: running, &state)
        #expect(state.misclassifiedOnly && state.note?.hasPrefix("task2 is a regression task") == true, "\(state.note ?? "")")
    }

    @Test func weightsFreezingAndRateFromTheControlsView() {
        var state = ViewState()
        let s = running
        #expect(press([.character("j"), .character("+")], view: .controls, snapshot: s, &state)
                == [.command(.scaleLossWeight(task: "task1", factor: 1.25))])
        #expect(press([.character("e"), .character("2"), .character("."), .character("5"), .enter], view: .controls, snapshot: s, &state)
                == [.command(.setLossWeight(task: "task1", weight: 2.5))])
        #expect(press([.character("e"), .character("x"), .enter], view: .controls, snapshot: s, &state) == [])
        // A weight that would swamp every other task's loss is refused, and says the range.
        #expect(press([.character("e")] + "1e26".map { .character($0) } + [.enter], view: .controls, snapshot: s, &state) == [])
        #expect(state.note == "not a weight: '1e26' (a number from 0 to 1000)")
        state.controlsRow = s.tasks.count + 1   // the conv layer
        #expect(press([.character("f")], view: .controls, snapshot: s, &state) == [.command(.freeze("conv"))])
        #expect(press([.character("<")], view: .controls, snapshot: s, &state) == [.command(.scaleLearningRate(factor: 0.5))])
        #expect(press([.character("w")], view: .controls, snapshot: s, &state) == [.command(.setStrategy(.dwa))])
    }

    /// Two presses in one frame, against the same snapshot, are two changes, not one.
    @Test func repeatedKeysInOneFrameEachMakeACommand() {
        var state = ViewState()
        state.controlsRow = 1
        let s = running
        #expect(press([.character("+"), .character("+")], view: .controls, snapshot: s, &state)
                == [.command(.scaleLossWeight(task: "task1", factor: 1.25)), .command(.scaleLossWeight(task: "task1", factor: 1.25))])
        #expect(press([.character("-")], view: .controls, snapshot: s, &state) == [.command(.scaleLossWeight(task: "task1", factor: 0.8))])
        #expect(press([.character(">"), .character(">")], view: .dashboard, snapshot: s, &state)
                == [.command(.scaleLearningRate(factor: 2)), .command(.scaleLearningRate(factor: 2))])
    }

    @Test func moreEpochsWhileTrainingOrFinishedElseANote() {
        var state = ViewState()
        #expect(press([.character("E")], snapshot: running, &state) == [.command(.addEpochs(5))])
        #expect(press([.character("E")], snapshot: Fixture.run.snapshot, &state) == [.command(.addEpochs(5))])
        var stopped = Fixture.run.snapshot
        stopped.state = .stopped
        #expect(press([.character("E")], snapshot: stopped, &state) == [])
        #expect(state.note?.hasPrefix("this run was stopped") == true)
    }

    @Test func earlyStoppingTurnsOffAndBackOnWithTheSameRule() {
        var state = ViewState()
        var s = running
        let rule = EarlyStop(metric: "task0.macro_f1", patience: 2)
        s.earlyStop = rule
        #expect(press([.character("x")], view: .controls, snapshot: s, &state) == [.command(.setEarlyStop(nil))])
        s.earlyStop = nil
        #expect(press([.character("x")], view: .controls, snapshot: s, &state) == [.command(.setEarlyStop(rule))])
        // Never on before: the rule a fresh run gets (auto: macro_f1 when every task classifies, else loss).
        var fresh = ViewState()
        var classifying = s
        classifying.taskKinds = s.taskKinds.map { $0 == .regression ? .binary : $0 }
        #expect(press([.character("x")], view: .controls, snapshot: classifying, &fresh) == [.command(.setEarlyStop(EarlyStop(metric: "macro_f1", patience: 3)))])
        var withRegression = s
        withRegression.taskKinds[0] = .regression
        fresh = ViewState()
        #expect(press([.character("x")], view: .controls, snapshot: withRegression, &fresh) == [.command(.setEarlyStop(EarlyStop(metric: "loss", patience: 3)))])
        let off = Screen.render(s, state, Fixture.run.context, width: 120, height: 40)
        #expect(off.text.contains("early stop off (x)"))
        s.earlyStop = rule
        s.bestEpoch = 2
        let on = Screen.render(s, state, Fixture.run.context, width: 120, height: 40)
        #expect(on.text.contains("early stop task0.macro_f1, patience 2 · best epoch 2 (x)"))
    }

    @Test func quitAsksWhileTrainingAndOffersToSave() {
        var state = ViewState()
        #expect(press([.character("q")], snapshot: running, &state) == [])
        #expect(state.prompt == .quit)
        #expect(press([.character("s")], snapshot: running, &state) == [.quit(save: true)])
        state = ViewState()
        #expect(press([.character("q")], snapshot: Fixture.run.snapshot, &state) == [.quit(save: false)])
    }

    @Test func viewsSmoothingAndConfusionToExamples() {
        var state = ViewState()
        _ = press([.character("3")], &state)
        #expect(state.view == .examples)
        _ = press([.tab], view: .examples, &state)
        #expect(state.view == .confusion)
        _ = press([.backTab], view: .confusion, &state)
        #expect(state.view == .examples)
        _ = press([.character("]"), .character("]")], &state)
        #expect(state.smoothing == 0.99)
        _ = press([.character("[")], &state)
        #expect(state.smoothing == 0.94)
        _ = press([.down, .right, .enter], view: .confusion, &state)
        #expect(state.view == .examples && state.pair == ViewState.Pair(truth: 1, predicted: 1))
        _ = press([.escape], view: .examples, &state)
        #expect(state.pair == nil)
        _ = press([.character("?")], view: .controls, &state)
        #expect(state.view == .help)
        _ = press([.escape], view: .help, &state)
        #expect(state.view == .controls)
    }

    @Test func theCursorStaysOnTheSameExampleWhenTheListChanges() {
        var state = ViewState()
        _ = press([.down, .down], view: .examples, &state)
        let examples = Fixture.run.snapshot.examples!
        let row = state.exampleRow
        #expect(row != nil)
        state.misclassifiedOnly = false
        let list = ExampleList.indices(examples, state: state, context: Fixture.run.context)
        #expect(examples.rows[list[ExamplesView.currentCursor(list, examples, state)]] == row)
    }
}

/// The Controls view's task and layer list at the smallest common terminal.
@Suite struct ControlsListTests {
    /// The fixture with as many layers as an MMoE model of four experts, still training under UW.
    static func manyLayers() -> TrainerSnapshot {
        var s = Fixture.running
        for k in 1...4 {
            s.layers += ["expert\(k).embedding", "expert\(k).conv", "expert\(k).hidden"].map { LayerSummary(name: $0, parameters: 12_345) }
        }
        s.layers += s.tasks.map { LayerSummary(name: "gate.\($0)", parameters: 40) }
        s.strategy = .uw
        s.lossWeights = [2.5, 0.75, 1.125]
        return s
    }

    @Test func theListScrollsToTheCursorAndKeepsItsValuesIn80Columns() {
        let s = Self.manyLayers()
        var state = ViewState()
        state.view = .controls
        state.controlsRow = s.tasks.count + s.layers.count - 1   // the last layer
        let grid = Screen.render(s, state, Fixture.run.context, width: 80, height: 24)
        #expect(grid.text.contains("▶ gate.task2"), "\(grid.text)")
        #expect(grid.text.contains("more above (k)") && !grid.text.contains("more below"))
        // The hint counts every list line not shown: those above and the one it replaces.
        let listLines = 1 + s.tasks.count + 2 + s.layers.count, shownLines = 21 - 1   // body rows, less the hint's
        #expect(grid.text.contains("  \(listLines - shownLines) more above (k)"), "\(grid.text)")
        // Each layer shown keeps its whole state, and each task the weight in force.
        let layerRows = (0..<grid.height).map(grid.row).filter { $0.contains("12.3k") }
        #expect(!layerRows.isEmpty && layerRows.allSatisfy { $0.contains("trainable") }, "\(layerRows)")
        // Back at the first task: the weights in force are whole, the list's end is below.
        state.controlsRow = 0
        let top = Screen.render(s, state, Fixture.run.context, width: 80, height: 24)
        #expect(top.row(3).contains("task0 weight 1.00  →  2.50  multic"), "\(top.row(3))")
        #expect(top.row(4).contains("→  0.750 binary") && top.text.contains("more below (j)"), "\(top.text)")
        // The right column drops its key hints before it cuts a value.
        #expect(top.row(2).hasSuffix("│ learning rate 0.001" + String(repeating: " ", count: 20)), "\(top.row(2))")
        #expect(ControlsView.fitted("a (x) b (y)", width: 7) == ["a (x) b"] && ControlsView.fitted("a (x) b (y)", width: 5) == ["a b"])
        // Still too wide without its hints, a line breaks at its separators, each value whole.
        #expect(ControlsView.fitted("strategy fixed (w) · state paused · step 12", width: 30)
                == ["strategy fixed · state paused", "  step 12"])
        // The key bar drops whole hints from its end and keeps "? help", which lists every key.
        #expect(top.row(23).hasSuffix("· f freeze · ? help "), "\(top.row(23))")
        #expect(Screen.keyBar("a · bb · ? help · q quit", width: 14) == "a · ? help" && Screen.keyBar("a · b", width: 5) == "a · b")
        let status = (0..<top.height).map(top.row).filter { $0.contains("state running") }
        #expect(status.count == 1 && !status[0].contains("…"), "\(status)")
    }
}
