import Foundation
import MTLData
@testable import MTLEngine
import MTLProtocol
import Testing
@testable import MTLTUI

/// A run that ended on an earlier epoch's model (early stopping restored it) is shown as that
/// model: the metrics table's latest columns, the runs view and the step of every example list.
@Suite struct KeptModelTests {
    /// The fixture's 2-epoch run as if early stopping kept epoch 1: epoch 2 scores task0 0.999
    /// (what the last epoch would show), the kept model 0.321.
    static var keptFirstEpoch: TrainerSnapshot {
        var s = Fixture.run.snapshot
        s.history[1].validation[0].macroF1 = 0.999
        s.restoredEpoch = 1
        var kept = s.history[0].validation
        kept[0].macroF1 = 0.321
        s.keptValidation = kept
        return s
    }

    func render(_ s: TrainerSnapshot, _ view: View, runs: RunsOverlay? = nil, _ adjust: (inout ViewState) -> Void = { _ in }) -> Grid {
        var state = ViewState()
        state.view = view
        adjust(&state)
        return Screen.render(s, state, Fixture.run.context, width: 120, height: 40, runs: runs)
    }

    @Test func theMetricsTableShowsTheKeptModelOnceTheRunHasEnded() throws {
        let s = Self.keptFirstEpoch
        let grid = render(s, .dashboard)
        let header = try #require((0..<grid.height).first { grid.row($0).contains("metric") && grid.row($0).contains("test") }, "\(grid.text)")
        let heading = grid.row(header)
        #expect(heading.contains("kept e1") && !heading.contains("val loss") && !heading.contains("latest"), "\(heading)")
        let task0 = grid.row(header + 1)
        #expect(task0.contains(LineChart.format(s.keptValidation![0].loss)), "\(task0)")
        #expect(task0.contains("0.321"), "\(task0)")
        // The best epoch is listed as such, unmarked: it is not the model shown.
        #expect(task0.contains("0.999 e2") && !task0.contains("0.999 e2 *"), "\(task0)")

        // While it trains the table shows the latest epoch, as before.
        var running = s
        running.state = .running
        let live = render(running, .dashboard)
        let liveHeader = try #require((0..<live.height).first { live.row($0).contains("val loss") }, "\(live.text)")
        #expect(live.row(liveHeader).contains("latest"))
        #expect(live.row(liveHeader + 1).contains("0.999 e2 *") && !live.row(liveHeader + 1).contains("0.321"), "\(live.row(liveHeader + 1))")
    }

    @Test func theRunsViewShowsAnEndedRunsKeptModelNotABestPerTask() throws {
        var ended = RunView(id: 1, snapshot: Self.keptFirstEpoch, origin: "fresh, seed 42")
        ended.saved = true
        var training = RunView(id: 2, snapshot: Self.keptFirstEpoch, origin: "fresh, seed 7")
        training.snapshot.state = .running
        training.snapshot.restoredEpoch = nil
        training.snapshot.keptValidation = nil
        let overlay = RunsOverlay(runs: [ended, training], selected: 0)
        let grid = render(ended.snapshot, .runs, runs: overlay)
        let first = try #require((0..<grid.height).map(grid.row).first { $0.contains("▶1") }, "\(grid.text)")
        #expect(first.contains("kept epoch 1") && first.contains("task0 0.321") && !first.contains("0.999"), "\(first)")
        let second = try #require((0..<grid.height).map(grid.row).first { $0.contains(" 2 ") && $0.contains("running") }, "\(grid.text)")
        #expect(second.contains("best") && second.contains("task0 0.999"), "\(second)")
        // The dashboard's column per run compares the same figures.
        #expect(overlay.best("macro_f1", task: "task0") == [0.321, 0.999])
    }
}
