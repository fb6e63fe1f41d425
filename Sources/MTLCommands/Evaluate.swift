import ArgumentParser
import Foundation
import MTLData
import MTLEngine

/// Loads a checkpoint and the data it should score, encoded exactly as in training.
struct LoadedCheckpoint {
    let checkpoint: Checkpoint
    let model: Model
    let table: Table
    let inputs: ModelInputs

    init(directory: String, data: String, requireLabels: Bool) throws {
        Parallel.threads = 1   // also keeps OpenBLAS on one thread, as train and bench do
        checkpoint = try Checkpoint.read(from: directory)
        let source = try DatasetSource.load(data)
        table = source.table
        let rows = try checkpoint.info.encoder.encode(table, requireLabels: requireLabels)
        let config = checkpoint.info.model
        inputs = ModelInputs(rows: rows, encoder: checkpoint.info.encoder, model: config)
        model = checkpoint.makeModel()
    }

    func run(rows: [Int]? = nil, batchSize: Int = 256) -> (metrics: [TaskMetrics], examples: ExampleTable) {
        let batch = Batch(capacity: batchSize, inputs: inputs)
        let work = model.workspace(batch: batchSize, maxTokens: inputs.maxTokens)
        var evaluator = Evaluator(model: model, tasks: checkpoint.info.encoder.tasks, batch: batch, work: work)
        evaluator.useThresholds(checkpoint.info.thresholds)
        return evaluator.evaluate(rows ?? Array(0..<table.rowCount), inputs: inputs, step: checkpoint.info.position.step)
    }
}

extension EnsembleCombine: ExpressibleByArgument {}

/// What `eval` and `predict` score with: one checkpoint, or an ensemble of them.
struct Scorer {
    let tasks: [DataEncoder.TaskEncoding]
    let heads: [HeadConfig]
    let table: Table
    /// Thresholds the single checkpoint kept (nil for an ensemble, which reports them per task).
    let single: LoadedCheckpoint?
    let members: [Checkpoint]
    let rule: EnsembleCombine
    /// Per row: "train" or "validation" if a model trained (or stopped early) on its inputs, else nil.
    let seen: [String?]

    init(directory: String, data: String, requireLabels: Bool, combine: EnsembleCombine?) throws {
        rule = combine ?? .mean
        if Ensemble.isEnsemble(directory) {
            Parallel.threads = 1
            members = try Ensemble.read(directory).members
            table = try DatasetSource.load(data).table
            single = nil
            tasks = members[0].info.encoder.tasks
            heads = members[0].info.model.heads
            if rule == .vote, !tasks.contains(where: { $0.spec.kind != .regression }) {
                throw UsageError("--combine", "vote needs a classification task; every task here is regression, whose members' values are averaged (use --combine mean)")
            }
        } else {
            if combine != nil { throw UsageError("--combine", "'\(directory)' is one checkpoint, not an ensemble (an ensemble holds \(EnsembleManifest.file), as cv --save writes)") }
            let loaded = try LoadedCheckpoint(directory: directory, data: data, requireLabels: requireLabels)
            single = loaded
            members = [loaded.checkpoint]
            table = loaded.table
            tasks = loaded.checkpoint.info.encoder.tasks
            heads = loaded.model.config.heads
        }
        let spec = members[0].info.encoder.spec
        var seen = [String?](repeating: nil, count: table.rowCount)
        for digest in members.compactMap(\.info.split) {
            for (r, part) in digest.seen(table, spec: spec).enumerated() where seen[r] != "train" && part != nil { seen[r] = part }
        }
        self.seen = seen
    }

    var isEnsemble: Bool { single == nil }

    /// One note per categorical input holding values that training (of any member) never saw:
    /// the model reads them as an unknown category, so the user should know how many rows and
    /// which values, not find out from the predictions.
    var unseenCategoryNotes: [String] {
        var rowsByColumn: [String: Set<Int>] = [:], columns: [String] = []
        for member in members {
            for (column, rows) in member.info.encoder.unseenCategories(table) {
                if rowsByColumn[column] == nil { columns.append(column) }
                rowsByColumn[column, default: []].formUnion(rows)
            }
        }
        return columns.map { column in
            let rows = rowsByColumn[column]!.sorted(), cells = table.column(column)!
            var values: [String] = []
            for r in rows where !values.contains(cells[r]) { values.append(cells[r]) }
            let shown = values.prefix(3).map { "'\($0)'" }.joined(separator: ", ") + (values.count > 3 ? ", …" : "")
            return "note: \(table.file): column '\(column)': \(rows.count) of \(table.rowCount) rows hold a category training never saw "
                + "(\(shown)); the model reads it as an unknown category"
        }
    }

    /// Metrics on each of `parts` (rows of the table), and for an ensemble each member's; an
    /// ensemble runs its members once over the rows of all parts.
    func metrics(_ parts: [[Int]]) throws -> [(combined: [TaskMetrics], members: [[TaskMetrics]])] {
        if let single { return parts.map { (single.run(rows: $0).metrics, []) } }
        let all = Array(Set(parts.joined())).sorted()
        let run = try EnsembleRun(members: members, table: table, rows: all, requireLabels: true, rule: rule)
        return parts.map { run.metrics($0) }
    }

    /// Per task the outputs `[rows, width]` of every row, and the multi-label thresholds that decide them.
    func outputs() throws -> (outputs: [[Float]], widths: [Int], thresholds: [[Float]?]) {
        let rows = Array(0..<table.rowCount)
        if let single {
            let examples = single.run(rows: rows).examples
            return (examples.outputs, examples.widths, tasks.map { single.checkpoint.info.thresholds?[$0.spec.name] })
        }
        let run = try EnsembleRun(members: members, table: table, rows: rows, requireLabels: false, rule: rule)
        return (run.outputs, run.widths, run.thresholds)
    }
}

/// `mtl-tui eval DIR DATA`: metrics of a saved model on a labelled file.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a saved model or ensemble on labelled data (every row of DATA).",
        discussion: """
        When DATA holds rows whose inputs the saved run trained or validated on (the training file \
        itself, or another holding some of its rows), eval says so and reports the held-out rows \
        (the run's test rows and rows it never saw) apart from the seen ones: a model scored on \
        its own training rows looks better than it is.

        An ensemble (a directory cv --save wrote) combines its members by --combine and reports \
        its metrics beside the mean ± sd of its members'.
        """)

    @Argument(help: "A checkpoint directory written by --save, or an ensemble directory written by cv --save.")
    var checkpoint: String

    @Argument(help: "A data file or directory with the same columns as in training.")
    var data: String

    @Option(help: "How an ensemble combines its members: mean (of probabilities; default) or vote (majority of decisions; regression tasks take the mean).")
    var combine: EnsembleCombine?

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() throws {
        let scorer = exitOnUserError { try Scorer(directory: checkpoint, data: data, requireLabels: true, combine: combine) }
        for note in scorer.unseenCategoryNotes { Console.shared.err("mtl-tui: \(note)") }
        let all = Array(0..<scorer.table.rowCount)
        let heldOut = all.filter { scorer.seen[$0] == nil }
        let seenRows = all.filter { scorer.seen[$0] != nil }
        var parts: [(name: String, rows: [Int])] = [("all", all)]
        if !seenRows.isEmpty { parts += [("held_out", heldOut), ("seen", seenRows)] }
        let measured = exitOnUserError { try scorer.metrics(parts.map(\.rows).filter { !$0.isEmpty }) }
        var next = measured.makeIterator()
        let results = parts.map { $0.rows.isEmpty ? nil : next.next() }
        let names = scorer.heads.map(\.name), kinds = scorer.heads.map(\.kind)
        let trainCount = scorer.seen.filter { $0 == "train" }.count
        if json {
            var object: [String: Any] = ["event": "eval", "rows": all.count]
            for (p, part) in parts.enumerated() {
                var values: [String: Any] = ["rows": part.rows.count]
                if let result = results[p] {
                    values["metrics"] = Report.metricsObject(result.combined, tasks: names, kinds: kinds)
                    if scorer.isEnsemble { values.merge(membersObject(result.members, names: names, kinds: kinds)) { a, _ in a } }
                }
                if part.name == "seen" { values["train"] = trainCount; values["validation"] = seenRows.count - trainCount }
                if part.name == "all" { object.merge(values.filter { $0.key != "rows" }) { a, _ in a } } else { object[part.name] = values }
            }
            if scorer.isEnsemble { object["ensemble"] = ["members": scorer.members.count, "combine": scorer.rule.rawValue] }
            Console.shared.out(Report.jsonLine(object))
            return
        }
        Console.shared.out("\(scorer.table.file): \(all.count) rows" + (scorer.isEnsemble ? " · ensemble of \(scorer.members.count) (\(scorer.rule.rawValue))" : ""))
        if !seenRows.isEmpty {
            Console.shared.err("mtl-tui: note: \(seenRows.count) of \(all.count) rows have the inputs of rows the saved run trained on (\(trainCount) train, \(seenRows.count - trainCount) validation); their metrics flatter the model, so \(heldOut.isEmpty ? "no row here is held out: read these figures as training fit" : "the \(heldOut.count) held-out rows are reported apart")")
        }
        for (p, part) in parts.enumerated() {
            guard let result = results[p] else { continue }
            if parts.count > 1 {
                Console.shared.out(part.name == "all" ? "all \(part.rows.count) rows:" : part.name == "held_out"
                    ? "held out (\(part.rows.count) rows: the run's test rows and rows it never saw):" : "seen in training (\(part.rows.count) rows):")
            }
            if scorer.isEnsemble {
                Console.shared.out(ensembleTable(result.combined, members: result.members, names: names, kinds: kinds))
            } else {
                Console.shared.out(Report.metricsTable(rows: names.indices.map { (names[$0], kinds[$0], [("eval", result.combined[$0])]) }))
            }
            // A vote decides by majority at 0.5; a mean uses the members' mean tuned thresholds.
            let tuned = scorer.tasks.map { task in scorer.rule == .mean && scorer.members.contains { $0.info.thresholds?[task.spec.name] != nil } }
            for line in Report.labelTables(result.combined, tasks: names, classes: scorer.tasks.map(\.classes), tuned: tuned) {
                Console.shared.out(line)
            }
        }
    }

    func membersObject(_ members: [[TaskMetrics]], names: [String], kinds: [TaskKind]) -> [String: Any] {
        var mean: [String: Any] = [:], sd: [String: Any] = [:]
        for t in names.indices {
            let stats = TaskMetrics.meanAndSD(members.map { $0[t] }, kind: kinds[t]).compactMap { $0 }
            mean[names[t]] = Dictionary(uniqueKeysWithValues: stats.map { ($0.name, $0.mean as Any) })
            sd[names[t]] = Dictionary(uniqueKeysWithValues: stats.map { ($0.name, $0.sd as Any) })
        }
        return ["members_mean": mean, "members_sd": sd]
    }

    func ensembleTable(_ combined: [TaskMetrics], members: [[TaskMetrics]], names: [String], kinds: [TaskKind]) -> String {
        var table = [["task", "metric", "ensemble", "members mean", "± sd"]]
        for t in names.indices {
            for stat in TaskMetrics.meanAndSD(members.map { $0[t] }, kind: kinds[t]).compactMap({ $0 }) {
                table.append([names[t], stat.name, combined[t].value(stat.name).map(Report.number) ?? "—",
                              Report.number(stat.mean), Report.number(stat.sd)])
            }
        }
        return Report.align(table)
    }
}

/// `mtl-tui predict DIR DATA`: CSV predictions on stdout.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write predictions as CSV to stdout: the row id, then per task the label and its probability (or the value).",
        discussion: "With --probabilities every class's probability follows, in columns named TASK.CLASS (sigmoid outputs for binary and multi-label tasks, softmax for multiclass). A multi-label task's predicted set holds each label whose probability reaches its decision threshold (tuned on the validation rows when the checkpoint has them, else 0.5). An ensemble (cv --save) predicts from its members combined by --combine: with vote, a probability is the share of members that chose the class.")

    @Argument(help: "A checkpoint directory written by --save, or an ensemble directory written by cv --save.")
    var checkpoint: String

    @Argument(help: "A data file or directory; task (label) columns are not read and may be absent.")
    var data: String

    @Flag(help: "Add one column per class with its probability (TASK.CLASS).")
    var probabilities = false

    @Option(help: "How an ensemble combines its members: mean (of probabilities; default) or vote (majority of decisions; regression tasks take the mean).")
    var combine: EnsembleCombine?

    func run() throws {
        let scorer = exitOnUserError { try Scorer(directory: checkpoint, data: data, requireLabels: false, combine: combine) }
        let (outputsByTask, widths, thresholdsByTask) = exitOnUserError { try scorer.outputs() }
        let spec = scorer.members[0].info.encoder.spec
        let ids = spec.idColumn.flatMap { scorer.table.column($0) }
        // Row numbers under an `id` header would join silently with the wrong rows on id: a
        // missing id column gets a `row` column instead, which a join on id cannot take for it.
        let missingID = ids == nil ? spec.idColumn : nil
        if let missingID {
            Console.shared.err("mtl-tui: note: \(scorer.table.file) has no id column '\(missingID)'; the first column is 'row', the row number in it (1: the first row)")
        }
        for note in scorer.unseenCategoryNotes { Console.shared.err("mtl-tui: \(note)") }
        // With no id column in the spec at all, row numbers go under `row` too, without a note.
        var header = [ids == nil ? "row" : "id"]
        for task in scorer.tasks {
            header += task.spec.kind == .regression ? [task.spec.name] : [task.spec.name, "\(task.spec.name)_probability"]
            if probabilities, task.spec.kind != .regression { header += task.classes.map { "\(task.spec.name).\($0)" } }
        }
        let forTerminal = Console.stdoutIsTerminal
        var lines = [csvLine(header, forTerminal: forTerminal)]
        for i in 0..<scorer.table.rowCount {
            var cells = [ids?[i] ?? String(i + 1)]
            for (t, task) in scorer.tasks.enumerated() {
                let width = widths[t]
                let outputs = Array(outputsByTask[t][(i * width)..<(i * width + width)])
                switch task.spec.kind {
                case .regression:
                    cells.append(String(format: "%.6g", Double(outputs[0])))
                case .binary:
                    let positive = outputs[0] >= 0.5
                    cells += [task.classes[positive ? 1 : 0], String(format: "%.4f", positive ? outputs[0] : 1 - outputs[0])]
                case .multiclass:
                    let best = outputs.indices.max { outputs[$0] < outputs[$1] || (outputs[$0] == outputs[$1] && $0 > $1) }!
                    cells += [task.classes[best], String(format: "%.4f", outputs[best])]
                case .multilabel:
                    let thresholds = thresholdsByTask[t]
                    let chosen = outputs.indices.filter { outputs[$0] >= thresholds?[$0] ?? DecisionThresholds.standard }
                    cells += [chosen.map { task.classes[$0] }.joined(separator: "|"),
                              chosen.map { String(format: "%.4f", outputs[$0]) }.joined(separator: "|")]
                }
                guard probabilities, task.spec.kind != .regression else { continue }
                let perClass = task.spec.kind == .binary ? [1 - outputs[0], outputs[0]] : outputs
                cells += perClass.map { String(format: "%.4f", $0) }
            }
            lines.append(csvLine(cells, forTerminal: forTerminal))
        }
        Console.shared.out(lines.joined(separator: "\n"), raw: true)
    }
}

/// One CSV record. Into a file or a pipe the fields are kept byte for byte (quoted where
/// needed); on a terminal, controls in them are neutralised first.
func csvLine(_ fields: [String], forTerminal: Bool) -> String {
    fields.map { csvField(forTerminal ? TerminalText.neutralized($0) : $0) }.joined(separator: ",")
}

func csvField(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}
