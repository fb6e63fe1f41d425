import Foundation

/// `--unlabeled FILE`: rows with the data's input columns and no labels, encoded with the
/// encoders fitted on the labelled data and appended after its rows.
public enum UnlabeledRows {
    /// FILE read as the data is (CSV, TSV, JSON Lines), with the task and sample-weight
    /// columns blanked: whatever labels it holds are not used, so they cannot fail to parse.
    public static func read(_ path: String, spec: DatasetSpec) throws(DataError) -> Table {
        var table = try DatasetSource.readTable(path)
        let labelColumns = Set(spec.tasks.flatMap { [$0.column] + ($0.sampleWeightColumn.map { [$0] } ?? []) })
        for (c, name) in table.header.enumerated() where labelColumns.contains(name) {
            table.columns[c] = [String](repeating: "", count: table.rowCount)
        }
        if table.rowCount == 0 { throw DataError(file: path, "no rows") }
        return table
    }

    /// `extra`'s rows laid out in `table`'s columns (blank where `extra` has no such column) and
    /// appended, so every view that shows a row's inputs by index shows these too. Their line
    /// numbers are `extra`'s: errors in them were reported when they were encoded, on their own.
    public static func append(_ extra: Table, to table: inout Table) {
        for (c, name) in table.header.enumerated() {
            table.columns[c] += extra.column(name) ?? [String](repeating: "", count: extra.rowCount)
        }
        table.rowLines += extra.rowLines
    }
}

extension EncodedRows {
    /// `other`'s rows after these; both must come from the same encoder.
    public mutating func append(_ other: EncodedRows) {
        precondition(other.featureWidth == featureWidth && other.targets.count == targets.count, "rows of another encoder")
        if let last = tokenOffsets.last {
            tokenOffsets += other.tokenOffsets.dropFirst().map { $0 + last }
            tokenIDs += other.tokenIDs
        }
        if let last = ngramOffsets.last {
            ngramOffsets += other.ngramOffsets.dropFirst().map { $0 + last }
            ngramIDs += other.ngramIDs
            ngramCounts += other.ngramCounts
        }
        features += other.features
        for t in targets.indices {
            targets[t].values += other.targets[t].values
            targets[t].mask += other.targets[t].mask
            targets[t].weights += other.targets[t].weights
        }
        count += other.count
    }
}
