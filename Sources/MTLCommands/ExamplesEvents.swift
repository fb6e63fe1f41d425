import Foundation
import MTLData
import MTLEngine
import MTLProtocol
import MTLTUI

/// `train --json-examples N`: after each evaluation, per task, an `examples` event with the N
/// validation rows of highest loss, so `watch` can fill its hard-example view. The event's
/// optional confusion counts stay out: the epoch event of the same evaluation carries them,
/// and `watch` draws its confusion view from those.
struct ExamplesEvents: Sendable {
    let limit: Int
    /// The rows' texts, true labels and keys, as the workbench's own browser shows them.
    let context: WorkbenchContext
    /// How much of a row's input text travels: enough to recognise it, not the whole document.
    static let textLimit = 200

    init(limit: Int, prepared: PreparedRun) {
        self.limit = limit
        context = WorkbenchContext(run: prepared, title: "")
    }

    /// One event per task for the evaluation `record` reported, whose predictions are `table`.
    func events(_ table: ExampleTable, record: EpochRecord) -> [RunEvent.Examples] {
        context.tasks.indices.map { t in
            var state = ViewState()
            state.task = t
            let rows = ExampleList.indices(table, state: state, context: context).prefix(limit).map { i in
                row(table, i, task: t)
            }
            return RunEvent.Examples(task: context.tasks[t], step: table.step, epoch: record.epoch, rows: Array(rows))
        }
    }

    func row(_ table: ExampleTable, _ i: Int, task t: Int) -> RunEvent.ExampleRow {
        let row = table.rows[i]
        let guess = ExampleList.prediction(table, i, task: t, context: context)
        let labelled = context.targets[t].mask[row] > 0
        let text = context.inputText.indices.contains(row) ? String(context.inputText[row].prefix(Self.textLimit)) : nil
        return RunEvent.ExampleRow(key: context.rowKeys.indices.contains(row) ? context.rowKeys[row] : "\(row)", text: text,
                                   split: table.split == .validation ? "val" : table.split.rawValue,
                                   label: labelled ? ExampleList.truthText(table, i, task: t, context: context) : nil, predicted: guess.label,
                                   probability: guess.probability.flatMap { RunProtocol.finite(Double($0)) },
                                   loss: RunProtocol.finite(Double(table.losses[t][i])))
    }
}
