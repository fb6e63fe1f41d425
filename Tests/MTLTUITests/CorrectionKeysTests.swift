import Foundation
import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// The browser's correction keys, driven through the pure controller and renderer.
@Suite struct CorrectionKeysTests {
    /// The fixture as if still training, with its validation results also standing as training rows.
    static var training: TrainerSnapshot {
        var s = Fixture.running
        var table = s.examples!
        table.split = .train
        s.otherExamples = table
        return s
    }

    static func corrections(_ effects: [Effect]) -> [RowCorrection] {
        effects.compactMap { if case .correction(let c) = $0 { c } else { nil } }
    }

    @Test func dropWeightAndUndoOnATrainingRow() throws {
        var state = ViewState()
        state.exampleSplit = .train
        let s = Self.training
        let examples = try #require(s.otherExamples)
        let row = examples.rows[ExampleList.indices(examples, state: state, context: Fixture.run.context)[0]]
        let made = Self.corrections(Fixture.press([.character("d"), .character("u"), .character("u"), .character("U")], view: .examples, snapshot: s, &state))
        #expect(made.map(\.action) == [.drop, .weight, .weight, .weight])
        #expect(made.map(\.value) == [nil, "2", "2", "0.25"])
        #expect(made.allSatisfy { $0.row == row && $0.key == String(row) && $0.task == nil })
        #expect(state.book.mark(row, task: "task0") == "drop")
        let undo = Self.corrections(Fixture.press([.character("z"), .character("z")], view: .examples, snapshot: s, &state))
        #expect(undo == [RowCorrection(row: row, key: String(row), action: .undo), RowCorrection(row: row, key: String(row), action: .undo)])
        #expect(state.note == "undone: weight of row \(row + 1)", "\(state.note ?? "")")   // the row as the data numbers it, not its key
        #expect(state.book.mark(row, task: "task0") == "drop ×2")
        // Drop twice is refused; the rendered row shows the split and the mark.
        #expect(Self.corrections(Fixture.press([.character("d")], view: .examples, snapshot: s, &state)).isEmpty)
        let grid = Screen.render(s, state, Fixture.run.context, width: 160, height: 40)
        let text = (0..<grid.height).map { grid.row($0) }
        #expect(text.contains { $0.contains("train examples by loss") })
        #expect(text.contains { $0.contains("▶") && $0.contains("train") && $0.contains("drop ×2") }, "\(text.joined(separator: "\n"))")
    }

    @Test func validationRowsAreOnlyRelabelled() throws {
        var state = ViewState()
        let s = Fixture.running
        #expect(Self.corrections(Fixture.press([.character("d"), .character("u")], view: .examples, snapshot: s, &state)).isEmpty)
        #expect(state.note?.contains("only training rows are dropped or weighted") == true)
        // r opens the picker on the current class; j then enter relabels to the next class.
        _ = Fixture.press([.character("r")], view: .examples, snapshot: s, &state)
        let picker = try #require(state.relabel)
        let current = picker.cursor
        let grid = Screen.render(s, state, Fixture.run.context, width: 120, height: 40)
        #expect((0..<grid.height).contains { grid.row($0).contains("relabel for task0: enter picks") })
        let made = Self.corrections(Fixture.press([.down, .enter], view: .examples, snapshot: s, &state))
        let classes = Fixture.run.context.classes[0]
        #expect(made.count == 1 && made[0].action == .relabel && made[0].task == "task0" && made[0].row == picker.row)
        #expect(made.first?.value == classes[min(current + 1, classes.count - 1)])
        #expect(state.relabel == nil && state.book.made.count == 1)
        // Enter on the label in force writes nothing: no no-op lines in the corrections file.
        var again = ViewState()
        #expect(Self.corrections(Fixture.press([.character("r"), .enter], view: .examples, snapshot: s, &again)).isEmpty)
        #expect(again.note?.hasPrefix("unchanged: task0 is already") == true && again.book.made.isEmpty, "\(again.note ?? "")")
        // c lists the corrected row alone; esc clears the filter.
        _ = Fixture.press([.character("c")], view: .examples, snapshot: s, &state)
        let examples = try #require(s.examples)
        #expect(ExampleList.indices(examples, state: state, context: Fixture.run.context).map { examples.rows[$0] } == [picker.row])
        _ = Fixture.press([.escape], view: .examples, snapshot: s, &state)
        #expect(!state.correctedOnly)
    }

    @Test func splitCyclesAndAsksTheTrainer() {
        var state = ViewState()
        let effects = Fixture.press([.character("v")], view: .examples, snapshot: Fixture.running, &state)
        #expect(state.exampleSplit == .train && effects == [.command(.showExamples(.train))])
        let grid = Screen.render(Fixture.running, state, Fixture.run.context, width: 120, height: 30)
        #expect((0..<grid.height).contains { grid.row($0).contains("Evaluating the train rows") })
        _ = Fixture.press([.character("v"), .character("v")], view: .examples, snapshot: Fixture.running, &state)
        #expect(state.exampleSplit == .validation)
        // A finished run still browses every split and takes corrections (its trainer waits for E);
        // a stopped one does neither.
        #expect(Fixture.run.snapshot.state == .finished)
        var ended = ViewState()
        #expect(Fixture.press([.character("v")], view: .examples, snapshot: Fixture.run.snapshot, &ended) == [.command(.showExamples(.train))])
        _ = Fixture.press([.character("v"), .character("v")], view: .examples, snapshot: Fixture.run.snapshot, &ended)
        _ = Fixture.press([.character("r")], view: .examples, snapshot: Fixture.run.snapshot, &ended)
        #expect(ended.relabel != nil)
        var stopped = Fixture.run.snapshot
        stopped.state = .stopped
        var halted = ViewState()
        #expect(Fixture.press([.character("r")], view: .examples, snapshot: stopped, &halted).isEmpty && halted.relabel == nil)
        #expect(halted.note?.hasPrefix("this run was stopped") == true, "\(halted.note ?? "")")
        #expect(Fixture.press([.character("v")], view: .examples, snapshot: stopped, &halted).isEmpty)
    }

    @Test func aMultiLabelPickerTogglesLabels() {
        var context = Fixture.run.context
        context.kinds[0] = .multilabel
        var state = ViewState()
        state.relabel = RelabelPicker(row: 3, task: 0, cursor: 0, chosen: [])
        var effects: [Effect] = []
        for key: Key in [.character(" "), .down, .down, .character(" "), .enter] {
            effects += Controller.handle(key, state: &state, snapshot: Fixture.running, context: context)
        }
        let classes = context.classes[0]
        #expect(Self.corrections(effects).map(\.value) == ["\(classes[0])|\(classes[2])"])
    }

    @Test func anUnwritableFileIsShownAndTheCorrectionCountedUnsaved() throws {
        var book = CorrectionBook()
        let correction = RowCorrection(row: 1, key: "k1", action: .drop)
        Workbench.save(correction, step: 7, to: CorrectionsWriter(path: "/nonexistent-dir/x.corrections.jsonl"), book: &book)
        #expect(book.unsaved == 1 && book.problem?.contains("/nonexistent-dir/x.corrections.jsonl") == true)
        var state = ViewState()
        state.view = .examples
        state.book = book
        let grid = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 200, height: 30)
        #expect((0..<grid.height).contains { grid.row($0).contains("1 unsaved: ") })
        // A writable file gets the line, and the problem clears.
        let path = NSTemporaryDirectory() + "mtl-tui-corr-\(UUID().uuidString).jsonl"
        defer { unlink(path) }
        Workbench.save(correction, step: 7, to: CorrectionsWriter(path: path), book: &book)
        #expect(book.problem == nil)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == #"{"action":"drop","key":"k1","step":7}"# + "\n")
    }
}
