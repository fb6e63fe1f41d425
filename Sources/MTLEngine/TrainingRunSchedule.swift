import Foundation

/// The learning-rate parts of the training loop: the rate each step uses, the manual changes
/// (which scale the schedule rather than replace it), plateau's epoch check and the trace.
extension TrainingRun {
    var plannedSteps: Int { config.epochs * batchesPerEpoch }

    /// The rate the next step uses.
    func currentRate() -> Float {
        rates.rate(base: config.optimizer.learningRate, step: position.step, epoch: position.epoch, totalSteps: plannedSteps)
    }

    /// Sets the optimizer's rate for the step about to be applied, and returns it.
    func beginStepRate() -> Float {
        let rate = currentRate()
        optimizer.config.learningRate = rate
        return rate
    }

    /// Tells the observer the rate of the step just taken when it differs from the last one told.
    func reportRate(_ rate: Float) {
        guard channel.hasObserver, lastReportedRate != rate.shortestDouble else { return }
        lastReportedRate = rate.shortestDouble
        channel.report(.learningRate(step: position.step, rate: rate.shortestDouble))
    }

    /// `<` `>`, a typed rate, or another schedule. A new rate moves the base so the rate in force
    /// becomes it and the schedule goes on from there, scaled. A rate that is not a finite
    /// positive 32-bit float is refused.
    func changeRate(_ command: TrainerCommand) -> CommandRefusal? {
        let base = Double(config.optimizer.learningRate)
        var newBase = base
        switch command {
        case .setSchedule(let schedule):
            config.schedule = schedule
            rates = RateSchedule(schedule: schedule)
            log(.command, "learning-rate schedule \(schedule.spec) (rate now \(format(currentRate().shortestDouble)))")
            return nil
        case .scaleLearningRate(let factor):
            newBase = base * factor
        case .setLearningRate(let typed):
            guard typed > 0, typed.isFinite else { return CommandRefusal(message: "learning rate must be a finite number > 0") }
            newBase = rates.base(for: typed, step: position.step, epoch: position.epoch, totalSteps: plannedSteps)
        default:
            return nil
        }
        guard newBase > 0, newBase.isFinite, Float(newBase) > 0, Float(newBase).isFinite else {
            return CommandRefusal(message: "learning rate must be a finite number > 0 within 32-bit floats (got \(format(newBase)))")
        }
        config.optimizer.learningRate = Float(newBase)
        let scaled = config.schedule == .constant ? "" : " (the \(config.schedule.spec) schedule goes on from it, scaled)"
        log(.command, "learning rate \(format(currentRate().shortestDouble))\(scaled)")
        return nil
    }

    /// After an epoch's validation: plateau counts the early-stop metric (else the weighted
    /// validation loss) and cuts the rate after its patience.
    func observePlateau(_ record: EpochRecord) {
        guard case .plateau = config.schedule, !setup.split.validation.isEmpty else { return }
        let name = config.earlyStop?.metric ?? "loss"
        guard let value = metric(name, record) else { return }
        let higher = name == "loss" ? false : TaskMetrics.higherIsBetter(String(name.split(separator: ".").last!))
        if rates.schedule.observe(value, higherIsBetter: higher, state: &rates.state) != nil {
            log(.info, "plateau: \(name) has not improved for \(rates.schedule.spec.split(separator: ":")[1]) epochs; learning rate \(format(currentRate().shortestDouble))")
        }
    }

}

extension TrainerSnapshot {
    /// Adds a point to the rate trace where the rate changed since the last one (a trainer's
    /// own, or what a watched stream reports).
    public mutating func traceRate(_ rate: Double, at step: Int) {
        if rateTrace.last?.weight == rate { return }
        if rateTrace.last?.step == step { rateTrace.removeLast() }
        rateTrace.append(WeightPoint(step: step, weight: rate))
        if rateTrace.count > 1000 { rateTrace.removeFirst() }
    }
}
