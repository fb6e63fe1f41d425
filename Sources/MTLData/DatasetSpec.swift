import Foundation

/// What each column of a dataset is for: which columns feed the model, which are tasks and of
/// which kind. Read from `spec.toml`, inferred from the data, or both (flags override).
///
/// ```toml
/// id = "id"
/// [[input]]
/// column = "text"
/// kind = "text"
/// [[task]]
/// name = "polarity"
/// kind = "multiclass"
/// ```
public struct DatasetSpec: Sendable, Equatable, Codable {
    public var inputs: [InputSpec]
    public var tasks: [TaskSpec]
    public var idColumn: String?
    /// A column whose values (`train`, `val`/`valid`/`validation`/`dev`, `test`) fix the split.
    public var splitColumn: String?
    /// Train, validation and test fractions when there is no split column.
    public var splitFractions: [Double]
    /// `strategy = "NAME[:k=v,...]"`: how the task losses are weighed, unless `--strategy` says.
    public var strategy: String?

    public init(inputs: [InputSpec], tasks: [TaskSpec], idColumn: String? = nil,
                splitColumn: String? = nil, splitFractions: [Double] = [0.8, 0.1, 0.1]) {
        self.inputs = inputs
        self.tasks = tasks
        self.idColumn = idColumn
        self.splitColumn = splitColumn
        self.splitFractions = splitFractions
    }
}

public enum InputKind: String, Sendable, Codable, CaseIterable {
    case text, numeric, categorical, image
}

public struct InputSpec: Sendable, Equatable, Codable {
    public var kind: InputKind
    /// The column; for an image stored one pixel per column, the columns' common prefix.
    public var column: String
    /// Text: tokens kept per example; longer texts are cut. Nil picks from the data (at most 200).
    public var maxLength: Int?
    /// Text: tokens seen fewer times than this in training map to the out-of-vocabulary id.
    public var minFrequency: Int
    /// Text: the vocabulary keeps this many most frequent tokens (plus padding and OOV).
    public var maxVocabulary: Int
    /// Text: a GloVe/word2vec text file (relative to spec.toml) that starts the embedding.
    public var vectors: String?
    /// Text: word 1–2-grams (`wide`, `bag`) in fewer training rows than this are dropped; nil: 2.
    /// Optional, so specs saved in checkpoints before the key existed still decode.
    public var ngramMinDF: Int?
    /// Text: `wide` and `bag` keep at most this many word 1–2-grams, most frequent first; nil: 200,000.
    public var maxNGrams: Int?
    /// Text: character 2–5-grams beside the word n-grams (`CharNGramVocabulary`); nil: the default.
    public var charNGrams: Bool?
    /// Image: `hex` (one column, two hex digits per pixel) or `columns` (prefix0, prefix1, ...).
    public var imageEncoding: String?
    public var width: Int?
    public var height: Int?
    /// Line of the `column` key in spec.toml, for errors found later.
    public var sourceLine: Int?

    public init(kind: InputKind, column: String, maxLength: Int? = nil, minFrequency: Int = 1,
                maxVocabulary: Int = 20000, vectors: String? = nil, imageEncoding: String? = nil,
                width: Int? = nil, height: Int? = nil) {
        self.kind = kind
        self.vectors = vectors
        self.column = column
        self.maxLength = maxLength
        self.minFrequency = minFrequency
        self.maxVocabulary = maxVocabulary
        self.imageEncoding = imageEncoding
        self.width = width
        self.height = height
    }
}

public enum TaskKind: String, Sendable, Codable, CaseIterable {
    case binary, multiclass, multilabel, regression
}

public enum RegressionLoss: String, Sendable, Codable, CaseIterable {
    case mse, huber
}

public struct TaskSpec: Sendable, Equatable, Codable {
    public var name: String
    public var column: String
    public var kind: TaskKind
    /// Static weight of this task's loss in the total.
    public var weight: Double
    public var loss: RegressionLoss
    /// `balanced`, or explicit per-class weights by label. Nil: all classes weigh 1.
    public var classWeights: ClassWeights?
    /// A numeric column whose values weigh each row's loss for this task.
    public var sampleWeightColumn: String?
    /// Class labels in a fixed order; nil takes them sorted from the data.
    public var labels: [String]?
    /// Label smoothing ε of this classification task's loss, in [0, 1); nil: none unless
    /// `--label-smoothing` says.
    public var labelSmoothing: Double?
    /// Multi-label only: what an empty cell (or a null or left-out JSON key) means; nil is
    /// `.noLabels`. `[]` in JSON (or a lone `|`) is always the empty set.
    public var empty: EmptyLabelCell?
    /// Line of the task in spec.toml, for errors found later.
    public var sourceLine: Int?

    public init(name: String, column: String? = nil, kind: TaskKind, weight: Double = 1, loss: RegressionLoss = .mse,
                classWeights: ClassWeights? = nil, sampleWeightColumn: String? = nil, labels: [String]? = nil) {
        self.name = name
        self.column = column ?? name
        self.kind = kind
        self.weight = weight
        self.loss = loss
        self.classWeights = classWeights
        self.sampleWeightColumn = sampleWeightColumn
        self.labels = labels
    }
}

/// What an empty multi-label cell means: the row has none of the labels (an all-negative row,
/// trained on and scored), or its labels are unknown (the task skips the row).
public enum EmptyLabelCell: String, Sendable, Equatable, Codable, CaseIterable {
    case noLabels = "no_labels"
    case missing
}

public enum ClassWeights: Sendable, Equatable, Codable {
    case balanced
    case explicit([String: Double])
}

// MARK: - Reading and writing spec.toml

extension DatasetSpec {
    /// Parses `spec.toml`. Unknown keys are errors, so a typo never passes silently.
    public static func parse(toml text: String, file: String) throws(DataError) -> DatasetSpec {
        let doc = try TOMLDocument.parse(text, file: file)
        let reader = SpecReader(file: file)
        try reader.allow(doc.root, ["id", "split_column", "split", "strategy"])
        for name in doc.tables.keys.sorted() {
            throw DataError(file: file, line: doc.tables[name]!.line, key: "[\(name)]",
                            "unknown section (expected [[input]] or [[task]])")
        }
        for name in doc.arrays.keys.sorted() where name != "input" && name != "task" {
            throw DataError(file: file, line: doc.arrays[name]![0].line, key: "[[\(name)]]",
                            "unknown section (expected [[input]] or [[task]])")
        }
        var spec = DatasetSpec(inputs: [], tasks: [])
        spec.idColumn = try reader.string(doc.root, "id")
        spec.splitColumn = try reader.string(doc.root, "split_column")
        spec.strategy = try reader.string(doc.root, "strategy")
        if let fractions = try reader.numbers(doc.root, "split") {
            spec.splitFractions = try reader.checkedSplit(fractions, line: doc.root.entries["split"]!.line)
        }
        for table in doc.arrays["input"] ?? [] {
            try reader.allow(table, ["column", "kind", "max_length", "min_frequency", "max_vocabulary",
                                     "vectors", "encoding", "width", "height", "ngram_min_df", "max_ngrams", "char_ngrams"])
            guard let column = try reader.string(table, "column") else {
                throw DataError(file: file, line: table.line, key: "[[input]]", "missing key 'column'")
            }
            let kindName = try reader.string(table, "kind") ?? "text"
            guard let kind = InputKind(rawValue: kindName) else {
                throw reader.error(table, "kind", "unknown input kind '\(kindName)' (expected \(InputKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var input = InputSpec(kind: kind, column: column)
            input.sourceLine = table.entries["column"]?.line
            input.maxLength = try reader.positiveInt(table, "max_length")
            input.minFrequency = try reader.positiveInt(table, "min_frequency") ?? 1
            input.maxVocabulary = try reader.positiveInt(table, "max_vocabulary") ?? 20000
            input.vectors = try reader.string(table, "vectors")
            if input.vectors != nil, kind != .text {
                throw reader.error(table, "vectors", "word vectors apply to a text input only")
            }
            input.ngramMinDF = try reader.positiveInt(table, "ngram_min_df")
            input.maxNGrams = try reader.positiveInt(table, "max_ngrams")
            input.charNGrams = try reader.bool(table, "char_ngrams")
            for key in ["ngram_min_df", "max_ngrams", "char_ngrams"] where kind != .text && table[key] != nil {
                throw reader.error(table, key, "word n-grams apply to a text input only")
            }
            input.imageEncoding = try reader.string(table, "encoding")
            if let encoding = input.imageEncoding, encoding != "hex", encoding != "columns" {
                throw reader.error(table, "encoding", "unknown image encoding '\(encoding)' (expected hex or columns)")
            }
            input.width = try reader.positiveInt(table, "width")
            input.height = try reader.positiveInt(table, "height")
            spec.inputs.append(input)
        }
        for table in doc.arrays["task"] ?? [] {
            try reader.allow(table, ["name", "column", "kind", "weight", "loss", "class_weights",
                                     "sample_weight", "labels", "label_smoothing", "empty"])
            let columnName = try reader.string(table, "column")
            guard let name = try reader.string(table, "name") ?? columnName else {
                throw DataError(file: file, line: table.line, key: "[[task]]", "missing key 'name'")
            }
            guard let kindName = try reader.string(table, "kind") else {
                throw DataError(file: file, line: table.line, key: "[[task]] \(name)", "missing key 'kind'")
            }
            guard let kind = TaskKind(rawValue: kindName) else {
                throw reader.error(table, "kind", "unknown task kind '\(kindName)' (expected \(TaskKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var task = TaskSpec(name: name, column: try reader.string(table, "column"), kind: kind)
            task.sourceLine = table.entries["column"]?.line ?? table.entries["name"]?.line ?? table.line
            if let weight = try reader.number(table, "weight") {
                guard LossWeight.allows(weight) else { throw reader.error(table, "weight", "must be \(LossWeight.expected), got \(weight)") }
                task.weight = weight
            }
            if let lossName = try reader.string(table, "loss") {
                guard let loss = RegressionLoss(rawValue: lossName) else {
                    throw reader.error(table, "loss", "unknown loss '\(lossName)' (expected mse or huber)")
                }
                task.loss = loss
            }
            switch table["class_weights"] {
            case nil: break
            case .string("balanced")?: task.classWeights = .balanced
            case .table(let weights)?:
                var explicit: [String: Double] = [:]
                for key in weights.keys {
                    guard let w = weights[key]?.asDouble, w >= 0, w.isFinite else {
                        throw reader.error(table, "class_weights", "weight of '\(key)' must be a number ≥ 0")
                    }
                    explicit[key] = w
                }
                task.classWeights = .explicit(explicit)
            default:
                throw reader.error(table, "class_weights", "expected \"balanced\" or a table like { pos = 2.0 }")
            }
            task.sampleWeightColumn = try reader.string(table, "sample_weight")
            task.labels = try reader.strings(table, "labels")
            if let smoothing = try reader.number(table, "label_smoothing") {
                guard smoothing >= 0, smoothing < 1 else { throw reader.error(table, "label_smoothing", "expected a number in [0, 1), got \(smoothing)") }
                guard kind != .regression else { throw reader.error(table, "label_smoothing", "applies to classification tasks, not regression") }
                task.labelSmoothing = smoothing
            }
            if let empty = try reader.string(table, "empty") {
                guard let meaning = EmptyLabelCell(rawValue: empty) else {
                    throw reader.error(table, "empty", "expected \"no_labels\" or \"missing\", got '\(empty)'")
                }
                guard kind == .multilabel else { throw reader.error(table, "empty", "applies to multilabel tasks only") }
                task.empty = meaning
            }
            spec.tasks.append(task)
        }
        if spec.inputs.isEmpty { throw DataError(file: file, "no [[input]] section: name at least one input column") }
        if spec.tasks.isEmpty { throw DataError(file: file, "no [[task]] section: name at least one task") }
        var names = Set<String>()
        for task in spec.tasks where !names.insert(task.name).inserted {
            throw DataError(file: file, key: "task '\(task.name)'", "defined twice")
        }
        return spec
    }

    /// The spec as `spec.toml` text, the exact form `parse(toml:)` reads.
    public func tomlText() -> String {
        var lines: [String] = []
        if let idColumn { lines.append("id = \(quoted(idColumn))") }
        if let splitColumn { lines.append("split_column = \(quoted(splitColumn))") }
        if let strategy { lines.append("strategy = \(quoted(strategy))") }
        else { lines.append("split = [\(splitFractions.map { format($0) }.joined(separator: ", "))]") }
        for input in inputs {
            lines.append("")
            lines.append("[[input]]")
            lines.append("column = \(quoted(input.column))")
            lines.append("kind = \(quoted(input.kind.rawValue))")
            if input.kind == .text {
                if let maxLength = input.maxLength { lines.append("max_length = \(maxLength)") }
                if input.minFrequency != 1 { lines.append("min_frequency = \(input.minFrequency)") }
                if input.maxVocabulary != 20000 { lines.append("max_vocabulary = \(input.maxVocabulary)") }
                if let vectors = input.vectors { lines.append("vectors = \(quoted(vectors))") }
                if let minDF = input.ngramMinDF { lines.append("ngram_min_df = \(minDF)") }
                if let maxNGrams = input.maxNGrams { lines.append("max_ngrams = \(maxNGrams)") }
                if let chars = input.charNGrams { lines.append("char_ngrams = \(chars)") }
            }
            if let encoding = input.imageEncoding { lines.append("encoding = \(quoted(encoding))") }
            if let width = input.width { lines.append("width = \(width)") }
            if let height = input.height { lines.append("height = \(height)") }
        }
        for task in tasks {
            lines.append("")
            lines.append("[[task]]")
            lines.append("name = \(quoted(task.name))")
            if task.column != task.name { lines.append("column = \(quoted(task.column))") }
            lines.append("kind = \(quoted(task.kind.rawValue))")
            if task.weight != 1 { lines.append("weight = \(format(task.weight))") }
            if task.kind == .regression, task.loss != .mse { lines.append("loss = \(quoted(task.loss.rawValue))") }
            switch task.classWeights {
            case .balanced?: lines.append("class_weights = \"balanced\"")
            case .explicit(let weights)?:
                let items = weights.keys.sorted().map { "\(quoted($0)) = \(format(weights[$0]!))" }
                lines.append("class_weights = { \(items.joined(separator: ", ")) }")
            case nil: break
            }
            if let column = task.sampleWeightColumn { lines.append("sample_weight = \(quoted(column))") }
            if let labels = task.labels { lines.append("labels = [\(labels.map(quoted).joined(separator: ", "))]") }
            if let smoothing = task.labelSmoothing { lines.append("label_smoothing = \(format(smoothing))") }
            if let empty = task.empty { lines.append("empty = \(quoted(empty.rawValue))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

private func quoted(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

private func format(_ d: Double) -> String {
    d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)"
}

extension TOMLValue {
    var asDouble: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .float(let d): d
        default: nil
        }
    }
}

/// Typed, checked access to spec keys; every failure names the file, line and key.
private struct SpecReader {
    let file: String

    func error(_ table: TOMLTable, _ key: String, _ message: String) -> DataError {
        DataError(file: file, line: table.entries[key]?.line ?? table.line, key: key, message)
    }

    func allow(_ table: TOMLTable, _ keys: Set<String>) throws(DataError) {
        for key in table.keys where !keys.contains(key) {
            throw error(table, key, "unknown key (expected one of \(keys.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ table: TOMLTable, _ key: String) throws(DataError) -> String? {
        guard let value = table[key] else { return nil }
        guard case .string(let s) = value else { throw error(table, key, "expected a string, found \(value.typeName)") }
        return s
    }

    func number(_ table: TOMLTable, _ key: String) throws(DataError) -> Double? {
        guard let value = table[key] else { return nil }
        guard let d = value.asDouble else { throw error(table, key, "expected a number, found \(value.typeName)") }
        return d
    }

    func bool(_ table: TOMLTable, _ key: String) throws(DataError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard case .bool(let b) = value else { throw error(table, key, "expected true or false, found \(value.typeName)") }
        return b
    }

    func positiveInt(_ table: TOMLTable, _ key: String) throws(DataError) -> Int? {
        guard let value = table[key] else { return nil }
        guard case .integer(let i) = value, i > 0 else { throw error(table, key, "expected a positive integer") }
        return i
    }

    func strings(_ table: TOMLTable, _ key: String) throws(DataError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard case .array(let items) = value else { throw error(table, key, "expected an array of strings") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw error(table, key, "expected an array of strings") }
            out.append(s)
        }
        return out
    }

    func numbers(_ table: TOMLTable, _ key: String) throws(DataError) -> [Double]? {
        guard let value = table[key] else { return nil }
        guard case .array(let items) = value else { throw error(table, key, "expected an array of numbers") }
        var out: [Double] = []
        for item in items {
            guard let d = item.asDouble else { throw error(table, key, "expected an array of numbers") }
            out.append(d)
        }
        return out
    }

    func checkedSplit(_ fractions: [Double], line: Int) throws(DataError) -> [Double] {
        try SplitFractions.check(fractions, file: file, line: line)
    }
}

public enum SplitFractions {
    /// Train, validation, test fractions: three numbers ≥ 0 that sum to 1, train > 0.
    public static func check(_ fractions: [Double], file: String, line: Int? = nil) throws(DataError) -> [Double] {
        if let bad = fractions.first(where: { !($0 >= 0 && $0.isFinite) }) {
            throw DataError(file: file, line: line, key: "split", "fractions must be finite numbers ≥ 0, got \(bad)")
        }
        if fractions.count == 3, fractions[0] == 0 {
            throw DataError(file: file, line: line, key: "split",
                            "the train fraction is 0, so there would be no training rows (like 0.8,0.1,0.1)")
        }
        guard fractions.count == 3, fractions.allSatisfy({ $0 >= 0 && $0.isFinite }), fractions[0] > 0,
              abs(fractions.reduce(0, +) - 1) < 1e-6 else {
            throw DataError(file: file, line: line, key: "split",
                            "expected three fractions train,val,test that sum to 1 (like 0.8,0.1,0.1)")
        }
        return fractions
    }
}
