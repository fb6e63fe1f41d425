import Foundation
import MTLData

/// The comparison the multi-task papers make, on the user's data: every weighting strategy and
/// the single-task baselines, trained on one split with each seed in turn (the seed drives
/// initialisation, shuffling and dropout), scored on the test rows (the validation rows when
/// there are none), with Δp against the same seed's baselines and the cost per step.
///
/// ```swift
/// let result = Sweep.run(setup, strategies: [(.fixed, [:]), (.uw, [:])], seeds: [1, 2, 3]) { print($0) }
/// result.rows[0].deltaP   // per seed
/// ```
public enum Sweep {
    public struct Row: Sendable {
        /// `fixed`, `gradnorm:alpha=1.2`, … or `single-task`.
        public var name: String
        /// Per seed, per task.
        public var metrics: [[TaskMetrics]]
        /// Per seed, against that seed's single-task models (nil for the baselines themselves).
        public var deltaP: [Double?]
        /// Per seed, training time per optimizer step (validation and test passes excluded).
        public var millisecondsPerStep: [Double]
    }

    public struct Result: Sendable {
        public var tasks: [String]
        public var kinds: [TaskKind]
        public var seeds: [UInt64]
        /// "test" or "validation": where the metrics come from.
        public var split: String
        /// The baselines first, then one row per strategy.
        public var rows: [Row]
    }

    /// A run of the sweep diverged (a NaN loss or gradient): the sweep stops there, as `train` does.
    public struct Diverged: Error, CustomStringConvertible {
        public var run: String
        public var seed: UInt64
        public var message: String
        public var description: String { "seed \(seed), \(run): training diverged: \(message)" }
    }

    public static func run(_ setup: TrainingSetup, strategies: [(WeightingStrategy, [String: Double])], seeds: [UInt64],
                           progress: (String) -> Void = { _ in }) throws(Diverged) -> Result {
        let tasks = setup.model.heads.map(\.name), kinds = setup.model.heads.map(\.kind)
        let onTest = !setup.split.test.isEmpty
        var base = setup
        base.saveDirectory = nil
        base.resume = nil
        base.training.conflictEvery = 0
        base.training.logEvery = 0
        var baselines = Row(name: "single-task", metrics: [], deltaP: [], millisecondsPerStep: [])
        var rows = strategies.map { strategy, options in
            Row(name: label(strategy, options), metrics: [], deltaP: [], millisecondsPerStep: [])
        }
        for seed in seeds {
            var seeded = base
            seeded.training.seed = seed
            var single: [TaskMetrics] = [], cost = 0.0
            for t in tasks.indices {
                progress("seed \(seed): \(tasks[t]) alone")
                let (metrics, ms) = try train(seeded.singleTask(t), onTest: onTest, name: "\(tasks[t]) alone", seed: seed)
                single.append(metrics[0])
                cost += ms
            }
            baselines.metrics.append(single)
            baselines.deltaP.append(nil)
            baselines.millisecondsPerStep.append(cost / Double(tasks.count))
            for (r, (strategy, options)) in strategies.enumerated() {
                progress("seed \(seed): \(rows[r].name)")
                var run = seeded
                run.training.strategy = strategy
                run.training.strategyOptions = options
                let (metrics, ms) = try train(run, onTest: onTest, name: rows[r].name, seed: seed)
                rows[r].metrics.append(metrics)
                rows[r].deltaP.append(Baselines.deltaP(multiTask: metrics, singleTask: single, kinds: kinds))
                rows[r].millisecondsPerStep.append(ms)
            }
        }
        return Result(tasks: tasks, kinds: kinds, seeds: seeds, split: onTest ? "test" : "validation", rows: [baselines] + rows)
    }

    /// `NAME` or `NAME:k=v,...` with the options sorted.
    public static func label(_ strategy: WeightingStrategy, _ options: [String: Double]) -> String {
        options.isEmpty ? strategy.rawValue
            : strategy.rawValue + ":" + options.keys.sorted().map { "\($0)=\(format(options[$0]!))" }.joined(separator: ",")
    }

    /// The kept model's metrics and the training milliseconds per step.
    private static func train(_ setup: TrainingSetup, onTest: Bool, name: String, seed: UInt64) throws(Diverged) -> ([TaskMetrics], Double) {
        let trainer = Trainer(setup)
        trainer.start()
        trainer.waitUntilFinished()
        let s = trainer.snapshot
        if let divergence = s.divergence { throw Diverged(run: name, seed: seed, message: divergence) }
        let metrics = onTest ? (s.test ?? []) : (s.keptModelValidation ?? [])
        return (metrics, 1000 * s.trainingSeconds / Double(max(s.step, 1)))
    }
}

/// Mean and sample standard deviation (0 for one value).
public func meanAndDeviation(_ values: [Double]) -> (mean: Double, sd: Double) {
    guard !values.isEmpty else { return (.nan, .nan) }
    let mean = values.reduce(0, +) / Double(values.count)
    guard values.count > 1 else { return (mean, 0) }
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    return (mean, variance.squareRoot())
}
