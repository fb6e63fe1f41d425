import MTLData

extension RunPreparation {
    /// `--unlabeled FILE`, checked against the spec, the pseudo-label rule and, when resuming,
    /// the rows the saved run trained with; nil without the flag.
    static func readUnlabeled(_ options: RunOptions, spec: DatasetSpec, saved: TrainingConfig?) throws -> Table? {
        let savedRows = saved?.unlabeledRows ?? 0
        guard let path = options.unlabeled else {
            if savedRows > 0 {
                throw UsageError("--resume", "the run trained with \(savedRows) rows from --unlabeled; pass the same --unlabeled FILE to resume it")
            }
            return nil
        }
        // A resumed run keeps its saved rule.
        let rule = saved != nil ? saved?.pseudoLabel : options.pseudoLabel
        if rule == nil, !options.unlabeledWithoutRule {
            throw UsageError("--unlabeled", "needs --pseudo-label THRESHOLD: its rows have no labels, only the model's confident predictions train on them")
        }
        let table = try UnlabeledRows.read(path, spec: spec)
        for input in spec.inputs where table.columnIndex(input.column) == nil && SpecInference.imageColumns(table, prefix: input.column) == nil {
            throw DataError(file: path, key: "column '\(input.column)'",
                            "missing: every input of the data must be in the unlabeled rows (columns: \(table.header.joined(separator: ", ")))")
        }
        if saved != nil, table.rowCount != savedRows {
            throw UsageError("--unlabeled", "\(path) has \(table.rowCount) rows; the run being resumed trained with \(savedRows) (pass the same file)")
        }
        return table
    }
}
