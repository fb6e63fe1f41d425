/// Train, validation and test row indices.
///
/// Seeded and stratified on the first classification task; rows with identical inputs form one
/// group and always land in the same split, so a duplicated text never leaks from train to test.
public struct DataSplit: Sendable, Equatable, Codable {
    public var train: [Int]
    public var validation: [Int]
    public var test: [Int]

    public init(train: [Int], validation: [Int], test: [Int]) {
        self.train = train
        self.validation = validation
        self.test = test
    }

    public static func make(_ table: Table, spec: DatasetSpec, seed: UInt64) throws(DataError) -> DataSplit {
        if let column = spec.splitColumn { return try fromColumn(table, column) }
        let inputColumns = spec.inputs.flatMap { input -> [[String]] in
            if let values = table.column(input.column) { return [values] }
            return (SpecInference.imageColumns(table, prefix: input.column) ?? []).compactMap { table.column($0) }
        }
        // Group identical inputs.
        var groupOf: [String: Int] = [:]
        var groups: [[Int]] = []
        for r in 0..<table.rowCount {
            let key = inputColumns.map { $0[r] }.joined(separator: "\u{1F}")
            if let g = groupOf[key] { groups[g].append(r) } else { groupOf[key] = groups.count; groups.append([r]) }
        }
        // Stratify groups by the first classification task's label of their first row.
        let strataColumn = spec.tasks.first { $0.kind != .regression }.flatMap { table.column($0.column) }
        var strata: [String: [Int]] = [:]
        var strataOrder: [String] = []
        for (g, rows) in groups.enumerated() {
            let label = strataColumn?[rows[0]] ?? ""
            if strata[label] == nil { strataOrder.append(label) }
            strata[label, default: []].append(g)
        }
        var rng = SeededRandom(seed: seed, stream: 1)
        var split = DataSplit(train: [], validation: [], test: [])
        let f = spec.splitFractions
        for label in strataOrder.sorted() {
            var members = strata[label]!
            members.shuffle(using: &rng)
            let n = Double(members.count)
            let nTrain = Int((n * f[0]).rounded())
            let nVal = min(Int((n * f[1]).rounded()), members.count - nTrain)
            for (i, g) in members.enumerated() {
                if i < nTrain { split.train += groups[g] }
                else if i < nTrain + nVal { split.validation += groups[g] }
                else { split.test += groups[g] }
            }
        }
        split.train.sort(); split.validation.sort(); split.test.sort()
        if split.validation.isEmpty, f[1] > 0, split.train.count > 1 { split.validation.append(split.train.removeLast()) }
        return split
    }

    private static func fromColumn(_ table: Table, _ column: String) throws(DataError) -> DataSplit {
        guard let values = table.column(column) else {
            throw DataError(file: table.file, key: "split_column", "no such column '\(column)'")
        }
        var split = DataSplit(train: [], validation: [], test: [])
        for (r, v) in values.enumerated() {
            switch v.lowercased() {
            case "train": split.train.append(r)
            case "val", "valid", "validation", "dev": split.validation.append(r)
            case "test": split.test.append(r)
            default: throw table.error(row: r, column: column, "split must be train, val or test, found '\(v)'")
            }
        }
        if split.train.isEmpty { throw DataError(file: table.file, key: column, "no rows are marked train") }
        return split
    }
}
