import MTLData

/// Pseudo-labels (semi-supervised self-training, as in Lee 2013): training rows with no label
/// for any task join training with the model's own confident predictions, refreshed at the
/// start of each epoch from `startEpoch` on.
public struct PseudoLabel: Sendable, Codable, Equatable {
    /// A prediction counts when its probability is at least this (binary: max(p, 1 − p);
    /// multi-label: every label's).
    public var threshold: Double
    /// The first epoch (1-based) that trains on pseudo-labels: the model must first learn
    /// something from the labelled rows.
    public var startEpoch: Int
    /// The pseudo-labelled rows' loss weight (a labelled row's is 1 × its class weight).
    public var weight: Double

    public init(threshold: Double, startEpoch: Int = 2, weight: Double = 1) {
        self.threshold = threshold
        self.startEpoch = startEpoch
        self.weight = weight
    }

    /// `THRESHOLD[:START_EPOCH[:WEIGHT]]`, e.g. `0.95`, `0.9:3`, `0.9:3:0.5`.
    public static func parse(_ text: String) throws(EarlyStop.Invalid) -> PseudoLabel {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), let threshold = Double(parts[0]), threshold > 0, threshold <= 1 else {
            throw EarlyStop.Invalid("expected THRESHOLD[:START_EPOCH[:WEIGHT]] with THRESHOLD in (0, 1], like 0.95 or 0.9:3:0.5; got '\(text)'")
        }
        var label = PseudoLabel(threshold: threshold)
        if parts.count > 1 {
            guard let start = Int(parts[1]), start >= 1 else { throw EarlyStop.Invalid("START_EPOCH must be a whole number ≥ 1, got '\(parts[1])' in '\(text)'") }
            label.startEpoch = start
        }
        if parts.count > 2 {
            guard let weight = Double(parts[2]), weight > 0, weight.isFinite else { throw EarlyStop.Invalid("WEIGHT must be a number > 0, got '\(parts[2])' in '\(text)'") }
            label.weight = weight
        }
        return label
    }
}

enum PseudoLabels {
    /// Rows with no label for any task.
    static func unlabeled(_ rows: [Int], _ targets: [TaskTargets]) -> [Int] {
        rows.filter { r in targets.allSatisfy { $0.mask[r] == 0 } }
    }

    /// Puts unlabeled validation and test rows into training: they measure nothing there.
    static func moveUnlabeled(_ split: inout DataSplit, _ targets: [TaskTargets]) {
        let validation = Set(unlabeled(split.validation, targets)), test = Set(unlabeled(split.test, targets))
        guard !validation.isEmpty || !test.isEmpty else { return }
        split.validation.removeAll { validation.contains($0) }
        split.test.removeAll { test.contains($0) }
        split.train += validation.sorted() + test.sorted()
    }

    /// Writes the confident predictions in `examples` (the pool's rows) into `targets`; the
    /// rest of the pool is left unlabelled. Regression tasks get none (no probability to trust).
    /// Returns the count per task.
    static func assign(_ examples: ExampleTable, to targets: inout [TaskTargets], kinds: [TaskKind], rule: PseudoLabel?) -> [Int] {
        var counts = [Int](repeating: 0, count: targets.count)
        let threshold = Float(rule?.threshold ?? 2), weight = Float(rule?.weight ?? 0)
        for (i, row) in examples.rows.enumerated() {
            for t in targets.indices {
                guard rule != nil, examples.widths.indices.contains(t) else {
                    targets[t].mask[row] = 0
                    targets[t].weights[row] = 0
                    continue
                }
                let width = examples.widths[t], outputs = examples.outputs[t]
                var values: [Float]?
                switch kinds[t] {
                case .binary:
                    let p = outputs[i]
                    if max(p, 1 - p) >= threshold { values = [p >= 0.5 ? 1 : 0] }
                case .multiclass:
                    let best = (0..<width).max { outputs[i * width + $0] < outputs[i * width + $1] } ?? 0
                    if outputs[i * width + best] >= threshold { values = [Float(best)] }
                case .multilabel:
                    let p = (0..<width).map { outputs[i * width + $0] }
                    if p.allSatisfy({ max($0, 1 - $0) >= threshold }) { values = p.map { $0 >= 0.5 ? 1 : 0 } }
                case .regression:
                    break
                }
                let w = targets[t].width
                if let values {
                    targets[t].values.replaceSubrange(row * w..<(row + 1) * w, with: values)
                    targets[t].mask[row] = 1
                    targets[t].weights[row] = weight
                    counts[t] += 1
                } else {
                    targets[t].mask[row] = 0
                    targets[t].weights[row] = 0
                }
            }
        }
        return counts
    }
}
