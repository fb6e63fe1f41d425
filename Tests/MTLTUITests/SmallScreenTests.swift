import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// The smallest screens that still show what a user needs.
@Suite struct SmallScreenTests {
    /// A finished run of `count` tasks of `kind` on features (fast to train).
    static func run(_ tasks: [(kind: TaskKind, classes: Int)]) -> (snapshot: TrainerSnapshot, context: WorkbenchContext) {
        let model = ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [6], dropout: 0, features: 3, heads: SyntheticData.heads(tasks))
        return WorkbenchContext.finishedSyntheticRun(model: model, tasks: tasks, rows: 120, tokens: 0, epochs: 2,
                                                     batchSize: 16, title: "small") { "row \($0)" }
    }

    /// A multi-label set too long for its column ends in "…", in the true and the fix columns.
    @Test func multiLabelSetsCutInTheirColumnsEndInAnEllipsis() throws {
        var run = Self.run([(.multilabel, 4), (.binary, 2)])
        run.context.classes[0] = ["exclaim", "long", "question", "short"]
        let examples = try #require(run.snapshot.examples)
        var state = ViewState()
        state.view = .examples
        state.book.made = examples.rows.map { RowCorrection(row: $0, key: "k\($0)", task: "task0", action: .relabel, value: "exclaim|long|question|short") }
        let grid = Screen.render(run.snapshot, state, run.context, width: 80, height: 24)
        let rows = (4..<23).map(grid.row)
        // The true column: 15 columns from column 16.
        let truths = rows.map { String($0.dropFirst(16).prefix(16)) }.filter { $0.hasPrefix("exclaim|long|") }
        #expect(!truths.isEmpty && truths.allSatisfy { $0.hasSuffix("… ") || $0 == "exclaim|long    " }, "\(grid.text)")
        #expect(rows.filter { $0.contains("→exclaim|long|q…") }.count == examples.count, "\(grid.text)")
    }
}
