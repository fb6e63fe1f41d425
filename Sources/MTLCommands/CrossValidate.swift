import ArgumentParser
import Foundation
import MTLData
import MTLEngine
import MTLTUI

/// `mtl-tui cv DATA --folds K`: K models, each validated on the fold it did not train on.
struct CrossValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cv",
        abstract: "Cross-validate: train one model per fold and report each fold's metrics and their mean ± sd.",
        discussion: """
        The run's test rows (the seeded split, or split_column) stay held out; the other rows are \
        dealt into K folds, stratified on the first binary or multiclass task's label, with rows of \
        identical inputs always in the same fold. Fold k's model trains on the other folds and \
        validates (and stops early) on fold k; its validation metrics are the fold's figures.

        --save DIR keeps the K models as an ensemble (DIR/fold-1 … DIR/fold-K and \
        DIR/ensemble.json) that eval and predict accept. (cv trains new models: --resume does not apply.)

        --oof FILE writes each non-test row's out-of-fold probabilities: the row number in DATA \
        (1 = first data row), its fold, the id column if the spec has one, then per task one \
        column per class, TASK.CLASS (binary: both classes), or TASK.prediction for regression. \
        A FILE ending in .jsonl gets one object per row instead: \
        {"row":1,"fold":2,"probabilities":{"TASK":{"CLASS":p}},"predictions":{"TASK":v}}.

        Example: mtl-tui cv sample-data/vader-domains --save runs/vader-cv --oof oof.csv, \
        then mtl-tui eval runs/vader-cv sample-data/vader-domains.
        """)

    @Argument(help: "A data file or a directory with one data file and an optional spec.toml.")
    var data: String = defaultData

    @Option(parsing: .unconditional, help: "The number of folds, at least 2.")
    var folds = 5

    @OptionGroup var options: TrainingOptions

    /// --save is described above, for what it keeps here; --resume is refused by name.
    @OptionGroup(visibility: .private) var checkpoint: CheckpointOptions

    @Option(help: ArgumentHelp("Write every non-test row's out-of-fold probabilities to FILE (.csv, or .jsonl).", valueName: "FILE"))
    var oof: String?

    @Flag(help: "Print JSON lines (fold, done) instead of tables.")
    var json = false

    func run() throws {
        var runOptions = exitOnUserError { try options.runOptions(data: data, checkpoint: checkpoint) }
        if folds < 2 { fail("--folds: expected a whole number ≥ 2, got \(folds)") }
        if runOptions.resumeDirectory != nil { fail("--resume: cv trains new models; it cannot continue a saved run") }
        if runOptions.baselines { fail("--baselines: not available with cv; compare against single-task baselines with train --baselines") }
        let ensembleDirectory = runOptions.saveDirectory
        runOptions.saveDirectory = nil
        if let ensembleDirectory { exitOnUserError { try Self.checkEnsembleDirectory(ensembleDirectory) } }
        if let oof { exitOnUserError { try RunPreparation.checkOutputFile(oof, flag: "--oof", expected: "a file name ending in .csv or .jsonl") } }
        Parallel.threads = options.threads
        let source = exitOnUserError { try DatasetSource.load(runOptions.data) }
        let base = exitOnUserError { try RunPreparation.prepare(runOptions, source: source) }
        if let oof { exitOnUserError { try RunPreparation.checkOutputIsNotAnInput(oof, flag: "--oof", base) } }
        // The seeded split's validation rows join the folds, so a note about them does not apply.
        for note in base.notes where !note.hasPrefix("warning: there is no validation set") { Console.shared.err("mtl-tui: \(note)") }
        let test = base.setup.split.test
        let pool = base.foldPool
        let foldRows = exitOnUserError { try Folds.make(base.table, spec: base.spec, rows: pool, k: folds, seed: runOptions.seed) }
        let heads = base.setup.model.heads
        let tasks = heads.map(\.name), kinds = heads.map(\.kind)
        if !json {
            Console.shared.out("data: \(base.table.file) · \(base.dataRows) rows · \(pool.count) in \(folds) folds (\(foldRows.map { String($0.count) }.joined(separator: "/"))) · \(test.count) test rows held out")
            let stratum = Folds.strataTask(base.spec).map { "'\($0.name)'" } ?? "nothing (no binary or multiclass task)"
            Console.shared.out("folds: stratified on \(stratum); rows with identical inputs share a fold")
        }
        StopSignals.install()
        var results: [FoldResult] = []
        for k in foldRows.indices {
            var foldOptions = runOptions
            foldOptions.saveDirectory = ensembleDirectory.map { ($0 as NSString).appendingPathComponent(Self.member(k)) }
            let split = Folds.split(foldRows, index: k, test: test)
            let prepared = exitOnUserError { try RunPreparation.prepare(foldOptions, split: split, source: source) }
            if !json { Console.shared.err("fold \(k + 1)/\(folds): training on \(split.train.count) rows, validating on \(split.validation.count)…") }
            let result = Self.train(prepared, fold: k)
            results.append(result)
            let metrics: [String: Any] = ["val": Report.metricsObject(result.validation, tasks: tasks, kinds: kinds)]
                .merging(result.test.map { ["test": Report.metricsObject($0, tasks: tasks, kinds: kinds)] } ?? [:]) { a, _ in a }
            if json {
                Console.shared.out(Report.jsonLine(["event": "fold", "fold": k + 1, "run": Self.member(k), "epoch": result.epoch,
                                                    "rows": ["train": split.train.count, "val": split.validation.count, "test": test.count],
                                                    "metrics": metrics]))
            } else {
                Console.shared.out("fold \(k + 1) (epoch \(result.epoch), \(split.validation.count) rows):")
                Console.shared.out(Report.metricsTable(rows: tasks.indices.map { (tasks[$0], kinds[$0], [("val", result.validation[$0])]) }))
            }
        }
        if let ensembleDirectory {
            exitOnUserError {
                try Ensemble.writeManifest(EnsembleManifest(members: foldRows.indices.map(Self.member), made: "\(folds)-fold cross-validation",
                                                            seed: runOptions.seed), to: ensembleDirectory)
            }
        }
        if let oof {
            exitOnUserError { try OutOfFold.write(results, to: oof, table: base.table, encoder: base.setup.encoder, spec: base.spec) }
        }
        // The ensemble's test figures: its members, saved, run again over the held-out rows.
        var ensembleTest: [TaskMetrics]?
        if let ensembleDirectory, !test.isEmpty {
            ensembleTest = exitOnUserError {
                try EnsembleRun(members: Ensemble.read(ensembleDirectory).members, table: base.table, rows: test,
                                requireLabels: true, rule: .mean).metrics(test).combined
            }
        }
        report(results, tasks: tasks, kinds: kinds, ensembleTest: ensembleTest, testRows: test.count, saved: ensembleDirectory)
    }

    static func member(_ k: Int) -> String { "fold-\(k + 1)" }

    struct FoldResult {
        var fold: Int
        var epoch: Int
        var validation: [TaskMetrics]
        var test: [TaskMetrics]?
        /// The fold's rows and the model's outputs on them (probabilities; values for regression).
        var examples: ExampleTable
    }

    /// Trains one fold's model headless; a stop (signal) or divergence ends the command.
    static func train(_ prepared: PreparedRun, fold: Int) -> FoldResult {
        let trainer = Trainer(prepared.setup)
        trainer.start()
        while !trainer.waitUntilFinished(seconds: 0.1) {
            if StopSignals.received { trainer.send(.stop) }
        }
        let final = trainer.snapshot
        if let divergence = final.divergence { fail("fold \(fold + 1): training diverged: \(divergence)") }
        if final.state == .stopped {
            Console.shared.err("mtl-tui: stopped in fold \(fold + 1) at step \(final.step)")
            Foundation.exit(StopSignals.stoppedStatus)
        }
        guard let kept = final.keptRecord, let validation = final.keptModelValidation, let examples = final.examples else {
            fail("fold \(fold + 1): the run ended before its first epoch")
        }
        return FoldResult(fold: fold, epoch: kept.epoch, validation: validation, test: final.test, examples: examples)
    }

    func report(_ results: [FoldResult], tasks: [String], kinds: [TaskKind], ensembleTest: [TaskMetrics]?, testRows: Int, saved: String?) {
        let perTask = tasks.indices.map { t in TaskMetrics.meanAndSD(results.map { $0.validation[t] }, kind: kinds[t]).compactMap { $0 } }
        let testStats: [[(name: String, mean: Double, sd: Double)]]? = results.allSatisfy({ $0.test != nil })
            ? tasks.indices.map { t in TaskMetrics.meanAndSD(results.map { $0.test![t] }, kind: kinds[t]).compactMap { $0 } } : nil
        if json {
            func object(_ pick: ((name: String, mean: Double, sd: Double)) -> Double, _ stats: [[(name: String, mean: Double, sd: Double)]]) -> [String: Any] {
                Dictionary(uniqueKeysWithValues: tasks.indices.map { t in (tasks[t], Dictionary(uniqueKeysWithValues: stats[t].map { ($0.name, pick($0) as Any) })) })
            }
            var done: [String: Any] = [
                "event": "done", "folds": results.map { ["fold": $0.fold + 1, "run": Self.member($0.fold), "epoch": $0.epoch,
                                                           "val": Report.metricsObject($0.validation, tasks: tasks, kinds: kinds)] },
                "mean": object(\.mean, perTask), "sd": object(\.sd, perTask),
            ]
            if let testStats { done["test"] = ["rows": testRows, "mean": object(\.mean, testStats), "sd": object(\.sd, testStats)] }
            if let ensembleTest { done["ensemble_test"] = Report.metricsObject(ensembleTest, tasks: tasks, kinds: kinds) }
            if let saved { done["ensemble"] = saved }
            Console.shared.out(Report.jsonLine(done))
            return
        }
        var table = [["task", "metric"] + results.map { "fold \($0.fold + 1)" } + ["mean", "± sd"]]
        for t in tasks.indices {
            for stat in perTask[t] {
                let values = results.map { $0.validation[t].value(stat.name).map(Report.number) ?? "—" }
                table.append([tasks[t], stat.name] + values + [Report.number(stat.mean), Report.number(stat.sd)])
            }
        }
        Console.shared.out("cross-validation (each fold's validation rows):")
        Console.shared.out(Report.align(table))
        guard let testStats else { return }
        var testTable = [["task", "metric", "members mean", "± sd"] + (ensembleTest != nil ? ["ensemble"] : [])]
        for t in tasks.indices {
            for stat in testStats[t] {
                testTable.append([tasks[t], stat.name, Report.number(stat.mean), Report.number(stat.sd)]
                                 + (ensembleTest.map { [$0[t].value(stat.name).map(Report.number) ?? "—"] } ?? []))
            }
        }
        Console.shared.out("test (\(testRows) held-out rows)\(ensembleTest != nil ? "; ensemble: mean of the members' probabilities" : ""):")
        Console.shared.out(Report.align(testTable))
        if let saved { Console.shared.out("ensemble saved in \(saved) (eval and predict accept it)") }
    }

    /// A new or empty directory: the ensemble's members and manifest never replace other files.
    static func checkEnsembleDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            try RunPreparation.checkSaveDirectory(path)
            return
        }
        guard isDirectory.boolValue else { throw UsageError("--save", "'\(path)' is a file; expected a directory for the ensemble") }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if let first = entries.sorted().first {
            throw UsageError("--save", "'\(path)' holds '\(first)'; save the ensemble into a new or empty directory")
        }
        try RunPreparation.checkSaveDirectory(path)
    }
}

/// The out-of-fold file: per non-test row, the probabilities of the model that did not train on it.
enum OutOfFold {
    static func write(_ results: [CrossValidate.FoldResult], to path: String, table: Table, encoder: DataEncoder, spec: DatasetSpec) throws {
        let tasks = encoder.tasks
        var byRow: [(row: Int, fold: Int, result: Int, index: Int)] = []
        for (f, result) in results.enumerated() {
            for (i, row) in result.examples.rows.enumerated() { byRow.append((row, result.fold, f, i)) }
        }
        byRow.sort { $0.row < $1.row }
        // Each row's id, else a hash of its inputs (RowKeys): suspects and the workbench check
        // it, so a file made for another copy or order of the data is refused, not misread.
        let keys = RowKeys.keys(table, spec: spec)
        let keyName = spec.idColumn.flatMap { table.column($0) } != nil ? "id" : "key"
        let jsonl = path.lowercased().hasSuffix(".jsonl")
        var lines: [String] = []
        if !jsonl {
            var header = ["row", "fold", keyName]
            for task in tasks {
                header += task.spec.kind == .regression ? ["\(task.spec.name).prediction"] : task.classes.map { "\(task.spec.name).\($0)" }
            }
            lines.append(csvLine(header, forTerminal: false))
        }
        for entry in byRow {
            let examples = results[entry.result].examples
            var cells = ["\(entry.row + 1)", "\(entry.fold + 1)", keys[entry.row]]
            var probabilities: [String: Any] = [:], predictions: [String: Any] = [:]
            for (t, task) in tasks.enumerated() {
                let width = examples.widths[t]
                let outputs = examples.outputs[t][(entry.index * width)..<(entry.index * width + width)].map(Double.init)
                if task.spec.kind == .regression {
                    cells.append(String(format: "%.6g", outputs[0]))
                    predictions[task.spec.name] = outputs[0]
                } else {
                    let perClass = task.spec.kind == .binary ? [1 - outputs[0], outputs[0]] : outputs
                    cells += perClass.map { String(format: "%.6f", $0) }
                    probabilities[task.spec.name] = Dictionary(uniqueKeysWithValues: zip(task.classes, perClass.map { $0 as Any }))
                }
            }
            if jsonl {
                var object: [String: Any] = ["row": entry.row + 1, "fold": entry.fold + 1, "probabilities": probabilities]
                if !predictions.isEmpty { object["predictions"] = predictions }
                object[keyName] = keys[entry.row]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                lines.append(String(decoding: data, as: UTF8.self))
            } else {
                lines.append(csvLine(cells, forTerminal: false))
            }
        }
        do { try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw UsageError("--oof", "cannot write '\(path)': \(error.localizedDescription)")
        }
    }
}
