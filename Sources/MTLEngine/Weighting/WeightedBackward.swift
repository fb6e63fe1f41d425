/// The backward half of a training step under a weighting strategy, between the losses and the
/// optimizer: the plain summed pass when nothing needs the tasks' separate gradients, else one
/// trunk pass per task into buffers held here, the strategy's `combine` into the shared slice,
/// and (when asked) a gradient-conflict measurement from the same buffers.
///
/// ```swift
/// let results = model.losses(batch, work, taskWeights: ones)     // unweighted logit gradients
/// let weights = weighting.weights(step)                            // times the user's weights
/// backward.run(batch, work, frozen: [], weights: effective, weighting: weighting, step: step, conflict: &conflict)
/// optimizer.step(model, frozen: [])
/// ```
final class WeightedBackward {
    let model: Model
    /// Each task's gradient on the shared parameters (of its unweighted loss), once needed.
    private(set) var taskGradients: [FloatBuffer] = []
    /// Where the last dense layer's per-task gradients are formed (the parameters' size), once needed.
    private var scratch: FloatBuffer?

    init(model: Model) { self.model = model }

    /// Leaves in `model.gradients` the gradient of the update: Σ wₜLₜ on the heads, the
    /// strategy's combination on the trunk. `conflict`, when given, is measured on this step.
    func run(_ batch: Batch, _ work: Model.Workspace, frozen: Set<String>, weights: [Double], weighting: LossWeighting,
             step: WeightingStep, conflict: inout GradientConflict?) {
        if weighting.needsLastLayerNorms(at: step.step) {
            if scratch == nil { scratch = FloatBuffer(count: model.parameterCount) }
            if let norms = model.lastDenseWeightGradientNorms(batch, work, scratch: scratch!) {
                weighting.observe(lastLayerNorms: norms, weights: weights, step: step)
            }
        }
        let perTask = weighting.needsTaskGradients(at: step.step) || conflict != nil
        guard perTask, model.sharedCount > 0 else {
            model.scaleLogitGradients(work, batch: batch.count, by: weights)
            model.backward(batch, work, frozen: frozen)
            return
        }
        if taskGradients.isEmpty { taskGradients = model.config.heads.map { _ in FloatBuffer(count: model.sharedCount) } }
        model.backwardPerTask(batch, work, frozen: frozen, into: taskGradients)
        model.scaleTaskLayerGradients(by: weights)
        if weighting.needsTaskGradients(at: step.step) {
            weighting.combine(taskGradients, weights: weights, step: step, into: model.gradients.pointer)
        } else {
            weightedSum(taskGradients, weights: weights, count: model.sharedCount, into: model.gradients.pointer)
        }
        conflict?.record(taskGradients, step: step.step + 1)
    }
}
