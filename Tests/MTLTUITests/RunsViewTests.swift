import Foundation
import MTLData
@testable import MTLEngine
import Testing
@testable import MTLTUI

/// Several runs on one screen: overlaid curves, the legend, a column per run, the runs list and
/// the keys, all on the cell grid from finished snapshots (nothing trains here).
@Suite struct RunsViewTests {
    static var origin: RunView {
        var run = RunView(id: 1, snapshot: Fixture.run.snapshot, origin: "fresh, seed 42")
        run.saved = true
        return run
    }

    /// A branch of the fixture's run at `fork`: its own curve from there on, and a better
    /// macro-F1 for task0 in its last epoch.
    static func branch(fork: Int) -> RunView {
        var s = Fixture.run.snapshot
        s.lossSeries = s.lossSeries.map { series in
            var own = Series()
            for bucket in series.buckets where bucket.firstStep > fork { own.append(step: bucket.lastStep, value: bucket.mean) }
            return own
        }
        s.history[s.history.count - 1].validation[0].macroF1 = 0.999
        s.userWeights[1] = 2
        var run = RunView(id: 2, snapshot: s, origin: "branch of run 1 at step \(fork)")
        run.forkStep = fork
        run.changes = RunDifference.changes(from: Fixture.run.snapshot, to: s)
        return run
    }

    func render(_ runs: RunsOverlay, view: View = .dashboard, width: Int = 100) -> Grid {
        var state = ViewState()
        state.view = view
        return Screen.render(runs.runs[runs.selected].snapshot, state, Fixture.run.context, width: width, height: 40, runs: runs)
    }

    @Test func chartsOverlayTheRunsAndABranchStartsAtItsFork() throws {
        let fork = Fixture.run.snapshot.step / 2
        let grid = render(RunsOverlay(runs: [Self.origin, Self.branch(fork: fork)], selected: 0))
        #expect(grid.row(1).hasSuffix("━1 ━2 "), "\(grid.row(1))")
        // Run 2's curve (its colour, dim: not selected) lies only right of the fork step.
        let plotX = LineChart.labelWidth + 1, plotWidth = 100 - LineChart.labelWidth - 1
        let forkColumn = plotX + plotWidth * fork / Fixture.run.snapshot.step
        let cells = (2..<grid.height).flatMap { y in (0..<grid.width).map { (x: $0, y: y) } }
            .filter { grid[$0.x, $0.y].style.foreground == .task2 && grid[$0.x, $0.y].style.dim }
        #expect(cells.count > 10)
        #expect(cells.allSatisfy { $0.x >= forkColumn - 1 }, "\(cells.map(\.x).min() ?? -1) < \(forkColumn)")
        // Run 1 is selected: its curve is drawn bright in its colour, from the start.
        let bright = (2..<12).flatMap { y in (plotX..<plotX + 4).filter { grid[$0, y].style.foreground == .task1 && grid[$0, y].style.bold } }
        #expect(!bright.isEmpty)
    }

    @Test func theMetricsTableHasAColumnPerRunAndMarksTheBest() throws {
        let grid = render(RunsOverlay(runs: [Self.origin, Self.branch(fork: 10)], selected: 1), width: 130)
        let header = try #require((0..<grid.height).first { grid.row($0).contains("val loss") })
        #expect(grid.row(header).contains("run 1    run 2"))
        let column = try #require(grid.row(header).range(of: "run 2")).lowerBound.utf16Offset(in: grid.row(header))
        let task0 = grid.row(header + 1)
        #expect(String(task0.dropFirst(column)).hasPrefix("0.999 *"), "\(task0)")
        #expect(!String(task0.dropFirst(column - 9).prefix(9)).contains("*"))
        // Equal values elsewhere: both best.
        #expect(String(grid.row(header + 2).dropFirst(column)).contains("*"))
    }

    @Test func theRunsListShowsOriginChangesStateAndBest() throws {
        var reference = RunView.reference(id: 1, directory: "runs/old", info: Checkpoint.Info(
            model: ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [4], dropout: 0, features: 3, heads: SyntheticData.heads(Fixture.tasks)),
            encoder: SyntheticData.setup(rows: 10, tokens: 0, vocabulary: 0, features: 3, tasks: Fixture.tasks,
                                         model: ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [4], dropout: 0, features: 3,
                                                            heads: SyntheticData.heads(Fixture.tasks)), training: TrainingConfig()).encoder,
            training: TrainingConfig(), position: .init(epoch: 2, batch: 0, step: 20), layerSteps: [:],
            history: Fixture.run.snapshot.history, best: nil, tensors: []))
        reference.saved = true
        let grid = render(RunsOverlay(runs: [Self.origin, Self.branch(fork: 10), reference], selected: 1), view: .runs, width: 140)
        let text = grid.text
        #expect(text.contains("▶2"))
        #expect(text.contains("branch of run 1 at step 10: weight task1 1 → 2"))
        #expect(text.contains("finished *"))   // the branch is unsaved
        #expect(text.contains("c1") && text.contains("saved run runs/old"))
        let line = try #require((0..<grid.height).map(grid.row).first { $0.contains("▶2") })
        #expect(line.contains("task0 0.999"))
        // The reference's curves come from its history: one training-loss point per epoch.
        #expect(reference.snapshot.lossSeries[0].buckets.count == Fixture.run.snapshot.history.count)
    }

    /// A saved run as `--compare` loads it: `planned` epochs planned, the fixture's 2 trained.
    static func reference(planned: Int) -> RunView {
        let model = ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [4], dropout: 0, features: 3, heads: SyntheticData.heads(Fixture.tasks))
        var training = TrainingConfig()
        training.epochs = planned
        let encoder = SyntheticData.setup(rows: 10, tokens: 0, vocabulary: 0, features: 3, tasks: Fixture.tasks, model: model,
                                          training: training).encoder
        return RunView.reference(id: 1, directory: "runs/old", info: Checkpoint.Info(
            model: model, encoder: encoder, training: training, position: .init(epoch: 2, batch: 0, step: 20), layerSteps: [:],
            history: Fixture.run.snapshot.history, best: nil, tensors: []))
    }

    /// A saved run that ended on early stopping's best epoch (its last trained weights kept apart)
    /// shows that epoch's figures, as a live run that ended does; without that mark, its last.
    @Test func aSavedRunShowsTheModelItSaved() throws {
        let history = Fixture.run.snapshot.history
        try #require(history.count >= 2)
        func reference(restored: Bool) -> RunView {
            let model = ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [4], dropout: 0, features: 3, heads: SyntheticData.heads(Fixture.tasks))
            var training = TrainingConfig()
            training.earlyStop = EarlyStop(metric: "loss", patience: 1)
            let encoder = SyntheticData.setup(rows: 10, tokens: 0, vocabulary: 0, features: 3, tasks: Fixture.tasks, model: model,
                                              training: training).encoder
            var info = Checkpoint.Info(model: model, encoder: encoder, training: training, position: .init(epoch: 2, batch: 0, step: 20),
                                       layerSteps: [:], history: history,
                                       best: .init(epoch: history[0].epoch, value: 0, epochsWithoutImprovement: 1), tensors: [])
            info.files = restored ? ["model.safetensors": .init([1]), "last.safetensors": .init([2])] : ["model.safetensors": .init([1])]
            return RunView.reference(id: 1, directory: "runs/old", info: info)
        }
        #expect(reference(restored: true).kept == history[0].validation)
        #expect(reference(restored: false).kept == history.last!.validation)
    }

    /// Columns as wide as their contents: progress whole at any width, the origin and what
    /// changed whole too, wrapped beside the run or, at 80 columns, under it (whole on one line
    /// at 220, beside figures that name the model they are, "kept epoch 2").
    @Test(arguments: [80, 110, 220])
    func theRunsViewSizesItsColumnsToTheirContents(width: Int) throws {
        var branch = Self.branch(fork: 10)
        branch.changes += ["rate 0.001 → 0.0005", "strategy fixed → dwa", "focal loss on task0"]
        var live = Self.origin
        live.snapshot.epochs = 2000
        live.snapshot.epoch = 65
        live.snapshot.step = 23456
        let overlay = RunsOverlay(runs: [live, branch, Self.reference(planned: 2000)], selected: 1)
        var state = ViewState()
        state.view = .runs
        let grid = Screen.render(branch.snapshot, state, Fixture.run.context, width: width, height: 24, runs: overlay)
        let rows = (2..<23).map(grid.row)
        #expect(rows.contains { $0.contains("epoch 66/2000 step 23456") }, "\(grid.text)")
        // A saved run shows the epochs it trained of those it planned.
        #expect(rows.contains { $0.contains("epoch 2/2000 step \(Fixture.run.snapshot.step)") }, "\(grid.text)")
        #expect(!rows.contains { $0.contains("…") }, "\(grid.text)")
        let origin = "branch of run 1 at step 10: " + branch.changes.joined(separator: ", ")
        func squeezed(_ text: String) -> String { text.filter { !$0.isWhitespace } }
        if width >= 200 {
            #expect(rows.contains { $0.contains(origin) }, "\(grid.text)")
        } else if width == 80 {
            #expect(squeezed(rows.joined()).contains(squeezed(origin)), "\(grid.text)")
        }
    }

    @Test func keysBranchSelectContinueAndAskToSaveOnQuit() {
        var state = ViewState()
        #expect(Fixture.press([.character("b")], view: .dashboard, snapshot: Fixture.running, &state) == [.branch])
        #expect(Fixture.press([.character("R")], view: .controls, snapshot: Fixture.running, &state) == [.freshRun])
        #expect(Fixture.press([.character(")")], view: .dashboard, snapshot: Fixture.running, &state).isEmpty)
        #expect(state.note?.contains("one run") == true)
        state.runCount = 2
        #expect(Fixture.press([.character(")"), .character("(")], view: .dashboard, snapshot: Fixture.running, &state)
                == [.selectRun(1), .selectRun(-1)])
        // A finished run continues; a stopped one cannot.
        #expect(Fixture.press([.character("E")], view: .dashboard, snapshot: Fixture.run.snapshot, &state) == [.command(.addEpochs(5))])
        var stopped = Fixture.run.snapshot
        stopped.state = .stopped
        #expect(Fixture.press([.character("E")], view: .dashboard, snapshot: stopped, &state).isEmpty)
        // Quitting with unsaved runs asks, naming them; s saves each.
        state.unsavedRuns = [2, 3]
        #expect(Fixture.press([.character("q")], view: .dashboard, snapshot: Fixture.run.snapshot, &state).isEmpty)
        #expect(state.prompt == .quit)
        let footer = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 100, height: 30).row(29)
        #expect(footer.contains("unsaved runs: 2, 3"))
        #expect(Fixture.press([.character("s")], view: .dashboard, snapshot: Fixture.run.snapshot, &state) == [.quit(save: true)])
        // One run, finished and saved (or never trained): quits at once.
        var single = ViewState()
        #expect(Fixture.press([.character("q")], view: .dashboard, snapshot: Fixture.run.snapshot, &single) == [.quit(save: false)])
        var untrained = Fixture.run.snapshot
        untrained.step = 0
        single.unsavedRuns = [1]
        #expect(Fixture.press([.character("q")], view: .dashboard, snapshot: untrained, &single) == [.quit(save: false)])
        // One run, finished and unsaved: asks, and s saves it.
        #expect(Fixture.run.snapshot.step > 0)
        #expect(Fixture.press([.character("q")], view: .dashboard, snapshot: Fixture.run.snapshot, &single).isEmpty)
        #expect(single.prompt == .quit)
        let asked = Screen.render(Fixture.run.snapshot, single, Fixture.run.context, width: 100, height: 30).row(29)
        #expect(asked.contains("Quit? the run is not saved"))
        #expect(Fixture.press([.character("s")], view: .dashboard, snapshot: Fixture.run.snapshot, &single) == [.quit(save: true)])
    }
}
