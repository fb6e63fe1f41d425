/// How the tasks' gradients on each shared layer relate: for every pair of tasks the cosine
/// cᵢⱼ = gᵢ·gⱼ / (‖gᵢ‖‖gⱼ‖) (conflict when < 0) and the magnitude similarity
/// 2‖gᵢ‖‖gⱼ‖ / (‖gᵢ‖² + ‖gⱼ‖²) ∈ (0, 1] (Yu et al. 2020), measured every few steps, kept as the
/// latest values, an EMA (β = 0.1 per measurement) and a bounded history of the cosines.
///
/// ```swift
/// var conflict = GradientConflict(tasks: ["a", "b"], layers: model.sharedLayers)
/// conflict.record(taskGradients, step: 120)
/// conflict.layers[0].cosine[conflict.pair(0, 1)]
/// ```
public struct GradientConflict: Sendable, Equatable {
    public struct Layer: Sendable, Equatable {
        public var name: String
        /// Per pair (see `pairs`), the latest measurement; NaN where a gradient was zero.
        public var cosine: [Double]
        public var magnitudeSimilarity: [Double]
        public var cosineEMA: [Double]
        /// Share of pairs whose latest cosine is negative.
        public var conflictShare: Double
        /// Per pair, the cosine at each measurement in `steps` (the last `historyLimit`).
        public var history: [[Float]]
    }

    public static let historyLimit = 512
    public static let emaWeight = 0.1

    public let tasks: [String]
    /// Pairs of task indices (i < j), in row order.
    public let pairs: [(Int, Int)]
    public var layers: [Layer]
    /// The step of each history point.
    public var steps: [Int] = []

    public init(tasks: [String], layers: [LayerRange]) {
        self.tasks = tasks
        pairs = tasks.indices.flatMap { i in ((i + 1)..<tasks.count).map { (i, $0) } }
        ranges = layers
        self.layers = layers.map {
            Layer(name: $0.name, cosine: [], magnitudeSimilarity: [], cosineEMA: [], conflictShare: 0, history: [])
        }
    }

    private let ranges: [LayerRange]

    /// The index of pair (i, j) in `pairs`, i ≠ j.
    public func pair(_ i: Int, _ j: Int) -> Int {
        pairs.firstIndex { $0 == (min(i, j), max(i, j)) }!
    }

    /// `"A|B"` for each pair, as in the JSON step events.
    public var pairNames: [String] { pairs.map { "\(tasks[$0.0])|\(tasks[$0.1])" } }

    /// Measures `gradients[t]` (each task's gradient on the shared parameters) at `step`.
    public mutating func record(_ gradients: [FloatBuffer], step: Int) {
        for (l, range) in ranges.enumerated() {
            let norms = gradients.map { Double(sumOfSquares($0.pointer + range.offset, count: range.count)).squareRoot() }
            var cosine: [Double] = [], magnitude: [Double] = []
            for (i, j) in pairs {
                let product = norms[i] * norms[j]
                let d = dot(gradients[i].pointer + range.offset, gradients[j].pointer + range.offset, count: range.count)
                cosine.append(product > 0 ? max(-1, min(1, d / product)) : .nan)
                let squares = norms[i] * norms[i] + norms[j] * norms[j]
                magnitude.append(squares > 0 ? 2 * product / squares : .nan)
            }
            var layer = layers[l]
            layer.cosineEMA = layer.cosineEMA.isEmpty ? cosine : zip(layer.cosineEMA, cosine).map { old, new in
                new.isNaN ? old : old.isNaN ? new : (1 - Self.emaWeight) * old + Self.emaWeight * new
            }
            let measured = cosine.filter { !$0.isNaN }
            layer.conflictShare = measured.isEmpty ? 0 : Double(measured.filter { $0 < 0 }.count) / Double(measured.count)
            layer.cosine = cosine
            layer.magnitudeSimilarity = magnitude
            if layer.history.isEmpty { layer.history = pairs.map { _ in [] } }
            for p in pairs.indices {
                layer.history[p].append(Float(cosine[p]))
                if layer.history[p].count > Self.historyLimit { layer.history[p].removeFirst() }
            }
            layers[l] = layer
        }
        steps.append(step)
        if steps.count > Self.historyLimit { steps.removeFirst() }
    }

    /// Layers by their EMA conflict, most conflicted (lowest mean cosine) first.
    public var layersByConflict: [Layer] {
        func mean(_ layer: Layer) -> Double {
            let values = layer.cosineEMA.filter { !$0.isNaN }
            return values.isEmpty ? 1 : values.reduce(0, +) / Double(values.count)
        }
        return layers.sorted { mean($0) < mean($1) }
    }

    public static func == (a: GradientConflict, b: GradientConflict) -> Bool {
        a.tasks == b.tasks && a.layers == b.layers && a.steps == b.steps
    }
}
