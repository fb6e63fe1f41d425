import MTLData

extension LossShape {
    /// How the event log and the workbench spell it: `focal:2:0.25 · ohem 0.5`, `plain`.
    public var summary: String {
        var parts: [String] = []
        if let focal { parts.append(focal.description) }
        if let ohem { parts.append("ohem \(format(ohem))") }
        return parts.isEmpty ? "plain" : parts.joined(separator: " · ")
    }
}

extension TrainingRun {
    /// `setLossShape`: checked against the task's kind, logged as a change (a chart marker and a
    /// `message` event), in force from the next batch (the workspace follows `config` in
    /// `refreshDerived`, which runs after every batch of commands).
    func setLossShape(_ task: String, _ shape: LossShape) -> CommandRefusal? {
        guard let t = tasks.firstIndex(of: task) else { return CommandRefusal(message: "no task named '\(task)'") }
        if shape.focal != nil, setup.model.heads[t].kind == .regression {
            return CommandRefusal(message: "focal loss needs a classification task; '\(task)' is regression")
        }
        if let focal = shape.focal, !(focal.gamma >= 0 && focal.gamma.isFinite) {
            return CommandRefusal(message: "focal γ must be a finite number ≥ 0")
        }
        if let fraction = shape.ohem, !(fraction > 0 && fraction <= 1) {
            return CommandRefusal(message: "an OHEM fraction must be in (0, 1]")
        }
        var shape = shape
        if shape.ohem == 1 { shape.ohem = nil }
        guard (config.lossShapes[task] ?? LossShape()) != shape else { return nil }
        config.lossShapes[task] = shape.isPlain ? nil : shape
        log(.command, "loss \(task): \(shape.summary)")
        // The training objective changed: epochs before and after no longer compare.
        restartEarlyStopTracking()
        return nil
    }
}
