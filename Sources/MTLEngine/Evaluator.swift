import MTLData

/// Runs a model over a set of rows in inference mode: metrics per task and every row's loss
/// and outputs (the hard-example table).
public struct Evaluator {
    let model: Model
    let tasks: [DataEncoder.TaskEncoding]
    let batch: Batch
    let work: Model.Workspace

    public init(model: Model, tasks: [DataEncoder.TaskEncoding], batch: Batch, work: Model.Workspace) {
        self.model = model
        self.tasks = tasks
        self.batch = batch
        self.work = work
    }

    public func accumulators() -> [MetricAccumulator] {
        zip(model.config.heads, tasks).map { head, task in
            MetricAccumulator(kind: head.kind, classes: head.outputs, mean: task.mean, std: task.std)
        }
    }

    public func evaluate(_ rows: [Int], inputs: ModelInputs, step: Int) -> (metrics: [TaskMetrics], examples: ExampleTable) {
        var accumulators = accumulators()
        let widths = model.config.heads.map(\.outputs)
        var examples = ExampleTable(rows: rows, losses: widths.map { _ in [] }, outputs: widths.map { _ in [] },
                                    widths: widths, step: step)
        var start = 0
        while start < rows.count {
            let end = min(start + batch.capacity, rows.count)
            batch.fill(rows[start..<end], from: inputs, kernel: model.config.kernel)
            model.forward(batch, work, training: false, step: step)
            _ = model.losses(batch, work, taskWeights: nil)
            accumulate(&accumulators)
            appendExamples(to: &examples)
            start = end
        }
        return (accumulators.map { $0.metrics() }, examples)
    }

    /// Adds the current batch's results (after `losses`) to the metric accumulators.
    func accumulate(_ accumulators: inout [MetricAccumulator]) {
        for t in accumulators.indices {
            let width = model.config.heads[t].outputs
            let probabilities = work.probabilities[t].pointer, targets = batch.targets[t].pointer
            let rowLoss = work.rowLoss[t].pointer, mask = batch.masks[t].pointer
            for b in 0..<batch.count {
                accumulators[t].add(probabilities: probabilities + b * width, targets: targets + b * batch.widths[t],
                                    mask: mask[b], weight: batch.weights[t][b], loss: rowLoss[b])
            }
        }
    }

    /// Appends each row of the current batch (its loss and outputs per task) to the table.
    func appendExamples(to examples: inout ExampleTable) {
        for t in examples.losses.indices {
            let width = model.config.heads[t].outputs
            let probabilities = work.probabilities[t].pointer
            let rowLoss = work.rowLoss[t].pointer, mask = batch.masks[t].pointer
            for b in 0..<batch.count {
                examples.losses[t].append(mask[b] > 0 ? rowLoss[b] : .nan)
                if tasks[t].spec.kind == .regression {
                    examples.outputs[t].append(Float(Double(probabilities[b]) * tasks[t].std + tasks[t].mean))
                } else {
                    for c in 0..<width { examples.outputs[t].append(probabilities[b * width + c]) }
                }
            }
        }
    }
}
