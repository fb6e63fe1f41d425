import Foundation
import MTLData
import MTLEngine

/// Times a full render of each view at a given size, on the snapshot of a real (synthetic)
/// run whose loss series are full (1,024 buckets per task) with 2,400 validation examples.
public enum RedrawBenchmark {
    public struct Result: Sendable {
        public var view: View
        /// Milliseconds per frame, one entry per frame.
        public var milliseconds: [Double]
        public var median: Double { milliseconds.sorted()[milliseconds.count / 2] }
    }

    public static func run(width: Int = 200, height: Int = 60, frames: Int = 200) -> [Result] {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 4), (.multiclass, 3), (.regression, 1)]
        let model = ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [16], dropout: 0, features: 8, heads: SyntheticData.heads(tasks))
        let (snapshot, context) = WorkbenchContext.finishedSyntheticRun(
            model: model, tasks: tasks, rows: 24_000, tokens: 0, epochs: 12, batchSize: 8, title: "bench") {
            "example \($0): a review of moderate length, with some words 日本 😀 in it"
        }
        return View.allCases.map { view in
            var state = ViewState()
            state.view = view
            var times: [Double] = []
            for _ in 0..<frames {
                let start = DispatchTime.now().uptimeNanoseconds
                let grid = Screen.render(snapshot, state, context, width: width, height: height)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                precondition(grid.width == width)
            }
            return Result(view: view, milliseconds: times)
        }
    }
}
