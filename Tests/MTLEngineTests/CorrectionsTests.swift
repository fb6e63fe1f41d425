import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// Corrections files: read line by line (undo cancels), matched to rows by key, applied.
@Suite struct CorrectionsTests {
    func write(_ lines: [String]) -> String {
        let path = NSTemporaryDirectory() + "mtl-tui-corrections-\(UUID().uuidString).jsonl"
        _ = FileManager.default.createFile(atPath: path, contents: Data((lines.joined(separator: "\n") + "\n").utf8))
        return path
    }

    static let table = Table(file: "data.csv", header: ["id", "text", "topic", "tags"],
                             columns: [["r1", "r2", "r3", "r4"], ["a b", "c d", "a b", "e f"], ["x", "y", "z", "x"], ["p|q", "q", "", "p"]],
                             rowLines: [2, 3, 4, 5])
    static let spec = DatasetSpec(inputs: [InputSpec(kind: .text, column: "text")],
                                  tasks: [TaskSpec(name: "topic", kind: .multiclass), TaskSpec(name: "tags", kind: .multilabel)], idColumn: "id")

    @Test func undoCancelsTheLastCorrectionOfItsKey() throws {
        let file = write([
            #"{"key": "r1", "action": "drop", "step": 3}"#,
            #"{"key": "r2", "task": "topic", "action": "relabel", "value": "x", "step": 4}"#,
            #"{"key": "r2", "task": "topic", "action": "relabel", "value": "z", "step": 5}"#,
            "",
            #"{"key": "r2", "action": "undo", "step": 6}"#,
            #"{"key": 4, "action": "weight", "value": 2}"#,
        ])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let read = try Corrections.read(file)
        #expect(read.active.map(\.line) == [1, 2, 6] && read.problems.isEmpty)
        #expect(read.active[1].value == "x" && read.active[2].key == "4" && read.active[2].value == "2.0")
    }

    @Test func aMalformedLineNamesFileAndLine() throws {
        let cases: [(String, String)] = [
            ("not json", "expected one JSON object"),
            (#"{"action": "drop"}"#, "missing \"key\""),
            (#"{"key": "r1", "action": "erase"}"#, "\"action\" must be drop, weight, relabel or undo"),
            (#"{"key": "r1", "action": "relabel", "value": "x"}"#, "relabel needs a \"task\""),
            (#"{"key": "r1", "action": "weight", "value": -1}"#, "a finite number ≥ 0"),
            (#"{"key": "r9", "action": "undo"}"#, "nothing before it to undo"),
        ]
        for (bad, message) in cases {
            let file = write([#"{"key": "r1", "action": "drop"}"#, bad, #"{"key": "r3", "action": "drop"}"#])
            defer { try? FileManager.default.removeItem(atPath: file) }
            let error = firstError(file)
            #expect(error?.hasPrefix("\(file):2: ") == true && error?.contains(message) == true, "\(error ?? "no error")")
            let read = try Corrections.read(file)
            #expect(read.active.map(\.key) == ["r1", "r3"] && read.problems.count == 1 && read.problems[0].description.hasPrefix("\(file):2: "))
        }
    }

    @Test func correctionsApplyByKeyAndCountWhatTheyChanged() throws {
        let file = write([
            #"{"key": "r1", "action": "drop"}"#,
            #"{"key": "r2", "task": "topic", "action": "relabel", "value": "z"}"#,
            #"{"key": "r4", "task": "tags", "action": "relabel", "value": ["p", "q"]}"#,
            #"{"key": "r3", "task": "topic", "action": "weight", "value": 3}"#,
            #"{"key": "r3", "action": "weight", "value": 2}"#,
            #"{"key": "gone", "action": "drop"}"#,
        ])
        defer { try? FileManager.default.removeItem(atPath: file) }
        var table = Self.table
        let plan = try CorrectionPlan.apply(try Corrections.read(file), to: &table, spec: Self.spec, skipBad: false)
        #expect(plan.summary == CorrectionPlan.Summary(dropped: 1, relabeled: 2, weighted: 1, unmatched: 1))
        #expect(table.column("topic")! == ["x", "z", "z", "x"] && table.column("tags")! == ["p|q", "q", "", "p|q"])
        #expect(plan.filter([0, 1, 2, 3]) == [1, 2, 3])
        #expect(plan.warnings == ["warning: \(file): 1 correction match no row (keys: gone)"])
        var targets = [TaskTargets(width: 3, values: [0, 0, 0, 0], mask: [1, 1, 1, 1], weights: [1, 1, 1, 1]),
                       TaskTargets(width: 2, values: [Float](repeating: 0, count: 8), mask: [1, 1, 1, 1], weights: [1, 1, 1, 1])]
        plan.applyWeights(&targets, train: [1, 2, 3])
        #expect(targets[0].weights == [1, 1, 6, 1] && targets[1].weights == [1, 1, 2, 1])
        // Validation and test rows keep their weights.
        plan.applyWeights(&targets, train: [0])
        #expect(targets[0].weights == [1, 1, 6, 1])
    }

    @Test func aRelabelToAClassTheTaskLacksIsAnError() throws {
        for (line, message) in [(#"{"key": "r2", "task": "topic", "action": "relabel", "value": "w"}"#, "relabel to 'w': task 'topic' has no such class (classes: x, y, z)"),
                                (#"{"key": "r2", "task": "tags", "action": "relabel", "value": "p|s"}"#, "relabel to 's': task 'tags' has no such class"),
                                (#"{"key": "r2", "task": "size", "action": "relabel", "value": "x"}"#, "no task named 'size'")] {
            let file = write([#"{"key": "r1", "action": "drop"}"#, line])
            defer { try? FileManager.default.removeItem(atPath: file) }
            var table = Self.table
            let error = firstError(file)
            #expect(error?.hasPrefix("\(file):2: \(message)") == true, "\(error ?? "no error for \(line)")")
            let plan = try CorrectionPlan.apply(try Corrections.read(file), to: &table, spec: Self.spec, skipBad: true)
            #expect(plan.summary.dropped == 1 && plan.warnings.count == 1 && plan.warnings[0].contains("\(file):2: "))
            #expect(table.column("topic")! == Self.table.column("topic")!)
        }
    }

    /// The error applying `file` to the table without skip-bad gives, or nil when it applies.
    func firstError(_ file: String) -> String? {
        var table = Self.table
        do {
            _ = try CorrectionPlan.apply(try Corrections.read(file), to: &table, spec: Self.spec, skipBad: false)
            return nil
        } catch {
            return error.description
        }
    }

    /// A file's problems are told in file order, whether found reading a line (a bad action) or
    /// matching it (a class the task lacks): the error is the first, the warnings go by line.
    @Test func problemsAreToldInFileOrder() throws {
        let file = write([
            #"{"key": "r1", "action": "drop"}"#,
            #"{"key": "r2", "task": "topic", "action": "relabel", "value": "w"}"#,
            #"{"key": "r3", "action": "erase"}"#,
            #"{"key": "r4", "task": "topic", "action": "relabel", "value": "v"}"#,
        ])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let error = firstError(file)
        #expect(error?.hasPrefix("\(file):2: relabel to 'w'") == true, "\(error ?? "no error")")
        var table = Self.table
        let plan = try CorrectionPlan.apply(try Corrections.read(file), to: &table, spec: Self.spec, skipBad: true)
        let lines = plan.warnings.map { $0.dropFirst("warning: skipped \(file):".count).prefix { $0 != ":" } }
        #expect(lines == ["2", "3", "4"], "\(plan.warnings)")
        #expect(plan.summary.dropped == 1)
    }

    /// Without an id column the key is a hash of the input: the same for the same input, not
    /// changed by labels or row order.
    @Test func rowKeysHashTheInputWithoutAnIDColumn() {
        var spec = Self.spec
        #expect(RowKeys.keys(Self.table, spec: spec) == ["r1", "r2", "r3", "r4"])
        spec.idColumn = nil
        let keys = RowKeys.keys(Self.table, spec: spec)
        #expect(keys[0] == keys[2] && Set(keys).count == 3 && keys.allSatisfy { $0.count == 16 })
        var relabeled = Self.table
        relabeled.columns[2] = ["z", "z", "z", "z"]
        #expect(RowKeys.keys(relabeled, spec: spec) == keys)
        // A missing number is the same row whichever marker wrote it; a number is not.
        let numbers = Table(file: "n.csv", header: ["x", "y"], columns: [["", "NA", "NaN", "1"], ["a", "a", "a", "a"]], rowLines: [2, 3, 4, 5])
        let numeric = DatasetSpec(inputs: [InputSpec(kind: .numeric, column: "x")], tasks: [TaskSpec(name: "y", kind: .multiclass)])
        let numberKeys = RowKeys.keys(numbers, spec: numeric)
        #expect(Set(numberKeys[0..<3]).count == 1 && numberKeys[3] != numberKeys[0], "\(numberKeys)")
    }
}
