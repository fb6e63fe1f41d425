import Foundation

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
        let groups = inputGroups(table, spec: spec, rows: Array(0..<table.rowCount))
        let strata = stratify(groups, table: table, task: strataTask(spec))
        var rng = SeededRandom(seed: seed, stream: 1)
        var split = DataSplit(train: [], validation: [], test: [])
        let f = spec.splitFractions
        for label in strata.keys.sorted() {
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

    /// One key per row from its input columns: rows with equal keys show the model the same thing.
    public static func inputKeys(_ table: Table, spec: DatasetSpec) -> [String] {
        let inputColumns = spec.inputs.flatMap { input -> [[String]] in
            if let values = table.column(input.column) { return [values] }
            return (SpecInference.imageColumns(table, prefix: input.column) ?? []).compactMap { table.column($0) }
        }
        return (0..<table.rowCount).map { r in inputColumns.map { $0[r] }.joined(separator: "\u{1F}") }
    }

    /// `rows` grouped by identical inputs, groups in order of their first row.
    public static func inputGroups(_ table: Table, spec: DatasetSpec, rows: [Int]) -> [[Int]] {
        let keys = inputKeys(table, spec: spec)
        var groupOf: [String: Int] = [:]
        var groups: [[Int]] = []
        for r in rows {
            if let g = groupOf[keys[r]] { groups[g].append(r) } else { groupOf[keys[r]] = groups.count; groups.append([r]) }
        }
        return groups
    }

    /// The first classification task, whose label stratifies the split (nil: regression only).
    public static func strataTask(_ spec: DatasetSpec) -> TaskSpec? { spec.tasks.first { $0.kind != .regression } }

    /// Group indices by `task`'s label of each group's first row (all in "" without a task).
    public static func stratify(_ groups: [[Int]], table: Table, task: TaskSpec?) -> [String: [Int]] {
        let column = task.flatMap { table.column($0.column) }
        var strata: [String: [Int]] = [:]
        for (g, rows) in groups.enumerated() { strata[column?[rows[0]] ?? "", default: []].append(g) }
        return strata
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

/// Which inputs a run trained, validated and tested on, as 64-bit FNV-1a hashes of each row's
/// input key (base64, 8 bytes a row): `eval` on a file can then tell rows the model has seen
/// from held-out ones, in the same file or another.
public struct SplitDigest: Sendable, Codable, Equatable {
    public var train: String
    public var validation: String
    public var test: String

    public init(_ table: Table, spec: DatasetSpec, split: DataSplit) {
        let keys = DataSplit.inputKeys(table, spec: spec)
        func encode(_ rows: [Int]) -> String {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(rows.count * 8)
            for r in rows { withUnsafeBytes(of: Self.hash(keys[r]).littleEndian) { bytes += $0 } }
            return Data(bytes).base64EncodedString()
        }
        train = encode(split.train)
        validation = encode(split.validation)
        test = encode(split.test)
    }

    public static func hash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    /// The hashes of one part, empty if it is not valid base64 of 8-byte hashes.
    public static func hashes(_ text: String) -> Set<UInt64> {
        guard let data = Data(base64Encoded: text), data.count % 8 == 0 else { return [] }
        var out = Set<UInt64>()
        data.withUnsafeBytes { raw in
            for i in stride(from: 0, to: data.count, by: 8) { out.insert(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))) }
        }
        return out
    }

    /// Per row of `table`: "train", "validation" or nil (held out: the run's test rows and rows it never saw).
    public func seen(_ table: Table, spec: DatasetSpec) -> [String?] {
        let train = Self.hashes(self.train), validation = Self.hashes(self.validation)
        return DataSplit.inputKeys(table, spec: spec).map { key in
            let h = Self.hash(key)
            return train.contains(h) ? "train" : validation.contains(h) ? "validation" : nil
        }
    }
}
