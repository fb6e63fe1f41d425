import MTLData

/// Runs a model over a set of rows in inference mode: metrics per task and every row's loss
/// and outputs (the hard-example table).
public struct Evaluator {
    let model: Model
    let tasks: [DataEncoder.TaskEncoding]
    let batch: Batch
    let work: Model.Workspace
    /// Per task: multi-label decision thresholds (nil: 0.5 for every label, as during training).
    public var thresholds: [[Float]?]

    public init(model: Model, tasks: [DataEncoder.TaskEncoding], batch: Batch, work: Model.Workspace) {
        self.model = model
        self.tasks = tasks
        self.batch = batch
        self.work = work
        thresholds = tasks.map { _ in nil }
    }

    public func accumulators() -> [MetricAccumulator] {
        zip(model.config.heads, tasks).enumerated().map { t, pair in
            MetricAccumulator(kind: pair.0.kind, classes: pair.0.outputs, mean: pair.1.mean, std: pair.1.std,
                              thresholds: thresholds[t])
        }
    }

    /// The thresholds by task name, as a checkpoint keeps them (only the tuned ones).
    public var thresholdsByTask: [String: [Float]] {
        var out: [String: [Float]] = [:]
        for (t, values) in thresholds.enumerated() { if let values { out[tasks[t].spec.name] = values } }
        return out
    }

    /// Takes the thresholds a checkpoint saved (by task name); tasks without any keep 0.5.
    public mutating func useThresholds(_ byTask: [String: [Float]]?) {
        thresholds = tasks.map { byTask?[$0.spec.name] }
    }

    /// Per multi-label task, the threshold per label that maximises its F1 on `rows`
    /// (`DecisionThresholds.tune`); nil for other tasks and for tasks without labelled rows.
    public func tunedThresholds(_ rows: [Int], inputs: ModelInputs, step: Int) -> [[Float]?] {
        guard tasks.contains(where: { $0.spec.kind == .multilabel }), !rows.isEmpty else { return tasks.map { _ in nil } }
        let examples = evaluate(rows, inputs: inputs, step: step).examples
        return tasks.indices.map { t in
            guard tasks[t].spec.kind == .multilabel else { return nil }
            let width = examples.widths[t], all = inputs.rows.targets[t]
            var targets = [Float](), mask = [Float]()
            targets.reserveCapacity(rows.count * width)
            for r in rows {
                targets += all.values[(r * width)..<(r * width + width)]
                mask.append(all.mask[r])
            }
            guard mask.contains(where: { $0 > 0 }) else { return nil }
            return DecisionThresholds.tune(probabilities: examples.outputs[t], targets: targets, mask: mask, labels: width)
        }
    }

    public func evaluate(_ rows: [Int], inputs: ModelInputs, step: Int) -> (metrics: [TaskMetrics], examples: ExampleTable) {
        var accumulators = accumulators()
        let widths = model.config.heads.map(\.outputs)
        var examples = ExampleTable(rows: rows, losses: widths.map { _ in [] }, outputs: widths.map { _ in [] },
                                    widths: widths, step: step)
        examples.thresholds = thresholds
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
