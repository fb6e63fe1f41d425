import Foundation
import MTLData
import MTLEngine

extension RedrawBenchmark {
    /// Times view 4 of a binary task — ROC and precision–recall curves over the 2,400 validation
    /// rows of a synthetic run — at a given size. The first frame computes the curves; later ones
    /// find them cached, as a live screen does between evaluations.
    public static func curves(width: Int = 200, height: Int = 60, frames: Int = 200) -> Result {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.binary, 2), (.multiclass, 3)]
        let model = ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [16], dropout: 0, features: 8, heads: SyntheticData.heads(tasks))
        let (snapshot, context) = WorkbenchContext.finishedSyntheticRun(
            model: model, tasks: tasks, rows: 24_000, tokens: 0, epochs: 1, batchSize: 64, title: "bench") { "example \($0)" }
        var state = ViewState()
        state.view = .confusion
        var times: [Double] = []
        for _ in 0..<frames {
            let start = DispatchTime.now().uptimeNanoseconds
            let grid = Screen.render(snapshot, state, context, width: width, height: height)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            precondition(grid.width == width && CurvesView.model(snapshot, state, context) != nil, "the curves were drawn")
        }
        return Result(view: .confusion, milliseconds: times)
    }
}
