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
        try planned(table, spec: spec, seed: seed).split
    }

    /// The split, with a note when rows with identical inputs kept it far from the asked fractions.
    ///
    /// Groups of identical inputs are dealt out per label by count, `round(groups × fraction)`:
    /// every published split comes from that rule, so it stays whenever it lands near the asked
    /// rows. When a few large groups hold most rows it can miss them badly (a 300-row file with 9
    /// texts split 199/1/100; 21 texts over 120 rows left no test rows), so then the groups are
    /// dealt out by rows instead (`byRows`), and the closer of the two is kept.
    public static func planned(_ table: Table, spec: DatasetSpec, seed: UInt64) throws(DataError) -> (split: DataSplit, note: String?) {
        if let column = spec.splitColumn { return (try fromColumn(table, column), nil) }
        let groups = inputGroups(table, spec: spec, rows: Array(0..<table.rowCount))
        let strata = stratify(groups, table: table, task: strataTask(spec))
        var rng = SeededRandom(seed: seed, stream: 1)
        let shuffled = strata.keys.sorted().map { label in
            var members = strata[label]!
            members.shuffle(using: &rng)
            return members
        }
        let f = spec.splitFractions
        let targets = f.map { Double(table.rowCount) * $0 }
        let byCount = assemble(settled(byGroupCount(shuffled, fractions: f, groups: groups.count), groups, fractions: f), groups)
        // Distinct rows keep the count rule even when rounding per label misses (many small
        // labels): what this fixes is groups, and every run on distinct rows keeps its split.
        guard groups.count < table.rowCount, misses(byCount, targets: targets) else { return (byCount, nil) }
        let rows = assemble(settled(byRows(shuffled, groups, fractions: f, rows: table.rowCount), groups, fractions: f), groups)
        let split = deviation(rows, targets: targets) < deviation(byCount, targets: targets) ? rows : byCount
        guard misses(split, targets: targets) else { return (split, nil) }
        let percent = { (parts: [Double]) in parts.map { "\(Int(($0 * 100).rounded()))%" }.joined(separator: " / ") }
        let got = [split.train, split.validation, split.test].map { Double($0.count) / Double(table.rowCount) }
        return (split, "note: rows with identical inputs stay together, so the split is \(percent(got)) of the rows rather than the asked \(percent(f))")
    }

    /// The part (0 train, 1 validation, 2 test) of each group: the first `round(n × fraction)` of
    /// each label's `n` shuffled groups train, the next validate, the rest test.
    private static func byGroupCount(_ shuffled: [[Int]], fractions f: [Double], groups: Int) -> [Int] {
        var part = [Int](repeating: 2, count: groups)
        for members in shuffled {
            let n = Double(members.count)
            let nTrain = Int((n * f[0]).rounded())
            let nVal = min(Int((n * f[1]).rounded()), members.count - nTrain)
            for (i, g) in members.enumerated() { part[g] = i < nTrain ? 0 : i < nTrain + nVal ? 1 : 2 }
        }
        return part
    }

    /// The part of each group, weighing groups by their rows. Each group sits at the middle of its
    /// rows within its label's shuffled rows, as a fraction `u` of them; all groups in order of `u`
    /// (so each label spreads evenly) then fill train to `round(rows × fraction)` rows, validation
    /// to its own target, and test with the rest. A group goes to the part its middle row falls
    /// in, so each part ends on the group boundary nearest its target.
    private static func byRows(_ shuffled: [[Int]], _ groups: [[Int]], fractions f: [Double], rows: Int) -> [Int] {
        var placed: [(u: Double, stratum: Int, order: Int, group: Int)] = []
        for (s, members) in shuffled.enumerated() {
            let total = Double(members.reduce(0) { $0 + groups[$1].count })
            var before = 0
            for (i, g) in members.enumerated() {
                placed.append(((Double(before) + Double(groups[g].count) / 2) / total, s, i, g))
                before += groups[g].count
            }
        }
        placed.sort { ($0.u, $0.stratum, $0.order) < ($1.u, $1.stratum, $1.order) }
        let trainEnd = (Double(rows) * f[0]).rounded(), validationEnd = trainEnd + (Double(rows) * f[1]).rounded()
        var part = [Int](repeating: 2, count: groups.count)
        var before = 0
        for p in placed {
            let middle = Double(before) + Double(groups[p.group].count) / 2
            // The first group trains even when it is larger than twice the train target.
            part[p.group] = middle < trainEnd || before == 0 ? 0 : middle < validationEnd ? 1 : 2
            before += groups[p.group].count
        }
        return part
    }

    /// `part` with a validation set when one is asked for and none was dealt: the group holding
    /// the last training row moves there whole, unless it is all of train (then "no validation set"
    /// is warned later).
    private static func settled(_ part: [Int], _ groups: [[Int]], fractions f: [Double]) -> [Int] {
        guard f[1] > 0, !part.contains(1) else { return part }
        let training = part.indices.filter { part[$0] == 0 }
        guard let last = training.max(by: { groups[$0].max()! < groups[$1].max()! }),
              training.reduce(0, { $0 + groups[$1].count }) > groups[last].count else { return part }
        var moved = part
        moved[last] = 1
        return moved
    }

    private static func assemble(_ part: [Int], _ groups: [[Int]]) -> DataSplit {
        var parts: [[Int]] = [[], [], []]
        for (g, rows) in groups.enumerated() { parts[part[g]] += rows }
        return DataSplit(train: parts[0].sorted(), validation: parts[1].sorted(), test: parts[2].sorted())
    }

    /// Whether a part with rows asked of it is far off: empty though a whole row or more was
    /// asked, or off its target by more than half of it and by more than 2 rows. Rounding per
    /// label moves a part by a row or two, which is no miss; a 3-row file asked for 10% validation
    /// has none to give.
    private static func misses(_ split: DataSplit, targets: [Double]) -> Bool {
        zip([split.train.count, split.validation.count, split.test.count], targets).contains { (count: Int, target: Double) -> Bool in
            let off = abs(Double(count) - target)
            return (count == 0 && target >= 1) || (off > target / 2 && off > 2)
        }
    }

    private static func deviation(_ split: DataSplit, targets: [Double]) -> Double {
        zip([split.train.count, split.validation.count, split.test.count], targets).reduce(0.0) { (sum: Double, part: (Int, Double)) in
            sum + abs(Double(part.0) - part.1)
        }
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
