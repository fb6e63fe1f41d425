import Foundation
import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// F and o in the Controls view: focal loss and OHEM for the selected task, shown on screen.
@Suite struct LossShapeKeysTests {
    func press(_ keys: [Key], snapshot: TrainerSnapshot, row: Int) -> (effects: [Effect], note: String?) {
        var state = ViewState()
        state.controlsRow = row
        let effects = Fixture.press(keys, view: .controls, snapshot: snapshot, &state)
        return (effects, state.note)
    }

    @Test func fTogglesFocalAndOCyclesOHEM() {
        var s = Fixture.running
        // task0 is multiclass (no α), task1 binary (torchvision's α 0.25), task2 regression.
        #expect(press([.character("F")], snapshot: s, row: 0).effects
                == [.command(.setLossShape(task: "task0", LossShape(focal: FocalLoss(gamma: 2, alpha: nil))))])
        #expect(press([.character("F")], snapshot: s, row: 1).effects
                == [.command(.setLossShape(task: "task1", LossShape(focal: FocalLoss(gamma: 2, alpha: 0.25))))])
        let refused = press([.character("F")], snapshot: s, row: 2)
        #expect(refused.effects.isEmpty && refused.note == "focal loss needs a classification task; task2 is regression")
        s.lossShapes = ["task0": LossShape(focal: FocalLoss(), ohem: 0.5)]
        #expect(press([.character("F")], snapshot: s, row: 0).effects == [.command(.setLossShape(task: "task0", LossShape(ohem: 0.5)))])
        #expect(press([.character("o")], snapshot: s, row: 0).effects
                == [.command(.setLossShape(task: "task0", LossShape(focal: FocalLoss(), ohem: 0.25)))])
        s.lossShapes["task0"]?.ohem = 0.25
        #expect(press([.character("o")], snapshot: s, row: 0).effects == [.command(.setLossShape(task: "task0", LossShape(focal: FocalLoss())))])
        #expect(press([.character("o")], snapshot: s, row: 2).effects == [.command(.setLossShape(task: "task2", LossShape(ohem: 0.5)))])
        // On a layer row there is no task to shape.
        #expect(press([.character("o")], snapshot: s, row: s.tasks.count).effects.isEmpty)
    }

    @Test func theControlsViewShowsTheShapes() {
        var s = Fixture.running
        let plain = Screen.render(s, { var v = ViewState(); v.view = .controls; return v }(), Fixture.run.context, width: 140, height: 40)
        #expect((0..<40).contains { plain.row($0).contains("loss: plain on every task (F focal, o OHEM on the selected task)") })
        s.lossShapes = ["task1": LossShape(focal: FocalLoss(gamma: 2, alpha: 0.25), ohem: 0.5)]
        let shaped = Screen.render(s, { var v = ViewState(); v.view = .controls; return v }(), Fixture.run.context, width: 140, height: 40)
        #expect((0..<40).contains { shaped.row($0).contains("loss: task1 focal:2:0.25 · ohem 0.5 (F, o)") })
    }
}
