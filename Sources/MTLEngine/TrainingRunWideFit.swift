import Foundation
import MTLData

/// `--wide-fit linear`: before deep training, each task's wide path is fitted alone as the
/// L2-regularised linear model it contains (WideFit.swift), C chosen on validation, and the heads
/// start at zero, so the model at step 0 is exactly that linear model. It is recorded as epoch 0,
/// and early stopping counts it as a candidate: a run whose deep epochs never beat it on
/// validation restores it.
public enum WideFitMode: String, Sendable, Codable, CaseIterable {
    case linear
    case off
}

extension TrainingRun {
    /// Runs at a fresh start only (a resumed run has its fitted weights in the checkpoint).
    var needsWideFit: Bool {
        config.wideFit == .linear && setup.resume == nil
    }

    /// A stop during the fit ends it at the next solver iteration, and the run stops before it
    /// trains: no epoch 0 of a half-fitted model.
    func fitWidePath() {
        let began = Date()
        let heads = model.config.heads
        var trainMetrics: [TaskMetrics] = []
        // The fit takes seconds to minutes and reads no commands: say so while it runs.
        log(.info, "wide fit: fitting each task's linear model before training; a stop ends it, other commands wait for it")
        for (t, head) in heads.enumerated() {
            let taskBegan = Date()
            snapshot.preparing = "fitting the linear model of \(head.name) (task \(t + 1) of \(heads.count)) before training"
            publish(force: true)
            let targets = setup.inputs.rows.targets[t], encoding = setup.encoder.tasks[t]
            let train = WideProblem(head: head, inputs: model.config.wideInputs, table: setup.inputs.wide, rows: setup.split.train, targets: targets)
            guard train.rows > 0 else {
                trainMetrics.append(MetricAccumulator(kind: head.kind, classes: head.outputs).metrics())
                continue
            }
            let validation = WideProblem(head: head, inputs: model.config.wideInputs, table: setup.inputs.wide,
                                         rows: setup.split.validation, targets: targets)
            let metric = wideFitMetric(t)
            var solver = LBFGS()
            solver.shouldStop = { [channel] in channel.stopIsWaiting() }
            guard let choice = WideFit.choose(train, validation: validation, metric: metric, task: encoding, solver: solver) else {
                log(.info, "wide fit: stopped during \(head.name)'s fit")
                snapshot.preparing = nil
                return
            }
            let path = model.wide[t]
            model.parameters.pointer.advanced(by: path.weight).update(from: choice.parameters.pointer, count: path.inputs * path.outputs)
            model.parameters.pointer.advanced(by: path.bias).update(from: choice.parameters.pointer + path.inputs * path.outputs, count: path.outputs)
            trainMetrics.append(WideFit.evaluate(train, UnsafePointer(choice.parameters.pointer), task: encoding))
            let tried = choice.trials.map { "C=\(format($0.c)) \($0.score.map(format) ?? "–") (\($0.iterations) it)" }.joined(separator: ", ")
            log(.info, "wide fit: \(head.name) C=\(format(choice.c)) by validation \(metric) [\(tried)] in \(String(format: "%.1f", Date().timeIntervalSince(taskBegan))) s")
            publish(force: true)
        }
        snapshot.preparing = nil
        // The deep part adds nothing until it learns: step 0 is the fitted linear model.
        for head in model.heads { zero(head) }
        recordLinearEpoch(train: trainMetrics, seconds: Date().timeIntervalSince(began))
    }

    /// After early stopping kept a deep epoch, each task whose validation score (the metric
    /// that chose its C) was better in epoch 0, the fitted linear model, gets its head zeroed:
    /// it predicts with that linear model again while the other tasks keep the deep one. Exact
    /// only while every wide path stayed as fitted (frozen, as it is unless `--wide-lr`), and
    /// only with early stopping (without it the user asked for the last epoch). Returns the
    /// tasks that fell back.
    func fallBackToTheLinearModelPerTask() -> [String] {
        guard config.wideFit == .linear, config.earlyStop != nil, model.config.wide,
              model.wideNames.allSatisfy(frozen.contains),
              let linear = snapshot.history.first(where: { $0.epoch == 0 }),
              let keptEpoch = snapshot.keptRecord?.epoch, keptEpoch != 0,
              let kept = snapshot.history.first(where: { $0.epoch == keptEpoch }) else { return [] }
        var fell: [String] = []
        for (t, head) in model.heads.enumerated() {
            let name = wideFitMetric(t)
            guard let before = metric("\(tasks[t]).\(name)", linear), let after = metric("\(tasks[t]).\(name)", kept),
                  TaskMetrics.higherIsBetter(name) ? before > after : before < after else { continue }
            zero(head)
            fell.append(tasks[t])
            log(.info, "wide fit: \(tasks[t]) keeps the linear model (validation \(name) \(format(before)) in epoch 0, \(format(after)) in epoch \(keptEpoch))")
        }
        return fell
    }

    /// A head's weights and bias to zero: its task's logits are then the wide path's alone.
    private func zero(_ head: Dense) {
        model.parameters.pointer.advanced(by: head.weight).update(repeating: 0, count: head.inputs * head.outputs)
        model.parameters.pointer.advanced(by: head.bias).update(repeating: 0, count: head.outputs)
    }

    /// The metric that picks a task's C: the early-stopping rule's when it names this task,
    /// else macro-F1 (RMSE for regression), as the linear baseline picks it.
    private func wideFitMetric(_ t: Int) -> String {
        if let rule = config.earlyStop?.metric, let named = EarlyStop.taskMetric(rule), named.task == tasks[t], named.metric != "loss" {
            return named.metric
        }
        return model.config.heads[t].kind == .regression ? "rmse" : "macro_f1"
    }

    /// Epoch 0: the linear model's metrics, and early stopping's first candidate.
    private func recordLinearEpoch(train: [TaskMetrics], seconds: Double) {
        _ = recordEpoch(0, train: train, seconds: seconds, pseudoLabels: nil)
        publish(force: true)
    }
}
