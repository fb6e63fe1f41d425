import Foundation

/// Rows turned into what the model eats: token ids, a dense feature block and per-task targets.
public struct EncodedRows: Sendable {
    public var count: Int
    /// Token ids of row `r` are `tokenIDs[tokenOffsets[r]..<tokenOffsets[r+1]]` (empty without text).
    public var tokenIDs: [Int32]
    public var tokenOffsets: [Int]
    /// Numeric, one-hot and pixel features, `count × featureWidth`, row-major.
    public var features: [Float]
    public var featureWidth: Int
    public var targets: [TaskTargets]
    /// Word 1–2-grams of row `r` (`wide`, `bag`): ids `ngramIDs[ngramOffsets[r]..<ngramOffsets[r+1]]`
    /// ascending with their counts in `ngramCounts`; all empty when the encoder has no n-grams.
    public var ngramOffsets: [Int] = []
    public var ngramIDs: [Int32] = []
    public var ngramCounts: [Float] = []

    public init(count: Int, tokenIDs: [Int32], tokenOffsets: [Int], features: [Float], featureWidth: Int, targets: [TaskTargets]) {
        self.count = count
        self.tokenIDs = tokenIDs
        self.tokenOffsets = tokenOffsets
        self.features = features
        self.featureWidth = featureWidth
        self.targets = targets
    }
}

/// One task's targets. `values` holds the class index (multiclass), 0/1 (binary, and per label
/// for multi-label) or the standardised value (regression); `mask` is 0 where the label is
/// missing; `weights` = mask × sample weight × class weight, the factor of each row's loss.
public struct TaskTargets: Sendable {
    public var width: Int
    public var values: [Float]
    public var mask: [Float]
    public var weights: [Float]

    public init(width: Int, values: [Float], mask: [Float], weights: [Float]) {
        self.width = width
        self.values = values
        self.mask = mask
        self.weights = weights
    }
}

/// Encodes tables the same way every time: fitted once on the training rows (vocabulary,
/// feature statistics, class lists) and saved in checkpoints, so eval and predict on new files
/// see exactly the encoding the model was trained with.
public struct DataEncoder: Sendable, Codable {
    public var spec: DatasetSpec
    public var text: TextEncoding?
    public var numeric: [NumericEncoding] = []
    public var categorical: [CategoricalEncoding] = []
    public var image: ImageEncoding?
    public var tasks: [TaskEncoding] = []

    public init(spec: DatasetSpec, tasks: [TaskEncoding] = []) {
        self.spec = spec
        self.tasks = tasks
    }

    public struct TextEncoding: Sendable, Codable {
        public var column: String
        public var vocabulary: Vocabulary
        public var maxLength: Int
        /// Smoothed inverse document frequency per token id, for the bag-of-words trunk.
        public var idf: [Float]
        /// Word 1–2-grams for `wide` and `bag`; nil when the model reads none (and in checkpoints
        /// saved before they existed, which have no such key).
        public var ngrams: NGramVocabulary? = nil
    }

    public struct NumericEncoding: Sendable, Codable {
        public var column: String
        public var mean: Double
        public var std: Double
        /// Adds a 0/1 feature "was missing" when the column has gaps.
        public var missingIndicator: Bool
    }

    public struct CategoricalEncoding: Sendable, Codable {
        public var column: String
        /// One-hot slots; a value not seen in training (or missing) sets the extra last slot.
        public var categories: [String]
    }

    public struct ImageEncoding: Sendable, Codable {
        public var column: String
        public var encoding: String
        public var width: Int
        public var height: Int
        public var scale: Float
    }

    public struct TaskEncoding: Sendable, Codable {
        public var spec: TaskSpec
        /// Class labels (binary: negative then positive; multi-label: the label names).
        public var classes: [String]
        /// Regression: targets are trained as (y - mean) / std; metrics convert back.
        public var mean: Double
        public var std: Double
        /// Per class: the factor of a row's loss by its true class (binary, multiclass). Multi-label:
        /// per label, the BCE weight of its positives (PyTorch's `pos_weight`), since a row has
        /// no single class to weigh by.
        public var classWeights: [Float]

        public init(spec: TaskSpec, classes: [String], mean: Double = 0, std: Double = 1, classWeights: [Float]? = nil) {
            self.spec = spec
            self.classes = classes
            self.mean = mean
            self.std = std
            self.classWeights = classWeights ?? [Float](repeating: 1, count: classes.count)
        }

        public var width: Int { spec.kind == .multilabel ? classes.count : 1 }
    }

    /// Width of the dense feature block.
    public var featureWidth: Int {
        numeric.reduce(0) { $0 + 1 + ($1.missingIndicator ? 1 : 0) }
            + categorical.reduce(0) { $0 + $1.categories.count + 1 }
            + (image.map { $0.width * $0.height } ?? 0)
    }

    // MARK: Fitting

    /// - Parameter ngrams: fit word 1–2-grams of the text input too (for `wide`, `bag`), with these settings.
    public static func fit(_ table: Table, spec: DatasetSpec, trainRows: [Int],
                           ngrams: NGramSettings? = nil) throws(DataError) -> DataEncoder {
        var encoder = DataEncoder(spec: spec)
        let textInputs = spec.inputs.filter { $0.kind == .text }
        if textInputs.count > 1 {
            throw DataError(file: table.file, key: textInputs[1].column, "only one text input is supported; join the text columns into one")
        }
        if spec.inputs.filter({ $0.kind == .image }).count > 1 {
            throw DataError(file: table.file, "only one image input is supported")
        }
        for input in spec.inputs {
            switch input.kind {
            case .text:
                let values = try column(table, input.column, role: "input")
                try requireValues(table, input, trainRows.contains { !values[$0].allSatisfy(\.isWhitespace) })
                let tokenized = trainRows.map { Tokenizer.tokens(values[$0]) }
                let vocabulary = Vocabulary(counting: tokenized, minFrequency: input.minFrequency, maxSize: input.maxVocabulary)
                var documentFrequency = [Int](repeating: 0, count: vocabulary.count)
                for tokens in tokenized {
                    for id in Set(tokens.map(vocabulary.id)) { documentFrequency[Int(id)] += 1 }
                }
                let n = Double(tokenized.count)
                let idf = documentFrequency.map { Float(log((1 + n) / (1 + Double($0))) + 1) }
                encoder.text = TextEncoding(column: input.column, vocabulary: vocabulary,
                                            maxLength: input.maxLength ?? 200, idf: idf)
                if let ngrams {
                    encoder.text?.ngrams = try NGramVocabulary.fit(
                        tokenized, minDocumentFrequency: ngrams.minDocumentFrequency ?? input.ngramMinDF ?? NGramSettings.defaultMinDocumentFrequency,
                        maxFeatures: ngrams.maxFeatures ?? input.maxNGrams ?? NGramSettings.defaultMaxFeatures,
                        characters: ngrams.characters ?? input.charNGrams ?? NGramSettings.defaultCharacters(tokenized),
                        memoryBudget: ngrams.memoryBudget, column: input.column, file: table.file)
                }
            case .numeric:
                let values = try column(table, input.column, role: "input")
                var sum = 0.0, sumSquares = 0.0, n = 0.0
                for r in trainRows {
                    guard let v = try number(table, values, r, input.column) else { continue }
                    sum += v; sumSquares += v * v; n += 1
                }
                try requireValues(table, input, n > 0)
                let hasGaps = values.contains(where: isMissingNumber)
                let mean = n > 0 ? sum / n : 0
                let variance = n > 0 ? max(sumSquares / n - mean * mean, 0) : 0
                encoder.numeric.append(NumericEncoding(column: input.column, mean: mean,
                                                       std: variance > 1e-24 ? variance.squareRoot() : 1,
                                                       missingIndicator: hasGaps))
            case .categorical:
                let values = try column(table, input.column, role: "input")
                let categories = Set(trainRows.map { values[$0] }.filter { !$0.isEmpty }).sorted()
                try requireValues(table, input, categories.contains { !$0.allSatisfy(\.isWhitespace) })
                encoder.categorical.append(CategoricalEncoding(column: input.column, categories: categories))
            case .image:
                encoder.image = try ImageDecoder.fit(table, input)
            }
        }
        if ngrams != nil, encoder.text == nil {
            throw DataError(file: table.file, "word n-gram features (wide, bag) need a text input")
        }
        for task in spec.tasks {
            encoder.tasks.append(try fitTask(table, task, trainRows: trainRows))
        }
        return encoder
    }

    private static func fitTask(_ table: Table, _ task: TaskSpec, trainRows: [Int]) throws(DataError) -> TaskEncoding {
        let values = labels(try column(table, task.column, role: "task"), task)
        var encoding = TaskEncoding(spec: task, classes: [], mean: 0, std: 1, classWeights: [])
        switch task.kind {
        case .regression:
            var sum = 0.0, sumSquares = 0.0, n = 0.0
            // Check every row now, so a bad value is reported before any training starts.
            for r in 0..<table.rowCount { _ = try number(table, values, r, task.column) }
            for r in trainRows {
                guard let v = try number(table, values, r, task.column) else { continue }
                sum += v; sumSquares += v * v; n += 1
            }
            if n == 0 { throw DataError(file: table.file, key: "column '\(task.column)'", "regression task has no values in the training rows") }
            encoding.mean = sum / n
            let variance = max(sumSquares / n - encoding.mean * encoding.mean, 0)
            encoding.std = variance > 1e-24 ? variance.squareRoot() : 1
        case .multilabel:
            let present = values.filter { !$0.isEmpty }
            if present.isEmpty { throw DataError(file: table.file, key: "column '\(task.column)'", "task has no values") }
            encoding.classes = task.labels ?? Set(present.flatMap { $0.split(separator: "|").map(String.init) }).sorted()
            if encoding.classes.count < 2 {
                throw DataError(file: table.file, key: "column '\(task.column)'", "multi-label task needs at least 2 labels, found \(encoding.classes.count)")
            }
            encoding.classWeights = try positiveWeights(table, task, labels: encoding.classes, values: values, trainRows: trainRows)
        case .binary, .multiclass:
            let present = Set(values.filter { !$0.isEmpty })
            if present.isEmpty { throw DataError(file: table.file, key: "column '\(task.column)'", "task has no values") }
            if present.count == 1 {
                throw DataError(file: table.file, key: "column '\(task.column)'", "task has a single class '\(present.first!)'; it needs at least 2")
            }
            if !trainRows.contains(where: { !values[$0].isEmpty }) {
                throw DataError(file: table.file, key: "column '\(task.column)'",
                                "task has no labels in the training rows (its labelled rows are all validation or test rows)")
            }
            if let labels = task.labels {
                encoding.classes = labels
            } else if task.kind == .binary {
                encoding.classes = binaryOrder(present)
            } else {
                let numeric = present.compactMap(decimal)
                encoding.classes = numeric.count == present.count
                    ? present.sorted { decimal($0)! < decimal($1)! } : present.sorted()
            }
            if task.kind == .binary, encoding.classes.count != 2 {
                throw DataError(file: table.file, key: "column '\(task.column)'",
                                "binary task needs exactly 2 classes, found \(encoding.classes.count): \(encoding.classes.prefix(5).joined(separator: ", "))")
            }
            let known = Set(encoding.classes)
            for r in 0..<table.rowCount where !values[r].isEmpty && !known.contains(values[r]) {
                throw table.error(row: r, column: task.column, "label '\(values[r])' is not among the task's labels")
            }
            encoding.classWeights = try classWeights(table, task, classes: encoding.classes, values: values, trainRows: trainRows)
        }
        return encoding
    }

    private static func binaryOrder(_ present: Set<String>) -> [String] {
        let negatives: Set<String> = ["0", "0.0", "no", "false", "n", "neg", "negative"]
        if let negative = present.first(where: { negatives.contains($0.lowercased()) }), present.count == 2 {
            return [negative, present.first { $0 != negative }!]
        }
        return present.sorted()
    }

    private static func classWeights(_ table: Table, _ task: TaskSpec, classes: [String], values: [String],
                                     trainRows: [Int]) throws(DataError) -> [Float] {
        switch task.classWeights {
        case nil:
            return [Float](repeating: 1, count: classes.count)
        case .balanced:
            // n_samples / (n_classes × count(class)), as scikit-learn's "balanced".
            var counts = [String: Int]()
            for r in trainRows where !values[r].isEmpty { counts[values[r], default: 0] += 1 }
            let total = Float(counts.values.reduce(0, +))
            return classes.map { c in counts[c].map { total / (Float(classes.count) * Float($0)) } ?? 1 }
        case .explicit(let weights):
            for key in weights.keys where !classes.contains(key) {
                throw DataError(file: table.file, key: "class_weights.\(key)", "no such class in task '\(task.name)'")
            }
            return classes.map { Float(weights[$0] ?? 1) }
        }
    }

    /// Largest balanced `pos_weight`: a label with one positive in 10,000 rows would otherwise
    /// get a weight so large that its few rows dominate every step.
    public static let maxPositiveWeight: Float = 100

    /// Multi-label `pos_weight` per label: 1 without class weights; "balanced": negatives /
    /// positives among the training rows with a label set (capped at `maxPositiveWeight`; 1 for
    /// a label with no positive, which then has no positive term to weigh); explicit: the given
    /// weight per label name.
    private static func positiveWeights(_ table: Table, _ task: TaskSpec, labels: [String], values: [String],
                                        trainRows: [Int]) throws(DataError) -> [Float] {
        switch task.classWeights {
        case nil:
            return [Float](repeating: 1, count: labels.count)
        case .balanced:
            var positives = [String: Int](), rows = 0
            for r in trainRows where !values[r].isEmpty {
                rows += 1
                for label in Set(values[r].split(separator: "|").map(String.init)) { positives[label, default: 0] += 1 }
            }
            return labels.map { label in
                guard let p = positives[label], p > 0 else { return 1 }
                return min(Float(rows - p) / Float(p), maxPositiveWeight)
            }
        case .explicit(let weights):
            for key in weights.keys where !labels.contains(key) {
                throw DataError(file: table.file, key: "class_weights.\(key)", "no such label in task '\(task.name)'")
            }
            return labels.map { Float(weights[$0] ?? 1) }
        }
    }

    // MARK: Encoding

    /// Encodes every row of `table`. Without labels (predict, unlabeled rows) the task and
    /// sample-weight columns are not read: they may be absent or hold labels training never saw.
    public func encode(_ table: Table, requireLabels: Bool = true) throws(DataError) -> EncodedRows {
        let n = table.rowCount
        var rows = EncodedRows(count: n, tokenIDs: [], tokenOffsets: [], features: [], featureWidth: featureWidth, targets: [])
        if let text {
            let values = try DataEncoder.column(table, text.column, role: "input")
            rows.tokenOffsets.reserveCapacity(n + 1)
            rows.tokenOffsets.append(0)
            if text.ngrams != nil { rows.ngramOffsets = [0] }
            for r in 0..<n {
                let tokens = Tokenizer.tokens(values[r])
                rows.tokenIDs += tokens.prefix(text.maxLength).map(text.vocabulary.id)
                rows.tokenOffsets.append(rows.tokenIDs.count)
                // The whole text, not the first maxLength tokens: a bag of n-grams has no length to fit.
                if let ngrams = text.ngrams {
                    let (ids, counts) = ngrams.encode(tokens)
                    rows.ngramIDs += ids
                    rows.ngramCounts += counts
                    rows.ngramOffsets.append(rows.ngramIDs.count)
                }
            }
        }
        let width = featureWidth
        rows.features = [Float](repeating: 0, count: n * width)
        var offset = 0
        for encoding in numeric {
            let values = try DataEncoder.column(table, encoding.column, role: "input")
            for r in 0..<n {
                if let v = try DataEncoder.number(table, values, r, encoding.column) {
                    let standardised = Float((v - encoding.mean) / encoding.std)
                    guard standardised.isFinite else {
                        throw table.error(row: r, column: encoding.column, "'\(values[r])' is too far from the training values (mean \(encoding.mean), sd \(encoding.std)) to encode in 32-bit floats")
                    }
                    rows.features[r * width + offset] = standardised
                } else if encoding.missingIndicator {
                    rows.features[r * width + offset + 1] = 1
                }
            }
            offset += encoding.missingIndicator ? 2 : 1
        }
        for encoding in categorical {
            let values = try DataEncoder.column(table, encoding.column, role: "input")
            var slot: [String: Int] = [:]
            for (i, c) in encoding.categories.enumerated() { slot[c] = i }
            for r in 0..<n { rows.features[r * width + offset + (slot[values[r]] ?? encoding.categories.count)] = 1 }
            offset += encoding.categories.count + 1
        }
        if let image {
            try ImageDecoder.decode(table, image, into: &rows.features, rowWidth: width, offset: offset)
        }
        for task in tasks {
            rows.targets.append(try encodeTargets(table, task, requireLabels: requireLabels))
        }
        return rows
    }

    private func encodeTargets(_ table: Table, _ task: TaskEncoding, requireLabels: Bool) throws(DataError) -> TaskTargets {
        let n = table.rowCount
        var targets = TaskTargets(width: task.width, values: [Float](repeating: 0, count: n * task.width),
                                  mask: [Float](repeating: 0, count: n), weights: [Float](repeating: 0, count: n))
        guard requireLabels else { return targets }
        guard let values = table.column(task.spec.column).map({ DataEncoder.labels($0, task.spec) }) else {
            throw DataError(file: table.file, key: task.spec.column, "no such column (task '\(task.spec.name)'); columns: \(table.header.joined(separator: ", "))")
        }
        var sampleWeights: [String]? = nil
        if let column = task.spec.sampleWeightColumn {
            sampleWeights = try DataEncoder.column(table, column, role: "sample weight")
        }
        var classIndex: [String: Int] = [:]
        for (i, c) in task.classes.enumerated() { classIndex[c] = i }
        for r in 0..<n where !values[r].isEmpty {
            var classWeight: Float = 1
            switch task.spec.kind {
            case .regression:
                guard let v = try DataEncoder.number(table, values, r, task.spec.column) else { continue }
                targets.values[r] = Float((v - task.mean) / task.std)
            case .binary, .multiclass:
                guard let c = classIndex[values[r]] else {
                    throw table.error(row: r, column: task.spec.column, "label '\(values[r])' was not seen in training (labels: \(task.classes.joined(separator: ", ")))")
                }
                targets.values[r] = Float(c)
                classWeight = task.classWeights[c]
            case .multilabel:
                for part in values[r].split(separator: "|") {
                    guard let c = classIndex[String(part)] else {
                        throw table.error(row: r, column: task.spec.column, "label '\(part)' was not seen in training")
                    }
                    targets.values[r * task.width + c] = 1
                }
            }
            var sampleWeight: Float = 1
            if let sampleWeights, let column = task.spec.sampleWeightColumn {
                guard let w = try DataEncoder.number(table, sampleWeights, r, column), w >= 0 else {
                    throw table.error(row: r, column: column, "sample weight must be a number ≥ 0")
                }
                sampleWeight = Float(w)
            }
            targets.mask[r] = 1
            targets.weights[r] = sampleWeight * classWeight
        }
        return targets
    }

    // MARK: Cell helpers

    /// A task column's cells as labels, "" meaning missing. An empty multi-label cell is the
    /// empty label set (`|`, which splits into no labels) unless the task says `empty = "missing"`.
    public static func labels(_ cells: [String], _ task: TaskSpec) -> [String] {
        guard task.kind == .multilabel, task.empty != .missing else { return cells }
        return cells.map { $0.isEmpty ? "|" : $0 }
    }

    /// The note a run prints when a multi-label task reads empty cells as rows without labels,
    /// so that a column whose blanks mean "not labelled" is not trained on silently as all-negative.
    public static func emptyLabelsNote(_ table: Table, _ spec: DatasetSpec) -> String? {
        let parts = spec.tasks.compactMap { task -> String? in
            guard task.kind == .multilabel, task.empty == nil, let cells = table.column(task.column) else { return nil }
            let blank = cells.reduce(0) { $0 + ($1.isEmpty ? 1 : 0) }
            return blank == 0 ? nil : "'\(task.name)' \(blank) of \(cells.count)"
        }
        guard !parts.isEmpty else { return nil }
        return "note: empty multi-label cells read as rows with no labels (\(parts.joined(separator: ", ")) rows); "
            + "add empty = \"missing\" to the task in spec.toml if they mean not labelled"
    }

    /// An input that is blank in every training row would train on nothing: say so, naming it.
    private static func requireValues(_ table: Table, _ input: InputSpec, _ hasValues: Bool) throws(DataError) {
        guard !hasValues else { return }
        let rows = input.kind == .text ? "blank" : "empty"
        throw DataError(file: table.file, key: "column '\(input.column)'",
                        "\(input.kind.rawValue) input is \(rows) in every training row; fill it or choose another input")
    }

    /// The values of a column the model reads. Labels may be missing from a JSON object, the
    /// model's inputs may not: a missing key is an error at its line, `null` the explicit gap.
    static func column(_ table: Table, _ name: String, role: String) throws(DataError) -> [String] {
        guard let values = table.column(name) else {
            throw DataError(file: table.file, key: name, "no such \(role) column (columns: \(table.header.joined(separator: ", ")))")
        }
        if role != "task", let row = table.absentKeys[name] {
            throw DataError(file: table.file, line: table.rowLines[row], key: "key '\(name)'",
                            "missing from this object; the \(role) needs it in every row (write null for a missing value)")
        }
        return values
    }

    /// What a numeric cell (a numeric input, a regression label, a sample weight) may hold for
    /// "no value" besides nothing: the strings pandas's `read_csv` reads as missing by default,
    /// case-sensitive, among them R's `NA` and pandas's `NaN`. A class label keeps them: a
    /// classification task may have a class called `NA`.
    public static let missingNumberMarkers: Set<String> = [
        "NA", "N/A", "n/a", "NaN", "-NaN", "nan", "-nan", "NULL", "null", "None", "<NA>",
        "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "1.#IND", "1.#QNAN",
    ]

    /// Whether a numeric cell is missing: empty, or one of `missingNumberMarkers` (spaces around it aside).
    public static func isMissingNumber(_ cell: String) -> Bool {
        cell.isEmpty || missingNumberMarkers.contains(cell.trimmingCharacters(in: .whitespaces))
    }

    /// Decimal text as a number (`3`, `-0.5`, `1e-3`, `nan`, `inf`); nil for anything else,
    /// hexadecimal included, which Swift's parser takes (`0x10` as 16) and pandas, R and
    /// spreadsheets read as text.
    public static func decimal(_ text: String) -> Double? {
        let digits = text.drop { $0 == "+" || $0 == "-" }
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { return nil }
        return Double(text)
    }

    /// The cell as a number, nil when missing (`isMissingNumber`); other text and infinities are errors.
    static func number(_ table: Table, _ values: [String], _ row: Int, _ column: String) throws(DataError) -> Double? {
        let cell = values[row]
        if isMissingNumber(cell) { return nil }
        guard let v = decimal(cell.trimmingCharacters(in: .whitespaces)) else {
            throw table.error(row: row, column: column, "'\(cell.prefix(40))' is not a number")
        }
        guard v.isFinite else {
            throw table.error(row: row, column: column, "'\(cell)' is not a finite number (leave the cell empty or write NA for a missing value)")
        }
        // The model computes in 32-bit floats: a larger magnitude would become infinite there.
        guard abs(v) <= Double(Float.greatestFiniteMagnitude) else {
            throw table.error(row: row, column: column, "'\(cell.prefix(40))' is beyond ±3.4e38, the range of 32-bit floats")
        }
        return v
    }
}
