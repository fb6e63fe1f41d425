import Foundation
import MTLData
import MTLEngine
import MTLProtocol

/// Human and JSON-lines output of headless commands.
enum Report {
    // MARK: JSON

    /// One JSON object on one line. Controls in strings are escaped (`\u001B`), never raw, so
    /// the line is exact for a program and inert on a terminal.
    static func jsonLine(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: sanitize(object), options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return TerminalText.escapingJSON(String(decoding: data, as: UTF8.self))
    }

    /// JSON has no NaN or infinity: they become null.
    private static func sanitize(_ value: Any) -> Any {
        switch value {
        case let d as Double: return d.isFinite ? d : NSNull()
        case let f as Float: return f.isFinite ? Double(f) : NSNull()
        case let dict as [String: Any]: return dict.mapValues(sanitize)
        case let array as [Any]: return array.map(sanitize)
        default: return value
        }
    }

    /// A set's metrics as `JSONSerialization` takes them: the protocol's values (one place
    /// decides which metrics a task reports), with null for undefined ones.
    static func metricsObject(_ metrics: [TaskMetrics], tasks: [String], kinds: [TaskKind]) -> [String: Any] {
        func orNull(_ value: Double?) -> Any { value.map { $0 as Any } ?? NSNull() }
        return TaskMetricValues.set(metrics, tasks: tasks, kinds: kinds).mapValues { m in
            var values: [String: Any] = ["count": m.count.map { $0 as Any } ?? NSNull()]
            for (name, value) in m.values { values[name] = orNull(value) }
            if let confusion = m.confusion { values["confusion"] = confusion }
            if let precision = m.precisionPerClass { values["precision_per_class"] = precision.map(orNull) }
            if let recall = m.recallPerClass { values["recall_per_class"] = recall.map(orNull) }
            if let f1 = m.f1PerClass { values["f1_per_class"] = f1.map(orNull) }
            if let support = m.supportPerClass { values["support_per_class"] = support }
            if let thresholds = m.thresholds { values["thresholds"] = thresholds.map(orNull) }
            return values
        }
    }

    // MARK: Tables

    /// Per task and Δp metric: multi-task, single-task and the relative change (+ is better).
    static func baselineTable(tasks: [String], kinds: [TaskKind], multi: [TaskMetrics], single: [TaskMetrics]) -> String {
        var table = [["task", "metric", "multi-task", "single-task", "change"]]
        for t in tasks.indices {
            for name in Baselines.deltaMetrics(for: kinds[t]) {
                let n = multi[t].value(name), b = single[t].value(name)
                var change = "—"
                if let n, let b, b != 0 { change = String(format: "%+.1f %%", (TaskMetrics.higherIsBetter(name) ? 100 : -100) * (n - b) / b) }
                table.append([tasks[t], name, n.map(number) ?? "—", b.map(number) ?? "—", change])
            }
        }
        return align(table)
    }

    /// Columns: task, each set's loss (train loss, val loss…), then the last set's other metrics,
    /// blank where a task does not report them.
    static func metricsTable(rows: [(label: String, kind: TaskKind, metrics: [(String, TaskMetrics)])]) -> String {
        let sets = rows.first?.metrics.map(\.0) ?? []
        let last = sets.last ?? ""
        var names: [String] = []
        for row in rows {
            for name in TaskMetrics.names(for: row.kind) where name != "loss" && !names.contains(name) { names.append(name) }
        }
        var table = [["task"] + sets.map { "\($0) loss" } + names.map { sets.count > 1 ? "\(last) \($0)" : $0 }]
        for row in rows {
            var cells = [row.label] + row.metrics.map { number($0.1.loss) }
            let reported = TaskMetrics.names(for: row.kind)
            for name in names {
                cells.append(reported.contains(name) ? (row.metrics.last?.1.value(name)).map(number) ?? "" : "")
            }
            table.append(cells)
        }
        return align(table)
    }

    /// Per multi-label task: which decision thresholds the metrics used, then per label its
    /// threshold, precision, recall, F1 and support (the rarest labels are where a model fails).
    /// `tuned`: per task, whether its thresholds were tuned (a checkpoint that keeps them).
    static func labelTables(_ metrics: [TaskMetrics], tasks: [String], classes: [[String]], tuned: [Bool]) -> [String] {
        var lines: [String] = []
        for (t, m) in metrics.enumerated() {
            guard let thresholds = m.thresholds, let precision = m.precision, let recall = m.recall,
                  let f1 = m.f1, let support = m.support, thresholds.count == classes[t].count else { continue }
            let rule = tuned[t] ? "tuned on the validation rows (0.5 where they hold fewer than \(DecisionThresholds.minimumPositives) positives)"
                : "0.5 for every label (none were tuned)"
            lines.append("\(tasks[t]) per label, on the rows above: decision thresholds \(rule)")
            var table = [["label", "threshold", "precision", "recall", "f1", "support"]]
            for c in thresholds.indices {
                table.append([classes[t][c], String(format: "%.2f", thresholds[c]), number(precision[c]), number(recall[c]),
                              number(f1[c]), "\(support[c])"])
            }
            lines.append(align(table))
        }
        return lines
    }

    /// Columns padded to their widest cell in terminal columns (labels may be wide or hold
    /// controls, which are neutralised), the first left-aligned, the others right-aligned.
    static func align(_ table: [[String]]) -> String {
        let table = table.map { $0.map { TerminalText.neutralized($0) } }
        let widths = (0..<table[0].count).map { c in table.map { TextWidth.of($0[c]) }.max() ?? 0 }
        return table.map { row in
            row.enumerated().map { c, cell in
                c == 0 ? cell.padded(widths[c]) : String(repeating: " ", count: widths[c] - TextWidth.of(cell)) + cell
            }.joined(separator: "  ")
        }.map { "  " + $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n")
    }

    /// The most characters `number` writes: "-999.9999".
    static let numberWidth = 9

    /// A table's number in at most `numberWidth` characters, so a diverging run's 1e33 loss does
    /// not widen its column: 4 decimals below 1000, whole numbers while they fit, then exponent
    /// notation (3.1e+33); nan, inf and -inf as such (never Swift's -nan).
    static func number(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        let fixed = String(format: abs(v) >= 1000 ? "%.0f" : "%.4f", v)
        return fixed.count <= numberWidth ? fixed : String(format: "%.1e", v)
    }

    static func count(_ n: Int) -> String {
        n >= 1_000_000 ? String(format: "%.2fM", Double(n) / 1e6) : n >= 10_000 ? String(format: "%.1fk", Double(n) / 1e3) : "\(n)"
    }
}

/// Writes lines to stdout or stderr from any thread, one whole line at a time.
final class Console: Sendable {
    static let shared = Console()
    private let lock = Locked(())

    /// Whether stdout is a terminal (else a file or a pipe).
    static let stdoutIsTerminal = isatty(STDOUT_FILENO) != 0

    /// A line on stdout, controls from data neutralised; `raw` writes the bytes as they are,
    /// for output a program reads (predict's CSV into a file or pipe).
    func out(_ line: String, raw: Bool = false) {
        let text = raw ? line : TerminalText.neutralized(line, keepingLineBreaks: true)
        // A closed pipe (a reader that quit) fails the write; the run goes on without it.
        lock.withLock { _ in
            try? FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
        }
    }

    func err(_ text: String, newline: Bool = true) {
        lock.withLock { _ in
            try? FileHandle.standardError.write(contentsOf: Data((text + (newline ? "\n" : "")).utf8))
        }
    }
}
