import MTLData

/// Dense → ReLU → dropout, repeated: the top of every trunk. Layers are named `dense`, or
/// `dense1`, `dense2`, … when there are several.
///
/// ```swift
/// let stack = DenseStack(inputs: 128, widths: [64], dropout: 0.2, layout: &layout, prefix: "")
/// let top = stack.forward(.dense(x), batch: n, work, parameters: p, training: true, random: &random)
/// ```
struct DenseStack {
    /// What the first layer reads: a dense `[B, inputs]` block or sparse rows (the TF-IDF input).
    enum Input {
        case dense(UnsafePointer<Float>)
        case sparse(SparseRows)
    }

    /// The last layer with what it read and wrote in the last forward pass.
    struct Top {
        let layer: Dense
        let input: Input
        let output: UnsafeMutablePointer<Float>
        let mask: UnsafeMutablePointer<Float>?
    }

    let layers: [Dense]
    let names: [String]
    let dropout: Float
    let inputs: Int

    init(inputs: Int, widths: [Int], dropout: Float, layout: inout LayoutBuilder, prefix: String) {
        self.inputs = inputs
        self.dropout = dropout
        names = widths.indices.map { prefix + (widths.count == 1 ? "dense" : "dense\($0 + 1)") }
        var width = inputs
        var layers: [Dense] = []
        for (units, name) in zip(widths, names) {
            let w = layout.add("trunk.\(name).weight", layer: name, shape: [width, units], exportOrder: [1, 0])
            let b = layout.add("trunk.\(name).bias", layer: name, shape: [units])
            layers.append(Dense(inputs: width, outputs: units, weight: w, bias: b))
            width = units
        }
        self.layers = layers
    }

    /// Width of the stack's output (its input's when it has no layer).
    var width: Int { layers.last?.outputs ?? inputs }

    /// He-uniform for the ReLU layers' weights; biases start at zero.
    func initialize(_ tensor: ParameterTensor, _ parameters: UnsafeMutablePointer<Float>, random: inout SeededRandom) {
        guard tensor.name.hasSuffix(".weight") else { return }
        fillUniform(tensor, parameters, bound: (6 / Float(tensor.shape[0])).squareRoot(), random: &random)
    }

    final class Workspace {
        let hidden: [FloatBuffer]          // [B, h_i] after ReLU and dropout
        let masks: [FloatBuffer]           // dropout masks, [B, h_i]
        let gradients: [FloatBuffer]       // [B, h_i] below the top (the top's is the trunk's output gradient)

        init(_ stack: DenseStack, batch: Int) {
            hidden = stack.layers.map { FloatBuffer(count: batch * $0.outputs) }
            masks = stack.layers.map { FloatBuffer(count: stack.dropout > 0 ? batch * $0.outputs : 1) }
            gradients = stack.layers.dropLast().map { FloatBuffer(count: batch * $0.outputs) }
        }
    }

    /// `[B, inputs]` → `[B, width]`; with no layer, the input itself (which must then be dense).
    func forward(_ input: Input, batch n: Int, _ work: Workspace, parameters p: UnsafePointer<Float>, training: Bool,
                 random: inout SeededRandom) -> UnsafePointer<Float> {
        var x = input
        for (i, layer) in layers.enumerated() {
            let out = work.hidden[i].pointer
            switch x {
            case .dense(let dense): layer.forward(dense, into: out, batch: n, parameters: p)
            case .sparse(let sparse): layer.forward(sparse, into: out, batch: n, parameters: p)
            }
            ReLU.forward(out, count: n * layer.outputs)
            if training, dropout > 0 {
                Dropout.forward(out, mask: work.masks[i].pointer, count: n * layer.outputs, rate: dropout, random: &random)
            }
            x = .dense(UnsafePointer(out))
        }
        guard case .dense(let top) = x else { preconditionFailure("a sparse input needs at least one dense layer") }
        return top
    }

    /// `top` holds ∂L/∂output `[B, width]` (overwritten). Writes ∂L/∂input into `inputGradient`
    /// when given (a dense input only); with no layer the caller uses `top` as that gradient.
    func backward(_ input: Input, batch n: Int, _ work: Workspace, top: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, frozen: Set<String>,
                  parameters p: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>) {
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[i]
            let dy = i == layers.count - 1 ? top : work.gradients[i].pointer
            let count = n * layer.outputs
            if dropout > 0 { Dropout.backward(dy, mask: work.masks[i].pointer, count: count) }
            ReLU.backward(output: work.hidden[i].pointer, gradient: dy, count: count)
            let layerFrozen = frozen.contains(names[i])
            if i > 0 {
                layer.backward(UnsafePointer(work.hidden[i - 1].pointer), dy, dx: work.gradients[i - 1].pointer, batch: n,
                               frozen: layerFrozen, parameters: p, gradients: g)
                continue
            }
            switch input {
            case .dense(let x):
                layer.backward(x, dy, dx: inputGradient, batch: n, frozen: layerFrozen, parameters: p, gradients: g)
            case .sparse(let x):
                if !layerFrozen { layer.backward(x, dy, batch: n, gradients: g) }
            }
        }
    }

    func top(_ input: Input, _ work: Workspace) -> Top? {
        guard let last = layers.indices.last else { return nil }
        let x: Input = last > 0 ? .dense(UnsafePointer(work.hidden[last - 1].pointer)) : input
        return Top(layer: layers[last], input: x, output: work.hidden[last].pointer,
                   mask: dropout > 0 ? work.masks[last].pointer : nil)
    }

    /// Whether any layer learns (so the layers below need a gradient at all).
    func learns(frozen: Set<String>) -> Bool { names.contains { !frozen.contains($0) } }
}
