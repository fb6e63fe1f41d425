import Foundation
import MTLData
import MTLEngine

/// How the single-task baselines read on screen: a task's value, the runner's progress and
/// LibMTL's Δp of the multi-task run against them.
enum BaselineText {
    /// Task `t`'s baseline value of `metric` (validation), or how far its training is.
    static func cell(_ b: BaselineRunner.Snapshot, task t: Int, metric: String) -> String {
        if let result = b.results.indices.contains(t) ? b.results[t] : nil {
            return result.validation.value(metric).map(LineChart.format) ?? "—"
        }
        if let current = b.current, current.task == t { return "training \(Int(current.progress * 100))%" }
        return b.failure == nil ? "—" : "failed"
    }

    /// One line: what the baseline runner is doing.
    static func progress(_ b: BaselineRunner.Snapshot) -> String {
        let done = b.results.filter { $0 != nil }.count
        if let failure = b.failure { return "single-task baselines: \(done) of \(b.tasks.count) done, then failed: \(failure)" }
        if b.finished || done == b.tasks.count { return "single-task baselines: all \(b.tasks.count) trained" }
        if let current = b.current, b.tasks.indices.contains(current.task) {
            return "single-task baselines: training \(b.tasks[current.task]) alone \(Int(current.progress * 100))% · \(done) of \(b.tasks.count) done"
        }
        return "single-task baselines: \(done) of \(b.tasks.count) done"
    }

    /// LibMTL's Δp on validation (the epoch the run keeps) and, once both exist, on test.
    static func deltaP(_ s: TrainerSnapshot, _ b: BaselineRunner.Snapshot) -> (text: String, value: Double?) {
        let what = "LibMTL's Δp over single-task baselines, higher is better"
        guard let kept = s.keptModelValidation else { return ("Δp after the first evaluation · " + what, nil) }
        guard let validation = BaselineRunner.deltaP(kept, baselines: b.results, kinds: s.taskKinds, test: false) else {
            return ("Δp once every baseline has finished (\(progress(b))) · " + what, nil)
        }
        var text = "Δp " + percent(validation) + " validation"
        if let test = s.test, let value = BaselineRunner.deltaP(test, baselines: b.results, kinds: s.taskKinds, test: true) {
            text += " · " + percent(value) + " test"
        }
        return (text + " · " + what, validation)
    }

    static func percent(_ v: Double) -> String { NumberText.format("%+.2f%%", v) }
}
