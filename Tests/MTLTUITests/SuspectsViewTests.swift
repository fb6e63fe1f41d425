import MTLData
@testable import MTLEngine
@testable import MTLTUI
import Testing

/// The hard-example view's suspect filter (S): confident learning on the validation rows.
struct SuspectsViewTests {
    /// The hand-worked case of `ConfidentLearningTests` as validation examples of dataset rows
    /// 100…111: suspects are examples 2, 10, 11, 5 in that order (row 9's label is missing).
    static let probabilities: [[Float]] = [
        [0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.1, 0.7, 0.2], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1],
        [0.1, 0.1, 0.8], [0.2, 0.2, 0.6], [0.1, 0.3, 0.6], [0.3, 0.3, 0.4], [0.5, 0.3, 0.2], [0.7, 0.3, 0.0],
    ]
    static let labels: [Int?] = [0, 0, 0, 1, 1, 1, 2, 2, 2, nil, 2, 1]

    static func fixture() -> (TrainerSnapshot, WorkbenchContext) {
        let n = 112
        var values = [Float](repeating: 0, count: n), mask = [Float](repeating: 0, count: n)
        for (i, label) in labels.enumerated() {
            if let label { values[100 + i] = Float(label); mask[100 + i] = 1 }
        }
        let context = WorkbenchContext(title: "t", tasks: ["mood"], kinds: [.multiclass], classes: [["sad", "calm", "glad"]],
                                       inputText: (0..<n).map { "text \($0)" },
                                       targets: [TaskTargets(width: 1, values: values, mask: mask, weights: mask)],
                                       scales: [(0, 1)], image: nil, features: [], featureWidth: 0)
        let losses = zip(probabilities, labels).map { p, label in label.map { 1 - p[$0] } ?? .nan }
        let examples = ExampleTable(rows: Array(100..<112), losses: [losses], outputs: [probabilities.flatMap { $0 }], widths: [3], step: 7)
        var snapshot = TrainerSnapshot()
        snapshot.tasks = ["mood"]
        snapshot.taskKinds = [.multiclass]
        snapshot.classes = context.classes
        snapshot.examples = examples
        return (snapshot, context)
    }

    @Test func theSuspectFilterListsLikelyWrongLabelsMostSuspectFirst() throws {
        let (snapshot, context) = Self.fixture()
        var state = ViewState()
        state.view = .examples
        _ = Controller.handle(.character("S"), state: &state, snapshot: snapshot, context: context)
        #expect(state.suspects)
        let examples = try #require(snapshot.examples)
        #expect(ExampleList.indices(examples, state: state, context: context) == [2, 10, 11, 5])
        // The search still narrows the list.
        state.search = "text 111"
        #expect(ExampleList.indices(examples, state: state, context: context) == [11])
        state.search = ""

        let grid = Screen.render(snapshot, state, context, width: 120, height: 30)
        let lines = (0..<30).map { grid.row($0) }
        #expect(lines.contains { $0.contains(ExampleSuspects.header(context, task: 0)) })
        // The first entry: example 2, given "sad", likely "calm", p(given) 0.100.
        let first = try #require(lines.firstIndex { $0.contains("text 102") })
        #expect(lines[first].contains("0.100") && lines[first].contains("sad") && lines[first].contains("likely calm"))
        #expect(lines.firstIndex { $0.contains("text 111") }! > first)

        // esc clears the filter: back to every labelled example by loss.
        _ = Controller.handle(.escape, state: &state, snapshot: snapshot, context: context)
        #expect(!state.suspects)
        #expect(ExampleList.indices(examples, state: state, context: context).count == 11)
    }

    /// `--oof FILE`: the out-of-fold probabilities rank the rows, not the model's predictions
    /// (here made to agree with every label, so without the file nothing is suspect).
    @Test func outOfFoldProbabilitiesRankTheRowsWhenGiven() throws {
        var (snapshot, context) = Self.fixture()
        let agreeing: [Float] = Self.labels.flatMap { label in (0..<3).map { $0 == (label ?? 0) ? 0.9 : 0.05 } }
        var examples = try #require(snapshot.examples)
        examples.outputs = [agreeing]
        snapshot.examples = examples
        var state = ViewState()
        state.view = .examples
        state.suspects = true
        #expect(ExampleList.indices(examples, state: state, context: context).isEmpty)

        // The file covers the listed rows and two more that the list does not show.
        let probabilities = Self.probabilities.map { $0.map(Double.init) } + [[0.9, 0.05, 0.05], [0.05, 0.9, 0.05]]
        context.outOfFold = [0: .init(rows: Array(100..<112) + [0, 1], probabilities: probabilities)]
        #expect(ExampleList.indices(examples, state: state, context: context) == [2, 10, 11, 5])
        let grid = Screen.render(snapshot, state, context, width: 120, height: 30)
        let lines = (0..<30).map { grid.row($0) }
        #expect(lines.contains { $0.contains("confident learning on --oof probabilities") })
        let first = try #require(lines.firstIndex { $0.contains("text 102") })
        #expect(lines[first].contains("0.100") && lines[first].contains("likely calm"))
    }

    @Test func regressionTasksHaveNoSuspects() {
        var (snapshot, context) = Self.fixture()
        context.kinds = [.regression]
        snapshot.taskKinds = [.regression]
        var state = ViewState()
        state.suspects = true
        #expect(ExampleList.indices(snapshot.examples!, state: state, context: context).isEmpty)
    }
}
