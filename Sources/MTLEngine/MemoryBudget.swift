import Foundation

/// Sizes checked against the machine's memory before anything large is allocated, so an absurd
/// `--hidden`, `--embedding` or `--dump-screen` is a one-line error that says what fits, not an
/// abort in the allocator. Estimates are in `Double` so no size can overflow while being checked.
public enum MemoryBudget {
    /// Installed physical memory in bytes.
    public static var physicalBytes: Double { Double(ProcessInfo.processInfo.physicalMemory) }

    /// Float buffers the size of the parameters while training: the parameters, their gradients,
    /// Adam's two moments and early stopping's copy of the best epoch.
    public static let parameterCopies = 5.0

    /// What training a model of `config` on batches of `batch` rows needs.
    public struct Training: Sendable {
        public var parameters: Double
        /// Per part of the model (`embedding`, `conv`, `dense`, `heads`): its parameter count.
        public var parts: [(name: String, count: Double)]
        /// Activations, gradients and the batch itself, for `batch` rows.
        public var workspaceBytes: Double
        public var bytes: Double { parameters * 4 * MemoryBudget.parameterCopies + workspaceBytes }
    }

    /// - Parameters:
    ///   - maxTokens: the longest text in tokens (0 without text).
    ///   - sparseWidth: the most non-zero bag-of-words and feature values of one row (mlp over text).
    public static func training(_ config: ModelConfig, batch: Int, maxTokens: Int, sparseWidth: Int) -> Training {
        let b = Double(batch), t = Double(max(maxTokens, config.kernel))
        let v = Double(config.vocabulary), e = Double(config.embedding)
        let k = Double(config.kernel), f = Double(config.filters)
        var parts: [(String, Double)] = []
        var workspace = 0.0
        var width: Double
        switch config.trunk {
        case .cnn:
            parts.append(("embedding", v * e))
            parts.append(("conv", e * k * f + f))
            let unique = min(v, b * t)
            // Token slots and ids, gathered rows and their filter table, pooled maxima, weight scratch.
            workspace += 8 * v + 16 * b * t + 4 * unique * (e + k * f) + 8 * b * f + 8 * k * f * e
            width = f + Double(config.features)
        case .bag:
            parts.append(("embedding", Double(config.ngrams) * e))
            width = e + Double(config.features)
        case .gru:
            let h = Double(config.recurrent), d = config.bidirectional ? 2.0 : 1.0
            parts.append(("embedding", v * e))
            parts.append(("gru", d * (3 * h * (e + h) + 6 * h)))
            // Per direction and token: the input projection, the gates and the states.
            workspace += 4 * b * t * d * 8 * h
            width = 2 * h * d + Double(config.features)
        case .mlp:
            width = v + Double(config.features)
        }
        let pooled = config.trunk == .mlp ? 0 : width
        var dense = 0.0
        for h in config.hidden.map(Double.init) {
            dense += width * h + h
            width = h
        }
        parts.append(("dense", dense))
        let experts = Double(config.sharing.experts)
        if experts > 1 {
            parts = parts.map { ($0.0 + " ×\(config.sharing.experts)", $0.1 * experts) }
            parts.append(("gates", Double(config.heads.count) * (Double(config.gateInputs) + 1) * experts))
        }
        let outputs = config.heads.reduce(0.0) { $0 + Double($1.outputs) }
        if config.wide { parts.append(("wide", (Double(config.wideInputs) + 1) * outputs)) }
        parts.append(("heads", width * outputs + outputs))
        let hidden = config.hidden.reduce(0.0) { $0 + Double($1) }
        // Per row and expert: pooled input and its gradient, three buffers per dense layer; per
        // row: four per head, the row's features, tokens and sparse values.
        workspace += 4 * b * experts * (2 * pooled + 3 * hidden + 3 * width)
        workspace += 4 * b * (4 * outputs + Double(config.features) + t)
        workspace += 8 * b * Double(sparseWidth)
        return Training(parameters: parts.reduce(0) { $0 + $1.1 }, parts: parts, workspaceBytes: workspace)
    }

    /// What the wide path's linear fit (`--wide-fit linear`) needs beside training, for the task
    /// with the most outputs: L-BFGS keeps 8 buffers the size of that task's wide weights (θ, the
    /// best C's θ, gradient, direction, trial point and gradient, the new s and y) and `memory`
    /// pairs of s and y; the training and validation rows are copied as CSR and its transpose
    /// (a column id and a value per non-zero, twice). `nonZeros`: the n-gram and feature values of
    /// every row.
    public static func wideFitBytes(_ config: ModelConfig, nonZeros: Int) -> Double {
        guard config.wide, let outputs = config.heads.map(\.outputs).max() else { return 0 }
        let theta = (Double(config.wideInputs) + 1) * Double(outputs)
        return 4 * theta * (8 + 2 * Double(LBFGS().memory)) + 16 * Double(nonZeros)
    }

    /// `1.5 GB`, `512 MB`, `20 TB`.
    public static func format(bytes: Double) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = bytes, unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(Int(value)) bytes" : String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }

    /// `1,234,567`, or `1.2e+21` beyond what a whole number shows readably.
    public static func format(count: Double) -> String {
        guard count < 1e15 else { return String(format: "%.1e", count) }
        let digits = String(Int(count))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}
