import ArgumentParser
import Foundation
import MTLData
import MTLEngine
import MTLTUI

/// `mtl-tui suspects DATA --task T`: rows whose label is likely wrong, by confident learning
/// over out-of-fold probabilities.
struct SuspectsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspects",
        abstract: "List the rows whose label is likely wrong (confident learning on out-of-fold probabilities).",
        discussion: """
        Every non-test row gets class probabilities from a model that did not train on it: K-fold \
        cross-validation as in cv (or the file cv --oof FILE wrote, .csv or .jsonl). Per class j the threshold \
        t_j is the mean predicted p_j over the rows labelled j; a row whose probability reaches the \
        threshold of another class than its label (the highest such class if several), while the \
        model's top class is not its label either, is a suspect, with that class as its likely \
        label (Northcutt et al. 2021, confident learning). Rows without a label are skipped.

        --task T names the task to check (repeatable; default: every classification task). When \
        every named task is one of DATA's tasks (spec.toml, else inferred), the model still trains \
        on all of them; otherwise the --task list declares the tasks, as in train. Multi-label \
        tasks are checked label by label (each label present or absent).

        --rank: self-confidence (p of the given label, lowest first; the default), margin (p of \
        the given label − the highest other p, lowest first), or lowest-self-confidence (the \
        baseline without thresholds: every labelled row, lowest self-confidence first).

        Example: mtl-tui suspects sample-data/vader-domains --task polarity --folds 5 --top 30
        """)

    @Argument(help: "A data file or a directory with one data file and an optional spec.toml.")
    var data: String = defaultData

    @Option(parsing: .unconditional, help: "The number of folds, at least 2.")
    var folds = 5

    @OptionGroup var options: TrainingOptions

    /// Parsed so that --save and --resume are refused by name; not in the help, as suspects keeps no model.
    @OptionGroup(visibility: .private) var checkpoint: CheckpointOptions

    @Option(help: ArgumentHelp("Read the out-of-fold probabilities from this file written by cv --oof (.csv or .jsonl) instead of training.", valueName: "FILE"))
    var oof: String?

    @Option(help: ArgumentHelp("self-confidence, margin or lowest-self-confidence (the baseline).", valueName: "RANKING"))
    var rank = "self-confidence"

    @Option(parsing: .unconditional, help: "List at most N suspects per task (0: all).")
    var top = 20

    @Flag(help: "Print one JSON object per task (thresholds, confident joint, suspects) instead of tables.")
    var json = false

    func run() throws {
        if folds < 2 { fail("--folds: expected a whole number ≥ 2, got \(folds)") }
        if top < 0 { fail("--top: expected a whole number ≥ 0, got \(top)") }
        let baseline = rank == "lowest-self-confidence"
        guard baseline || ConfidentLearning.Ranking(rawValue: rank) != nil else {
            fail("--rank: expected self-confidence, margin or lowest-self-confidence, got '\(rank)'")
        }
        let named = exitOnUserError { try options.runOptions(data: data, checkpoint: checkpoint) }.tasks.map(\.name)
        let (base, runOptions, source, declared) = exitOnUserError { try prepare(named) }
        let tasks = exitOnUserError { try checkedTasks(named, encoder: base.setup.encoder, declared: declared) }
        for note in base.notes where !note.hasPrefix("warning: there is no validation set") { Console.shared.err("mtl-tui: \(note)") }
        let probabilities: OutOfFoldProbabilities
        if let oof {
            probabilities = exitOnUserError { try OutOfFoldProbabilities.read(oof, tasks: tasks.map { base.setup.encoder.tasks[$0] }, keys: RowKeys.keys(base.table, spec: base.spec)) }
        } else {
            probabilities = crossValidate(base, runOptions: runOptions, source: source)
        }
        let text = WorkbenchContext(run: base, title: "").inputText
        let ids = base.spec.idColumn.flatMap { base.table.column($0) }
        for t in tasks {
            let task = base.setup.encoder.tasks[t]
            let report = SuspectReport(task: task, targets: base.setup.inputs.rows.targets[t], rows: probabilities.rows,
                                       probabilities: probabilities.values[task.spec.name]!, ranking: rank)
            if json {
                Console.shared.out(Report.jsonLine(report.json(top: top, ids: ids, text: text)))
            } else {
                Console.shared.out(report.table(top: top, ids: ids, text: text))
            }
        }
    }

    /// The run: DATA's own tasks when they include every named task, else the tasks the --task
    /// list declares (`declared`).
    func prepare(_ named: [String]) throws -> (PreparedRun, RunOptions, DatasetSource, declared: Bool) {
        var all = options
        all.tasks = []
        let runOptions = try all.runOptions(data: data, checkpoint: checkpoint)
        if runOptions.resumeDirectory != nil { throw UsageError("--resume", "suspects trains new models; it cannot continue a saved run") }
        if runOptions.baselines { throw UsageError("--baselines", "not available with suspects") }
        if runOptions.saveDirectory != nil {
            throw UsageError("--save", "suspects keeps no model (cv --save keeps the fold models; cv --oof FILE then suspects --oof FILE reuses their predictions)")
        }
        let source = try DatasetSource.load(runOptions.data)
        let base = try RunPreparation.prepare(runOptions, source: source)
        if named.allSatisfy({ name in base.spec.tasks.contains { $0.name == name } }) { return (base, runOptions, source, false) }
        if let unknown = named.first(where: { base.table.columnIndex($0) == nil }) {
            throw UsageError("--task", "no task named '\(unknown)' (tasks: \(base.spec.tasks.map(\.name).joined(separator: ", ")))")
        }
        var declared = try options.runOptions(data: data, checkpoint: checkpoint)
        declared.saveDirectory = nil
        return (try RunPreparation.prepare(declared, source: source), declared, source, true)
    }

    /// The indices of the tasks to check: the named ones, else every classification task. Of
    /// declared tasks, the regression ones only train beside the others.
    func checkedTasks(_ named: [String], encoder: DataEncoder, declared: Bool) throws -> [Int] {
        let all = encoder.tasks.map(\.spec)
        let classification = named.filter { name in all.contains { $0.name == name && $0.kind != .regression } }
        if declared, !classification.isEmpty { return try checkedTasks(classification, encoder: encoder, declared: false) }
        guard !named.isEmpty else {
            let tasks = all.indices.filter { all[$0].kind != .regression }
            if tasks.isEmpty { throw UsageError("--task", "DATA has no classification task to check (tasks: \(all.map(\.name).joined(separator: ", ")))") }
            return tasks
        }
        return try named.map { name in
            guard let t = all.firstIndex(where: { $0.name == name }) else {
                throw UsageError("--task", "no task named '\(name)' (tasks: \(all.map(\.name).joined(separator: ", ")))")
            }
            if all[t].kind == .regression {
                throw UsageError("--task", "'\(name)' is a regression task; suspects checks class labels (binary, multiclass or multilabel tasks)")
            }
            return t
        }
    }

    /// Out-of-fold probabilities of every non-test row: K models as cv trains them.
    func crossValidate(_ base: PreparedRun, runOptions: RunOptions, source: DatasetSource) -> OutOfFoldProbabilities {
        Parallel.threads = options.threads
        let test = base.setup.split.test
        let pool = base.foldPool
        let foldRows = exitOnUserError { try Folds.make(base.table, spec: base.spec, rows: pool, k: folds, seed: runOptions.seed) }
        StopSignals.install()
        var results: [CrossValidate.FoldResult] = []
        for k in foldRows.indices {
            let split = Folds.split(foldRows, index: k, test: test)
            let prepared = exitOnUserError { try RunPreparation.prepare(runOptions, split: split, source: source) }
            if !json { Console.shared.err("fold \(k + 1)/\(folds): training on \(split.train.count) rows, scoring \(split.validation.count)…") }
            results.append(CrossValidate.train(prepared, fold: k))
        }
        return OutOfFoldProbabilities(results, tasks: base.setup.encoder.tasks)
    }
}

/// Per non-test row, per task, the class probabilities of the model that did not train on it
/// (binary: both classes; multi-label: each label's own p).
struct OutOfFoldProbabilities {
    /// Dataset rows (0-based), ascending.
    var rows: [Int]
    /// Task name → one probability vector per entry of `rows`.
    var values: [String: [[Double]]]

    init(rows: [Int], values: [String: [[Double]]]) {
        self.rows = rows
        self.values = values
    }

    init(_ results: [CrossValidate.FoldResult], tasks: [DataEncoder.TaskEncoding]) {
        var entries: [(row: Int, result: Int, index: Int)] = []
        for (f, result) in results.enumerated() {
            for (i, row) in result.examples.rows.enumerated() { entries.append((row, f, i)) }
        }
        entries.sort { $0.row < $1.row }
        rows = entries.map(\.row)
        values = [:]
        for (t, task) in tasks.enumerated() where task.spec.kind != .regression {
            values[task.spec.name] = entries.map { entry in
                let examples = results[entry.result].examples, width = examples.widths[t]
                let outputs = examples.outputs[t][(entry.index * width)..<(entry.index * width + width)].map(Double.init)
                return task.spec.kind == .binary ? [1 - outputs[0], outputs[0]] : outputs
            }
        }
    }

    /// The file `cv --oof` writes: `row` (1-based), then `TASK.CLASS` columns (CSV), or one
    /// object per row with `probabilities` by task and class (JSONL).
    /// `keys`: DATA's row keys (`RowKeys`); a file with an `id` or `key` column must match them.
    static func read(_ path: String, tasks: [DataEncoder.TaskEncoding], keys: [String]) throws -> OutOfFoldProbabilities {
        let rowCount = keys.count
        guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("--oof", "cannot read '\(path)'") }
        let table = path.lowercased().hasSuffix(".jsonl")
            ? try jsonlTable(data, file: path)
            : try DelimitedReader.read(bytes: [UInt8](data), file: path, delimiter: UInt8(ascii: ","))
        guard let rowColumn = table.column("row") else { throw UsageError("--oof", "'\(path)' has no 'row' column; expected the file cv --oof writes") }
        var rows: [Int] = []
        for (i, cell) in rowColumn.enumerated() {
            guard let row = Int(cell), (1...rowCount).contains(row) else {
                throw table.error(row: i, column: "row", "expected a row number of DATA, 1 to \(rowCount), got '\(cell)'")
            }
            rows.append(row - 1)
        }
        if let (name, column) = ["id", "key"].lazy.compactMap({ name in table.column(name).map { (name, $0) } }).first {
            for (i, row) in rows.enumerated() where column[i] != keys[row] {
                throw table.error(row: i, column: name, "'\(column[i])' is not DATA's row \(row + 1) ('\(keys[row])'): was the file written by cv --oof on this DATA, in this order?")
            }
        }
        var values: [String: [[Double]]] = [:]
        for task in tasks {
            let names = task.classes.map { "\(task.spec.name).\($0)" }
            let columns = try names.map { name in
                guard let column = table.column(name) else {
                    throw UsageError("--oof", "'\(path)' has no column '\(name)'; was it written by cv on this DATA?")
                }
                return column
            }
            values[task.spec.name] = try rows.indices.map { i in
                try columns.indices.map { c in
                    guard let p = Double(columns[c][i]), p >= 0, p <= 1 else {
                        throw table.error(row: i, column: names[c], "expected a probability in [0, 1], got '\(columns[c][i])'")
                    }
                    return p
                }
            }
        }
        let order = rows.indices.sorted { rows[$0] < rows[$1] }
        if let i = order.indices.dropFirst().first(where: { rows[order[$0]] == rows[order[$0 - 1]] }) {
            throw table.error(row: order[i], column: "row", "row \(rows[order[i]] + 1) appears twice")
        }
        return OutOfFoldProbabilities(rows: order.map { rows[$0] }, values: values.mapValues { v in order.map { v[$0] } })
    }

    /// The JSONL form as the CSV form's table: `row`, `fold`, `id` or `key`, and a `TASK.CLASS`
    /// column per probability, each row keeping its line for errors.
    static func jsonlTable(_ data: Data, file: String) throws -> Table {
        var records: [[(key: String, value: String)]] = [], rowLines: [Int] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                throw DataError(file: file, line: index + 1, "expected one JSON object per line, as cv --oof FILE.jsonl writes")
            }
            func cell(_ value: Any) -> String { (value as? String) ?? (value as? NSNumber)?.stringValue ?? "" }
            var record = object.filter { !($0.value is [String: Any]) }.map { (key: $0.key, value: cell($0.value)) }
            for (task, classes) in object["probabilities"] as? [String: Any] ?? [:] {
                for (name, p) in classes as? [String: Any] ?? [:] { record.append((key: "\(task).\(name)", value: cell(p))) }
            }
            records.append(record)
            rowLines.append(index + 1)
        }
        return Table(file: file, records: records, rowLines: rowLines)
    }
}
