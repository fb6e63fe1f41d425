/// Guesses a spec from the data when the user gives none, so `mtl-tui train file.csv` just works.
/// The guess is printed as TOML so the user can save it, edit it and pass it back.
///
/// Rules: free text → text input; an image (one hex column, or pixel columns p0…pN²) → image
/// input; a few distinct strings → multiclass task; two (0/1, yes/no, pos/neg…) → binary
/// task; `a|b|c` lists → multi-label task; numbers → regression tasks when a text or image input
/// exists, numeric features otherwise. Columns named `id` or unique per row are identifiers.
public enum SpecInference {
    /// - Parameters:
    ///   - inputs: columns the user named as inputs (`--input`); empty means infer.
    ///   - tasks: tasks the user named (`--task NAME[:KIND]`); empty means infer.
    ///   - splitColumn: the column the user named as the split (`--split COLUMN`); nil means a
    ///     column called `split` holding train/val/test, if there is one.
    public static func infer(_ table: Table, inputs: [String] = [], tasks: [(String, TaskKind?)] = [],
                             splitColumn: String? = nil) throws(DataError) -> DatasetSpec {
        var profiles: [String: ColumnProfile] = [:]
        for (i, name) in table.header.enumerated() { profiles[name] = ColumnProfile(table.columns[i]) }
        for name in inputs + tasks.map(\.0) where profiles[name] == nil && imageColumns(table, prefix: name) == nil {
            // `--task polarity:binnary` reads as a column named so (a name may hold ':'): say what a kind is.
            let kinds = tasks.contains { $0.0 == name && name.contains(":") }
                ? "; a kind after the last ':' is one of \(TaskKind.allCases.map(\.rawValue).joined(separator: ", "))" : ""
            throw DataError(file: table.file, key: name, "no such column (columns: \(table.header.joined(separator: ", "))\(kinds))")
        }

        var spec = DatasetSpec(inputs: [], tasks: [])
        var used = Set<String>()
        // Pixel columns p0…pN² form one image input.
        if let (prefix, names) = pixelColumnGroup(table) {
            if inputs.isEmpty || inputs.contains(prefix) {
                spec.inputs.append(InputSpec(kind: .image, column: prefix, imageEncoding: "columns"))
            }
            used.formUnion(names)
        }
        if let id = table.header.first(where: { $0.lowercased() == "id" }) { spec.idColumn = id; used.insert(id) }
        if let split = splitColumn ?? table.header.first(where: { $0.lowercased() == "split" && profiles[$0]!.isSplitColumn }) {
            spec.splitColumn = split
            used.insert(split)
        }

        if !inputs.isEmpty {
            for name in inputs where !used.contains(name) {
                spec.inputs.append(InputSpec(kind: profiles[name]!.inputKind, column: name))
                used.insert(name)
            }
        } else {
            for name in table.header where !used.contains(name) {
                let p = profiles[name]!
                if p.role == .text || p.role == .hexImage {
                    spec.inputs.append(InputSpec(kind: p.inputKind, column: name, imageEncoding: p.role == .hexImage ? "hex" : nil))
                    used.insert(name)
                }
            }
        }
        let hasRichInput = spec.inputs.contains { $0.kind == .text || $0.kind == .image }

        if !tasks.isEmpty {
            for (name, kind) in tasks {
                guard let p = profiles[name] else {
                    throw DataError(file: table.file, key: name, "no such column")
                }
                guard let kind = kind ?? p.taskKind else {
                    throw DataError(file: table.file, key: name, "column looks like \(p.role.description); it cannot be a task")
                }
                spec.tasks.append(TaskSpec(name: name, kind: kind))
                used.insert(name)
            }
        } else {
            for name in table.header where !used.contains(name) {
                let p = profiles[name]!
                let isLabel: Bool = switch p.role {
                case .binary, .categorical, .multilabel: true
                case .smallIntegers: hasRichInput
                case .continuous: hasRichInput
                default: false
                }
                if isLabel, !inputs.contains(name), let kind = p.taskKind {
                    spec.tasks.append(TaskSpec(name: name, kind: kind))
                    used.insert(name)
                }
            }
        }
        if inputs.isEmpty {
            for name in table.header where !used.contains(name) {
                let p = profiles[name]!
                switch p.role {
                case .continuous, .smallIntegers, .binary, .categorical: spec.inputs.append(InputSpec(kind: p.inputKind, column: name))
                default: continue
                }
                used.insert(name)
            }
        }
        if spec.tasks.isEmpty {
            throw DataError(file: table.file, "no column looks like a label: name tasks with --task NAME[:KIND] or a spec.toml")
        }
        if spec.inputs.isEmpty {
            let blank = table.header.filter { profiles[$0]!.role == .empty }
            let why = blank.isEmpty ? "" : " (blank in every row: \(blank.prefix(5).joined(separator: ", ")))"
            throw DataError(file: table.file, "no input columns left\(why): name one with --input COLUMN or a spec.toml")
        }
        return spec
    }

    /// The columns `spec` leaves out, each with what it looked like (`sqft (an identifier)`), so
    /// the printed guess says what it dropped and `--input` can bring a column back.
    public static func unusedColumns(_ table: Table, spec: DatasetSpec) -> [String] {
        var used = Set(spec.inputs.map(\.column) + spec.tasks.map(\.column) + [spec.idColumn, spec.splitColumn].compactMap { $0 })
        for input in spec.inputs where input.kind == .image { used.formUnion(imageColumns(table, prefix: input.column) ?? []) }
        return table.header.enumerated().filter { !used.contains($0.element) }
            .map { "\($0.element) (\(ColumnProfile(table.columns[$0.offset]).role.description))" }
    }

    /// Columns `prefix0…prefixN` when `prefix` names such a group.
    public static func imageColumns(_ table: Table, prefix: String) -> [String]? {
        var names: [String] = []
        while let _ = table.columnIndex("\(prefix)\(names.count)") { names.append("\(prefix)\(names.count)") }
        return names.count >= 4 ? names : nil
    }

    private static func pixelColumnGroup(_ table: Table) -> (String, [String])? {
        for prefix in ["p", "pixel", "px", "x"] {
            guard let names = imageColumns(table, prefix: prefix) else { continue }
            let side = Int(Double(names.count).squareRoot().rounded())
            if side * side == names.count, side >= 4 { return (prefix, names) }
        }
        return nil
    }
}

/// What one column's values look like.
struct ColumnProfile {
    enum Role: CustomStringConvertible {
        case empty, constant, identifier, text, hexImage, binary, multilabel, categorical, smallIntegers, continuous, mixed

        var description: String {
            switch self {
            case .empty: "an empty column"
            case .constant: "a constant"
            case .identifier: "an identifier"
            case .text: "free text"
            case .hexImage: "an image"
            case .binary: "a binary label"
            case .multilabel: "a multi-label list"
            case .categorical: "categories"
            case .smallIntegers: "small integers"
            case .continuous: "numbers"
            case .mixed: "mixed values"
            }
        }
    }

    let role: Role
    let isSplitColumn: Bool
    /// Every present value parses as a number.
    let isNumeric: Bool

    init(_ values: [String]) {
        // pandas and R write a missing number as NaN or NA: in a column of numbers such a cell is
        // a gap, as the encoder reads it. Only there: in a column of labels, NA may be a class.
        if values.contains(where: { !$0.isEmpty && DataEncoder.isMissingNumber($0) }) {
            let gapped = ColumnProfile(reading: values.map { DataEncoder.isMissingNumber($0) ? "" : $0 })
            if gapped.role == .continuous {
                self = gapped
                return
            }
        }
        self.init(reading: values)
    }

    private init(reading values: [String]) {
        var distinct = Set<String>()
        var present = 0, numeric = 0, integral = 0, withPipe = 0, words = 0, length = 0
        var hexLengths = Set<Int>()
        var allHex = true
        // A cell of spaces is as blank as an empty one.
        for v in values where !v.allSatisfy(\.isWhitespace) {
            present += 1
            if distinct.count <= 1000 { distinct.insert(v) }
            // NaN and infinities count as numbers here: the encoder reads NaN as missing and
            // reports infinities as bad numbers.
            if let d = DataEncoder.decimal(v) {
                numeric += 1
                if d.isFinite, d == d.rounded() { integral += 1 }
            }
            if v.contains("|") { withPipe += 1 }
            length += v.count
            words += v.split(separator: " ").count
            if allHex {
                if v.utf8.count >= 32, v.utf8.count % 2 == 0, v.utf8.allSatisfy({ $0.isHexDigit }) { hexLengths.insert(v.utf8.count) }
                else { allHex = false }
            }
        }
        let lowered = Set(distinct.map { $0.lowercased() })
        isSplitColumn = distinct.count >= 2 && lowered.isSubset(of: ["train", "val", "valid", "validation", "dev", "test"])
        isNumeric = present > 0 && numeric == present
        if present == 0 { role = .empty; return }
        if distinct.count == 1 { role = .constant; return }
        if allHex, hexLengths.count == 1 { role = .hexImage; return }
        if numeric == present {
            if lowered.isSubset(of: ["0", "1", "0.0", "1.0"]) { role = .binary; return }
            if integral == present, distinct.count <= 20 { role = .smallIntegers }
            else if integral == present, distinct.count == present, present > 50 { role = .identifier }
            else { role = .continuous }
            return
        }
        if numeric > 0 && numeric < present && Double(numeric) > 0.9 * Double(present) { role = .mixed; return }
        let averageWords = Double(words) / Double(present)
        if Double(withPipe) >= 0.1 * Double(present) {
            let parts = Set(values.flatMap { $0.split(separator: "|").map(String.init) })
            if parts.count <= 100, averageWords < 3 { role = .multilabel; return }
        }
        if averageWords >= 3 || Double(length) / Double(present) > 30 { role = .text; return }
        // Exactly two labels (yes/no, pos/neg, …) make a binary task.
        if distinct.count == 2 { role = .binary; return }
        if distinct.count <= 50, distinct.count * 5 <= present { role = .categorical; return }
        if distinct.count == present, averageWords < 2 { role = .identifier; return }
        role = .text
    }

    var inputKind: InputKind {
        switch role {
        case .continuous, .smallIntegers: .numeric
        // A numeric column named as an input is a quantity even when every value differs
        // (square feet, a timestamp); one-hot over all-distinct values would learn nothing.
        case .binary, .identifier: isNumeric ? .numeric : .categorical
        case .categorical, .multilabel, .constant, .empty, .mixed: .categorical
        case .hexImage: .image
        case .text: .text
        }
    }

    var taskKind: TaskKind? {
        switch role {
        case .binary: .binary
        case .categorical, .smallIntegers: .multiclass
        case .multilabel: .multilabel
        case .continuous: .regression
        default: nil
        }
    }
}

extension UInt8 {
    var isHexDigit: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x46) || (self >= 0x61 && self <= 0x66)
    }
}
