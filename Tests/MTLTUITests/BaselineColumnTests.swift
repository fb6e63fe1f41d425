import Foundation
import MTLData
@testable import MTLEngine
import Testing
@testable import MTLTUI

/// The dashboard's single-task column and Δp line, from a baseline runner given finished
/// results (nothing trains).
@Suite struct BaselineColumnTests {
    /// A runner over the fixture's tasks with `results` already trained (nothing runs).
    static func runner(_ results: [BaselineRunner.Result]) -> BaselineRunner {
        let model = ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [4], dropout: 0, features: 3, heads: SyntheticData.heads(Fixture.tasks))
        let setup = SyntheticData.setup(rows: 20, tokens: 0, vocabulary: 0, features: 3, tasks: Fixture.tasks, model: model,
                                        training: TrainingConfig())
        return BaselineRunner(setup, reusing: results)
    }

    /// Baseline metrics that make the multi-task run exactly 10% better on every Δp metric:
    /// higher-is-better ones divided by 1.1, lower-is-better ones divided by 0.9.
    static func tenPercentWorse(_ m: TaskMetrics, kind: TaskKind) -> TaskMetrics {
        var b = m
        b.accuracy = m.accuracy.map { $0 / 1.1 }
        b.macroF1 = m.macroF1.map { $0 / 1.1 }
        b.mae = m.mae.map { $0 / 0.9 }
        b.rmse = m.rmse.map { $0 / 0.9 }
        return b
    }

    static var kept: EpochRecord {
        let s = Fixture.run.snapshot
        return s.restoredEpoch.flatMap { e in s.history.first { $0.epoch == e } } ?? s.history.last!
    }

    static func result(_ t: Int) -> BaselineRunner.Result {
        let s = Fixture.run.snapshot
        return BaselineRunner.Result(task: s.tasks[t], validation: tenPercentWorse(kept.validation[t], kind: s.taskKinds[t]),
                                     test: s.test.map { tenPercentWorse($0[t], kind: s.taskKinds[t]) }, epochs: 2)
    }

    func render(_ baselines: BaselineRunner.Snapshot?) -> Grid {
        var state = ViewState()
        state.view = .dashboard
        return Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 120, height: 40, baselines: baselines)
    }

    @Test func whileTrainingTheColumnShowsProgressAndDeltaPWaits() throws {
        var b = Self.runner([Self.result(0), Self.result(2)]).snapshot
        #expect(!b.finished)
        b.current = (task: 1, progress: 0.43)
        let grid = render(b)
        let header = try #require((0..<grid.height).first { grid.row($0).contains("val loss") })
        #expect(grid.row(header).contains("test    single"))
        let single = try #require(grid.row(header).range(of: "single")).lowerBound.utf16Offset(in: grid.row(header))
        let value = Self.result(0).validation.macroF1!
        #expect(grid.row(header + 1).dropFirst(single).hasPrefix(LineChart.format(value)), "\(grid.row(header + 1))")
        #expect(grid.row(header + 2).dropFirst(single).hasPrefix("training 43%"))
        #expect(grid.row(header + 3).dropFirst(single).hasPrefix(LineChart.format(Self.result(2).validation.mae!)))
        #expect(grid.row(header + 4).contains("Δp once every baseline has finished"))
        #expect(grid.row(header + 4).contains("training task1 alone 43% · 2 of 3 done"))
        // Controls shows the runner's progress too.
        var state = ViewState()
        state.view = .controls
        #expect(Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 120, height: 40, baselines: b).text
                .contains("single-task baselines: training task1 alone 43%"))
        // Not started and not current: a dash.
        b.current = nil
        #expect(render(b).row(header + 2).dropFirst(single).hasPrefix("—"))
    }

    @Test func onceAllAreDoneDeltaPIsShownForValidationAndTest() throws {
        let b = Self.runner((0..<3).map(Self.result)).snapshot
        #expect(b.finished)
        let text = render(b).text
        #expect(Fixture.run.snapshot.test != nil)
        #expect(text.contains("Δp +10.00% validation · +10.00% test · LibMTL's Δp"), "\(text)")
        #expect(text.contains("higher is better"))
        // Without baselines the table is as before: no column, no Δp.
        let plain = render(nil).text
        #expect(!plain.contains("single") && !plain.contains("Δp"))
    }

    /// The runs view gives each run its Δp against the same baselines.
    @Test func theRunsViewShowsEachRunsDeltaP() throws {
        let b = Self.runner((0..<3).map(Self.result)).snapshot
        var state = ViewState()
        state.view = .runs
        let runs = RunsOverlay(runs: [RunView(id: 1, snapshot: Fixture.run.snapshot, origin: "fresh, seed 1")], selected: 0)
        let grid = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 160, height: 40, baselines: b, runs: runs)
        let row = try #require((0..<grid.height).map(grid.row).first { $0.contains("fresh, seed 1") })
        #expect(row.contains("Δp +10.00%"), "\(row)")
        let without = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 160, height: 40, runs: runs)
        #expect(!without.text.contains("Δp"))
    }
}
