/// Tensors with one row per n-gram (the bag's embedding, the wide paths' weights) have up to
/// hundreds of thousands of rows, of which a batch touches a few thousand. Zeroing their
/// gradients and updating every row each step would cost more than the rest of the step, so
/// they are updated as PyTorch's `SparseAdam` does for `nn.EmbeddingBag(sparse=True)` (and
/// TensorFlow's LazyAdam): only the rows the batch touched; the others, moments included,
/// stay as they are. The same batch gives the same rows, so resuming stays exact.
struct RowSparseTensor {
    enum Source { case bag, wide }
    let layer: String
    let offset: Int
    let rows: Int
    let width: Int
    let source: Source
}

/// The rows of each source the current batch touches, and those of the previous step (whose
/// gradients are the only non-zero ones left to clear).
final class TouchedRows {
    var bag: [Int32] = []
    var wide: [Int32] = []
    private var stamp: [UInt32]
    private var round: UInt32 = 0

    init(columns: Int) { stamp = [UInt32](repeating: 0, count: columns) }

    subscript(source: RowSparseTensor.Source) -> [Int32] { source == .bag ? bag : wide }

    /// No rows for `source` this step.
    func clear(_ source: RowSparseTensor.Source) {
        if source == .bag { bag.removeAll(keepingCapacity: true) } else { wide.removeAll(keepingCapacity: true) }
    }

    /// Notes the distinct columns of `rows` (first-seen order, or ascending when they are many) as `source`'s rows. The array is
    /// taken out while it is refilled, so it stays uniquely held and keeps its capacity.
    func collect(_ rows: SparseRows, batch: Int, as source: RowSparseTensor.Source) {
        var out: [Int32] = []
        if source == .bag { swap(&out, &bag) } else { swap(&out, &wide) }
        out.removeAll(keepingCapacity: true)
        round &+= 1
        if round == 0 {
            for i in stamp.indices { stamp[i] = 0 }
            round = 1
        }
        for j in rows.offsets[0]..<rows.offsets[batch] {
            let c = Int(rows.columns[j])
            if stamp[c] != round {
                stamp[c] = round
                out.append(Int32(c))
            }
        }
        // When the batch touches a good share of the table, list the rows in ascending order
        // (one pass over the stamps): the update then walks parameters, gradients and both
        // moments forwards, which the prefetcher follows, instead of jumping about them.
        if out.count * 16 >= stamp.count {
            out.removeAll(keepingCapacity: true)
            for c in stamp.indices where stamp[c] == round { out.append(Int32(c)) }
        }
        if source == .bag { swap(&out, &bag) } else { swap(&out, &wide) }
    }
}

extension Model {
    /// The row-sparse tensors of a model with `config`, in buffer order.
    static func rowSparseTensors(_ tensors: [ParameterTensor], _ config: ModelConfig) -> [RowSparseTensor] {
        tensors.compactMap { t in
            if config.trunk == .bag, t.name == "trunk.\(t.layer).weight", t.layer.hasSuffix("embedding") {
                return RowSparseTensor(layer: t.layer, offset: t.offset, rows: t.shape[0], width: t.shape[1], source: .bag)
            }
            if t.layer.hasPrefix("wide."), t.name.hasSuffix(".weight") {
                return RowSparseTensor(layer: t.layer, offset: t.offset, rows: t.shape[0], width: t.shape[1], source: .wide)
            }
            return nil
        }
    }

    /// Clears the gradients for a new step and notes the rows `batch` touches. Call before
    /// `forward`. A layer the last optimizer step updated is zero already (the step clears what
    /// it reads); any other is cleared here: in full, or for a row-sparse table the rows the
    /// previous step touched (the only ones that can hold gradient) and the layer's bias.
    /// A source whose layers are all in `frozen` (layer names) gets no gradient this step (the
    /// backward pass skips frozen layers), so it notes no rows: the fitted wide path, frozen by
    /// default, then costs its forward product only.
    public func beginStep(_ batch: Batch, frozen: Set<String> = []) {
        Parallel.stepStarted(&workerTuner)
        let g = gradients.pointer
        assert(layers.indices.filter { gradientsLeftZero[$0] }.allSatisfy { i in
            (0..<layers[i].count).allSatisfy { g[layers[i].offset + $0] == 0 }
        }, "a gradient was written between the optimizer step and beginStep")
        for (i, layer) in layers.enumerated() {
            defer { gradientsLeftZero[i] = false }
            guard !gradientsLeftZero[i] else { continue }
            guard let tensor = rowSparseByLayer[layer.name] else {
                // Split as the optimizer splits the layer, so each core clears the part it updates.
                Parallel.split(layer.count, minimum: Optimizer.splitMinimum) { range in
                    (g + layer.offset + range.lowerBound).update(repeating: 0, count: range.count)
                }
                continue
            }
            let end = tensor.offset + tensor.rows * tensor.width
            (g + layer.offset).update(repeating: 0, count: tensor.offset - layer.offset)
            (g + end).update(repeating: 0, count: layer.offset + layer.count - end)
            for row in touched[tensor.source] {
                (g + tensor.offset + Int(row) * tensor.width).update(repeating: 0, count: tensor.width)
            }
        }
        if config.trunk == .bag { noteRows(batch.bag, batch: batch.count, as: .bag, frozen: frozen) }
        if config.wide { noteRows(batch.wide, batch: batch.count, as: .wide, frozen: frozen) }
    }

    private func noteRows(_ rows: SparseRows, batch: Int, as source: RowSparseTensor.Source, frozen: Set<String>) {
        if rowSparse.allSatisfy({ $0.source != source || frozen.contains($0.layer) }) {
            touched.clear(source)
        } else {
            touched.collect(rows, batch: batch, as: source)
        }
    }
}

extension Optimizer {
    /// Σ g² over the layer's gradient: only the touched rows of a row-sparse tensor (the others are zero).
    func sumOfSquaredGradients(_ model: Model, _ layer: LayerRange) -> Double {
        guard let tensor = model.rowSparseByLayer[layer.name] else {
            return blockedSumOfSquares(model.gradients.pointer + layer.offset, count: layer.count)
        }
        var sum = Double(sumOfSquares(model.gradients.pointer + layer.offset, count: tensor.offset - layer.offset))
        let end = tensor.offset + tensor.rows * tensor.width
        sum += Double(sumOfSquares(model.gradients.pointer + end, count: layer.offset + layer.count - end))
        for row in model.touched[tensor.source] {
            sum += Double(sumOfSquares(model.gradients.pointer + tensor.offset + Int(row) * tensor.width, count: tensor.width))
        }
        return sum
    }

    /// The parts of `layer` one step updates: all of it (`dense`), or for a row-sparse tensor
    /// its touched rows (`rows`: the tensor's offset, its row width and a block of row
    /// indices) and the layer's other tensors (the bias, `dense`). The rows are disjoint, so
    /// threads take blocks of them: `rows` must be safe to call on several threads at once. A
    /// block rather than one call per row: a table row is 3 to 64 floats, less work than a call.
    func updateRanges(_ model: Model, _ layer: LayerRange, dense: (Range<Int>) -> Void,
                      rows: (_ offset: Int, _ width: Int, _ block: ArraySlice<Int32>) -> Void) {
        guard let tensor = model.rowSparseByLayer[layer.name] else {
            dense(layer.offset..<(layer.offset + layer.count))
            return
        }
        if tensor.offset > layer.offset { dense(layer.offset..<tensor.offset) }
        let touched = model.touched[tensor.source]
        Parallel.split(touched.count, minimum: 1024) { part in rows(tensor.offset, tensor.width, touched[part]) }
        let end = tensor.offset + tensor.rows * tensor.width
        if end < layer.offset + layer.count { dense(end..<(layer.offset + layer.count)) }
    }
}
