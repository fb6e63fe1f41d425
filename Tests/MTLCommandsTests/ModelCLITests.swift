import Foundation
import Testing

/// The model parts through the binary: every trunk trains the samples it applies to, and bad
/// choices are one-line errors.
@Suite(.serialized) struct ModelCLITests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sample-data").path

    @Test func badModelChoicesAreOneLineErrors() throws {
        let penguins = Self.samples + "/penguins"
        let cases: [([String], String)] = [
            (["--trunk", "transformer"], "--trunk: expected cnn, mlp, bag or gru, optionally +wide (e.g. cnn+wide), got 'transformer'"),
            (["--trunk", "cnn+deep"], "--trunk: expected cnn, mlp, bag or gru, optionally +wide (e.g. cnn+wide), got 'cnn+deep'"),
            (["--trunk", "gru"], "--trunk: the gru trunk needs a text input; this data has none (use --trunk mlp or mlp+wide)"),
            (["--trunk", "bag"], "--trunk: the bag trunk needs a text input; this data has none (use --trunk mlp or mlp+wide)"),
            (["--sharing", "mmoe:0"], "--sharing: mmoe needs 2 to 64 experts, got 0"),
            (["--sharing", "soft"], "--sharing: expected hard or mmoe:E, got 'soft'"),
            // Options this model would ignore.
            (["--char-ngrams"], "--char-ngrams: character n-grams need a text input; this data has none"),
            (["--vectors", "v.txt"], "--vectors: word vectors need a text input; this data has none"),
            (["--embedding-dropout", "0.2"], "--embedding-dropout: is implemented for the cnn trunk only (it drops whole word vectors before the convolution); the mlp model does not use it"),
            (["--wide-lr", "5"], "--wide-lr: sets the wide path's rate; the mlp model has none (use --trunk mlp+wide)"),
        ]
        for (flags, message) in cases {
            let result = try CLI.run(["train", penguins, "--epochs", "1"] + flags)
            #expect(result.status == 1 && result.stderrLines == ["mtl-tui: error: \(message)"], "\(flags): \(result.stderr)")
        }
        let vader = Self.samples + "/vader-domains"
        let textCases: [([String], String)] = [
            (["--trunk", "cnn", "--char-ngrams"],
             "--char-ngrams: character n-grams feed the wide path and the bag; the cnn model has neither (use --trunk cnn+wide)"),
            (["--trunk", "mlp", "--vectors", "missing.txt"], "--vectors: word vectors start the cnn or gru trunk's embedding; the mlp model has none"),
            (["--trunk", "gru", "--embedding-dropout", "0.1"], "--embedding-dropout: is implemented for the cnn trunk only (it drops whole word vectors before the convolution); the gru model does not use it"),
        ]
        for (flags, message) in textCases {
            let result = try CLI.run(["train", vader, "--epochs", "1"] + flags)
            #expect(result.status == 1 && result.stderrLines == ["mtl-tui: error: \(message)"], "\(flags): \(result.stderr)")
        }
    }

    /// An n-gram minimum no n-gram reaches: the bag refuses to train on nothing, the wide path says it adds nothing.
    @Test func nGramsThatNoneReachAreAnErrorForTheBagAndANoteForWide() throws {
        let s = Scratch()
        var csv = "text,y\n"
        for i in 0..<40 { csv += "\(i % 2 == 0 ? "good" : "bad") film number \(i),\(i % 2 == 0 ? "pos" : "neg")\n" }
        s.write("d/d.csv", csv)
        s.write("d/spec.toml", "[[input]]\ncolumn = \"text\"\nkind = \"text\"\nngram_min_df = 1000\n[[task]]\nname = \"y\"\nkind = \"binary\"\n")
        let bag = try CLI.run(["train", s.path + "/d", "--epochs", "1", "--trunk", "bag"])
        #expect(bag.status == 1 && bag.stderrLines == ["mtl-tui: error: \(s.path)/d/d.csv: column 'text': no n-gram is in 1000 or more training rows, so the bag trunk would learn nothing; lower ngram_min_df"], "\(bag.stderr)")
        let wide = try CLI.run(["train", s.path + "/d", "--epochs", "1", "--trunk", "cnn+wide"])
        #expect(wide.status == 0, "\(wide.stderr)")
        #expect(wide.stderrLines.contains("mtl-tui: note: no n-gram is in 1000 or more training rows, so the wide path adds nothing (lower ngram_min_df in spec.toml)"), "\(wide.stderr)")
    }

    /// A small slice of the VADER sample trains with each text model, saves, and evaluates.
    @Test(arguments: ["cnn+wide", "bag", "gru", "mlp+wide", "cnn --sharing mmoe:2"])
    func eachTextModelTrainsSavesAndEvaluates(model: String) throws {
        let s = Scratch()
        let lines = try String(contentsOfFile: Self.samples + "/vader-domains/vader_domains.csv", encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        // Every 50th row: the file is ordered by domain.
        let rows = [lines[0]] + stride(from: 1, to: lines.count - 1, by: 50).map { lines[$0] }
        s.write("vader/vader_domains.csv", rows.joined(separator: "\n") + "\n")
        s.write("vader/spec.toml", try String(contentsOfFile: Self.samples + "/vader-domains/spec.toml", encoding: .utf8)
            .replacingOccurrences(of: "vectors = ", with: "# vectors = "))
        let words = model.split(separator: " ").map(String.init)
        let train = try CLI.run(["train", s.path + "/vader", "--epochs", "2", "--save", s.path + "/run", "--trunk"] + words)
        #expect(train.status == 0, "\(model): \(train.stderr)")
        let eval = try CLI.run(["eval", s.path + "/run", s.path + "/vader", "--json"])
        #expect(eval.status == 0 && eval.stdout.contains("macro_f1"), "\(model): \(eval.stderr)")
    }
}
