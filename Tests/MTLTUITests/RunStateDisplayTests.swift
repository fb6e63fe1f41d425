import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// What the screen says of a run in trouble: a diverged run beside a healthy one, NaN values,
/// a stale estimate, a long divergence, a prompt on a screen too small for the rest.
@Suite struct RunStateDisplayTests {
    /// The fixture's run with every training loss × `factor`.
    static func scaled(_ factor: Float, after step: Int = 0) -> TrainerSnapshot {
        var s = Fixture.run.snapshot
        s.lossSeries = s.lossSeries.map { old in
            var series = Series()
            for bucket in old.buckets { series.append(step: bucket.lastStep, value: bucket.mean * (bucket.lastStep > step ? factor : 1)) }
            return series
        }
        return s
    }

    /// The rows of the panel whose title starts `title`, left of column `right`.
    static func panel(_ grid: Grid, title: String, right: Int) -> [(y: Int, cells: [Cell])] {
        guard let top = (0..<grid.height).first(where: { grid.row($0).hasPrefix(title) }) else { return [] }
        let bottom = (top + 1..<grid.height).first { grid.row($0).hasPrefix(" task") || grid.row($0).contains("val loss") } ?? grid.height
        return (top + 1..<bottom).map { y in (y, (0..<right).map { grid[$0, y] }) }
    }

    /// Another run's loss of 5e24 leaves the selected run's scale alone: its curve keeps the
    /// panel's height, the other's is clipped at the frame.
    @Test func aDivergedRunDoesNotFlattenTheSelectedRunsCurve() {
        let diverged = RunView(id: 2, snapshot: Self.scaled(5e24, after: 10), origin: "branch of run 1")
        let overlay = RunsOverlay(runs: [RunView(id: 1, snapshot: Fixture.run.snapshot, origin: "fresh, seed 42"), diverged], selected: 0)
        let grid = Screen.render(Fixture.run.snapshot, ViewState(), Fixture.run.context, width: 120, height: 40, runs: overlay)
        let rows = Self.panel(grid, title: " task0  loss", right: 60)
        #expect(!rows.isEmpty, "\(grid.text)")
        // The y labels are the selected run's losses, not the other's 1e24s.
        let labels = rows.map { String($0.cells.prefix(LineChart.labelWidth).map(\.text).joined()) }.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(!labels.isEmpty && !labels.contains { $0.contains("e+") }, "\(labels)")
        let own = rows.filter { $0.cells.contains { [Style(.task1, bold: true), Style(.chartRaw)].contains($0.style) && $0.text.unicodeScalars.first!.value >= 0x2801 } }
        #expect(own.count >= 5, "\(grid.text)")
        // The other run's curve climbs out of the frame: drawn up to its top row.
        let other = rows.filter { $0.cells.contains { $0.style.foreground == .task2 && $0.style.dim } }.map(\.y)
        #expect(other.contains(rows.first!.y), "\(grid.text)")
    }

    /// Other runs still widen the scale within reason: a run whose losses are twice the
    /// selected one's is drawn whole or nearly so.
    @Test func anotherRunsCurveWidensTheScaleByHalfItsSpanAtMost() throws {
        var chart = LineChart()
        chart.series = [.init(points: [(0, 1), (10, 2)], style: Style(.task1)),
                        .init(points: [(0, 1.2), (10, 2.2)], style: Style(.task2), scales: false)]
        #expect(chart.yRange() == 1...2.2)
        chart.series[1].points = [(0, 0), (10, 1e24)]
        #expect(chart.yRange() == 0.5...2.5)
        chart.series[0].scales = false   // none scales: all of them set it
        #expect(try #require(chart.yRange()).upperBound == 1e24)
    }

    /// C's printf writes a NaN whose sign bit is set as "-nan"; the screens say "nan".
    @Test func notANumberReadsNanWhateverItsSign() {
        for nan in [Double.nan, -Double.nan] {
            #expect(LineChart.format(nan) == "nan")
            #expect(NumberText.format("%6.3f", nan) == "   nan")
            #expect(NumberText.format("%+.2f%%", nan) == "nan%")
            #expect(CurvesView.fixed(nan) == "nan")
        }
        var s = Self.scaled(1)
        var series = s.lossSeries[0]
        series.append(step: s.step + 1, value: -Float.nan)
        s.lossSeries[0] = series
        s.history[s.history.count - 1].validation[0].loss = -Double.nan
        let grid = Screen.render(s, ViewState(), Fixture.run.context, width: 120, height: 40)
        let title = (0..<grid.height).map(grid.row).first { $0.hasPrefix(" task0  loss") } ?? ""
        #expect(title.contains("loss nan  val nan"), "\(title)")
        #expect(!grid.text.contains("-nan"), "\(grid.text)")
        // The confusion view's precision and recall.
        s.history[s.history.count - 1].validation[0].precision![0] = -Double.nan
        var state = ViewState()
        state.view = .confusion
        let confusion = Screen.render(s, state, Fixture.run.context, width: 120, height: 40)
        #expect(confusion.text.contains("precision nan") && !confusion.text.contains("-nan"), "\(confusion.text)")
    }

    /// A paused or diverged run shows no estimate of the time left; a running one does.
    @Test func onlyARunningRunShowsItsETA() {
        var s = Fixture.running
        s.etaSeconds = 4335
        s.samplesPerSecond = 3200
        #expect(Screen.render(s, ViewState(), Fixture.run.context, width: 120, height: 40).row(1).contains("ETA 1:12:15"))
        for state in [TrainerState.paused, .diverged, .stopped, .finished] {
            s.state = state
            s.divergence = state == .diverged ? "task0 loss is nan at step 12; the update was skipped" : nil
            let status = Screen.render(s, ViewState(), Fixture.run.context, width: 120, height: 40).row(1)
            #expect(!status.contains("ETA") && !status.contains("samples/s"), "\(status)")
        }
    }

    /// An adaptive strategy's name on the status line: the progress bar narrows for it before
    /// the speed is left out.
    @Test(arguments: [WeightingStrategy.gradnorm, .pcgrad])
    func theBarNarrowsBeforeTheSpeedIsLeftOut(strategy: WeightingStrategy) {
        var s = Fixture.running
        s.epochs = 30
        s.epoch = 4
        s.stepsPerEpoch = 297
        s.step = 1234
        s.etaSeconds = 4335
        s.samplesPerSecond = 3200
        s.strategy = strategy
        let status = Screen.render(s, ViewState(), Fixture.run.context, width: 110, height: 40).row(1)
        for field in ["step 1234/8910", "3.2k samples/s", "ETA 1:12:15", "weights \(strategy.rawValue)"] {
            #expect(status.contains(field), "\(status)")
        }
        #expect(status.filter { $0 == "█" || $0 == "░" }.count >= 10, "\(status)")
        // Where even a bar of 10 leaves no room, the speed goes first, whole.
        let narrow = Screen.render(s, ViewState(), Fixture.run.context, width: 80, height: 24).row(1)
        #expect(!narrow.contains("samples") && !narrow.contains("…") && narrow.contains("ETA"), "\(narrow)")
    }
}

extension RunStateDisplayTests {
    /// Below the minimum size the quit prompt still takes `y` and `n`: its line shows.
    @Test(arguments: [(40, 12), (59, 19)])
    func theQuitPromptShowsOnAScreenTooSmallForTheRest(width: Int, height: Int) {
        var state = ViewState()
        state.prompt = .quit
        let grid = Screen.render(Fixture.running, state, Fixture.run.context, width: width, height: height)
        #expect(grid.text.contains("enlarge the terminal"), "\(grid.text)")
        let last = grid.row(height - 1)
        #expect(last.contains("Quit?") && last.contains("y quit"), "\(grid.text)")
        #expect(grid[0, height - 1].style.background == .selectedBackground)
        // Without a prompt the message stands alone.
        let plain = Screen.render(Fixture.running, ViewState(), Fixture.run.context, width: width, height: height)
        #expect((0..<height).filter { !plain.row($0).trimmingCharacters(in: .whitespaces).isEmpty }.count == 1)
    }

    /// A long divergence keeps the keys whole on the footer; the reason yields.
    @Test(arguments: [60, 80, 120, 200])
    func theDivergenceFooterKeepsItsKeysWhole(width: Int) {
        var s = Fixture.running
        s.state = .diverged
        s.divergence = "gradient norm is inf at step 1235 (task1: loss 3.4e+38 × weight 1 is beyond 32-bit floats); the update was skipped"
        let height = 30
        let footer = Screen.render(s, ViewState(), Fixture.run.context, width: width, height: height).row(height - 1)
        #expect(footer.hasPrefix(" diverged: "), "\(footer)")
        let hints = ["lower the rate (<) and resume (space), or R: a fresh run at the lowered rate",
                     "< lower the rate, space resume, R a fresh run", "< rate · space resume · R fresh run"]
        #expect(hints.contains { footer.trimmingCharacters(in: .whitespaces).hasSuffix(" · " + $0) }, "\(footer)")
        // Where there is room, the reason's first clause whole, then its details too.
        if width >= 120 { #expect(footer.contains("diverged: gradient norm is inf at step 1235 "), "\(footer)") }
        if width >= 200 {
            #expect(footer.contains("step 1235 (task1: loss 3.4e+38 × weight 1 is beyond 32-bit floats) · " + hints[0]), "\(footer)")
        }
    }

    /// A run that ended at a divergence it cannot come back from (its outputs overflowed) says
    /// so, and offers only a fresh run: resuming it would diverge again.
    @Test func aRunEndedByItsDivergenceOffersAFreshRunOnly() {
        var s = Fixture.running
        s.state = .stopped
        s.divergence = "task1's outputs on the validation rows are not finite after step 40"
        let footer = Screen.render(s, ViewState(), Fixture.run.context, width: 120, height: 30).row(29)
        #expect(footer.hasPrefix(" diverged: task1's outputs") && footer.contains("R a fresh run") && !footer.contains("resume"), "\(footer)")
        #expect(Screen.render(s, ViewState(), Fixture.run.context, width: 120, height: 30).row(1).contains("DIVERGED"))
    }

    /// The other tasks' loss columns are as wide as their names: `magnitude` whole at 120.
    @Test func otherTasksLossColumnsHoldTheirNamesWhole() throws {
        var s = Fixture.run.snapshot
        s.tasks[2] = "magnitude"
        var state = ViewState()
        state.view = .examples
        let grid = Screen.render(s, state, Fixture.run.context, width: 120, height: 40)
        let head = grid.row(3)
        #expect(head.contains(" task1    magnitude input"), "\(head)")
        // Each value under its column's head (the loss right-aligned under "loss").
        let row = Array(grid.row(4))
        func start(_ text: String) throws -> Int { head.distance(from: head.startIndex, to: try #require(head.range(of: text)).lowerBound) }
        for name in ["task1", "magnitude", "split"] {
            let x = try start(name)
            #expect(row[x] != " " && row[x - 1] == " ", "\(name)\n\(head)\n\(String(row))")
        }
        #expect(try row[start("loss") + 3].isNumber && row[start("loss") + 4] == " ", "\(head)\n\(String(row))")
    }
}
