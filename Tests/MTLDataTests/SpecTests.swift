import Testing
@testable import MTLData

func table(_ csv: String, file: String = "t.csv") -> Table {
    try! DelimitedReader.read(bytes: Array(csv.utf8), file: file, delimiter: 0x2C)
}

@Suite struct SpecTests {
    @Test func specRoundTripsThroughTOML() throws {
        var spec = DatasetSpec(inputs: [InputSpec(kind: .text, column: "text", maxLength: 50, vectors: "glove.txt")],
                               tasks: [TaskSpec(name: "polarity", kind: .multiclass, weight: 2, classWeights: .balanced),
                                       TaskSpec(name: "score", kind: .regression, loss: .huber),
                                       TaskSpec(name: "topic", column: "topics", kind: .multilabel,
                                                classWeights: .explicit(["a": 2]), labels: ["a", "b"])],
                               idColumn: "id")
        spec.tasks[2].empty = .missing
        let parsed = try DatasetSpec.parse(toml: spec.tomlText(), file: "spec.toml")
        // Lines are where the parsed spec found things; the original had none.
        spec.inputs[0].sourceLine = parsed.inputs[0].sourceLine
        for i in spec.tasks.indices { spec.tasks[i].sourceLine = parsed.tasks[i].sourceLine }
        #expect(parsed == spec)
    }

    @Test func unknownKeysAndKindsAreErrorsWithLines() {
        #expect(throws: DataError(file: "s.toml", line: 3, key: "kidn",
                                  "unknown key (expected one of char_ngrams, column, encoding, height, kind, max_length, max_ngrams, max_vocabulary, min_frequency, ngram_min_df, vectors, width)")) {
            try DatasetSpec.parse(toml: "[[input]]\ncolumn = \"text\"\nkidn = \"text\"\n", file: "s.toml")
        }
        #expect(throws: DataError(file: "s.toml", line: 5, key: "kind",
                                  "unknown task kind 'multi' (expected binary, multiclass, multilabel, regression)")) {
            try DatasetSpec.parse(toml: "[[input]]\ncolumn = \"text\"\n[[task]]\nname = \"y\"\nkind = \"multi\"\n", file: "s.toml")
        }
    }

    @Test func emptyIsForMultiLabelTasksAndNamesItsValues() {
        let head = "[[input]]\ncolumn = \"text\"\n[[task]]\nname = \"y\"\n"
        #expect(throws: DataError(file: "s.toml", line: 6, key: "empty", "applies to multilabel tasks only")) {
            try DatasetSpec.parse(toml: head + "kind = \"binary\"\nempty = \"missing\"\n", file: "s.toml")
        }
        #expect(throws: DataError(file: "s.toml", line: 6, key: "empty", "expected \"no_labels\" or \"missing\", got 'none'")) {
            try DatasetSpec.parse(toml: head + "kind = \"multilabel\"\nempty = \"none\"\n", file: "s.toml")
        }
    }

    /// spec.toml's weight has the range of every other place a loss weight is set (LossWeight).
    @Test func aTaskWeightPastTheRangeIsAnError() {
        let head = "[[input]]\ncolumn = \"text\"\n[[task]]\nname = \"y\"\nkind = \"binary\"\n"
        #expect(throws: DataError(file: "s.toml", line: 6, key: "weight", "must be a number from 0 to 1000, got 1e+300")) {
            try DatasetSpec.parse(toml: head + "weight = 1e300\n", file: "s.toml")
        }
        #expect(throws: Never.self) { try DatasetSpec.parse(toml: head + "weight = 1000\n", file: "s.toml") }
    }

    @Test func specNamingAnUnknownColumnIsCaught() throws {
        let spec = try DatasetSpec.parse(toml: "[[input]]\ncolumn = \"text\"\n[[task]]\nname = \"label\"\nkind = \"binary\"\n", file: "s.toml")
        #expect(throws: DataError(file: "s.toml", line: 4, key: "column", "unknown column 'label' (columns: text, y)")) {
            try spec.check(against: table("text,y\nhello there,1\n"), specFile: "s.toml")
        }
    }

    @Test func inferenceOnTextData() throws {
        var csv = "id,text,domain,sentiment,stars,tags\n"
        let domains = ["news", "film", "tweet"]
        for i in 0..<60 {
            csv += "r\(i),this is some longer free text number \(i),\(domains[i % 3]),\(i % 2 == 0 ? "yes" : "no"),\(Double(i) / 7),\(i % 2 == 0 ? "a|b" : "b")\n"
        }
        let spec = try SpecInference.infer(table(csv))
        #expect(spec.idColumn == "id")
        #expect(spec.inputs == [InputSpec(kind: .text, column: "text")])
        #expect(spec.tasks.map(\.name) == ["domain", "sentiment", "stars", "tags"])
        #expect(spec.tasks.map(\.kind) == [.multiclass, .binary, .regression, .multilabel])
    }

    @Test func inferenceOnTabularDataMakesNumbersFeatures() throws {
        var csv = "species,island,mass,year\n"
        for i in 0..<40 { csv += "\(["A", "B", "C"][i % 3]),\(["x", "y"][i % 2]),\(3000 + i * 17),\(2007 + i % 3)\n" }
        let spec = try SpecInference.infer(table(csv), tasks: [("species", nil)])
        #expect(spec.tasks.map(\.name) == ["species"])
        #expect(spec.inputs.map(\.column) == ["island", "mass", "year"])
        #expect(spec.inputs.map(\.kind) == [.categorical, .numeric, .numeric])
    }

    /// Whole numbers that all differ look like an identifier and are left out, and the guess says
    /// so; named with --input they are a quantity, not one category per row.
    @Test func aDistinctIntegerColumnIsLeftOutUnlessNamedAndThenNumeric() throws {
        var csv = "sqft,price,kind\n"
        for i in 0..<80 { csv += "\(500 + 17 * i),\(150 + 5 * i),\(["a", "b"][i % 2])\n" }
        let t = table(csv)
        let guessed = try SpecInference.infer(t, tasks: [("price", .regression)])
        #expect(guessed.inputs.map(\.column) == ["kind"])
        #expect(SpecInference.unusedColumns(t, spec: guessed) == ["sqft (an identifier)"])
        let named = try SpecInference.infer(t, inputs: ["sqft"], tasks: [("price", .regression)])
        #expect(named.inputs == [InputSpec(kind: .numeric, column: "sqft")])
        #expect(SpecInference.unusedColumns(t, spec: named) == ["kind (a binary label)"])
    }

    /// Hexadecimal is text, as pandas reads it, not the number Swift's parser makes of it.
    @Test func hexadecimalIsNotANumber() {
        #expect(DataEncoder.decimal("0x10") == nil && DataEncoder.decimal("-0X1p3") == nil)
        #expect(DataEncoder.decimal("-1.5e3") == -1500 && DataEncoder.decimal("10") == 10)
        var csv = "code,label\n"
        for i in 0..<40 { csv += "0x\(i % 4),\(["a", "b"][i % 2])\n" }
        #expect(ColumnProfile(table(csv).columns[0]).isNumeric == false)
    }

    /// A column of numbers with R's NA or pandas's NaN among them is still numbers (the markers
    /// are gaps); in a column of labels NA stays a label.
    @Test func inferenceReadsMissingMarkersAmongNumbersAsGaps() throws {
        var csv = "species,grade,mass,year\n"
        for i in 0..<40 {
            let mass = i % 7 == 3 ? (i % 2 == 0 ? "NA" : "NaN") : "\(3000 + i * 17)"
            csv += "\(["A", "B", "C"][i % 3]),\(["x", "y", "NA"][i % 3]),\(mass),\(2007 + i % 3)\n"
        }
        let spec = try SpecInference.infer(table(csv), tasks: [("species", nil)])
        #expect(spec.inputs.map(\.column) == ["grade", "mass", "year"])
        #expect(spec.inputs.map(\.kind) == [.categorical, .numeric, .numeric])
        let asTasks = try SpecInference.infer(table(csv), tasks: [("mass", nil), ("grade", nil)])
        #expect(asTasks.tasks.map(\.kind) == [.regression, .multiclass])
    }

    @Test func inferenceFindsPixelColumns() throws {
        var csv = "digit," + (0..<16).map { "p\($0)" }.joined(separator: ",") + "\n"
        for i in 0..<30 { csv += "\(i % 10)," + (0..<16).map { String(($0 + i) % 17) }.joined(separator: ",") + "\n" }
        let spec = try SpecInference.infer(table(csv))
        #expect(spec.inputs == [InputSpec(kind: .image, column: "p", imageEncoding: "columns")])
        #expect(spec.tasks.map(\.name) == ["digit"])
    }

    @Test func unknownFlagColumnIsAnError() {
        #expect(throws: DataError(file: "t.csv", key: "nope", "no such column (columns: a, b)")) {
            try SpecInference.infer(table("a,b\n1,2\n"), tasks: [("nope", nil)])
        }
    }
}
