import Foundation
import Testing

/// `--loss` and `--ohem` from the command line: a run trains with them, saves them in its
/// checkpoint, and a bad value is a one-line error naming the flag.
@Suite struct FocalOHEMCLITests {
    static let penguins = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../sample-data/penguins/penguins.csv").standardizedFileURL.path

    @Test func badValuesNameTheFlag() throws {
        let s = Scratch()
        let regression = s.write("scores.csv", "text,score\n" + (0..<40).map { "word\($0 % 5) text,\(Double($0) / 3)" }.joined(separator: "\n") + "\n")
        let cases: [([String], String, String)] = [
            ([Self.penguins, "--loss", "species=focal:-1"], "--loss", "γ must be ≥ 0, got -1"),
            ([Self.penguins, "--loss", "beak=focal"], "--loss", "no task named 'beak' (tasks: species, island, sex)"),
            ([Self.penguins, "--loss", "sex=focal:2:7"], "--loss", "α must be a number in [0, 1] or none"),
            ([Self.penguins, "--loss", "sex=hinge"], "--loss", "expected focal[:GAMMA[:ALPHA]] or ce"),
            ([regression, "--input", "text", "--task", "score:regression", "--loss", "score=focal"], "--loss",
             "focal loss needs a binary, multiclass or multilabel task"),
            ([Self.penguins, "--ohem", "0"], "--ohem", "FRACTION in (0, 1], got '0'"),
            ([Self.penguins, "--ohem", "sex=1.5"], "--ohem", "got 'sex=1.5'"),
            ([Self.penguins, "--ohem", "-0.2"], "--ohem", "got '-0.2'"),
            ([Self.penguins, "--ohem", "beak=0.5"], "--ohem", "no task named 'beak'"),
        ]
        for (arguments, flag, text) in cases {
            let result = try CLI.run(["train"] + arguments + ["--epochs", "1"])
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("mtl-tui: error: \(flag): ") && result.stderr.contains(text),
                    "\(arguments): \(result.stderr)")
        }
    }

    /// A run with focal loss and OHEM trains, and its checkpoint keeps both.
    @Test func trainsAndSavesTheShapes() throws {
        let s = Scratch()
        let run = s.path + "/run"
        let result = try CLI.run(["train", Self.penguins, "--epochs", "2", "--loss", "species=focal:2", "--ohem", "sex=0.5",
                                  "--save", run, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let done = try #require(result.stdout.split(separator: "\n").last { $0.contains("\"event\":\"done\"") })
        #expect(!done.contains("nan"), "\(done)")
        let start = try #require(result.stdout.split(separator: "\n").first { $0.contains("\"event\":\"start\"") })
        #expect(start.contains("\"loss\":\"focal:2\"") && start.contains("\"loss\":\"ohem 0.5\""), "\(start)")
        let model = try String(contentsOfFile: run + "/model.json", encoding: .utf8)
        #expect(model.contains("\"lossShapes\""), "\(model.prefix(300))")
        #expect(model.contains("\"gamma\""))
        #expect(model.contains("\"ohem\""))
    }
}
