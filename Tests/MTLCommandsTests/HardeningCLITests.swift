import Foundation
import Testing

/// Bad flag values and settings: one line naming the flag, exit 1, before any training.
@Suite(.serialized) struct HardeningCLITests {
    let checks = BadInputTests()
    let penguins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sample-data/penguins").path

    @Test func negativeNumbersReachTheRangeChecks() throws {
        let s = Scratch()
        let file = s.write("ok.csv", reviewsCSV())
        let cases: [([String], String, String)] = [
            (["--epochs", "-1"], "--epochs", "expected a whole number from 1 to 1000000, got -1"),
            (["--epochs", "9223372036854775807"], "--epochs", "got 9223372036854775807"),
            (["--lr", "-0.1"], "--lr", "expected a number > 0, got -0.1"),
            (["--loss-weight", "label=-1"], "--loss-weight", "weight of 'label' must be a number from 0 to 1000, got -1.0"),
            (["--loss-weight", "label=1e300"], "--loss-weight", "weight of 'label' must be a number from 0 to 1000, got 1e+300"),
            (["--batch-size", "-5"], "--batch-size", "expected a whole number ≥ 1, got -5"),
            (["--weight-decay", "-1"], "--weight-decay", "expected a number ≥ 0, got -1.0"),
            (["--filters", "-3"], "--filters", "expected a whole number ≥ 1, got -3"),
            (["--split", "-0.1,0.6,0.5"], "--split", "fractions must be finite numbers ≥ 0, got -0.1"),
            (["--max-length", "-1"], "--max-length", "expected a whole number ≥ 1, got -1"),
            (["--threads", "-2"], "--threads", "expected a whole number ≥ 1, got -2"),
        ]
        for (flags, flag, message) in cases {
            try checks.expectOneLineError(["train", file] + flags, startsWith: flag, contains: message)
        }
        // What the argument parser itself refuses is one line and exit 1 too.
        try checks.expectOneLineError(["train", file, "--seed", "-1"], startsWith: "The value '-1' is invalid for '--seed <seed>'", contains: "see --help")
        try checks.expectOneLineError(["train", file, "--epochs"], startsWith: "Missing value for '--epochs <epochs>'", contains: "see --help")
    }

    @Test func sizesBeyondMemoryAreRefusedBeforeAllocating() throws {
        let s = Scratch()
        let file = s.write("ok.csv", reviewsCSV())
        try checks.expectOneLineError(["train", file, "--trunk", "mlp", "--hidden", "1000000,1000000"], startsWith: "--hidden",
                                      contains: "parameters fit")
        try checks.expectOneLineError(["train", file, "--embedding", "100000000000"], startsWith: "--embedding",
                                      contains: "more than this machine's")
        try checks.expectOneLineError(["train", file, "--kernel", "1000000000"], startsWith: "--kernel",
                                      contains: "even one row's working memory does not fit")
        try checks.expectOneLineError(["open", file, "--dump-screen", "100000x100000"], startsWith: "--dump-screen",
                                      contains: "each side may be at most 10000")
        try checks.expectOneLineError(["open", file, "--dump-screen", "80x0"], startsWith: "--dump-screen", contains: "expected WIDTHxHEIGHT")
    }

    @Test func aBatchLargerThanTheTrainingRowsIsCappedAndSaid() throws {
        let s = Scratch()
        let file = s.write("ok.csv", reviewsCSV(rows: 40))
        let result = try CLI.run(["train", file, "--epochs", "1", "--batch-size", "10000000"])
        #expect(result.status == 0, "\(result.stderr)")
        let note = try #require(result.stderrLines.first { $0.hasPrefix("mtl-tui: note: --batch-size 10000000 is more than the ") })
        let rows = note.split(separator: " ")[8]
        #expect(note.hasSuffix("\(rows) training rows; using \(rows)"), "\(note)")
        #expect(result.stdout.contains("epoch 1/1"))
    }

    @Test func earlyStopNamesTheMetricsTheTaskHas() throws {
        let s = Scratch()
        let file = s.write("ok.csv", reviewsCSV())
        try checks.expectOneLineError(["train", file, "--early-stop", "label.mae:1"], startsWith: "--early-stop",
                                      contains: "task 'label' (binary) has no metric 'mae' (its metrics: loss, accuracy, macro_f1, precision, recall, auc, ap)")
    }

    @Test func splitNamesAnyColumnEvenOneThatReadsAsANumberOrHoldsAComma() throws {
        let s = Scratch()
        let rows = reviewsCSV(rows: 60).split(separator: "\n").enumerated().map { i, line in
            i == 0 ? "\(line),\"a,b\",1" : "\(line),\(["train", "train", "train", "val", "test"][i % 5]),\(["test", "val", "train", "train", "train"][i % 5])"
        }
        let file = s.write("named.csv", rows.joined(separator: "\n") + "\n")
        for column in ["a,b", "1"] {
            let result = try CLI.run(["train", file, "--epochs", "1", "--split", column])
            #expect(result.status == 0, "\(column): \(result.stderr)")
            #expect(result.stdout.contains("test (12 rows)"), "\(column): \(result.stdout)")
            // The split column is neither an input nor a task of the inferred spec.
            #expect(result.stdout.contains("split_column = \"\(column)\""), "\(column): \(result.stdout)")
            #expect(!result.stdout.contains("  name = \"\(column)\""), "\(column): \(result.stdout)")
            #expect(!result.stdout.contains("\n  column = \"\(column)\""), "\(column): \(result.stdout)")
        }
        try checks.expectOneLineError(["train", file, "--split", "0.8,0.2"], startsWith: "--split",
                                      contains: "expected three fractions like 0.8,0.1,0.1 (or a column name), got 2 in '0.8,0.2'")
        try checks.expectOneLineError(["train", file, "--split", "part"], startsWith: "--split",
                                      contains: "no column named 'part' (columns: id, text, label, score, a,b, 1)")
        try checks.expectOneLineError(["train", file, "--split", "1", "--task", "1"], startsWith: "--split",
                                      contains: "'1' is the split column, so it cannot be an input or a task too")
        // Fractions given on the command line win over a split column the file has.
        let withSplit = s.write("split.csv", rows.joined(separator: "\n").replacingOccurrences(of: "\"a,b\"", with: "split") + "\n")
        let inferred = try CLI.run(["train", withSplit, "--epochs", "1"])
        #expect(inferred.status == 0 && inferred.stdout.contains("split_column = \"split\""), "\(inferred.stderr)\(inferred.stdout)")
        let fractions = try CLI.run(["train", withSplit, "--epochs", "1", "--split", "0.5,0.25,0.25"])
        #expect(fractions.status == 0 && !fractions.stdout.contains("split_column") && !fractions.stdout.contains("test (12 rows)"),   // not the column's 12
                "\(fractions.stderr)\(fractions.stdout)")
    }

    @Test func splitsWithoutTrainingOrValidationRows() throws {
        let s = Scratch()
        let file = s.write("ok.csv", reviewsCSV(rows: 40))
        try checks.expectOneLineError(["train", file, "--split", "0,0,1"], startsWith: "--split", contains: "there would be no training rows")
        let text = try CLI.run(["train", file, "--epochs", "1", "--split", "1,0,0"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stderr.contains("warning: there is no validation set"), "\(text.stderr)")
        #expect(text.stdout.contains("val total loss —"), "\(text.stdout)")
        #expect(!text.stdout.contains("0.0000"), "\(text.stdout)")
        let json = try CLI.run(["train", file, "--epochs", "1", "--split", "1,0,0", "--json"])
        let epoch = json.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.first { $0["event"] as? String == "epoch" }
        #expect(epoch?["total_val_loss"] is NSNull)
        #expect((epoch?["metrics"] as? [String: Any])?["val"] == nil)
    }

    @Test func aColumnCannotBeBothInputAndTask() throws {
        let s = Scratch()
        let file = s.write("ok.csv", reviewsCSV())
        try checks.expectOneLineError(["train", file, "--input", "label", "--task", "label"], startsWith: "--input",
                                      contains: "column 'label' is both an input and the column of task 'label'")
        // A spec.toml's task named as an input by the flag.
        try checks.expectOneLineError(["train", penguins, "--input", "species"], startsWith: "--input",
                                      contains: "column 'species' is both an input and the column of task 'species'; a column cannot be both input and task")
        // A task or input named twice (it crashed the model's layer table).
        for command in ["train", "cv", "sweep", "suspects"] {
            try checks.expectOneLineError([command, penguins, "--task", "species", "--task", "species"], startsWith: "--task",
                                          contains: "'species' is named twice")
        }
        try checks.expectOneLineError(["train", file, "--input", "text", "--input", "text"], startsWith: "--input", contains: "'text' is named twice")
        s.write("both-dir/data.csv", reviewsCSV())
        let both = s.write("both-dir/spec.toml", "[[input]]\ncolumn = \"label\"\nkind = \"categorical\"\n[[task]]\nname = \"label\"\nkind = \"binary\"\n")
        try checks.expectOneLineError(["train", s.path + "/both-dir"], startsWith: both + ":5: column", contains: "both an input and")
    }

    @Test func saveToARegularFileIsRefusedBeforeTraining() throws {
        let s = Scratch()
        let file = s.write("ok.csv", reviewsCSV())
        let taken = s.write("taken", "not a directory")
        try checks.expectOneLineError(["train", file, "--save", taken], startsWith: "--save", contains: "is a file; expected a directory")
        try checks.expectOneLineError(["train", file, "--save", taken + "/run"], startsWith: "--save", contains: "is a file, not a directory")
    }

    /// A task with no label among the training rows is refused; one whose training rows all
    /// have one class trains with a warning.
    @Test func aTaskWithoutTrainingLabelsOrWithOneTrainingClass() throws {
        let s = Scratch()
        var csv = "text,sent,topic,flag,part\n"
        for i in 0..<60 {
            let part = i < 40 ? "train" : i < 50 ? "val" : "test"
            let topic = part == "train" ? "" : ["x", "y"][i % 2]
            let flag = part == "train" ? "yes" : ["yes", "no"][i % 2]
            csv += "word\(i % 7) thing\(i % 3),\(["pos", "neg"][i % 2]),\(topic),\(flag),\(part)\n"
        }
        s.write("d/data.csv", csv)
        let spec = "split_column = \"part\"\n[[input]]\ncolumn = \"text\"\nkind = \"text\"\n"
            + "[[task]]\nname = \"sent\"\nkind = \"binary\"\n[[task]]\nname = \"topic\"\nkind = \"binary\"\n"
        s.write("d/spec.toml", spec)
        try checks.expectOneLineError(["train", s.path + "/d", "--epochs", "1"], startsWith: s.path + "/d/data.csv",
                                      contains: "column 'topic': task has no labels in the training rows")
        s.write("d/spec.toml", spec.replacingOccurrences(of: "name = \"topic\"", with: "name = \"flag\""))
        let result = try CLI.run(["train", s.path + "/d", "--epochs", "1", "--trunk", "bag"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderrLines.contains("mtl-tui: warning: every training row of task 'flag' has the class 'yes'; the model can only predict it (the other classes are in validation or test rows only)"),
                "\(result.stderr)")
    }

    /// A diverged run leaves the --save directory as it was, and a save that fails fails the command.
    @Test(.timeLimit(.minutes(2))) func aDivergedOrUnsavedRunSaysSoAndKeepsTheCheckpoint() throws {
        let s = Scratch()
        let run = s.path + "/good"
        try #require(try CLI.run(["train", penguins, "--epochs", "1", "--save", run]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors"))
        let diverged = try CLI.run(["train", penguins, "--epochs", "2", "--lr", "1e10", "--save", run])
        #expect(diverged.status == 1 && diverged.stderrLines.last?.hasSuffix("the diverged model was not saved to \(run)") == true,
                "\(diverged.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors")) == before)
        // An update that leaves the outputs overflowing on an epoch's last batch: the epoch's
        // evaluation says so, the run ends diverged, and the epoch before stays the saved one.
        let overflowed = try CLI.run(["train", penguins, "--optimizer", "sgd", "--batch-size", "256", "--lr", "1e9",
                                      "--epochs", "3", "--save", s.path + "/overflow"])
        #expect(overflowed.status == 1 && overflowed.stderr.contains("outputs on the validation rows are not finite after step 2"), "\(overflowed.stderr)")
        let saved = try String(contentsOfFile: s.path + "/overflow/model.json", encoding: .utf8)
        #expect(saved.contains("\"epoch\" : 1,") && !saved.contains("\"epoch\" : 2,"), "\(saved.prefix(400))")
        // Without validation rows, training rows show it: nothing is saved, exit 1.
        let blind = try CLI.run(["train", penguins, "--optimizer", "sgd", "--batch-size", "512", "--lr", "1e20", "--split", "0.9,0,0.1",
                                 "--epochs", "2", "--save", s.path + "/blind"])
        #expect(blind.status == 1 && blind.stderr.contains("outputs on the training rows are not finite after step 1"), "\(blind.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.path + "/blind/model.json"))
        let unsaved = try CLI.run(["train", penguins, "--epochs", "1", "--save", "/proc/mtl-tui-test-run"])
        #expect(unsaved.status == 1 && unsaved.stderrLines.last?.hasPrefix("mtl-tui: error: --save: could not save: /proc/mtl-tui-test-run") == true,
                "\(unsaved.stderr)")
    }

    @Test func anInputBlankInEveryRowAndAnIDXFileGivenDirectly() throws {
        let s = Scratch()
        let blank = s.write("blank/data.csv", "text,y\n ,a\n,b\n,a\n ,b\n")
        s.write("blank/spec.toml", "[[input]]\ncolumn = \"text\"\nkind = \"text\"\n[[task]]\nname = \"y\"\nkind = \"binary\"\n")
        try checks.expectOneLineError(["train", s.path + "/blank"], startsWith: blank + ": column 'text'", contains: "text input is blank in every training row")
        // Inferred, a blank column is left out, and the user is told.
        let unused = s.write("unused.csv", "text,x,y\n ,1,a\n,2,b\n,3,a\n,4,b\n,5,a\n,6,b\n")
        let inferred = try CLI.run(["train", unused, "--epochs", "1"])
        #expect(inferred.status == 0, "\(inferred.stderr)")
        #expect(inferred.stderrLines.first == "mtl-tui: note: \(unused): column 'text' is blank in every row and not used")
        let images = s.write("idx/train-images-idx3-ubyte", bytes: [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3])
        try checks.expectOneLineError(["train", images], startsWith: images, contains: "'train-labels-idx1-ubyte' beside them")
    }

    @Test func theDoneEventReportsTheKeptEpoch() throws {
        let result = try CLI.run(["train", penguins, "--epochs", "30", "--early-stop", "sex.accuracy:1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let events = result.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        let restored = events.compactMap { $0["message"] as? String }.first { $0.hasPrefix("restored the parameters of epoch ") }
        let kept = restored.flatMap { Int($0.dropFirst("restored the parameters of epoch ".count).prefix { $0.isNumber }) }
        let epochs = events.filter { $0["event"] as? String == "epoch" }
        let done = try #require(events.first { $0["event"] as? String == "done" })
        let keptEpoch = try #require(kept, "the run should stop early and restore an earlier epoch")
        #expect(keptEpoch < epochs.count)
        #expect(done["epoch"] as? Int == keptEpoch)
        let keptRecord = try #require(epochs.first { $0["epoch"] as? Int == keptEpoch })
        let expected = (keptRecord["metrics"] as? [String: Any])?["val"] as? NSDictionary
        let reported = (done["metrics"] as? [String: Any])?["val"] as? NSDictionary
        #expect(expected != nil && reported == expected)
    }

    /// `--wide-fit linear` fits the wide path: a model without one, or one `--from` trained, is refused.
    @Test func wideFitNeedsAWidePathAndAFreshStart() throws {
        let s = Scratch()
        let file = s.write("ok.csv", reviewsCSV())
        try checks.expectOneLineError(["train", file, "--trunk", "cnn", "--wide-fit", "linear"], startsWith: "--wide-fit",
                                      contains: "the cnn model has none (use --trunk cnn+wide)")
        try checks.expectOneLineError(["train", file, "--wide-fit", "yes"], startsWith: "--wide-fit", contains: "expected linear or off, got 'yes'")
    }

    /// With `--wide-fit linear`, epoch 0 is the fitted linear model: the JSON stream reports it
    /// (with the chosen C per task) before the deep epochs. The fitted wide path stays fixed
    /// (saved frozen) unless `--wide-lr` is given.
    @Test func theLinearFitIsEpochZeroAndStaysFixedWithoutAWideRate() throws {
        let s = Scratch()
        let file = s.write("ok.csv", reviewsCSV())
        for (extra, frozen) in [([String](), true), (["--wide-lr", "3"], false)] {
            let directory = s.path + "/run\(frozen)"
            let result = try CLI.run(["train", file, "--epochs", "1", "--json", "--wide-fit", "linear", "--save", directory] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            let events = result.stdout.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            }
            #expect(events.filter { $0["event"] as? String == "epoch" }.map { $0["epoch"] as? Int } == [0, 1])
            #expect(events.contains { ($0["message"] as? String)?.hasPrefix("wide fit: label C=") == true }, "\(result.stdout)")
            let json = try #require(FileManager.default.contents(atPath: directory + "/model.json"))
            let info = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            let training = try #require(info["training"] as? [String: Any])
            #expect(training["wideFit"] as? String == "linear")
            #expect(((training["frozen"] as? [String]) ?? []).contains("wide.label") == frozen, "\(training["frozen"] ?? "none")")
        }
    }
}
