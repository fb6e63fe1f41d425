/// One named tensor inside the flat parameter buffer.
///
/// `shape` is the layout we compute with; `exportShape` and `exportOrder` describe the layout
/// PyTorch uses for the same tensor (e.g. `nn.Linear.weight` is `[out, in]`, ours `[in, out]`),
/// so a checkpoint loads straight into the equivalent PyTorch module.
public struct ParameterTensor: Sendable, Codable, Equatable {
    public var name: String
    public var layer: String
    public var shape: [Int]
    public var offset: Int
    /// Our axes in the order PyTorch stores them: exported[i…] = ours permuted by this.
    public var exportOrder: [Int]

    public var count: Int { shape.reduce(1, *) }
    public var exportShape: [Int] { exportOrder.map { shape[$0] } }
}

/// A freezable unit: a layer and the contiguous range of the flat buffer its tensors occupy.
public struct LayerRange: Sendable, Codable, Equatable {
    public var name: String
    public var offset: Int
    public var count: Int
}

/// Hands out consecutive slices of the flat buffer as layers are declared.
struct LayoutBuilder {
    private(set) var tensors: [ParameterTensor] = []
    private(set) var layers: [LayerRange] = []
    private(set) var total = 0

    /// Declares a tensor and returns its offset.
    mutating func add(_ name: String, layer: String, shape: [Int], exportOrder: [Int]? = nil) -> Int {
        let offset = total
        let tensor = ParameterTensor(name: name, layer: layer, shape: shape, offset: offset,
                                     exportOrder: exportOrder ?? Array(shape.indices))
        tensors.append(tensor)
        total += tensor.count
        if let last = layers.last, last.name == layer {
            layers[layers.count - 1].count += tensor.count
        } else {
            layers.append(LayerRange(name: layer, offset: offset, count: tensor.count))
        }
        return offset
    }
}

extension ParameterTensor {
    /// Copies this tensor out of `flat` in PyTorch's axis order.
    public func exported(from flat: UnsafePointer<Float>) -> [Float] {
        permute(from: flat + offset, shape: shape, order: exportOrder)
    }

    /// Writes PyTorch-ordered `values` into our layout in `flat`.
    public func imported(_ values: [Float], into flat: UnsafeMutablePointer<Float>) {
        precondition(values.count == count)
        let inverse = exportOrder.indices.map { exportOrder.firstIndex(of: $0)! }
        let ours = values.withUnsafeBufferPointer { permute(from: $0.baseAddress!, shape: exportShape, order: inverse) }
        (flat + offset).update(from: ours, count: count)
    }
}

/// Row-major tensor `source` of `shape`, with its axes reordered: result axis i = source axis order[i].
func permute(from source: UnsafePointer<Float>, shape: [Int], order: [Int]) -> [Float] {
    let count = shape.reduce(1, *)
    if order == Array(shape.indices) { return Array(UnsafeBufferPointer(start: source, count: count)) }
    var strides = [Int](repeating: 1, count: shape.count)
    for i in stride(from: shape.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
    let newShape = order.map { shape[$0] }
    let newStrides = order.map { strides[$0] }
    var out = [Float](repeating: 0, count: count)
    var index = [Int](repeating: 0, count: shape.count)
    for i in 0..<count {
        var sourceOffset = 0
        for a in 0..<index.count { sourceOffset += index[a] * newStrides[a] }
        out[i] = source[sourceOffset]
        var a = index.count - 1
        while a >= 0 {
            index[a] += 1
            if index[a] < newShape[a] { break }
            index[a] = 0
            a -= 1
        }
    }
    return out
}
