import MTLData
import MTLEngine

/// Focal loss (F) and OHEM (o) for the task under the Controls cursor. The next shape comes
/// from the snapshot; the trainer applies it at the next batch and logs it as a change.
enum LossShapeKeys {
    /// OHEM fractions `o` steps through, then back to every row.
    static let fractions: [Double] = [0.5, 0.25]

    static func handle(_ action: Action, state: inout ViewState, snapshot s: TrainerSnapshot) -> [Effect] {
        guard state.controlsRow < s.tasks.count else {
            state.note = "select a task (F focal loss, o OHEM apply to tasks)"
            return []
        }
        let task = s.tasks[state.controlsRow], kind = s.taskKinds[state.controlsRow]
        var shape = s.lossShapes[task] ?? LossShape()
        if action == .toggleFocal {
            guard kind != .regression else {
                state.note = "focal loss needs a classification task; \(task) is regression"
                return []
            }
            shape.focal = shape.focal == nil ? FocalLoss(gamma: 2, alpha: FocalLoss.defaultAlpha(for: kind)) : nil
        } else {
            let next = shape.ohem.flatMap { fractions.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
            shape.ohem = next < fractions.count ? fractions[next] : nil
        }
        state.note = "loss \(task): \(shape.summary) from the next batch"
        return [.command(.setLossShape(task: task, shape))]
    }

    /// The Controls line: each task's shape, or how to set one.
    static func line(_ s: TrainerSnapshot) -> String {
        let shaped = s.tasks.compactMap { task in s.lossShapes[task].map { "\(task) \($0.summary)" } }
        return shaped.isEmpty ? "loss: plain on every task (F focal, o OHEM on the selected task)"
            : "loss: " + shaped.joined(separator: " · ") + " (F, o)"
    }
}
