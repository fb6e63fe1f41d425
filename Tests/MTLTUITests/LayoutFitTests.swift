import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// Text that does not fit its place: whole fields yield, hints go first, and whatever is still
/// cut ends in `…` where the terminal shows it.
@Suite struct LayoutFitTests {
    /// The last row's last cell is never drawn (`Terminal` leaves it alone), so a note cut
    /// there lost its ellipsis: notes end a column early, dropping their hints first.
    @Test func aLongNoteInTheStatusLineDropsItsHintThenEndsInAnEllipsis() {
        var state = ViewState()
        state.note = "only training rows are dropped or weighted; on validation rows, r relabels (it fixes evaluation)"
        let footer = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 80, height: 24).row(23)
        #expect(footer == " only training rows are dropped or weighted; on validation rows, r relabels".padded(80), "\(footer)")
        state.note = String(repeating: "word ", count: 30)
        let cut = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 80, height: 24).row(23)
        #expect(cut.hasSuffix("… "), "\(cut)")
    }

    /// The run legend sits at the status line's right end; the fields before it yield whole
    /// (speed first), so none is drawn over or cut.
    @Test(arguments: [(80, 2), (80, 3), (100, 4), (60, 4)])
    func theStatusLineYieldsWholeFieldsToTheRunLegend(width: Int, runs count: Int) throws {
        var snapshot = Fixture.running
        snapshot.samplesPerSecond = 6400
        snapshot.etaSeconds = 83
        let runs = (1...count).map { id in
            var run = RunView(id: id, snapshot: snapshot, origin: "fresh, seed \(id)")
            run.isReference = id > 2
            return run
        }
        let overlay = RunsOverlay(runs: runs, selected: 0)
        let status = Screen.render(snapshot, ViewState(), Fixture.run.context, width: width, height: 24, runs: overlay).row(1)
        let legend = runs.map { "━" + $0.label }.joined(separator: " ")
        #expect(status.hasSuffix(legend + " "), "\(status)")
        // Left of the legend: the bar, then whole fields only, and a space before the legend.
        let before = String(status.dropLast(legend.count + 1))
        #expect(before.hasSuffix(" "), "\(status)")
        let fields = try #require(before.split { $0 == "█" || $0 == "░" }.last).trimmingCharacters(in: .whitespaces)
        let whole = ["step \(snapshot.step)/\(snapshot.stepsPerEpoch * snapshot.epochs)", "6.4k samples/s", "ETA 1:23",
                     "lr \(LineChart.format(snapshot.learningRate))"]
        for field in fields.components(separatedBy: " · ") where !field.isEmpty {
            #expect(whole.contains(field), "'\(field)' in \(status)")
        }
        #expect(!fields.contains("━") && !fields.contains("…"), "\(status)")
        // Without other runs the same width shows more of them.
        let alone = Screen.render(snapshot, ViewState(), Fixture.run.context, width: width, height: 24).row(1)
        #expect(alone.contains("step "), "\(alone)")
    }
}

/// The dashboard's per-task loss figure is the latest logged value, whatever the smoothing.
@Suite struct DashboardLossFigureTests {
    @Test func theLossFigureIsTheLatestValueAndTheSmoothingIsNamed() throws {
        let last = try #require(Fixture.run.snapshot.lossSeries[0].buckets.last).mean
        var titles: [String] = []
        for smoothing in [0.0, 0.9, 0.99] {
            let grid = Fixture.render(.dashboard, width: 120, height: 40) { $0.smoothing = smoothing }
            let title = try #require((0..<grid.height).map(grid.row).first { $0.hasPrefix(" task0  loss") })
            #expect(title.contains("task0  loss \(LineChart.format(Double(last)))  "), "\(title)")
            #expect(title.contains(String(format: "smoothing %.2f", smoothing)), "\(title)")
            titles.append(String(title.prefix { $0 != "w" }))
        }
        #expect(Set(titles).count == 1, "\(titles)")
    }
}
