import ArgumentParser
import Foundation
import MTLEngine
import MTLTUI

/// `mtl-tui bench`: samples per second at fixed shapes, to compare with other frameworks.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training and inference speed on synthetic data at fixed shapes.",
        discussion: """
        cnn: Embedding(5000, 64) → Conv1D(128, 5) → GlobalMaxPool → Dense(64) → softmax 3 and 10, \
        Adam, batch 64, 200 tokens. mlp: TF-IDF(5000) → 256 → 128 → softmax 3 and 10, Adam, batch 128. \
        gru: Embedding(5000, 64) → GRU(128) → max and mean pool → softmax 3 and 10, Adam, batch 64, 200 tokens. \
        Prints the median of several timed repeats. bench/run.sh runs the same models in Keras (JAX) \
        and PyTorch for comparison.
        """)

    @Option(help: ArgumentHelp("cnn, mlp, bag or gru, optionally +wide (cnn+wide).", valueName: "KIND"))
    var model = "cnn"

    @Option(help: ArgumentHelp("hard or mmoe:E.", valueName: "SHARING"))
    var sharing = "hard"

    @Option(parsing: .unconditional, help: "Threads for the engine's large loops (OpenBLAS itself stays on one).")
    var threads = 1

    @Option(parsing: .unconditional, help: "Training steps (and inference batches) per timed repeat.")
    var steps = 50

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Rows per step instead of the model's fixed batch (64, mlp 128): a larger batch spreads the optimizer's pass over the parameters over more rows.")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Timed repeats; the median is reported.")
    var repeats = 5

    @Option(help: ArgumentHelp("Loss-weighting strategy of the training steps: NAME[:k=v,...] (fixed, dwa, rlw, uw, gradnorm, pcgrad, famo).", valueName: "NAME"))
    var strategy = "fixed"

    @Option(name: .customLong("conflict-every"), help: "Measure the gradient conflict every N steps, as the trainer does (0: off, the default here).")
    var conflictEvery = 0

    @Option(help: ArgumentHelp("Freeze a layer in the timed steps (repeatable): a layer name (embedding, conv, dense, head.task0, wide.task1, ...), trunk, heads, wide, gates or expertK, as train --freeze takes them; a name the model lacks is an error here. With --model cnn+wide, --freeze wide times the steps as the default run takes them after its linear fit (the fit itself is not timed).", valueName: "LAYER"))
    var freeze: [String] = []

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Time full redraws of every workbench view at 200×60 instead.")
    var redraw = false

    func run() throws {
        if redraw {
            let results = RedrawBenchmark.run(), curves = RedrawBenchmark.curves()
            if json {
                Console.shared.out(Report.jsonLine(Dictionary(uniqueKeysWithValues: results.map { ("\($0.view.title.lowercased())_ms", $0.median) }
                    + [("curves_ms", curves.median), ("curves_first_ms", curves.milliseconds[0])])))
            } else {
                Console.shared.out("full redraw at 200×60, median of 200 frames:")
                for r in results { Console.shared.out("  " + r.view.title.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%6.2f ms", r.median)) }
                Console.shared.out("  " + "Curves".padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%6.2f ms", curves.median)
                    + String(format: " (binary task, 2,400 rows; the first frame, which computes them: %.2f ms)", curves.milliseconds[0]))
            }
            return
        }
        let architecture: (trunk: TrunkKind, wide: Bool)
        do { architecture = try RunPreparation.parseArchitecture(model) } catch { fail("--model: expected \(TrunkKind.summary), got '\(model)'") }
        guard let sharing = Sharing(parsing: sharing), sharing.experts >= 1 else { fail("--sharing: expected hard or mmoe:E, got '\(self.sharing)'") }
        guard threads >= 1, steps >= 1, repeats >= 1 else { fail("--threads, --steps and --repeats must be ≥ 1") }
        if let batchSize, batchSize < 1 { fail("--batch-size: expected a whole number ≥ 1, got \(batchSize)") }
        guard conflictEvery >= 0 else { fail("--conflict-every: expected a whole number ≥ 0, got \(conflictEvery)") }
        let parsed: (WeightingStrategy, [String: Double])
        switch WeightingStrategy.parse(strategy) {
        case .success(let value): parsed = value
        case .failure(let error): fail("--strategy: \(error)")
        }
        exitOnUserError { try Benchmark.checkMemory(architecture.trunk, wide: architecture.wide, sharing: sharing, steps: steps, batchSize: batchSize) }
        Parallel.threads = threads
        let result = Benchmark.run(architecture.trunk, wide: architecture.wide, sharing: sharing, steps: steps, repeats: repeats, strategy: parsed.0, options: parsed.1, conflictEvery: conflictEvery, batchSize: batchSize, freeze: freeze)
        if let unknown = result.unknownLayer {
            fail("--freeze: no layer named '\(unknown)' in \(result.model) (its layers: \(result.layers.joined(separator: ", ")))")
        }
        if json {
            Console.shared.out(Report.jsonLine([
                "model": result.model, "frozen_layers": result.frozenLayers, "updated_layers": result.updatedLayers, "strategy": strategy, "conflict_every": conflictEvery, "threads": threads, "openblas_core": BLAS.coreName, "batch": result.batchSize,
                "train_samples_per_s": result.trainMedian, "inference_samples_per_s": result.inferenceMedian,
                "train_runs": result.train, "inference_runs": result.inference,
                "steps_by_worker_mode": Dictionary(uniqueKeysWithValues: result.stepsByMode.map { ($0.key.name, $0.value) }),
            ]))
        } else {
            Console.shared.out("model \(result.model)" + (result.frozenLayers.isEmpty ? "" : " · frozen \(result.frozenLayers.joined(separator: ", "))") + " · strategy \(strategy) · batch \(result.batchSize) · \(threads) thread(s) · OpenBLAS core \(BLAS.coreName)")
            // The spread too: on a shared or virtual machine one slow stretch shows up here first.
            func line(_ name: String, _ median: Double, _ runs: [Double]) -> String {
                name + String(format: " %9.0f samples/s (median of %d", median, repeats)
                    + (runs.count > 1 ? String(format: "; runs %.0f–%.0f)", runs.min()!, runs.max()!) : ")")
            }
            Console.shared.out(line("train     ", result.trainMedian, result.train))
            Console.shared.out(line("inference ", result.inferenceMedian, result.inference))
            if !result.stepsByMode.isEmpty {
                // Which way the steps' parallel regions ran (the fastest, measured as it trains).
                Console.shared.out("timed steps by worker mode: " + WorkerMode.allCases.compactMap { mode in
                    result.stepsByMode[mode].map { "\(mode.name.replacingOccurrences(of: "_", with: " ")) \($0)" }
                }.joined(separator: ", "))
            }
        }
    }
}
