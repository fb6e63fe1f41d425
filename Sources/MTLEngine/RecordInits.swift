/// Public ways to build the records a run publishes, so a reader of another run's event stream
/// (`mtl-tui watch`) can rebuild a snapshot the workbench draws like its own. (Their memberwise
/// initialisers are internal and cannot be redeclared public from an extension.)

extension TaskMetrics {
    /// Metrics with only a loss and a row count; set the others as the source reports them.
    public init(loss: Double, count: Int) {
        self.loss = loss
        self.count = count
    }
}

extension EpochRecord {
    public static func reported(epoch: Int, step: Int, train: [TaskMetrics], validation: [TaskMetrics],
                                validationTotal: Double, seconds: Double) -> EpochRecord {
        EpochRecord(epoch: epoch, step: step, train: train, validation: validation, validationTotal: validationTotal, seconds: seconds)
    }
}

extension TrainerEvent {
    public static func reported(step: Int, epoch: Int, kind: Kind, message: String) -> TrainerEvent {
        TrainerEvent(step: step, epoch: epoch, kind: kind, message: message)
    }
}

extension LayerSummary {
    public static func reported(name: String, parameters: Int) -> LayerSummary { LayerSummary(name: name, parameters: parameters) }
}

extension WeightPoint {
    public static func reported(step: Int, weight: Double) -> WeightPoint { WeightPoint(step: step, weight: weight) }
}
