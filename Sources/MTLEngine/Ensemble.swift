import Foundation
import MTLData

/// How an ensemble turns its members' outputs into one prediction.
public enum EnsembleCombine: String, Sendable, CaseIterable {
    /// The mean of the members' probabilities (the mean value for regression).
    case mean
    /// Each member's decision counts once; the output per class is the share of members that
    /// chose it. Ties go to the lower class index (scikit-learn's hard voting); a binary or
    /// multi-label tie (half the members) is not a positive.
    case vote
}

/// `ensemble.json` beside the member checkpoints (`fold-1`, `fold-2`, … as `cv --save` writes them).
public struct EnsembleManifest: Sendable, Codable, Equatable {
    public var format = EnsembleManifest.format
    public var version = 1
    /// Member checkpoint directories, relative to the ensemble directory.
    public var members: [String]
    /// How the members were made, for a reader: "5-fold cross-validation".
    public var made: String
    public var seed: UInt64

    public static let format = "mtl-tui-ensemble"
    public static let file = "ensemble.json"

    public init(members: [String], made: String, seed: UInt64) {
        self.members = members
        self.made = made
        self.seed = seed
    }
}

/// Saved ensembles: reading the members and combining their outputs.
public enum Ensemble {
    /// Whether `directory` holds an ensemble (a manifest) rather than one checkpoint.
    public static func isEnsemble(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(EnsembleManifest.file))
    }

    public static func writeManifest(_ manifest: EnsembleManifest, to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = (directory as NSString).appendingPathComponent(EnsembleManifest.file)
        do { try encoder.encode(manifest).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw CheckpointError(path, "cannot write: \(error.localizedDescription)")
        }
    }

    /// The manifest and every member, checked to predict the same tasks and classes; an error
    /// names the manifest or the member that is broken.
    public static func read(_ directory: String) throws -> (manifest: EnsembleManifest, members: [Checkpoint]) {
        let path = (directory as NSString).appendingPathComponent(EnsembleManifest.file)
        guard let data = FileManager.default.contents(atPath: path) else { throw CheckpointError(path, "cannot read") }
        let manifest: EnsembleManifest
        do { manifest = try DecodingMessage.decode(EnsembleManifest.self, from: data) } catch {
            throw CheckpointError(path, error.description)
        }
        guard manifest.format == EnsembleManifest.format, manifest.version == 1 else {
            throw CheckpointError(path, "expected format '\(EnsembleManifest.format)' version 1, found '\(manifest.format)' version \(manifest.version)")
        }
        guard !manifest.members.isEmpty else { throw CheckpointError(path, "lists no members") }
        if let bad = manifest.members.first(where: { $0.isEmpty || $0.hasPrefix("/") || $0.split(separator: "/").contains("..") }) {
            throw CheckpointError(path, "member '\(bad)' is not a directory inside the ensemble")
        }
        let members = try manifest.members.map { try Checkpoint.read(from: (directory as NSString).appendingPathComponent($0)) }
        let first = members[0].info.encoder.tasks
        for (m, member) in members.enumerated().dropFirst() {
            let tasks = member.info.encoder.tasks
            let name = (directory as NSString).appendingPathComponent(manifest.members[m])
            guard tasks.map(\.spec.name) == first.map(\.spec.name), tasks.map(\.spec.kind) == first.map(\.spec.kind) else {
                throw CheckpointError(name, "predicts tasks \(tasks.map(\.spec.name)), unlike the first member's \(first.map(\.spec.name))")
            }
            for (t, task) in tasks.enumerated() where task.classes != first[t].classes && task.spec.kind != .regression {
                throw CheckpointError(name, "task '\(task.spec.name)' has classes \(task.classes), unlike the first member's \(first[t].classes)")
            }
        }
        return (manifest, members)
    }

    /// One task's combined outputs, `[rows, width]`, from each member's (probabilities; values
    /// for regression). `thresholds`: per member, its multi-label decision thresholds (nil: 0.5).
    public static func combine(_ outputs: [[Float]], kind: TaskKind, width: Int, rule: EnsembleCombine,
                               thresholds: [[Float]?] = []) -> [Float] {
        precondition(!outputs.isEmpty && outputs.allSatisfy { $0.count == outputs[0].count }, "one output table per member")
        let n = Float(outputs.count)
        if rule == .mean || kind == .regression {
            return outputs[0].indices.map { i in outputs.reduce(0) { $0 + $1[i] } / n }
        }
        let rows = outputs[0].count / width
        var combined = [Float](repeating: 0, count: outputs[0].count)
        for (m, member) in outputs.enumerated() {
            for r in 0..<rows {
                let row = r * width
                switch kind {
                case .multiclass:
                    var best = 0
                    for c in 1..<width where member[row + c] > member[row + best] { best = c }
                    combined[row + best] += 1 / n
                case .binary, .multilabel:
                    let cut = m < thresholds.count ? thresholds[m] : nil
                    for c in 0..<width where member[row + c] >= cut?[c] ?? DecisionThresholds.standard { combined[row + c] += 1 / n }
                case .regression:
                    break
                }
            }
        }
        // A half-and-half vote decides "no" at the 0.5 cut that metrics and predict apply.
        if kind != .multiclass { for i in combined.indices where abs(combined[i] - 0.5) < 1e-6 { combined[i] = Float(0.5).nextDown } }
        return combined
    }

    /// The decision thresholds of a combined multi-label output: the members' mean for `mean`
    /// (each member tuned its own), 0.5 for `vote` (a majority).
    public static func thresholds(_ members: [[Float]?], labels: Int, rule: EnsembleCombine) -> [Float]? {
        guard rule == .mean, members.contains(where: { $0 != nil }) else { return nil }
        return (0..<labels).map { c in members.reduce(0) { $0 + ($1?[c] ?? DecisionThresholds.standard) } / Float(members.count) }
    }

    /// Metrics of combined outputs on `rows` against `targets` as `task` encodes them. The loss
    /// is the log loss of the combined probabilities (regression: the task's squared or Huber
    /// error in standardised units), weighted like training's.
    public static func metrics(_ combined: [Float], rows: [Int], task: DataEncoder.TaskEncoding, width: Int,
                               targets: TaskTargets, thresholds: [Float]? = nil, likelihood: [Float]? = nil) -> TaskMetrics {
        let kind = task.spec.kind
        var accumulator = MetricAccumulator(kind: kind, classes: width, mean: task.mean, std: task.std, thresholds: thresholds)
        accumulator.reserve(rows.count)
        var p = [Float](repeating: 0, count: width)
        for (i, r) in rows.enumerated() {
            for c in 0..<width { p[c] = combined[i * width + c] }
            if kind == .regression { p[0] = Float((Double(p[0]) - task.mean) / task.std) }
            let y = Array(targets.values[(r * targets.width)..<(r * targets.width + targets.width)])
            // Regression combines by the mean under either rule: its p is the likelihood already.
            let scored = kind == .regression ? nil : likelihood.map { Array($0[(i * width)..<(i * width + width)]) }
            let loss = rowLoss(scored ?? p, y, kind: kind, regression: task.spec.loss)
            p.withUnsafeBufferPointer { pp in
                y.withUnsafeBufferPointer { yy in
                    accumulator.add(probabilities: pp.baseAddress!, targets: yy.baseAddress!, mask: targets.mask[r],
                                    weight: targets.weights[r], loss: loss)
                }
            }
        }
        return accumulator.metrics()
    }

    static func rowLoss(_ p: [Float], _ y: [Float], kind: TaskKind, regression: RegressionLoss) -> Float {
        func log(_ x: Float) -> Float { Foundation.log(min(max(x, 1e-7), 1)) }
        switch kind {
        case .multiclass: return -log(p[Int(y[0])])
        case .binary, .multilabel:
            return zip(p, y).reduce(0) { $0 - ($1.1 > 0.5 ? log($1.0) : log(1 - $1.0)) } / Float(p.count)
        case .regression:
            let d = p[0] - y[0]
            return regression == .mse || abs(d) <= 1 ? (regression == .mse ? d * d : 0.5 * d * d) : abs(d) - 0.5
        }
    }
}

extension TaskMetrics {
    /// Per metric name `kind` reports, the mean and sample standard deviation over `runs`
    /// (nil where a run lacks it: every run must have the metric).
    public static func meanAndSD(_ runs: [TaskMetrics], kind: TaskKind) -> [(name: String, mean: Double, sd: Double)?] {
        names(for: kind).map { name in
            let values = runs.compactMap { $0.value(name) }
            guard values.count == runs.count, !values.isEmpty else { return nil }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1) : 0
            return (name, mean, variance.squareRoot())
        }
    }
}

/// An ensemble's members run once over rows of a table, each encoding it with its own
/// encoder; metrics of any subset of those rows come from the kept outputs.
public struct EnsembleRun: Sendable {
    public let rows: [Int]
    public let widths: [Int]
    /// Per task: the combined outputs `[rows, width]`, regression values in original units.
    public let outputs: [[Float]]
    /// Per task: the combined multi-label decision thresholds (nil: 0.5).
    public let thresholds: [[Float]?]
    /// Per task, for `vote`: the members' mean probabilities, whose log loss is reported (a
    /// share of votes is no likelihood: a class no member chose would cost −log 1e-7).
    let likelihoods: [[Float]]?
    let checkpoints: [Checkpoint]
    /// Per member, per task: outputs `[rows, width]` and each row's loss, as the member's evaluator gave them.
    let memberOutputs: [[[Float]]]
    let memberLosses: [[[Float]]]
    /// Per member, per task: the targets of every table row (empty without labels).
    let memberTargets: [[TaskTargets]]
    let position: [Int: Int]

    public init(members checkpoints: [Checkpoint], table: Table, rows: [Int], requireLabels: Bool,
                rule: EnsembleCombine, batchSize: Int = 256) throws {
        var memberOutputs: [[[Float]]] = [], memberLosses: [[[Float]]] = [], memberTargets: [[TaskTargets]] = []
        for checkpoint in checkpoints {
            let encoded = try checkpoint.info.encoder.encode(table, requireLabels: requireLabels)
            let inputs = ModelInputs(rows: encoded, encoder: checkpoint.info.encoder, model: checkpoint.info.model)
            let model = checkpoint.makeModel()
            let batch = Batch(capacity: batchSize, inputs: inputs)
            var evaluator = Evaluator(model: model, tasks: checkpoint.info.encoder.tasks, batch: batch,
                                      work: model.workspace(batch: batchSize, maxTokens: inputs.maxTokens))
            evaluator.useThresholds(checkpoint.info.thresholds)
            let examples = evaluator.evaluate(rows, inputs: inputs, step: checkpoint.info.position.step).examples
            memberOutputs.append(examples.outputs)
            memberLosses.append(examples.losses)
            memberTargets.append(requireLabels ? encoded.targets : [])
        }
        let tasks = checkpoints[0].info.encoder.tasks
        let widths = checkpoints[0].info.model.heads.map(\.outputs)
        var outputs: [[Float]] = [], thresholds: [[Float]?] = []
        for (t, task) in tasks.enumerated() {
            let memberThresholds = checkpoints.map { $0.info.thresholds?[task.spec.name] }
            outputs.append(Ensemble.combine(memberOutputs.map { $0[t] }, kind: task.spec.kind, width: widths[t], rule: rule,
                                            thresholds: memberThresholds))
            thresholds.append(task.spec.kind == .multilabel ? Ensemble.thresholds(memberThresholds, labels: widths[t], rule: rule) : nil)
        }
        self.rows = rows
        self.widths = widths
        self.outputs = outputs
        self.thresholds = thresholds
        likelihoods = rule == .vote ? tasks.indices.map { t in
            Ensemble.combine(memberOutputs.map { $0[t] }, kind: tasks[t].spec.kind, width: widths[t], rule: .mean)
        } : nil
        self.checkpoints = checkpoints
        self.memberOutputs = memberOutputs
        self.memberLosses = memberLosses
        self.memberTargets = memberTargets
        position = Dictionary(rows.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Per task, the combined metrics on `subset` (rows given to `init`, which needed labels),
    /// and per member its own, as its evaluator would report them on those rows.
    public func metrics(_ subset: [Int]) -> (combined: [TaskMetrics], members: [[TaskMetrics]]) {
        precondition(!memberTargets.isEmpty && memberTargets.allSatisfy { !$0.isEmpty }, "metrics need labelled rows")
        let positions = subset.map { position[$0]! }
        let tasks = checkpoints[0].info.encoder.tasks
        let combined = tasks.indices.map { t in
            let slice = { (table: [Float]) in positions.flatMap { table[($0 * widths[t])..<($0 * widths[t] + widths[t])] } }
            return Ensemble.metrics(slice(outputs[t]), rows: subset, task: tasks[t], width: widths[t], targets: memberTargets[0][t],
                                    thresholds: thresholds[t], likelihood: likelihoods.map { slice($0[t]) })
        }
        let members = checkpoints.indices.map { m in
            checkpoints[m].info.encoder.tasks.enumerated().map { t, task in
                let width = widths[t], targets = memberTargets[m][t]
                var accumulator = MetricAccumulator(kind: task.spec.kind, classes: width, mean: task.mean, std: task.std,
                                                    thresholds: checkpoints[m].info.thresholds?[task.spec.name])
                accumulator.reserve(subset.count)
                var p = [Float](repeating: 0, count: width)
                for (r, i) in zip(subset, positions) {
                    for c in 0..<width { p[c] = memberOutputs[m][t][i * width + c] }
                    // The evaluator keeps regression outputs in original units; metrics take them standardised.
                    if task.spec.kind == .regression { p[0] = Float((Double(p[0]) - task.mean) / task.std) }
                    p.withUnsafeBufferPointer { pp in
                        targets.values.withUnsafeBufferPointer { y in
                            accumulator.add(probabilities: pp.baseAddress!, targets: y.baseAddress! + r * targets.width,
                                            mask: targets.mask[r], weight: targets.weights[r], loss: memberLosses[m][t][i])
                        }
                    }
                }
                return accumulator.metrics()
            }
        }
        return (combined, members)
    }
}
