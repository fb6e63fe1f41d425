import Foundation
import MTLData
import MTLEngine
import Synchronization

/// Human and JSON-lines output of headless commands.
enum Report {
    // MARK: JSON

    static func jsonLine(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: sanitize(object), options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
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

    static func metricsObject(_ metrics: [TaskMetrics], tasks: [String], kinds: [TaskKind]) -> [String: Any] {
        var out: [String: Any] = [:]
        for (t, m) in metrics.enumerated() {
            var values: [String: Any] = ["count": m.count]
            for name in TaskMetrics.names(for: kinds[t]) { values[name] = m.value(name) ?? NSNull() }
            if let confusion = m.confusion { values["confusion"] = confusion }
            if let precision = m.precision { values["precision_per_class"] = precision }
            if let recall = m.recall { values["recall_per_class"] = recall }
            out[tasks[t]] = values
        }
        return out
    }

    // MARK: Tables

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

    static func align(_ table: [[String]]) -> String {
        let widths = (0..<table[0].count).map { c in table.map { $0[c].count }.max() ?? 0 }
        return table.map { row in
            row.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }.map { "  " + $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n")
    }

    static func number(_ v: Double) -> String {
        if !v.isFinite { return "\(v)" }
        if abs(v) >= 1000 { return String(format: "%.0f", v) }
        return String(format: "%.4f", v)
    }

    static func count(_ n: Int) -> String {
        n >= 1_000_000 ? String(format: "%.2fM", Double(n) / 1e6) : n >= 10_000 ? String(format: "%.1fk", Double(n) / 1e3) : "\(n)"
    }
}

/// Writes lines to stdout or stderr from any thread, one whole line at a time.
final class Console: Sendable {
    static let shared = Console()
    private let lock = Mutex(())

    func out(_ line: String) {
        lock.withLock { _ in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    func err(_ text: String, newline: Bool = true) {
        lock.withLock { _ in
            FileHandle.standardError.write(Data((text + (newline ? "\n" : "")).utf8))
        }
    }
}
