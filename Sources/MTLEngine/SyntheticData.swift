import MTLData

/// Random data at fixed shapes, for benchmarks and tests: token ids drawn uniformly from the
/// vocabulary (ids 0 and 1, padding and unknown, never occur), features from N(0, 1), labels
/// uniform over each task's classes.
///
/// ```swift
/// let rows = SyntheticData.rows(count: 1024, tokens: 200, vocabulary: 5000, features: 0,
///                               tasks: [(.multiclass, 3), (.multiclass, 10)], seed: 1)
/// ```
public enum SyntheticData {
    public static func rows(count: Int, tokens: Int, vocabulary: Int, features: Int,
                            tasks: [(kind: TaskKind, classes: Int)], seed: UInt64) -> EncodedRows {
        var random = SeededRandom(seed: seed, stream: 9)
        var rows = EncodedRows(count: count, tokenIDs: [], tokenOffsets: [], features: [], featureWidth: features, targets: [])
        if tokens > 0 {
            rows.tokenIDs.reserveCapacity(count * tokens)
            rows.tokenOffsets = [0]
            for _ in 0..<count {
                for _ in 0..<tokens { rows.tokenIDs.append(Int32(2 + Int(random.next() % UInt64(vocabulary - 2)))) }
                rows.tokenOffsets.append(rows.tokenIDs.count)
            }
        }
        rows.features = (0..<(count * features)).map { _ in random.nextGaussian() }
        for (kind, classes) in tasks {
            let width = kind == .multilabel ? classes : 1
            var values = [Float](repeating: 0, count: count * width)
            for r in 0..<count {
                switch kind {
                case .multiclass: values[r] = Float(random.next() % UInt64(classes))
                case .binary: values[r] = Float(random.next() % 2)
                case .multilabel: for c in 0..<width { values[r * width + c] = Float(random.next() % 2) }
                case .regression: values[r] = random.nextGaussian()
                }
            }
            rows.targets.append(TaskTargets(width: width, values: values, mask: [Float](repeating: 1, count: count),
                                            weights: [Float](repeating: 1, count: count)))
        }
        return rows
    }

    /// Heads matching `rows(…, tasks:)`.
    public static func heads(_ tasks: [(kind: TaskKind, classes: Int)]) -> [HeadConfig] {
        tasks.enumerated().map { i, task in
            HeadConfig(name: "task\(i)", kind: task.kind, outputs: task.kind == .multiclass || task.kind == .multilabel ? task.classes : 1)
        }
    }

    /// A complete run on synthetic rows: 80 % train, 10 % validation, 10 % test.
    public static func setup(rows count: Int, tokens: Int, vocabulary: Int, features: Int,
                             tasks: [(kind: TaskKind, classes: Int)], model: ModelConfig,
                             training: TrainingConfig, seed: UInt64 = 1) -> TrainingSetup {
        let data = rows(count: count, tokens: tokens, vocabulary: vocabulary, features: features, tasks: tasks, seed: seed)
        let specs = heads(tasks).map { TaskSpec(name: $0.name, kind: $0.kind) }
        let encodings = zip(specs, tasks).map { spec, task in
            DataEncoder.TaskEncoding(spec: spec, classes: task.kind == .regression ? [] : (0..<max(task.classes, 2)).map { "c\($0)" })
        }
        var encoder = DataEncoder.synthetic(vocabulary: tokens > 0 ? vocabulary : 0, maxLength: tokens, features: features,
                                            tasks: Array(encodings))
        if model.needsNGrams, model.ngrams > 0 {
            // As many n-grams as the model has columns (one-word documents give unigrams only),
            // so a checkpoint of this run is consistent.
            encoder.text?.ngrams = try? NGramVocabulary.fit((0..<model.ngrams).map { ["g\($0)"] }, minDocumentFrequency: 1)
        }
        let train = count * 8 / 10, validation = count / 10
        let split = DataSplit(train: Array(0..<train), validation: Array(train..<(train + validation)),
                              test: Array((train + validation)..<count))
        var inputs = ModelInputs(rows: data, idf: model.needsUnigramTFIDF ? [Float](repeating: 1, count: vocabulary) : nil,
                                 kernel: model.kernel)
        if model.needsNGrams { (inputs.wide, inputs.bag) = ngramTables(data, ngrams: model.ngrams, seed: seed) }
        return TrainingSetup(encoder: encoder, inputs: inputs, split: split, model: model, training: training)
    }

    /// Synthetic n-gram rows: each row's tokens and adjacent pairs folded into `0..<ngrams` (distinct, ascending),
    /// wide values drawn at random with the dense features appended, bag values 1/count.
    public static func ngramTables(_ data: EncodedRows, ngrams: Int, seed: UInt64) -> (wide: SparseTable, bag: SparseTable) {
        var random = SeededRandom(seed: seed, stream: 78)
        var wide = SparseTable(), bag = SparseTable()
        for r in 0..<data.count {
            let ids = data.tokenOffsets.isEmpty ? [] : data.tokenIDs[data.tokenOffsets[r]..<data.tokenOffsets[r + 1]]
            let bigrams = zip(ids, ids.dropFirst()).map { (Int($0) * 7919 + Int($1)) % ngrams }
            let columns = Set(ids.map { Int($0) % ngrams } + bigrams).map(Int32.init).sorted()
            bag.append(columns: columns, values: columns.map { _ in 1 / Float(max(columns.count, 1)) })
            let features = (0..<data.featureWidth).map { Int32(ngrams + $0) }
            wide.append(columns: columns + features,
                        values: columns.map { _ in random.nextFloat() } + data.features[(r * data.featureWidth)..<((r + 1) * data.featureWidth)])
        }
        return (wide, bag)
    }
}
