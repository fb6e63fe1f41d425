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
        ]
        for (flags, message) in cases {
            let result = try CLI.run(["train", penguins, "--epochs", "1"] + flags)
            #expect(result.status == 1 && result.stderrLines == ["mtl-tui: error: \(message)"], "\(flags): \(result.stderr)")
        }
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
