import ArgumentParser
import Dispatch
import Foundation
import MTLData
import MTLEngine
import MTLProtocol
import MTLTUI

/// `mtl-tui train DATA`: trains headless, printing progress and per-epoch metrics.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a shared-trunk, one-head-per-task model without the workbench.",
        discussion: """
        Prints a progress bar while each epoch runs and a per-task table after it; --json prints \
        the run's event stream (one JSON object per line, the protocol in protocol/README.md) instead.

        --events FILE writes that stream to FILE, for `mtl-tui watch FILE` in another terminal to \
        show and steer: the run then reads commands appended to FILE.commands (or --commands FILE) \
        and acknowledges each in the stream.
        """)

    @Argument(help: "A data file or a directory with one data file and an optional spec.toml (default: \(defaultData); with --resume, name the data the run trained on).")
    var data: String?

    @OptionGroup var options: TrainingOptions

    @OptionGroup var checkpoint: CheckpointOptions

    @Flag(help: "Print JSON lines (start, step, epoch, message, ack, done) instead of tables.")
    var json = false

    @Option(help: ArgumentHelp("Also write the event stream to this file (for `mtl-tui watch`); commands are read from FILE.commands.", valueName: "file"))
    var events: String?

    @Option(help: ArgumentHelp("Read commands (pause, set_lr, set_loss_weight…) appended to this file, one JSON object a line.", valueName: "file"))
    var commands: String?

    @Option(name: .customLong("json-examples"),
            help: ArgumentHelp("With --json or --events: after each epoch, an examples event per task with its N hardest validation rows (the epoch event carries the confusion counts).",
                               valueName: "N"))
    var jsonExamples: Int?

    func run() throws {
        // `train --json | mtl-tui watch -`: quitting the viewer closes the pipe, and the run
        // should go on (and save) rather than die of SIGPIPE at its next line.
        signal(SIGPIPE, SIG_IGN)
        let runOptions = exitOnUserError { try options.runOptions(data: data ?? defaultData, given: data != nil, checkpoint: checkpoint) }
        Parallel.threads = options.threads
        let prepared = exitOnUserError { try RunPreparation.prepare(runOptions) }
        for note in prepared.notes { Console.shared.err("mtl-tui: \(note)") }
        if commands != nil, !json, events == nil { fail("--commands: the acknowledgements travel in the event stream: add --json or --events FILE") }
        if let jsonExamples {
            if !json, events == nil { fail("--json-examples: the examples travel in the event stream: add --json or --events FILE") }
            if jsonExamples < 1 { fail("--json-examples: expected a number of rows ≥ 1, got \(jsonExamples)") }
        }
        if let events {
            exitOnUserError {
                try RunPreparation.checkOutputIsNotAnInput(events, flag: "--events", prepared)
                try RunPreparation.checkOutputIsNotAnInput(events + ".commands", flag: "--events", prepared)
            }
        }
        let sink = (json || events != nil) ? exitOnUserError { try EventSink(standardOutput: json, path: events) } : nil
        let commandFile = commands ?? events.map { $0 + ".commands" }
        var channel: CommandChannel?
        if let commandFile, let sink {
            channel = exitOnUserError {
                try CommandChannel(path: commandFile, sink: sink, tasks: prepared.setup.model.heads.map(\.name),
                                   saveDirectory: prepared.setup.saveDirectory)
            }
        }
        let printer = TrainingPrinter(prepared: prepared, human: !json, events: sink,
                                      examples: sink == nil ? nil : jsonExamples.map { ExamplesEvents(limit: $0, prepared: prepared) })
        printer.start(commands: channel?.path)
        let trainer = Trainer(prepared.setup, observer: { printer.handle($0) })
        let baselines = runOptions.baselines ? exitOnUserError { try options.baselineRunner(prepared.setup) } : nil
        if let baselines, baselines.snapshot.finished, let directory = options.baselinesDirectory {
            Console.shared.err("mtl-tui: reusing the single-task baselines saved in \(directory)")
        }
        StopSignals.install()
        trainer.start()
        baselines?.start()
        // SIGINT/SIGTERM/SIGHUP stop at the next batch (and save, with --save); a divergence
        // ends a headless run by itself.
        while !trainer.waitUntilFinished(seconds: channel == nil ? 0.1 : 0.05) {
            channel?.poll(trainer)
            if trainer.snapshot.divergence != nil || StopSignals.received { trainer.send(.stop); baselines?.stop() }
        }
        if let baselines {
            if printer.human, !baselines.snapshot.finished { Console.shared.err("mtl-tui: waiting for the single-task baselines…") }
            while !baselines.waitUntilFinished(seconds: 0.1) { if StopSignals.received { baselines.stop() } }
            if let failure = baselines.snapshot.failure { Console.shared.err("mtl-tui: a baseline did not finish: \(failure)") }
            if let directory = options.baselinesDirectory, baselines.snapshot.failure == nil {
                let results = baselines.snapshot.results.compactMap { $0 }
                exitOnUserError { try BaselineStore.save(results, to: directory, for: prepared.setup) }
            }
        }
        let final = trainer.snapshot
        printer.finish(final, baselines: baselines?.snapshot)
        if let divergence = final.divergence {
            fail("training diverged: \(divergence)" + (prepared.setup.saveDirectory.map { "; the diverged model was not saved to \($0)" } ?? ""))
        }
        if let failure = final.saveFailure { fail("--save: \(failure)") }
        if final.state == .stopped {
            Console.shared.err("mtl-tui: stopped at step \(final.step)\(prepared.setup.saveDirectory.map { "; checkpoint in \($0)" } ?? "")")
            throw ExitCode(StopSignals.stoppedStatus)
        }
    }
}

/// Turns trainer progress into the headless output. Called on the training queue.
final class TrainingPrinter: Sendable {
    let prepared: PreparedRun
    /// Progress bar and tables (off with --json, whose stream replaces them on stdout).
    let human: Bool
    /// The protocol events, when a stream is written.
    let events: EventSink?
    private let lastBar = Locked(Date.distantPast)
    /// The latest gradient-conflict measurement, attached to the step event of the same step.
    private let latestConflict = Locked<(Int, GradientConflict)?>(nil)
    /// The learning rate in force, attached to step events (reported when it changes).
    private let latestRate = Locked<Double?>(nil)
    private let showBar = isatty(STDERR_FILENO) != 0
    /// `--json-examples N`: the hard examples written after each epoch, and that epoch's record.
    let examples: ExamplesEvents?
    private let latestRecord = Locked<EpochRecord?>(nil)

    init(prepared: PreparedRun, human: Bool, events: EventSink?, examples: ExamplesEvents? = nil) {
        self.prepared = prepared
        self.human = human
        self.events = events
        self.examples = examples
    }

    var tasks: [String] { prepared.setup.model.heads.map(\.name) }
    /// Without validation rows the validation figures are empty: shown as "—", not as zeros.
    var hasValidation: Bool { !prepared.setup.split.validation.isEmpty }
    var kinds: [TaskKind] { prepared.setup.model.heads.map(\.kind) }

    /// `commands`: the command file the run reads, announced in `start`.
    func start(commands: String?) {
        let s = prepared.setup
        if let events {
            var start = RunEvent.Start(tasks: tasks.indices.map { t in
                var task = RunEvent.Task(name: tasks[t], kind: kinds[t].rawValue, classes: kinds[t] == .regression ? nil : s.encoder.tasks[t].classes)
                task.loss = s.training.lossShapes[tasks[t]]?.summary   // --loss, --ohem
                return task
            })
            start.corrections = prepared.corrections?.json
            if prepared.unlabeled > 0 { start.unlabeled = prepared.unlabeled }
            start.data = prepared.table.file
            start.rows = ["train": s.split.train.count, "val": s.split.validation.count, "test": s.split.test.count]
            start.spec = prepared.spec.tomlText()
            start.specSource = prepared.specSource ?? "inferred"
            start.model = modelSummary()
            let model = Model(s.model, seed: 0)
            start.parameters = model.parameterCount
            start.layers = model.layers.map { RunEvent.Layer(name: $0.name, parameters: $0.count) }
            start.epochs = s.training.epochs
            start.stepsPerEpoch = (s.split.train.count + s.training.batchSize - 1) / max(s.training.batchSize, 1)
            // Through its shortest decimal, so 1e-3 reads 0.001 rather than the Float's 0.0010000000474974513.
            start.lr = Double("\(s.training.optimizer.learningRate)").flatMap(RunProtocol.finite)
            start.producer = "mtl-tui"
            start.acceptsCommands = commands != nil
            start.commands = commands
            events.write(.start(start))
        }
        guard human else { return }
        let out = Console.shared
        out.out("data: \(prepared.table.file) · \(prepared.dataRows) rows · \(s.split.train.count) train / \(s.split.validation.count) val / \(s.split.test.count) test"
                + (prepared.unlabeled > 0 ? " (\(prepared.unlabeled) of them unlabeled, from --unlabeled)" : ""))
        if let c = prepared.corrections {
            out.out("corrections: \(c.dropped) dropped · \(c.relabeled) relabeled · \(c.weighted) weighted · \(c.unmatched) unmatched")
        }
        if let source = prepared.specSource {
            out.out("spec: \(source)")
        } else {
            out.out("spec: inferred from the data (save this as spec.toml beside the data to edit it):")
            out.out(prepared.spec.tomlText().split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
            let unused = SpecInference.unusedColumns(prepared.table, spec: prepared.spec)
            if !unused.isEmpty { out.out("  # not used: \(unused.joined(separator: ", ")); --input COLUMN uses one") }
        }
        let parameters = Model(s.model, seed: 0).parameterCount
        out.out("model: \(modelSummary()) · \(Report.count(parameters)) parameters")
        out.out("tasks: " + s.encoder.tasks.map { t in
            t.spec.kind == .regression ? "\(t.spec.name) (regression)" : "\(t.spec.name) (\(t.spec.kind.rawValue), \(t.classes.count) \(t.spec.kind == .multilabel ? "labels" : "classes"))"
        }.joined(separator: ", "))
    }

    func modelSummary() -> String {
        let m = prepared.setup.model
        var parts: [String] = []
        switch m.trunk {
        case .cnn:
            let start = prepared.setup.vectors.map { " from \(($0.file as NSString).lastPathComponent) (\(Report.count($0.ids.count)) words)" } ?? ""
            parts.append("embedding \(m.vocabulary)×\(m.embedding)\(start)")
            parts.append("conv \(m.filters)×\(m.kernel)")
            parts.append("max pool")
        case .gru:
            parts.append("embedding \(m.vocabulary)×\(m.embedding)")
            parts.append((m.bidirectional ? "bigru " : "gru ") + "\(m.recurrent)")
            parts.append("max+mean pool")
        case .bag:
            parts.append("mean of \(Report.count(m.ngrams)) n-gram embeddings ×\(m.embedding)")
        case .mlp:
            parts.append(m.vocabulary > 0 ? "tf-idf \(m.vocabulary) + \(m.features) features" : "\(m.features) features")
        }
        parts += m.hidden.map { "dense \($0)" }
        if case .mmoe(let experts) = m.sharing { parts = ["\(experts) experts of [" + parts.joined(separator: " → ") + "]", "a gate per task"] }
        parts.append(m.heads.count == 1 ? "1 head" : "\(m.heads.count) heads")
        let wide = m.wide ? " + wide: tf-idf \(Report.count(m.ngrams)) n-grams + \(m.features) features → heads" : ""
        return "\(m.trunk.rawValue): " + parts.joined(separator: " → ") + wide
    }

    func handle(_ progress: TrainerProgress) {
        switch progress {
        case .started:
            break
        case let .gradientConflict(step, conflict):
            if events != nil { latestConflict.withLock { $0 = (step, conflict) } }
        case let .learningRate(_, rate):
            latestRate.withLock { $0 = rate }
        case let .step(step, epoch, stepInEpoch, stepsPerEpoch, losses, total):
            if let events {
                let loss = Dictionary(uniqueKeysWithValues: losses.enumerated().map { t, loss in
                    (tasks[t], loss.flatMap { RunProtocol.finite(Double($0)) })
                })
                var event = RunEvent.Step(step: step, epoch: epoch, loss: loss, total: RunProtocol.finite(Double(total)))
                if let (measured, conflict) = latestConflict.withLock({ $0 }), measured == step {
                    event.gradients = RunEvent.LayerConflict.layers(conflict)
                }
                event.lr = latestRate.withLock { $0 }
                events.write(.step(event))
            }
            if human, showBar {
                drawBar(epoch: epoch, stepInEpoch: stepInEpoch, stepsPerEpoch: stepsPerEpoch, total: total)
            }
        case .epoch(let record):
            if let events {
                var metrics: MetricSets = ["train": TaskMetricValues.set(record.train, tasks: tasks, kinds: kinds)]
                if hasValidation { metrics["val"] = TaskMetricValues.set(record.validation, tasks: tasks, kinds: kinds) }
                var event = RunEvent.Epoch(epoch: record.epoch, step: record.step, seconds: RunProtocol.finite(record.seconds),
                                           totalValLoss: hasValidation ? RunProtocol.finite(record.validationTotal) : nil,
                                           metrics: metrics, lr: record.learningRate)
                event.pseudoLabels = record.pseudoLabels.map { Dictionary(uniqueKeysWithValues: zip(tasks, $0)) }
                events.write(.epoch(event))
                if examples != nil { latestRecord.withLock { $0 = record } }
            }
            if human {
                if showBar { Console.shared.err("\r\u{1B}[K", newline: false) }
                let rate = Double(prepared.setup.split.train.count) / max(record.seconds, 1e-9)
                Console.shared.out("epoch \(record.epoch)/\(prepared.setup.training.epochs) · \(String(format: "%.1f", record.seconds)) s · \(Report.count(Int(rate))) samples/s · val total loss \(hasValidation ? Report.number(record.validationTotal) : "—")")
                Console.shared.out(Report.metricsTable(rows: tasks.indices.map { t in
                    (tasks[t], kinds[t], [("train", record.train[t])] + (hasValidation ? [("val", record.validation[t])] : []))
                }))
                if let counts = record.pseudoLabels {
                    Console.shared.out("pseudo-labels: " + zip(tasks, counts).map { "\($0) \($1)" }.joined(separator: " · "))
                }
            }
        case .examples(let table):
            guard let events, let examples, hasValidation, let record = latestRecord.withLock({ $0 }) else { break }
            for event in examples.events(table, record: record) { events.write(.examples(event)) }
        case .event(let event):
            events?.write(.message(.init(kind: event.kind.rawValue, step: event.step, message: event.message)))
            if human, event.kind != .info || !event.message.hasPrefix("paused") {
                if showBar { Console.shared.err("\r\u{1B}[K", newline: false) }
                Console.shared.err("[step \(event.step)] \(TerminalText.neutralized(event.message))")
            }
        case .finished:
            break   // Train.run reports the end, once the baselines have finished too
        }
    }

    private func drawBar(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, total: Float) {
        let now = Date()
        let due = lastBar.withLock { last -> Bool in
            guard now.timeIntervalSince(last) > 0.1 || stepInEpoch == stepsPerEpoch else { return false }
            last = now
            return true
        }
        guard due else { return }
        let width = 30
        let filled = stepsPerEpoch > 0 ? width * stepInEpoch / stepsPerEpoch : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        Console.shared.err("\r\u{1B}[Kepoch \(epoch)/\(prepared.setup.training.epochs) \(bar) \(stepInEpoch)/\(stepsPerEpoch) · loss \(Report.number(Double(total)))", newline: false)
    }

    func finish(_ snapshot: TrainerSnapshot, baselines: BaselineRunner.Snapshot?) {
        // After early stopping the run ends with the restored epoch's weights: report that epoch.
        let kept = snapshot.keptRecord
        let single = baselines.map { $0.results }
        let validation = hasValidation ? snapshot.keptModelValidation : nil
        if let events {
            var metrics: MetricSets = [:]
            if let validation { metrics["val"] = TaskMetricValues.set(validation, tasks: tasks, kinds: kinds) }
            if let test = snapshot.test { metrics["test"] = TaskMetricValues.set(test, tasks: tasks, kinds: kinds) }
            // A divergence is stopped here (no one steers a headless run), but it ended diverged.
            let state = snapshot.divergence != nil ? TrainerState.diverged : snapshot.state
            var done = RunEvent.Done(state: state.rawValue, step: snapshot.step, metrics: metrics)
            done.epoch = kept?.epoch
            if let single, single.allSatisfy({ $0 != nil }) {
                let results = single.map { $0! }
                var object: MetricSets = [:], delta: [String: Double?] = [:]
                if validation != nil {
                    object["val"] = TaskMetricValues.set(results.map(\.validation), tasks: tasks, kinds: kinds)
                    delta["val"] = validation.flatMap { BaselineRunner.deltaP($0, baselines: single, kinds: kinds, test: false) }.flatMap(RunProtocol.finite)
                }
                if let test = snapshot.test, results.allSatisfy({ $0.test != nil }) {
                    object["test"] = TaskMetricValues.set(results.map { $0.test! }, tasks: tasks, kinds: kinds)
                    delta["test"] = BaselineRunner.deltaP(test, baselines: single, kinds: kinds, test: true).flatMap(RunProtocol.finite)
                }
                done.baselines = object
                done.deltaP = delta
            }
            events.write(.done(done))
        }
        guard human else { return }
        if showBar { Console.shared.err("\r\u{1B}[K", newline: false) }
        if let test = snapshot.test {
            Console.shared.out("test (\(prepared.setup.split.test.count) rows):")
            Console.shared.out(Report.metricsTable(rows: tasks.indices.map { (tasks[$0], kinds[$0], [("test", test[$0])]) }))
            // The run tunes thresholds on the validation rows when it has any (TrainingRun.finish).
            for line in Report.labelTables(test, tasks: tasks, classes: prepared.setup.encoder.tasks.map(\.classes),
                                           tuned: tasks.map { _ in hasValidation }) {
                Console.shared.out(line)
            }
        }
        if let single, single.allSatisfy({ $0 != nil }) {
            let results = single.map { $0! }
            let (name, multi, alone) = snapshot.test.map { test in ("test", test, results.compactMap(\.test)) }
                ?? ("val", validation ?? [], results.map(\.validation))
            guard multi.count == tasks.count, alone.count == tasks.count else { return }
            Console.shared.out("multi-task vs single-task (\(name)):")
            Console.shared.out(Report.baselineTable(tasks: tasks, kinds: kinds, multi: multi, single: alone))
            let delta = Baselines.deltaP(multiTask: multi, singleTask: alone, kinds: kinds)
            Console.shared.out("Δp \(delta.map { String(format: "%+.2f %%", $0) } ?? "—") (LibMTL: mean over tasks of the mean over metrics of ±(multi − single)/single; higher is better)")
        }
    }
}
