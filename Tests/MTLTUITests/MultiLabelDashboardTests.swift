import Testing
import MTLData
import MTLEngine
@testable import MTLTUI

/// A multi-label task shows micro-F1 and, on a second row, subset accuracy in the metrics table.
@Suite struct MultiLabelDashboardTests {
    @Test func multiLabelTasksShowMicroF1AndSubsetAccuracy() {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.multilabel, 4), (.binary, 2)]
        let model = ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [6], dropout: 0, features: 3, heads: SyntheticData.heads(tasks))
        let run = WorkbenchContext.finishedSyntheticRun(model: model, tasks: tasks, rows: 120, tokens: 0, epochs: 2,
                                                        batchSize: 16, title: "tags") { "row \($0)" }
        let grid = Screen.render(run.snapshot, ViewState(), run.context, width: 120, height: 40)
        let header = (0..<40).first { grid.row($0).contains("val loss") && grid.row($0).contains("metric") }
        #expect(header != nil)
        guard let header else { return }
        let micro = grid.row(header + 1), subset = grid.row(header + 2), binary = grid.row(header + 3)
        #expect(micro.contains("task0") && micro.contains("micro_f1"), "\(micro)")
        #expect(!subset.contains("task0") && subset.contains("subset_acc"), "\(subset)")
        #expect(binary.contains("task1") && binary.contains("macro_f1"), "\(binary)")
        // Latest subset accuracy, from the last epoch's validation metrics.
        let latest = run.snapshot.history.last!.validation[0].subsetAccuracy!
        #expect(subset.contains(LineChart.format(latest)), "\(subset)")
    }
}
