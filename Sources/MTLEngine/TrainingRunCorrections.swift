import MTLData

/// Live corrections and the browser's training/test rows (see LiveCorrections.swift).
extension TrainingRun {
    func applyCorrection(_ correction: RowCorrection) {
        do throws(LiveCorrections.Problem) {
            let message = try corrections.apply(correction, to: &setup.inputs.rows.targets, tasks: setup.encoder.tasks,
                                                training: trainingRows)
            log(.command, "correction: \(message)")
        } catch {
            log(.warning, "correction not applied: \(error.message)")
        }
        snapshot.droppedRows = corrections.dropped
        snapshot.correctionCount = corrections.active.count
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
        var table = evaluator.evaluate(rows, inputs: setup.inputs, step: position.step).examples
        table.split = exampleSplit
        snapshot.otherExamples = table
    }
}
