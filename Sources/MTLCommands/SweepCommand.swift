import ArgumentParser
import Foundation
import MTLData
import MTLEngine

/// `mtl-tui sweep DATA --strategy fixed,dwa,…`: the weighting strategies and the single-task
/// baselines side by side, on one split, over several seeds.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Compare loss-weighting strategies and single-task baselines on your data.",
        discussion: """
        Trains one model per task alone (the baselines) and one multi-task model per strategy, each \
        with every seed in turn (the seed drives initialisation, shuffling and dropout; the split \
        stays the one of --seed), and prints per task the main metric (macro-F1, or MAE for \
        regression) as mean ± sd over seeds, Δp against the same seed's baselines, and the training \
        milliseconds per step with its ratio to the first strategy's.
        Δp (LibMTL): 100 % × the mean over tasks of the mean over each task's metrics (accuracy and \
        macro-F1; MAE and RMSE for regression) of ±(multi − single)/single, + where higher is \
        better. Higher is better; below 0, training the tasks apart did better.
        Example: mtl-tui sweep sample-data/vader-domains --strategy fixed,dwa,rlw,uw,gradnorm,pcgrad,famo --seeds 3
        """)

    @Argument(help: "A data file or a directory with one data file and an optional spec.toml.")
    var data: String = defaultData

    @OptionGroup var options: TrainingOptions

    /// Parsed only to be refused: sweep keeps no model and continues none, so its help omits them.
    @OptionGroup(visibility: .private) var checkpoint: CheckpointOptions

    @Option(parsing: .unconditional, help: "Seeds to train each strategy with: --seed, --seed + 1, …")
    var seeds = 3

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    func run() throws {
        guard (1...100).contains(seeds) else { fail("--seeds: expected a whole number from 1 to 100, got \(seeds)") }
        let strategies = exitOnUserError { try Self.strategies(options.strategy ?? "fixed,dwa,rlw,uw,gradnorm,pcgrad,famo") }
        var single = options
        single.strategy = nil   // the list is the sweep's; each run gets one of them
        let runOptions = exitOnUserError { try single.runOptions(data: data, checkpoint: checkpoint) }
        guard runOptions.saveDirectory == nil, runOptions.resumeDirectory == nil else {
            fail("--save and --resume do not apply to sweep: it trains many models and keeps none")
        }
        Parallel.threads = options.threads
        let prepared = exitOnUserError { try RunPreparation.prepare(runOptions) }
        for note in prepared.notes { Console.shared.err("mtl-tui: \(note)") }
        if prepared.setup.model.heads.count < 2 { fail("sweep compares ways of training several tasks together; this data has one task") }
        let seedList = (0..<seeds).map { options.seed &+ UInt64($0) }
        let started = Date()
        let progress = !json && isatty(STDERR_FILENO) != 0
        let outcome = Result { () throws(Sweep.Diverged) in
            try Sweep.run(prepared.setup, strategies: strategies, seeds: seedList) { message in
                if progress { Console.shared.err("\r\u{1B}[Ksweep: \(message) · \(Int(Date().timeIntervalSince(started))) s", newline: false) }
            }
        }
        if progress { Console.shared.err("\r\u{1B}[K", newline: false) }
        let result: Sweep.Result
        switch outcome {
        case .success(let value): result = value
        case .failure(let diverged): fail(diverged.description)
        }
        if json {
            Console.shared.out(Report.jsonLine(Self.jsonObject(result)))
        } else {
            let rows = prepared.setup.split.test.isEmpty ? prepared.setup.split.validation.count : prepared.setup.split.test.count
            Console.shared.out("\(prepared.table.file): \(result.split) split (\(rows) rows), seeds \(seedList.map(String.init).joined(separator: ", "))")
            Console.shared.out(Self.table(result))
        }
    }

    /// `fixed,gradnorm:alpha=1.2,every=4,uw`: a piece with `=` and no `:` continues the options
    /// of the strategy before it.
    static func strategies(_ text: String) throws -> [(WeightingStrategy, [String: Double])] {
        var items: [String] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            if piece.contains("="), !piece.contains(":"), let last = items.last, last.contains(":") {
                items[items.count - 1] = last + "," + piece
            } else {
                items.append(piece)
            }
        }
        return try items.map { item in
            switch WeightingStrategy.parse(item) {
            case .success(let value): return value
            case .failure(let error): throw UsageError("--strategy", error.description)
            }
        }
    }

    /// `mean ± sd` (the sd unsigned), or the one value.
    static func summary(_ values: [Double], format: String) -> String {
        let (mean, sd) = meanAndDeviation(values)
        guard mean.isFinite else { return "—" }
        return String(format: format, mean) + (values.count > 1 ? " ± " + String(format: format.replacingOccurrences(of: "+", with: ""), sd) : "")
    }

    static func table(_ result: Sweep.Result) -> String {
        let metrics = result.kinds.map { TaskMetrics.mainMetric(for: $0) }
        var table = [["run"] + zip(result.tasks, metrics).map { "\($0) \($1)" } + ["Δp %", "ms/step"]]
        let reference = meanAndDeviation(result.rows.count > 1 ? result.rows[1].millisecondsPerStep : []).mean
        for row in result.rows {
            var cells = [row.name]
            for t in result.tasks.indices {
                cells.append(summary(row.metrics.compactMap { $0[t].value(metrics[t]) }, format: "%.3f"))
            }
            let deltas = row.deltaP.compactMap { $0 }
            cells.append(row.deltaP.allSatisfy { $0 == nil } ? "—" : summary(deltas, format: "%+.2f"))
            let ms = meanAndDeviation(row.millisecondsPerStep).mean
            cells.append(String(format: "%.2f", ms) + (row.name != "single-task" && reference > 0 ? String(format: " (%.2f×)", ms / reference) : ""))
            table.append(cells)
        }
        return Report.align(table)
    }

    static func jsonObject(_ result: Sweep.Result) -> [String: Any] {
        func stats(_ values: [Double]) -> [String: Any] {
            let (mean, sd) = meanAndDeviation(values)
            return ["mean": mean.isFinite ? mean : NSNull(), "sd": sd.isFinite ? sd : NSNull(), "values": values]
        }
        let rows: [[String: Any]] = result.rows.map { row in
            var metrics: [String: Any] = [:]
            for (t, task) in result.tasks.enumerated() {
                var perMetric: [String: Any] = [:]
                for name in TaskMetrics.names(for: result.kinds[t]) where name != "loss" {
                    perMetric[name] = stats(row.metrics.compactMap { $0[t].value(name) })
                }
                metrics[task] = perMetric
            }
            let deltas = row.deltaP.compactMap { $0 }
            return ["name": row.name, "metrics": metrics, "delta_p": deltas.isEmpty ? NSNull() : stats(deltas),
                    "ms_per_step": stats(row.millisecondsPerStep)]
        }
        return ["event": "sweep", "split": result.split, "seeds": result.seeds.map { Int(truncatingIfNeeded: $0) },
                "tasks": result.tasks, "rows": rows]
    }
}
