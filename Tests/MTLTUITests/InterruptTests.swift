import Foundation
import MTLEngine
import Testing
@testable import MTLTUI

/// Ctrl-C in the workbench (`Controller.interrupt`) and what the workbench says and returns
/// when a signal ended it (`WorkbenchExit`): pure, no terminal.
@Suite struct InterruptTests {
    let context = Fixture.run.context

    func footer(_ snapshot: TrainerSnapshot, _ state: ViewState, width: Int) -> String {
        Screen.render(snapshot, state, context, width: width, height: 30).row(29)
    }

    @Test func ctrlCWhileTrainingAsksAndASecondOneQuits() {
        var state = ViewState()
        #expect(Controller.interrupt(state: &state, snapshot: Fixture.running).isEmpty)
        #expect(state.prompt == .quit && state.quitByInterrupt)
        let wide = footer(Fixture.running, state, width: 140)
        #expect(wide.contains("Training is still running. Quit? y quit · s save and quit · n cancel · Ctrl-C again quits without saving"), "\(wide)")
        // At 80 columns the choices and the note stay whole; the reason for asking goes.
        let narrow = footer(Fixture.running, state, width: 80)
        #expect(narrow.contains("Quit? y quit · s save and quit · n cancel · Ctrl-C again quits without saving"), "\(narrow)")
        #expect(Controller.interrupt(state: &state, snapshot: Fixture.running) == [.quit(save: false)])
    }

    @Test func ctrlCAsksBeforeLosingAnUnsavedRunAndQuitsAtOnceWhenNothingWouldBeLost() {
        var unsaved = ViewState()
        unsaved.unsavedRuns = [1]
        #expect(Controller.interrupt(state: &unsaved, snapshot: Fixture.run.snapshot).isEmpty)
        #expect(unsaved.prompt == .quit)
        #expect(footer(Fixture.run.snapshot, unsaved, width: 140).contains("Quit? the run is not saved · y quit"))
        // Finished and saved: nothing to lose, so no question (and the quit is the signal's).
        var saved = ViewState()
        #expect(Controller.interrupt(state: &saved, snapshot: Fixture.run.snapshot) == [.quit(save: false)])
        #expect(saved.quitByInterrupt && saved.prompt == nil)
    }

    /// The prompt answers as after `q`; cancelling forgets the Ctrl-C, so a later `q` quits
    /// normally (status 0), and Ctrl-C while `q`'s prompt is open quits.
    @Test func thePromptAnswersAsAfterQ() {
        var state = ViewState()
        _ = Controller.interrupt(state: &state, snapshot: Fixture.running)
        #expect(Fixture.press([.character("s")], view: .dashboard, snapshot: Fixture.running, &state) == [.quit(save: true)])
        #expect(state.quitByInterrupt)

        state = ViewState()
        _ = Controller.interrupt(state: &state, snapshot: Fixture.running)
        #expect(Fixture.press([.escape], view: .dashboard, snapshot: Fixture.running, &state).isEmpty)
        #expect(state.prompt == nil && !state.quitByInterrupt)
        #expect(Fixture.press([.character("q")], view: .dashboard, snapshot: Fixture.running, &state).isEmpty)
        #expect(!footer(Fixture.running, state, width: 140).contains("Ctrl-C again"))
        #expect(Controller.interrupt(state: &state, snapshot: Fixture.running) == [.quit(save: false)])

        // Typing a weight: Ctrl-C asks to quit in its place.
        state = ViewState()
        state.prompt = .weight(task: 0, text: "2")
        #expect(Controller.interrupt(state: &state, snapshot: Fixture.running).isEmpty)
        #expect(state.prompt == .quit)
    }

    @Test func aSignalsExitSaysWhatWasSavedAndLostWithItsStatus() {
        let saved = WorkbenchExit(saves: [.init(run: 1, directory: "runs/x", failure: nil), .init(run: 2, directory: "runs/x-run2", failure: nil)],
                                  unsaved: [], signal: SIGTERM)
        #expect(saved.messages == ["stopped by SIGTERM: run 1 saved to runs/x", "stopped by SIGTERM: run 2 saved to runs/x-run2"])
        #expect(saved.status == 143)
        let lost = WorkbenchExit(saves: [], unsaved: [1, 3], signal: SIGHUP)
        #expect(lost.messages == ["stopped by SIGHUP: runs 1, 3 not saved (with --save DIR the workbench saves on SIGTERM and SIGHUP)"])
        #expect(lost.status == 129)
        let interrupted = WorkbenchExit(saves: [], unsaved: [1], signal: SIGINT)
        #expect(interrupted.messages == ["interrupted: run 1 not saved"])
        #expect(interrupted.status == 130)
        // A failed save is an error whatever ended the session; `q` prints nothing else.
        let failed = WorkbenchExit(saves: [.init(run: 1, directory: "runs/x", failure: "disk full")], unsaved: [2], signal: SIGTERM)
        #expect(failed.messages.first == "error: run 1 not saved: disk full")
        #expect(failed.status == 1)
        let quit = WorkbenchExit(saves: [.init(run: 1, directory: "runs/x", failure: nil)], unsaved: [2])
        #expect(quit.messages.isEmpty && quit.status == 0)
    }
}
