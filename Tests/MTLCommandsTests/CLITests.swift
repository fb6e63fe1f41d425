import Foundation
import Testing

/// Runs the built `mtl-tui` binary as a user would and checks what it prints and returns.
struct CLI {
    static let binary: String = {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return directory.appendingPathComponent("mtl-tui").path
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    /// Runs the binary (or `executable`, such as a shell that starts it) with `arguments`.
    static func run(_ arguments: [String], in directory: String? = nil, executable: String = binary) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A scratch directory with files written from strings or bytes.
final class Scratch {
    let path = NSTemporaryDirectory() + "mtl-tui-cli-\(UUID().uuidString)"

    init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String { write(name, bytes: Array(text.utf8)) }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) -> String {
        let file = (path as NSString).appendingPathComponent(name)
        try? FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        return file
    }
}

/// A small learnable dataset: the label follows the words, the score follows the label.
func reviewsCSV(rows: Int = 120) -> String {
    var csv = "id,text,label,score\n"
    let good = ["great", "lovely", "superb", "fine"], bad = ["awful", "dull", "poor", "bad"]
    for i in 0..<rows {
        let positive = i % 2 == 0
        let word = (positive ? good : bad)[i % 4]
        csv += "r\(i),\"the film was \(word), really \(word) \(i % 7)\",\(positive ? "pos" : "neg"),\(positive ? 1.5 : -1.5)\n"
    }
    return csv
}

@Suite(.serialized) struct BadInputTests {
    /// Exit status 1 and exactly one line on stderr that starts with the expected place.
    func expectOneLineError(_ arguments: [String], startsWith place: String, contains text: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 1, "status", sourceLocation: sourceLocation)
        #expect(result.stderrLines.count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        let line = result.stderrLines.first ?? ""
        #expect(line.hasPrefix("mtl-tui: error: \(place)"), "\(line)", sourceLocation: sourceLocation)
        #expect(line.contains(text), "\(line)", sourceLocation: sourceLocation)
    }

    @Test func missingFilesAndDirectories() throws {
        let s = Scratch()
        try expectOneLineError(["train", s.path + "/nope.csv"], startsWith: s.path + "/nope.csv", contains: "no such file or directory")
        s.write("empty-dir/readme.txt", "nothing here")
        try expectOneLineError(["train", s.path + "/empty-dir"], startsWith: s.path + "/empty-dir", contains: "holds no data file")
    }

    @Test func malformedFiles() throws {
        let s = Scratch()
        let cases: [(String, [UInt8], String, String)] = [
            ("empty.csv", [], "empty.csv", "empty file"),
            ("header.csv", Array("a,b\n".utf8), "header.csv:1", "no data rows"),
            ("ragged.csv", Array("a,b\n1,2\n3\n".utf8), "ragged.csv:3", "expected 2 fields"),
            ("quote.csv", Array("a,b\n1,\"open\n".utf8), "quote.csv:2:3", "unterminated quoted field"),
            ("utf8.csv", Array("a,b\n1,".utf8) + [0xC3, 0x28] + Array("\n".utf8), "utf8.csv:2:3", "invalid UTF-8"),
            ("nul.csv", Array("a,b\n1,x".utf8) + [0] + Array("\n".utf8), "nul.csv:2:4", "NUL byte"),
            ("bad.jsonl", Array("{\"a\": 1}\n{\"a\": }\n".utf8), "bad.jsonl:2:7", "expected a value"),
        ]
        for (name, bytes, place, text) in cases {
            let file = s.write(name, bytes: bytes)
            try expectOneLineError(["train", file], startsWith: (s.path as NSString).appendingPathComponent(place), contains: text)
        }
    }

    @Test func badValuesAndSpecs() throws {
        let s = Scratch()
        let regression = s.write("reg.csv", "text,y\nsome words here,1.5\nmore words here,abc\nyet more words,2\n")
        try expectOneLineError(["train", regression, "--task", "y:regression"], startsWith: regression + ":3", contains: "'abc' is not a number")
        let huge = s.write("huge.csv", "text,y\nsome words here,1.5\nmore words here,1e400\nyet more words,2\n")
        try expectOneLineError(["train", huge, "--task", "y:regression"], startsWith: huge + ":3", contains: "not a finite number")
        let inf = s.write("inf.csv", "x,y\ninf,a\n2,b\n")
        try expectOneLineError(["train", inf, "--task", "y", "--input", "x"], startsWith: inf + ":2", contains: "not a finite number")
        let single = s.write("single.csv", "text,y\nsome words here,a\nmore words here,a\n")
        try expectOneLineError(["train", single, "--task", "y:multiclass"], startsWith: single, contains: "single class 'a'")
        let none = s.write("none.csv", "text,y\nsome words here,\nmore words here,\n")
        try expectOneLineError(["train", none, "--task", "y:multiclass"], startsWith: none, contains: "no values")
        s.write("spec-dir/data.csv", "text,y\nsome words,a\nother words,b\n")
        let spec = s.write("spec-dir/spec.toml", "[[input]]\ncolumn = \"text\"\n\n[[task]]\nname = \"label\"\nkind = \"binary\"\n")
        try expectOneLineError(["train", s.path + "/spec-dir"], startsWith: spec + ":5", contains: "unknown column 'label'")
        s.write("typo-dir/data.csv", "text,y\nsome words,a\nother words,b\n")
        let typo = s.write("typo-dir/spec.toml", "[[input]]\ncolumn = \"text\"\nkind = \"txt\"\n")
        try expectOneLineError(["train", s.path + "/typo-dir"], startsWith: typo + ":3", contains: "unknown input kind 'txt'")
    }

    @Test func imagesAndIDX() throws {
        let s = Scratch()
        s.write("img/data.csv", "px,y\n00ff80ff,a\n0000ff,b\n")
        s.write("img/spec.toml", "[[input]]\ncolumn = \"px\"\nkind = \"image\"\nencoding = \"hex\"\nwidth = 2\nheight = 2\n[[task]]\nname = \"y\"\nkind = \"binary\"\n")
        try expectOneLineError(["train", s.path + "/img"], startsWith: s.path + "/img/data.csv:3", contains: "image has 3 pixels, expected 2×2")
        s.write("idx/train-images-idx3-ubyte", bytes: [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3])
        s.write("idx/train-labels-idx1-ubyte", bytes: [0, 0, 8, 1, 0, 0, 0, 2, 0, 1])
        try expectOneLineError(["train", s.path + "/idx"], startsWith: s.path + "/idx/train-images-idx3-ubyte", contains: "truncated IDX file")
    }

    @Test func badOptions() throws {
        let s = Scratch()
        let file = s.write("ok.csv", reviewsCSV())
        try expectOneLineError(["train", file, "--optimizer", "adagrad"], startsWith: "--optimizer", contains: "expected adam, adamw or sgd")
        try expectOneLineError(["train", file, "--freeze", "conv9"], startsWith: "--freeze", contains: "no layer named 'conv9'")
        try expectOneLineError(["train", file, "--loss-weight", "nope=2"], startsWith: "--loss-weight", contains: "no task named 'nope'")
        try expectOneLineError(["train", file, "--early-stop", "label.f1"], startsWith: "--early-stop", contains: "has no metric 'f1' (its metrics: loss, accuracy, macro_f1")
        try expectOneLineError(["train", file, "--split", "0.5,0.1,0.1"], startsWith: "--split", contains: "sum to 1")
        try expectOneLineError(["eval", s.path, file], startsWith: s.path, contains: "not a checkpoint directory")
    }

    @Test func badWordVectors() throws {
        let s = Scratch()
        let file = s.write("ok.csv", reviewsCSV())
        let missing = s.path + "/none.txt"
        try expectOneLineError(["train", file, "--vectors", missing], startsWith: missing, contains: "no such file")
        let short = s.write("short.txt", "film 1 2 3\ngreat 1 2\n")
        try expectOneLineError(["train", file, "--vectors", short], startsWith: short + ":2", contains: "expected a word and 3 numbers, got 2")
        let vectors = s.write("v.txt", "film 1 2 3\ngreat 1 2 3\n")
        try expectOneLineError(["train", file, "--vectors", vectors, "--embedding", "8"], startsWith: "--embedding",
                               contains: "have 3 dimensions; the embedding width must match (got 8), or pass --vectors none")
        // A spec's vectors path is relative to the spec file.
        s.write("spec-dir/data.csv", reviewsCSV())
        s.write("spec-dir/spec.toml", "[[input]]\ncolumn = \"text\"\nvectors = \"w.txt\"\n[[task]]\nname = \"label\"\nkind = \"binary\"\n")
        try expectOneLineError(["train", s.path + "/spec-dir"], startsWith: s.path + "/spec-dir/w.txt", contains: "no such file")
        // `--vectors none` and the mlp trunk (no embedding) do without the file.
        for extra in [["--vectors", "none"], ["--trunk", "mlp"]] {
            let result = try CLI.run(["train", s.path + "/spec-dir", "--epochs", "1"] + extra)
            #expect(result.status == 0, "\(extra): \(result.stderr)")
        }
    }
}

@Suite(.serialized) struct HeadlessRunTests {
    func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func trainPrintsJSONEventsThenEvalAndPredictUseTheCheckpoint() throws {
        let s = Scratch()
        let data = s.write("reviews.csv", reviewsCSV())
        let run = s.path + "/run"
        let train = try CLI.run(["train", data, "--epochs", "8", "--early-stop", "off", "--json", "--save", run, "--batch-size", "16", "--seed", "3"])
        #expect(train.status == 0, "\(train.stderr)")
        let events = jsonLines(train.stdout)
        #expect(events.count == train.stdout.split(separator: "\n").count)
        #expect(events.first?["event"] as? String == "start")
        #expect(events.last?["event"] as? String == "done")
        let kinds = Set(events.compactMap { $0["event"] as? String })
        #expect(kinds.isSuperset(of: ["start", "step", "epoch", "done"]))
        // Epoch 0 is the wide path's linear fit (the default), then the 8 epochs trained.
        let epochs = events.filter { $0["event"] as? String == "epoch" }
        #expect(epochs.map { $0["epoch"] as? Int } == Array(0...8))
        let done = events.last!
        let test = (done["metrics"] as? [String: Any])?["test"] as? [String: Any]
        let label = test?["label"] as? [String: Any]
        #expect(label?["accuracy"] as? Double ?? 0 > 0.9)
        let labelKeys = Set(label.map { Array($0.keys) } ?? [])
        #expect(labelKeys.isSuperset(of: ["loss", "accuracy", "macro_f1", "precision", "recall", "auc"]))
        let score = test?["score"] as? [String: Any]
        let scoreKeys = Set(score.map { Array($0.keys) } ?? [])
        #expect(scoreKeys.isSuperset(of: ["loss", "mae", "rmse", "r2"]))

        let eval = try CLI.run(["eval", run, data, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let metrics = jsonLines(eval.stdout).first?["metrics"] as? [String: Any]
        #expect(((metrics?["label"] as? [String: Any])?["accuracy"] as? Double ?? 0) > 0.9)

        let unlabelled = s.write("new.csv", "id,text\nn1,\"the film was great, really great\"\nn2,the film was awful\n")
        let predict = try CLI.run(["predict", run, unlabelled])
        #expect(predict.status == 0, "\(predict.stderr)")
        let lines = predict.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "id,label,label_probability,score")
        #expect(lines.count == 3)
        #expect(lines[1].hasPrefix("n1,pos,"))
        #expect(lines[2].hasPrefix("n2,neg,"))

        let withProbabilities = try CLI.run(["predict", run, unlabelled, "--probabilities"])
        #expect(withProbabilities.status == 0, "\(withProbabilities.stderr)")
        let rows = withProbabilities.stdout.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(rows.first == ["id", "label", "label_probability", "label.neg", "label.pos", "score"])
        for row in rows.dropFirst() {
            let (chosen, neg, pos) = (Double(row[2]) ?? -1, Double(row[3]) ?? -1, Double(row[4]) ?? -1)
            #expect(abs(neg + pos - 1) < 2e-4 && chosen == max(neg, pos), "\(row)")
        }
    }

    /// `train --json | viewer`: the viewer quitting early closes the pipe; the run goes on and saves.
    @Test func aClosedOutputPipeDoesNotEndTheRun() throws {
        let s = Scratch()
        let data = s.write("reviews.csv", reviewsCSV())
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "'\(CLI.binary)' train '\(data)' --json --epochs 6 --early-stop off --save '\(s.path)/run' | head -1 >/dev/null"]
        // The saved run's history tells whether train lived to the end: epoch 0 (the linear fit) and 6 more.
        try shell.run()
        shell.waitUntilExit()
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.path + "/run/model.json"))) as? [String: Any]
        #expect((info?["history"] as? [Any])?.count == 7)
    }

    @Test func outputFlagsNeverOverwriteTheData() throws {
        let s = Scratch()
        let data = s.write("d/reviews.csv", reviewsCSV())
        s.write("d/spec.toml", "[[input]]\ncolumn = \"text\"\n[[task]]\nname = \"label\"\nkind = \"binary\"\n")
        let before = try String(contentsOfFile: data, encoding: .utf8)
        for (command, flag, target) in [("train", "--events", data), ("cv", "--oof", data), ("train", "--events", s.path + "/d/spec.toml")] {
            let result = try CLI.run([command, s.path + "/d", "--epochs", "1", flag, target] + (command == "cv" ? ["--folds", "2"] : []))
            #expect(result.status == 1 && result.stderrLines.last?.hasPrefix("mtl-tui: error: \(flag): '\(target)' is the run's input") == true, "\(result.stderr)")
        }
        #expect(try String(contentsOfFile: data, encoding: .utf8) == before)
        #expect(!FileManager.default.fileExists(atPath: data + ".commands"))
    }

    @Test func resumeFromTheCommandLineContinues() throws {
        let s = Scratch()
        let data = s.write("reviews.csv", reviewsCSV())
        let first = try CLI.run(["train", data, "--epochs", "2", "--json", "--save", s.path + "/run"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try CLI.run(["train", data, "--epochs", "4", "--json", "--resume", s.path + "/run"])
        #expect(second.status == 0, "\(second.stderr)")
        let epochs = jsonLines(second.stdout).filter { $0["event"] as? String == "epoch" }.compactMap { $0["epoch"] as? Int }
        #expect(epochs == [3, 4])
        // Without --epochs a resumed run keeps its own count (2): nothing is left to train.
        let third = try CLI.run(["train", data, "--json", "--resume", s.path + "/run"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(!jsonLines(third.stdout).contains { $0["event"] as? String == "epoch" })
        #expect(third.stderrLines.contains("mtl-tui: note: the saved run has trained its 2 epochs, so nothing is left to train; pass --epochs N above 2 to train on"), "\(third.stderr)")
        #expect(!second.stderr.contains("nothing is left to train"), "\(second.stderr)")
        // Said, not silent: flags the saved settings override, and that nothing is saved without --save.
        #expect(second.stderrLines.contains("mtl-tui: note: the continued run is not saved; add --save \(s.path)/run to update the checkpoint, or --save DIR to keep both"), "\(second.stderr)")
        let flagged = try CLI.run(["train", data, "--json", "--resume", s.path + "/run", "--lr", "0.1", "--trunk", "gru", "--task", "label", "--save", s.path + "/run"])
        #expect(flagged.status == 0, "\(flagged.stderr)")
        #expect(flagged.stderrLines == ["mtl-tui: note: --resume continues with the saved run's settings; ignored: --trunk, --lr, --task (only --epochs changes them; steer the rest in the workbench or with --commands)",
                                        "mtl-tui: note: the saved run has trained its 2 epochs, so nothing is left to train; pass --epochs N above 2 to train on"], "\(flagged.stderr)")
        // Other data: named with the column it lacks and the run that reads it.
        let other = s.write("other.csv", "words,label\ngood,pos\nbad,neg\n")
        let wrong = try CLI.run(["train", other, "--resume", s.path + "/run"])
        #expect(wrong.status == 1 && wrong.stderrLines.count == 1
                && wrong.stderr.contains("\(other): column 'text': missing, and the run saved in \(s.path)/run reads it"), "\(wrong.stderr)")
        // Without DATA a resumed run would read the bundled sample: it must name its data.
        let noData = try CLI.run(["train", "--resume", s.path + "/run"])
        #expect(noData.status == 1 && noData.stderrLines == ["mtl-tui: error: --resume: name the data the saved run trained on: mtl-tui train DATA --resume \(s.path)/run"], "\(noData.stderr)")
    }

    @Test func wordVectorsStartTheEmbedding() throws {
        let s = Scratch()
        s.write("data/reviews.csv", reviewsCSV())
        s.write("data/spec.toml", "[[input]]\ncolumn = \"text\"\nvectors = \"vectors.txt\"\n[[task]]\nname = \"label\"\nkind = \"binary\"\n")
        s.write("data/vectors.txt", "great 0.5 0.1 0.2 0.3\ndull -0.5 0.2 0.1 0.3\nfilm 0.1 0.1 0.1 0.1\nunused 1 1 1 1\n")
        let result = try CLI.run(["train", s.path + "/data", "--epochs", "1", "--json", "--save", s.path + "/run"])
        #expect(result.status == 0, "\(result.stderr)")
        let start = try #require(jsonLines(result.stdout).first)
        #expect((start["model"] as? String)?.contains("embedding 18×4 from vectors.txt (3 words)") == true, "\(start)")
        // The checkpoint carries the trained embedding: eval needs no vectors file.
        try FileManager.default.removeItem(atPath: s.path + "/data/vectors.txt")
        let eval = try CLI.run(["eval", s.path + "/run", s.path + "/data/reviews.csv"])
        #expect(eval.status == 0, "\(eval.stderr)")
    }

    @Test func inferredSpecIsPrintedAsTOML() throws {
        let s = Scratch()
        let data = s.write("reviews.csv", reviewsCSV())
        let result = try CLI.run(["train", data, "--epochs", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("spec: inferred from the data"))
        #expect(result.stdout.contains("[[task]]\n  name = \"label\"\n  kind = \"binary\""))
        #expect(result.stdout.contains("test ("))
    }
}
