import Foundation
import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// The learning-rate schedule in the workbench: the L picker and the rate trace under the charts.
@Suite struct ScheduleViewTests {
    var running: TrainerSnapshot {
        var s = Fixture.running
        s.stepsPerEpoch = 25
        return s
    }

    /// L opens the picker on the schedule in use; j k move, enter switches, esc and q close
    /// with nothing sent, and space does not reach the view behind it.
    @Test func thePickerMovesAppliesAndCloses() {
        var s = running
        s.schedule = .cosine(warmup: 0)
        var state = ViewState()
        #expect(Fixture.press([.character("L")], view: .dashboard, snapshot: s, &state) == [])
        #expect(state.schedulePicker == 2)
        #expect(Fixture.press([.character("j"), .character(" ")], view: .dashboard, snapshot: s, &state) == [])
        #expect(Fixture.press([.enter], view: .dashboard, snapshot: s, &state) == [.command(.setSchedule(.cosine(warmup: 25)))])
        #expect(state.schedulePicker == nil)
        _ = Fixture.press([.character("L"), .down, .down, .down, .down, .down, .down], view: .controls, snapshot: s, &state)
        #expect(state.schedulePicker == 4)
        #expect(Fixture.press([.enter], view: .controls, snapshot: s, &state) == [.command(.setSchedule(.plateau(patience: 2, factor: 0.5)))])
        for close: Key in [.escape, .character("q")] {
            _ = Fixture.press([.character("L")], view: .controls, snapshot: s, &state)
            #expect(Fixture.press([close], view: .controls, snapshot: s, &state) == [])
            #expect(state.schedulePicker == nil && state.prompt == nil)
        }
        // A schedule from the command line that is not a preset is listed, and marked in use.
        s.schedule = .step(every: 3, factor: 0.1)
        #expect(SchedulePicker.choices(s).last?.schedule == .step(every: 3, factor: 0.1))
        _ = Fixture.press([.character("L")], view: .controls, snapshot: s, &state)
        #expect(state.schedulePicker == SchedulePicker.choices(s).count - 1)
        let grid = Screen.render(s, state, Fixture.run.context, width: 120, height: 40)
        #expect(grid.text.contains("● step:3:0.1"), "\(grid.text)")
        #expect(grid.text.contains("cosine:25"))
    }

    /// The rate trace sits under the loss charts, labelled lr, with the rate and schedule in force;
    /// the controls view names the schedule.
    @Test func theRateTraceIsDrawnUnderTheCharts() {
        var s = running
        s.schedule = .step(every: 1, factor: 0.5)
        s.learningRate = 0.00025
        s.rateTrace = [WeightPoint(step: 0, weight: 0.001), WeightPoint(step: max(s.step / 2, 1), weight: 0.0005)]
        let grid = Screen.render(s, ViewState(), Fixture.run.context, width: 120, height: 40)
        let rows = (0..<grid.height).map(grid.row)
        let y = rows.firstIndex { $0.hasPrefix(String(repeating: " ", count: LineChart.labelWidth - 2) + "lr ") }
        #expect(y != nil, "\(grid.text)")
        if let y {
            #expect(rows[y].contains("0.0003 step:1:0.5") || rows[y].contains("2.5e-04 step:1:0.5") || rows[y].contains("step:1:0.5"))
            // Below every loss chart's weight row, above the metrics table.
            #expect(rows[..<y].contains { $0.contains("weight") })
            #expect(rows[(y + 1)...].contains { $0.contains("val loss") })
        }
        var controls = ViewState()
        controls.view = .controls
        #expect(Screen.render(s, controls, Fixture.run.context, width: 120, height: 40).text.contains("schedule step:1:0.5 (L pick"))
    }
}
