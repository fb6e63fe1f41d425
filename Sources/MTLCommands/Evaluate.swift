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

    func run(batchSize: Int = 256) -> (metrics: [TaskMetrics], examples: ExampleTable) {
        let batch = Batch(capacity: batchSize, inputs: inputs)
        let work = model.workspace(batch: batchSize, maxTokens: inputs.maxTokens)
        var evaluator = Evaluator(model: model, tasks: checkpoint.info.encoder.tasks, batch: batch, work: work)
        evaluator.useThresholds(checkpoint.info.thresholds)
        return evaluator.evaluate(Array(0..<table.rowCount), inputs: inputs, step: checkpoint.info.position.step)
    }
}

/// `mtl-tui eval DIR DATA`: metrics of a saved model on a labelled file.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a saved model on labelled data (every row of DATA).")

    @Argument(help: "A checkpoint directory written by --save.")
    var checkpoint: String

    @Argument(help: "A data file or directory with the same columns as in training.")
    var data: String

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() throws {
        let loaded = exitOnUserError { try LoadedCheckpoint(directory: checkpoint, data: data, requireLabels: true) }
        let (metrics, _) = loaded.run()
        let heads = loaded.model.config.heads
        if json {
            Console.shared.out(Report.jsonLine(["event": "eval", "rows": loaded.table.rowCount,
                                                "metrics": Report.metricsObject(metrics, tasks: heads.map(\.name), kinds: heads.map(\.kind))]))
        } else {
            Console.shared.out("\(loaded.table.file): \(loaded.table.rowCount) rows")
            Console.shared.out(Report.metricsTable(rows: heads.indices.map { (heads[$0].name, heads[$0].kind, [("eval", metrics[$0])]) }))
            let tuned = heads.map { loaded.checkpoint.info.thresholds?[$0.name] != nil }
            for line in Report.labelTables(metrics, tasks: heads.map(\.name), classes: loaded.checkpoint.info.encoder.tasks.map(\.classes),
                                           tuned: tuned) {
                Console.shared.out(line)
            }
        }
    }
}

/// `mtl-tui predict DIR DATA`: CSV predictions on stdout.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write predictions as CSV to stdout: the row id, then per task the label and its probability (or the value).",
        discussion: "With --probabilities every class's probability follows, in columns named TASK.CLASS (sigmoid outputs for binary and multi-label tasks, softmax for multiclass). A multi-label task's predicted set holds each label whose probability reaches its decision threshold (tuned on the validation rows when the checkpoint has them, else 0.5).")

    @Argument(help: "A checkpoint directory written by --save.")
    var checkpoint: String

    @Argument(help: "A data file or directory; task columns may be absent.")
    var data: String

    @Flag(help: "Add one column per class with its probability (TASK.CLASS).")
    var probabilities = false

    func run() throws {
        let loaded = exitOnUserError { try LoadedCheckpoint(directory: checkpoint, data: data, requireLabels: false) }
        let (_, examples) = loaded.run()
        let encoder = loaded.checkpoint.info.encoder
        let ids = encoder.spec.idColumn.flatMap { loaded.table.column($0) }
        var header = ["id"]
        for task in encoder.tasks {
            header += task.spec.kind == .regression ? [task.spec.name] : [task.spec.name, "\(task.spec.name)_probability"]
            if probabilities, task.spec.kind != .regression { header += task.classes.map { "\(task.spec.name).\($0)" } }
        }
        let forTerminal = Console.stdoutIsTerminal
        var lines = [csvLine(header, forTerminal: forTerminal)]
        for i in 0..<examples.count {
            var cells = [ids?[i] ?? String(i + 1)]
            for (t, task) in encoder.tasks.enumerated() {
                let width = examples.widths[t]
                let outputs = Array(examples.outputs[t][(i * width)..<(i * width + width)])
                switch task.spec.kind {
                case .regression:
                    cells.append(String(format: "%.6g", Double(outputs[0])))
                case .binary:
                    let positive = outputs[0] >= 0.5
                    cells += [task.classes[positive ? 1 : 0], String(format: "%.4f", positive ? outputs[0] : 1 - outputs[0])]
                case .multiclass:
                    let best = outputs.indices.max { outputs[$0] < outputs[$1] }!
                    cells += [task.classes[best], String(format: "%.4f", outputs[best])]
                case .multilabel:
                    let thresholds = loaded.checkpoint.info.thresholds?[task.spec.name]
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
