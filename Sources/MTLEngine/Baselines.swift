import Foundation
import MTLData

/// Does sharing help? Each task trained alone (same data, split, trunk, settings and seed) as
/// the baseline the multi-task model is compared with, and LibMTL's Δp over the two.
public enum Baselines {
    /// The metrics Δp averages per task: the ones a user reads first, none that can sit at 0
    /// (R² and loss can, which would make the relative change meaningless).
    public static func deltaMetrics(for kind: TaskKind) -> [String] {
        switch kind {
        case .binary, .multiclass, .multilabel: ["accuracy", "macro_f1"]
        case .regression: ["mae", "rmse"]
        }
    }

    /// Δp (LibMTL `count_improvement`), in percent, higher is better:
    /// Δp = 100 · (1/K) Σₜ (1/Mₜ) Σₘ sₘ·(Nₜₘ − Bₜₘ)/Bₜₘ, N the multi-task metric, B the
    /// single-task one, sₘ = +1 where higher is better (accuracy, F1) and −1 where lower is
    /// (MAE, RMSE). Per task first, then over tasks. Nil when a baseline value is 0 or missing.
    public static func deltaP(multiTask: [TaskMetrics], singleTask: [TaskMetrics], kinds: [TaskKind]) -> Double? {
        var perTask: [Double] = []
        for (t, kind) in kinds.enumerated() {
            var terms: [Double] = []
            for name in deltaMetrics(for: kind) {
                guard let n = multiTask[t].value(name), let b = singleTask[t].value(name), b != 0, n.isFinite, b.isFinite else { return nil }
                terms.append((TaskMetrics.higherIsBetter(name) ? 1 : -1) * (n - b) / b)
            }
            perTask.append(terms.reduce(0, +) / Double(terms.count))
        }
        guard !perTask.isEmpty else { return nil }
        return 100 * perTask.reduce(0, +) / Double(perTask.count)
    }
}

extension TrainingSetup {
    /// This run with task `t` only: its head, its labels, its loss weight 1, the same trunk,
    /// split, settings and seed (so the trunk starts from the same values). Early stopping
    /// keeps its rule when it names this task or the loss, else watches the loss.
    public func singleTask(_ t: Int) -> TrainingSetup {
        var single = self
        let name = model.heads[t].name
        single.model.heads = [model.heads[t]]
        single.encoder.tasks = [encoder.tasks[t]]
        single.encoder.spec.tasks = [encoder.spec.tasks[t]]
        single.inputs.rows.targets = [inputs.rows.targets[t]]
        single.training.lossWeights = [1]
        single.training.userWeights = []
        single.training.strategy = .fixed
        single.training.strategyOptions = [:]
        single.training.frozen = training.frozen.filter { !$0.hasPrefix("head.") || $0 == "head.\(name)" }
        if let rule = training.earlyStop, rule.metric != "loss", EarlyStop.taskMetric(rule.metric)?.task != name,
           !(rule.metric == EarlyStop.meanMacroF1 && model.heads[t].kind != .regression) {
            single.training.earlyStop = EarlyStop(metric: "loss", patience: rule.patience)
        }
        single.saveDirectory = nil
        single.resume = nil
        return single
    }
}

/// Baselines saved beside a run's checkpoints (`--baselines-dir`), reused only for the same data,
/// split and settings: `baselines.json` holds their metrics and a key made of what they depend on.
public enum BaselineStore {
    struct File: Codable {
        var format = "mtl-tui-baselines"
        var version = 1
        var key: String
        var results: [BaselineRunner.Result]
    }

    /// What a baseline depends on: the split's rows, the architecture and the settings that
    /// shape training (not the multi-task strategy or loss weights, which baselines do not use).
    public static func key(_ setup: TrainingSetup) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for row in setup.split.train + [-1] + setup.split.validation + [-1] + setup.split.test {
            hash = (hash ^ UInt64(bitPattern: Int64(row))) &* 0x100_0000_01b3
        }
        let t = setup.training, m = setup.model
        let settings = "\(t.epochs) \(t.batchSize) \(t.optimizer) \(t.seed) \(t.earlyStop.map { "\($0.metric):\($0.patience)" } ?? "off") \(t.frozen)"
        let model = "\(m.trunk) \(m.vocabulary) \(m.embedding) \(m.filters) \(m.kernel) \(m.hidden) \(m.dropout) \(m.features) \(m.heads.map { "\($0.name):\($0.kind)" })"
        return "rows \(setup.inputs.rows.count) split \(String(hash, radix: 16)) | \(model) | \(settings)"
    }

    /// The saved results in `directory` when they were trained for this setup, else nil.
    public static func load(_ directory: String, for setup: TrainingSetup) -> [BaselineRunner.Result]? {
        let path = (directory as NSString).appendingPathComponent("baselines.json")
        guard let data = FileManager.default.contents(atPath: path),
              let file = try? JSONDecoder().decode(File.self, from: data),
              file.format == "mtl-tui-baselines", file.key == key(setup),
              file.results.map(\.task) == setup.model.heads.map(\.name) else { return nil }
        return file.results
    }

    public static func save(_ results: [BaselineRunner.Result], to directory: String, for setup: TrainingSetup) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(File(key: key(setup), results: results))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("baselines.json")
        try CheckpointDirectory.replaceFile(path, with: [UInt8](data))
    }
}
