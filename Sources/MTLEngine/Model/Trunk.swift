import MTLData

/// The shared part of the model: turns a batch into one representation `[B, width]` per sample,
/// which the heads (or, under MMoE, the gates' mixes) read. Each trunk declares its own tensors
/// in the flat buffer when built, initialises them, and runs forward and backward over them.
///
/// ```swift
/// var layout = LayoutBuilder()
/// let trunk = makeTrunk(config, layout: &layout, prefix: "")
/// let work = trunk.workspace(batch: 64, maxTokens: 200)
/// let features = trunk.forward(batch, work, parameters: p, training: true, random: &random)
/// trunk.backward(batch, work, outputGradient: dFeatures, frozen: [], parameters: p, gradients: g)
/// ```
protocol Trunk: AnyObject {
    /// Width of the representation.
    var width: Int { get }
    /// This trunk's layer names, in buffer order (the units that freeze).
    var layerNames: [String] { get }
    /// Activations and scratch for one batch size, allocated once.
    func workspace(batch: Int, maxTokens: Int) -> TrunkWorkspace
    /// Draws the initial value of one of this trunk's tensors (buffer order, one shared stream).
    func initialize(_ tensor: ParameterTensor, _ parameters: UnsafeMutablePointer<Float>, random: inout SeededRandom)
    /// Fills the workspace and returns the representation `[B, width]`. Dropout is drawn from `random`.
    func forward(_ batch: Batch, _ work: TrunkWorkspace, parameters: UnsafePointer<Float>, training: Bool,
                 random: inout SeededRandom) -> UnsafePointer<Float>
    /// Back-propagates `outputGradient` (`[B, width]`, overwritten) into `gradients`; layers in
    /// `frozen` get no gradient, and work below the last learning layer is skipped.
    func backward(_ batch: Batch, _ work: TrunkWorkspace, outputGradient: UnsafeMutablePointer<Float>, frozen: Set<String>,
                  parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>)
    /// The last dense layer and its input, for GradNorm's per-task norms; nil without one.
    func lastDense(_ batch: Batch, _ work: TrunkWorkspace) -> DenseStack.Top?
    /// An intermediate activation by name (`pooled`, a dense layer's name), for parity tests.
    func activation(_ name: String, _ work: TrunkWorkspace, batch: Int) -> [Float]?
}

/// A trunk's workspace; each trunk keeps its own subclass.
class TrunkWorkspace {
    /// The gradient at the trunk's output, `[B, width]`.
    let outputGradient: FloatBuffer

    init(batch: Int, width: Int) {
        outputGradient = FloatBuffer(count: batch * width)
    }
}

/// Builds the trunk `config` names, declaring its tensors in `layout`. `prefix` (e.g.
/// `expert2.`) goes before every tensor and layer name below `trunk.`, for MMoE's experts.
func makeTrunk(_ config: ModelConfig, layout: inout LayoutBuilder, prefix: String) -> Trunk {
    switch config.trunk {
    case .cnn: CNNTrunk(config, layout: &layout, prefix: prefix)
    case .mlp: MLPTrunk(config, layout: &layout, prefix: prefix)
    case .bag: BagTrunk(config, layout: &layout, prefix: prefix)
    case .gru: GRUTrunk(config, layout: &layout, prefix: prefix)
    }
}

/// Uniform(±bound) values for a tensor, from the model's initialisation stream.
func fillUniform(_ tensor: ParameterTensor, _ parameters: UnsafeMutablePointer<Float>, bound: Float, random: inout SeededRandom) {
    for i in 0..<tensor.count { parameters[tensor.offset + i] = (random.nextFloat() * 2 - 1) * bound }
}
