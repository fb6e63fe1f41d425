import MTLData

/// The model's view of a dataset: encoded rows plus the sparse rows the model parts read.
public struct ModelInputs: Sendable {
    public var rows: EncodedRows
    public var maxTokens: Int
    /// The mlp's and the gates' input: unigram TF-IDF (L2-normalised, as scikit-learn's
    /// `TfidfVectorizer`) over `vocabulary` columns, then the dense features.
    public var sparse = SparseTable()
    /// The wide path's input: sublinear TF-IDF over the word 1–2-grams, then the dense features.
    public var wide = SparseTable()
    /// The bag's input: each row's n-grams weighted 1/count, so the product is their mean embedding.
    public var bag = SparseTable()

    public init(rows: EncodedRows, idf: [Float]?, kernel: Int) {
        self.rows = rows
        var longest = 0
        if !rows.tokenOffsets.isEmpty {
            for r in 0..<rows.count { longest = max(longest, rows.tokenOffsets[r + 1] - rows.tokenOffsets[r]) }
        }
        maxTokens = max(longest, kernel)
        guard let idf else { return }
        var counts: [Int32: Int] = [:]
        for r in 0..<rows.count {
            counts.removeAll(keepingCapacity: true)
            if !rows.tokenOffsets.isEmpty {
                for i in rows.tokenOffsets[r]..<rows.tokenOffsets[r + 1] where rows.tokenIDs[i] > Vocabulary.unknown {
                    counts[rows.tokenIDs[i], default: 0] += 1
                }
            }
            let ids = counts.keys.sorted()
            var values = ids.map { Float(counts[$0]!) * idf[Int($0)] }
            let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { values = values.map { $0 / norm } }
            sparse.append(row: r, of: rows, columns: ids, values: values, featuresFrom: idf.count)
        }
    }

    /// The inputs `model` reads from rows the encoder made: the unigram TF-IDF rows for the mlp
    /// and the gates, the n-gram rows for the bag and the wide path.
    public init(rows: EncodedRows, encoder: DataEncoder, model: ModelConfig) {
        self.init(rows: rows, idf: model.needsUnigramTFIDF ? encoder.text?.idf : nil, kernel: model.kernel)
        guard model.needsNGrams else { return }
        let ngrams = encoder.text?.ngrams
        let hasNGrams = ngrams != nil && !rows.ngramOffsets.isEmpty
        let tfidf = model.wide && hasNGrams ? ngrams!.tfidfValues(of: rows) : []
        let means = model.trunk == .bag && hasNGrams ? ngrams!.meanWeightValues(of: rows) : []
        for r in 0..<rows.count {
            let range = hasNGrams ? rows.ngramOffsets[r]..<rows.ngramOffsets[r + 1] : 0..<0
            let ids = Array(rows.ngramIDs[range])
            if !means.isEmpty { bag.append(columns: ids, values: Array(means[range])) }
            if model.wide {
                wide.append(row: r, of: rows, columns: ids, values: tfidf.isEmpty ? [] : Array(tfidf[range]), featuresFrom: model.ngrams)
            }
        }
    }
}

/// Sparse rows in CSR form, owned: row `r` holds `values[offsets[r]..<offsets[r+1]]` at `columns[…]`.
public struct SparseTable: Sendable {
    public var offsets: [Int] = []
    public var columns: [Int32] = []
    public var values: [Float] = []
    /// The most non-zeros in one row.
    public var widest = 0

    public init() {}

    public var isEmpty: Bool { offsets.isEmpty }

    /// Appends row `r`: `columns` and `values`, then the row's non-zero dense features as
    /// columns `featuresFrom + j`.
    mutating func append(row r: Int, of rows: EncodedRows, columns: [Int32], values: [Float], featuresFrom first: Int) {
        var columns = columns, values = values
        for j in 0..<rows.featureWidth {
            let v = rows.features[r * rows.featureWidth + j]
            if v != 0 {
                columns.append(Int32(first + j))
                values.append(v)
            }
        }
        append(columns: columns, values: values)
    }

    /// Appends one row (columns ascending).
    public mutating func append(columns newColumns: [Int32], values newValues: [Float]) {
        if offsets.isEmpty { offsets = [0] }
        columns += newColumns
        values += newValues
        offsets.append(columns.count)
        widest = max(widest, newColumns.count)
    }
}

/// A batch's share of a `SparseTable`, in buffers allocated once at the largest batch size.
public final class SparseBatch: @unchecked Sendable {
    let offsets: Buffer<Int>
    let columns: Buffer<Int32>
    let values: FloatBuffer
    public let rows: SparseRows

    init(capacity: Int, widest: Int) {
        offsets = Buffer(count: capacity + 1, zero: 0)
        columns = Buffer(count: max(capacity * widest, 1), zero: 0)
        values = FloatBuffer(count: max(capacity * widest, 1))
        rows = SparseRows(offsets: offsets.pointer, columns: columns.pointer, values: values.pointer)
    }

    /// Copies the table's rows `indices` in, one after another.
    func fill(_ indices: ArraySlice<Int>, from table: SparseTable) {
        guard !table.isEmpty else { return }
        var cursor = 0
        offsets[0] = 0
        for (b, row) in indices.enumerated() {
            for j in table.offsets[row]..<table.offsets[row + 1] {
                columns[cursor] = table.columns[j]
                values[cursor] = table.values[j]
                cursor += 1
            }
            offsets[b + 1] = cursor
        }
    }
}

/// One mini-batch, in buffers allocated once at the largest batch size and refilled each step.
public final class Batch: @unchecked Sendable {
    public let capacity: Int
    public private(set) var count = 0
    /// Dataset row of each sample.
    public let rows: Buffer<Int>
    /// Token ids back to back, each sample padded with id 0 to at least the kernel width.
    public let tokens: Buffer<Int32>
    public let starts: Buffer<Int>
    public let lengths: Buffer<Int>
    private let sparseBatch: SparseBatch
    private let wideBatch: SparseBatch
    private let bagBatch: SparseBatch
    /// The unigram TF-IDF rows, the wide path's and the bag's (see `ModelInputs`).
    public var sparse: SparseRows { sparseBatch.rows }
    public var wide: SparseRows { wideBatch.rows }
    public var bag: SparseRows { bagBatch.rows }
    /// Dense features `[B, featureWidth]`.
    public let features: FloatBuffer
    public let featureWidth: Int
    /// Per task: targets `[B, width]`, loss weights `[B]`, label mask `[B]`.
    public let targets: [FloatBuffer]
    public let weights: [FloatBuffer]
    public let masks: [FloatBuffer]
    public let widths: [Int]

    public init(capacity: Int, inputs: ModelInputs) {
        self.capacity = capacity
        let r = inputs.rows
        rows = Buffer(count: capacity, zero: 0)
        tokens = Buffer(count: r.tokenOffsets.isEmpty ? 1 : capacity * inputs.maxTokens, zero: 0)
        starts = Buffer(count: capacity, zero: 0)
        lengths = Buffer(count: capacity, zero: 0)
        sparseBatch = SparseBatch(capacity: capacity, widest: inputs.sparse.widest)
        wideBatch = SparseBatch(capacity: capacity, widest: inputs.wide.widest)
        bagBatch = SparseBatch(capacity: capacity, widest: inputs.bag.widest)
        featureWidth = r.featureWidth
        features = FloatBuffer(count: capacity * max(r.featureWidth, 1))
        widths = r.targets.map(\.width)
        targets = r.targets.map { FloatBuffer(count: capacity * $0.width) }
        weights = r.targets.map { _ in FloatBuffer(count: capacity) }
        masks = r.targets.map { _ in FloatBuffer(count: capacity) }
    }

    /// Copies the given dataset rows in. `kernel` is the minimum token length.
    public func fill(_ indices: ArraySlice<Int>, from inputs: ModelInputs, kernel: Int) {
        precondition(indices.count <= capacity)
        count = indices.count
        let r = inputs.rows
        var tokenCursor = 0
        sparseBatch.fill(indices, from: inputs.sparse)
        wideBatch.fill(indices, from: inputs.wide)
        bagBatch.fill(indices, from: inputs.bag)
        for (b, row) in indices.enumerated() {
            rows[b] = row
            if !r.tokenOffsets.isEmpty {
                let begin = r.tokenOffsets[row], end = r.tokenOffsets[row + 1]
                let length = max(end - begin, kernel)
                starts[b] = tokenCursor
                lengths[b] = length
                for i in 0..<length { tokens[tokenCursor + i] = begin + i < end ? r.tokenIDs[begin + i] : Vocabulary.padding }
                tokenCursor += length
            }
            let w = featureWidth
            for j in 0..<w { features[b * w + j] = r.features[row * w + j] }
            for t in 0..<widths.count {
                let width = widths[t], source = r.targets[t]
                for j in 0..<width { targets[t][b * width + j] = source.values[row * width + j] }
                weights[t][b] = source.weights[row]
                masks[t][b] = source.mask[row]
            }
        }
    }
}
