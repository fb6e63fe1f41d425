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

    /// Four tasks at 80×24: one column of panels would be 3 rows each; two columns fit.
    @Test func fourTasksAt80x24GetAChartEach() {
        let run = Self.run(Array(repeating: (.binary, 2), count: 4))
        let grid = Screen.render(run.snapshot, ViewState(), run.context, width: 80, height: 24)
        #expect(!grid.text.contains("enlarge the terminal"), "\(grid.text)")
        for t in 0..<4 { #expect(grid.text.contains("task\(t)  loss"), "\(grid.text)") }
        let titles = (0..<24).filter { grid.row($0).contains("  loss ") }
        #expect(titles.count == 2 && grid.row(titles[0]).contains("task1  loss"), "\(grid.text)")
        #expect(grid.text.contains("┴e1"), "\(grid.text)")
    }

    /// Too many tasks for a panel each: one chart with every task's curve, its title the legend.
    @Test(arguments: [(8, 80, 24), (3, 60, 20)])
    func moreTasksShareOneChart(tasks: Int, width: Int, height: Int) throws {
        let run = Self.run(Array(repeating: (.binary, 2), count: tasks))
        let grid = Screen.render(run.snapshot, ViewState(), run.context, width: width, height: height)
        #expect(!grid.text.contains("enlarge the terminal"), "\(grid.text)")
        let title = try #require((0..<height).map(grid.row).first { $0.contains("loss · smoothing 0.90") }, "\(grid.text)")
        for t in 0..<tasks {
            #expect(title.contains("━task\(t)") || title.trimmingCharacters(in: .whitespaces).hasSuffix("…"), "\(title)")
        }
        // Every task's curve in its own colour.
        let roles = Set((0..<height).flatMap { y in (0..<width).map { grid[$0, y] } }.filter { $0.text.unicodeScalars.first.map { (0x2801...0x28FF).contains($0.value) } ?? false }.map(\.style.foreground))
        #expect(roles.isSuperset(of: (0..<min(tasks, 6)).map { Role.task($0) }), "\(roles)")
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

    /// Below the minimum size the relabel picker still takes j, k and enter: the footer shows
    /// its line, with the class enter would pick, under the message.
    @Test(arguments: [(40, 12), (59, 19)])
    func theRelabelPickerShowsItsLineOnAScreenTooSmall(width: Int, height: Int) throws {
        var state = ViewState()
        _ = Fixture.press([.character("r")], view: .examples, snapshot: Fixture.running, &state)
        let picker = try #require(state.relabel)
        let classes = Fixture.run.context.classes[0]
        var grid = Screen.render(Fixture.running, state, Fixture.run.context, width: width, height: height)
        #expect(grid.text.contains("enlarge the terminal"), "\(grid.text)")
        #expect(grid.row(height - 1).hasPrefix(" relabel task0: ▶ (now) \(classes[picker.cursor]) (\(picker.cursor + 1) of 3)"), "\(grid.text)")
        // j moves the cursor: the line follows it, and names the key that picks.
        _ = Fixture.press([.character("j")], view: .examples, snapshot: Fixture.running, &state)
        let next = min(picker.cursor + 1, classes.count - 1)
        grid = Screen.render(Fixture.running, state, Fixture.run.context, width: width, height: height)
        #expect(grid.row(height - 1).contains("▶ \(next == picker.cursor ? "(now) " : "")\(classes[next]) (\(next + 1) of 3)"), "\(grid.text)")
        #expect(grid.row(height - 1).contains("enter picks") == (width >= 59), "\(grid.text)")
        #expect((0..<height).filter { !grid.row($0).trimmingCharacters(in: .whitespaces).isEmpty }.count == 2, "\(grid.text)")
    }
}
