import Foundation
import Testing
@testable import MTLData

/// Malformed inputs are refused with one line naming the file and place, never silently used.
@Suite struct MalformedInputTests {
    func jsonl(_ text: String) throws(DataError) -> Table {
        try JSONLReader.read(bytes: Array(text.utf8), file: "t.jsonl")
    }

    @Test func invalidJSONEscapesAreErrorsWithLineAndColumn() throws {
        let cases: [(String, Int, String)] = [
            (#"{"a": "x \q"}"#, 10, "invalid escape '\\q'"),
            (#"{"a": "\u12"}"#, 8, "short or invalid \\u escape"),
            (#"{"a": "\u+123"}"#, 8, "short or invalid \\u escape"),
            (#"{"a": "\uDC00"}"#, 8, "lone low surrogate"),
            (#"{"a": "\uD800 x"}"#, 8, "unpaired high surrogate"),
            (#"{"a": "\uD800\u0041"}"#, 8, "unpaired high surrogate"),
        ]
        for (line, column, message) in cases {
            do {
                _ = try jsonl("{\"a\": \"ok\"}\n" + line + "\n")
                Issue.record("accepted \(line)")
            } catch {
                #expect(error.line == 2 && error.column == column, "\(line): \(error)")
                #expect(error.message.contains(message), "\(line): \(error)")
            }
        }
        // Every escape JSON defines still reads.
        let table = try jsonl(#"{"a": "\" \\ \/ \b\f\n\r\t \u00e9 \uD83D\uDE00"}"# + "\n")
        #expect(table.column("a") == ["\" \\ / \u{8}\u{C}\n\r\t é 😀"])
    }

    @Test func aMissingInputKeyIsAnErrorAtItsLineButMissingLabelsAreAllowed() throws {
        let table = try jsonl("""
            {"text": "good film here", "y": "a"}
            {"y": "b"}
            {"text": "bad film there", "y": "b"}
            {"text": "fine thing", "y": null}
            {"text": "dull thing"}

            """)
        let spec = DatasetSpec(inputs: [InputSpec(kind: .text, column: "text")], tasks: [TaskSpec(name: "y", kind: .binary)])
        #expect(throws: DataError(file: "t.jsonl", line: 2, key: "key 'text'",
                                  "missing from this object; the input needs it in every row (write null for a missing value)")) {
            try DataEncoder.fit(table, spec: spec, trainRows: [0, 1, 2, 3, 4])
        }
        // `null` is the explicit gap for an input; a label may be absent or null.
        let explicit = try jsonl("{\"text\": \"good film\", \"y\": \"a\"}\n{\"text\": null}\n{\"text\": \"bad film\", \"y\": \"b\"}\n")
        let encoder = try DataEncoder.fit(explicit, spec: spec, trainRows: [0, 1, 2])
        #expect(try encoder.encode(explicit).targets[0].mask == [1, 0, 1])
    }

    @Test func anInputBlankInEveryRowIsRefusedNamingIt() throws {
        let blank = Table(file: "b.csv", header: ["text", "y"], columns: [[" ", "", "  ", ""], ["a", "b", "a", "b"]], rowLines: [2, 3, 4, 5])
        let empty = Table(file: "b.csv", header: ["text", "y"], columns: [["", "", "", ""], ["a", "b", "a", "b"]], rowLines: [2, 3, 4, 5])
        for (kind, table) in [(InputKind.text, blank), (.categorical, blank), (.numeric, empty)] {
            let spec = DatasetSpec(inputs: [InputSpec(kind: kind, column: "text")], tasks: [TaskSpec(name: "y", kind: .binary)])
            do {
                _ = try DataEncoder.fit(table, spec: spec, trainRows: [0, 1, 2, 3])
                Issue.record("accepted a blank \(kind) input")
            } catch {
                #expect(error.file == "b.csv" && error.key == "column 'text'", "\(error)")
                #expect(error.message.contains("in every training row"), "\(error)")
            }
        }
        // Inference does not take spaces for values, and says why nothing is left.
        #expect(throws: DataError(file: "b.csv", "no input columns left (blank in every row: text): name one with --input COLUMN or a spec.toml")) {
            try SpecInference.infer(blank)
        }
    }

    /// Loading grows linearly with the columns: 100,001 columns take about 5× what 20,001 take,
    /// where a step quadratic in the columns would make it 25×. A ratio of two loads on the same
    /// machine, not a time limit, so a busy machine does not fail it.
    @Test func aHundredThousandColumnsLoadInLinearTime() throws {
        func load(_ columns: Int) throws -> Duration {
            var csv = (0..<columns).map { "c\($0)" }.joined(separator: ",") + ",y\n"
            for r in 0..<3 { csv += (0..<columns).map { String(($0 + r) % 7) }.joined(separator: ",") + ",\(r % 2)\n" }
            return try ContinuousClock().measure {
                let table = try DelimitedReader.read(bytes: Array(csv.utf8), file: "wide.csv", delimiter: UInt8(ascii: ","))
                #expect(table.columnIndex("c\(columns - 1)") == columns - 1)
                let spec = DatasetSpec(inputs: (0..<columns).map { InputSpec(kind: .numeric, column: "c\($0)") },
                                       tasks: [TaskSpec(name: "y", kind: .binary)])
                try spec.check(against: table, specFile: "spec.toml")
                let split = try DataSplit.make(table, spec: spec, seed: 1)
                let encoder = try DataEncoder.fit(table, spec: spec, trainRows: [0, 1, 2])
                #expect(try encoder.encode(table).featureWidth == columns)
                #expect(split.train.count + split.validation.count + split.test.count == 3)
            }
        }
        let small = try load(20_001), large = try load(100_001)
        #expect(large < small * 12, "100,001 columns took \(large), 20,001 took \(small)")
    }

    @Test func anIDXFileGivenDirectlyLoadsWithItsPartner() throws {
        let directory = NSTemporaryDirectory() + "mtl-idx-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2] + Array(1...8)
        let labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 2, 3, 4]
        _ = FileManager.default.createFile(atPath: directory + "/t10k-images-idx3-ubyte", contents: Data(images))
        _ = FileManager.default.createFile(atPath: directory + "/t10k-labels-idx1-ubyte", contents: Data(labels))
        _ = FileManager.default.createFile(atPath: directory + "/train-images-idx3-ubyte", contents: Data(images))
        for file in ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
            let table = try DatasetSource.load(directory + "/" + file).table
            #expect(table.header == ["label", "image"])
            #expect(table.column("label") == ["3", "4"])
        }
        #expect(throws: DataError(file: directory + "/train-images-idx3-ubyte",
                                  "IDX images need their labels file 'train-labels-idx1-ubyte' beside them; it is not there (pass a directory holding one images/labels pair)")) {
            try DatasetSource.load(directory + "/train-images-idx3-ubyte")
        }
        #expect(throws: DataError(file: directory, "holds several IDX image files (t10k-images-idx3-ubyte, train-images-idx3-ubyte); pass one of them")) {
            try DatasetSource.load(directory)
        }
    }

    @Test func dottedTOMLKeysMakeTables() throws {
        let doc = try TOMLDocument.parse("a.b = 1\na . \"c.d\" = 2\n\"x.y\" = 3\n[[task]]\nname = \"y\"\nclass_weights.pos = 2.0\nclass_weights.neg = 0.5\n", file: "s.toml")
        guard case .table(let a)? = doc.root["a"] else { Issue.record("no table a"); return }
        #expect(a["b"] == .integer(1) && a["c.d"] == .integer(2))
        #expect(doc.root["x.y"] == .integer(3))
        #expect(doc.root.keys == ["a", "x.y"])
        let spec = try DatasetSpec.parse(toml: "[[input]]\ncolumn = \"text\"\n[[task]]\nname = \"y\"\nkind = \"binary\"\nclass_weights.pos = 2.0\n", file: "spec.toml")
        #expect(spec.tasks[0].classWeights == .explicit(["pos": 2.0]))
        // Keys are defined once, and an inline table is closed.
        #expect(throws: DataError(file: "s.toml", line: 2, key: "a.b", "defined twice")) {
            try TOMLDocument.parse("a.b = 1\na.b = 2\n", file: "s.toml")
        }
        #expect(throws: DataError(file: "s.toml", line: 2, key: "a.c", "'a' is already defined as a value, not a table to add keys to")) {
            try TOMLDocument.parse("a = { b = 1 }\na.c = 2\n", file: "s.toml")
        }
        // Integers are 64-bit: more digits are out of range, not silently a float.
        #expect(throws: DataError(file: "s.toml", line: 2, column: 5, "integer 99999999999999999999 is out of range (at most \(Int.max))")) {
            try TOMLDocument.parse("a = 1\nb = 99999999999999999999\n", file: "s.toml")
        }
        #expect(try TOMLDocument.parse("a = -42\nb = 1.5e3\n", file: "s.toml").root["b"] == .float(1500))
        // In a spec, a dotted key under an unknown name is reported at its line and key.
        #expect(throws: DataError(file: "spec.toml", line: 1, key: "a", "unknown key (expected one of id, split, split_column, strategy)")) {
            try DatasetSpec.parse(toml: "a.b = 1\n[[input]]\ncolumn = \"t\"\n[[task]]\nname = \"y\"\nkind = \"binary\"\n", file: "spec.toml")
        }
    }

    @Test func splitFractionsSayWhatIsWrong() {
        #expect(throws: DataError(file: "--split", key: "split", "the train fraction is 0, so there would be no training rows (like 0.8,0.1,0.1)")) {
            try SplitFractions.check([0, 0, 1], file: "--split")
        }
        #expect(throws: DataError(file: "--split", key: "split", "fractions must be finite numbers ≥ 0, got -0.1")) {
            try SplitFractions.check([-0.1, 0.6, 0.5], file: "--split")
        }
    }
}
