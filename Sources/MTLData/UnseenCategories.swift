extension DataEncoder {
    /// Per categorical input, the rows of `table` holding a value training never saw: the model
    /// reads them as the column's unknown category, which changes its prediction. An empty cell
    /// is a missing value, read as in training, not an unseen one.
    public func unseenCategories(_ table: Table) -> [(column: String, rows: [Int])] {
        categorical.compactMap { encoding in
            guard let values = table.column(encoding.column) else { return nil }
            let known = Set(encoding.categories)
            let rows = values.indices.filter { !values[$0].isEmpty && !known.contains(values[$0]) }
            return rows.isEmpty ? nil : (encoding.column, rows)
        }
    }
}
