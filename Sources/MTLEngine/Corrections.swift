import Foundation
import MTLData

/// A corrections file: one JSON object per line, `{"key", "task", "action", "value", "step"}`,
/// appended as the user marks examples and replayed in order (undo lines cancel; nothing is
/// ever rewritten). `key` names rows stably across runs: the spec's id column when there is
/// one, else a hash of the row's input (`RowKeys`).
public struct Corrections: Sendable {
    public enum Action: String, Sendable { case drop, weight, relabel, undo }

    public struct Line: Sendable, Equatable {
        public var key: String
        public var task: String?
        public var action: Action
        /// relabel: the new label (multi-label: `a|b`); weight: the factor, as text.
        public var value: String?
        public var step: Int?
        /// 1-based line in the file.
        public var line: Int
    }

    public var file: String
    /// What is in force after undo lines cancelled what they undo, in file order.
    public var active: [Line]
    /// Lines that could not be read, with why, in file order: `CorrectionPlan.apply` refuses
    /// the file for the first of them and its own, or with skip-bad warns of each.
    public var problems: [DataError] = []

    /// Reads `file`, keeping a malformed line as a problem naming file and line; only an
    /// unreadable file is an error here.
    public static func read(_ file: String) throws(DataError) -> Corrections {
        guard let data = FileManager.default.contents(atPath: file) else { throw DataError(file: file, "cannot read the corrections file") }
        var corrections = Corrections(file: file, active: [])
        for (index, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            do {
                let line = try parse(text, line: index + 1)
                if line.action == .undo {
                    guard let undone = corrections.active.lastIndex(where: { $0.key == line.key && (line.task == nil || $0.task == line.task) }) else {
                        throw Problem("undo of key '\(line.key)' with nothing before it to undo")
                    }
                    corrections.active.remove(at: undone)
                } else {
                    corrections.active.append(line)
                }
            } catch let problem as Problem {
                corrections.problems.append(DataError(file: file, line: index + 1, problem.message))
            } catch {}
        }
        return corrections
    }

    struct Problem: Error { var message: String; init(_ message: String) { self.message = message } }

    static func parse(_ text: String, line: Int) throws -> Line {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw Problem("expected one JSON object like {\"key\": \"…\", \"action\": \"drop\"}")
        }
        func string(_ name: String) -> String? {
            switch object[name] {
            case let s as String: s
            case let n as NSNumber: n.stringValue
            default: nil
            }
        }
        guard let key = string("key"), !key.isEmpty else { throw Problem("missing \"key\"") }
        guard let name = object["action"] as? String, let action = Action(rawValue: name) else {
            throw Problem("\"action\" must be drop, weight, relabel or undo")
        }
        let task = object["task"] as? String
        var value: String?
        switch action {
        case .relabel:
            guard task != nil else { throw Problem("relabel needs a \"task\"") }
            if let labels = object["value"] as? [String] { value = labels.joined(separator: "|") } else { value = string("value") }
            guard value != nil else { throw Problem("relabel needs a \"value\": the new label") }
        case .weight:
            guard let factor = (object["value"] as? NSNumber)?.doubleValue, factor >= 0, factor.isFinite else {
                throw Problem("weight needs a \"value\": a finite number ≥ 0")
            }
            value = String(factor)
        case .drop, .undo:
            break
        }
        let step = (object["step"] as? NSNumber)?.intValue
        return Line(key: key, task: task, action: action, value: value, step: step, line: line)
    }
}

/// Stable row keys: the id column's value, else a 64-bit FNV-1a hash (16 hex digits) of the
/// row's input values (each input column, or an image's pixel columns), so a key survives
/// reordering, added rows and relabelling. A missing number hashes as an empty cell whichever
/// marker wrote it (`NA`, `NaN`…): the model sees the same row.
public enum RowKeys {
    public static func keys(_ table: Table, spec: DatasetSpec) -> [String] {
        if let id = spec.idColumn, let values = table.column(id) { return values }
        var columns: [[String]] = []
        for input in spec.inputs {
            if let values = table.column(input.column) {
                columns.append(input.kind == .numeric ? values.map { DataEncoder.isMissingNumber($0) ? "" : $0 } : values)
                continue
            }
            for name in SpecInference.imageColumns(table, prefix: input.column) ?? [] { columns.append(table.column(name)!) }
        }
        return (0..<table.rowCount).map { r in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for column in columns {
                for byte in column[r].utf8 + [0x1f] { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            }
            let hex = String(hash, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }
    }
}
