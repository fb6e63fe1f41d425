import MTLData

/// Live corrections and the browser's training/test rows (see LiveCorrections.swift).
extension TrainingRun {
    func applyCorrection(_ correction: RowCorrection) -> CommandRefusal? {
        defer {
            snapshot.droppedRows = corrections.dropped
            snapshot.correctionCount = corrections.active.count
        }
        do throws(LiveCorrections.Problem) {
            let message = try corrections.apply(correction, to: &setup.inputs.rows.targets, tasks: setup.encoder.tasks,
                                                training: trainingRows)
            log(.command, "correction: \(message)")
            return nil
        } catch {
            return CommandRefusal(message: "correction not applied: \(error.message)")
        }
    }

    /// The training rows as a set, built on the first correction.
    var trainingRows: Set<Int> {
        if let cached = trainingRowSet { return cached }
        let rows = Set(setup.split.train)
        trainingRowSet = rows
        return rows
    }

    /// Evaluates the training or test rows for the browser when it lists them.
    func refreshOtherExamples() {
        let rows: [Int]
        switch exampleSplit {
        case .validation: snapshot.otherExamples = nil; return
        case .train: rows = setup.split.train
        case .test: rows = setup.split.test
        }
        var table = evaluator.evaluate(rows, inputs: setup.inputs, step: keptWeightsStep ?? position.step).examples
        table.split = exampleSplit
        snapshot.otherExamples = table
    }
}

extension TrainingRun {
    /// At an epoch's start: the unlabelled training rows take the model's confident predictions
    /// (or none before the rule's start epoch, or when it is off). Rows the user corrected keep
    /// what the correction says.
    func refreshPseudoLabels() {
        let pool = pseudoPool
        guard !pool.isEmpty, config.pseudoLabel != nil || pseudoCounts != nil else { return }
        let corrected = Set(corrections.active.map(\.row))
        let rows = pool.filter { !corrected.contains($0) }
        let rule = config.pseudoLabel.flatMap { position.epoch + 1 >= $0.startEpoch ? $0 : nil }
        let examples = rule == nil ? ExampleTable(rows: rows, losses: [], outputs: [], widths: [], step: position.step)
            : evaluator.evaluate(rows, inputs: setup.inputs, step: position.step).examples
        let counts = PseudoLabels.assign(examples, to: &setup.inputs.rows.targets, kinds: setup.model.heads.map(\.kind), rule: rule)
        pseudoCounts = config.pseudoLabel == nil ? nil : counts
    }
}
