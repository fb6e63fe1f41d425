import Foundation
import Testing

/// `train --unlabeled FILE`: the start event counts its rows, bad input is one line naming the
/// file, and a resume takes the same file again to continue bit for bit.
@Suite struct UnlabeledCLITests {
    static let words = ["a": "apple", "b": "bread", "c": "cheese"]

    static func files(_ s: Scratch) -> (data: String, unlabeled: String) {
        let data = s.write("topics.csv", "text,topic\n" + (0..<60).map { i in
            let topic = ["a", "b", "c"][i % 3]
            return "\(words[topic]!) \(words[topic]!) item \(i),\(topic)"
        }.joined(separator: "\n") + "\n")
        let unlabeled = s.write("more.csv", "text\n" + (0..<40).map { "\(words[["a", "b", "c"][$0 % 3]]!) item" }.joined(separator: "\n") + "\n")
        return (data, unlabeled)
    }

    static func events(_ stdout: String, _ name: String) -> [[String: Any]] {
        stdout.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["event"] as? String == name ? object : nil
        }
    }

    @Test func theStartEventCountsTheRowsAndTheyArePseudoLabelled() throws {
        let s = Scratch()
        let (data, unlabeled) = Self.files(s)
        let common = ["train", data, "--epochs", "3", "--trunk", "mlp", "--early-stop", "off", "--lr", "0.05", "--json"]
        let plain = try CLI.run(common)
        let result = try CLI.run(common + ["--unlabeled", unlabeled, "--pseudo-label", "0.6:2"])
        #expect(result.status == 0 && plain.status == 0, "\(result.stderr)")
        let start = try #require(Self.events(result.stdout, "start").first)
        let plainStart = try #require(Self.events(plain.stdout, "start").first)
        #expect(start["unlabeled"] as? Int == 40 && plainStart["unlabeled"] == nil)
        let rows = try #require(start["rows"] as? [String: Int]), plainRows = try #require(plainStart["rows"] as? [String: Int])
        #expect(rows["train"] == plainRows["train"].map { $0 + 40 } && rows["val"] == plainRows["val"] && rows["test"] == plainRows["test"])
        let counts = Self.events(result.stdout, "epoch").map { ($0["pseudo_labels"] as? [String: Int])?["topic"] }
        #expect(counts.count == 3 && counts[0] == 0 && (counts[2] ?? 0) > 0 && (counts[2] ?? 0) <= 40, "\(counts)")
    }

    /// cv folds the data's rows only; every fold trains with the unlabeled rows as well.
    @Test func crossValidationFoldsTheDataAndAddsTheRowsToEachFold() throws {
        let s = Scratch()
        let (data, unlabeled) = Self.files(s)
        let result = try CLI.run(["cv", data, "--folds", "3", "--epochs", "3", "--trunk", "mlp", "--early-stop", "off",
                                  "--unlabeled", unlabeled, "--pseudo-label", "0.6:2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("· 60 rows ·") && result.stderr.contains("fold 3/3"), "\(result.stdout)")
    }

    @Test func badInputIsOneLineNamingTheFile() throws {
        let s = Scratch()
        let (data, unlabeled) = Self.files(s)
        func error(_ arguments: [String]) throws -> String {
            let result = try CLI.run(["train", data, "--epochs", "1"] + arguments)
            #expect(result.status == 1 && result.stderrLines.count == 1, "\(arguments): \(result.stderr)")
            return result.stderr
        }
        #expect(try error(["--unlabeled", unlabeled]).contains("--unlabeled: needs --pseudo-label"))
        let missing = s.path + "/none.csv"
        #expect(try error(["--unlabeled", missing, "--pseudo-label", "0.9"]) == "mtl-tui: error: \(missing): no such file\n")
        let noText = s.write("no-text.csv", "words,topic\napple,\n")
        #expect(try error(["--unlabeled", noText, "--pseudo-label", "0.9"]).hasPrefix("mtl-tui: error: \(noText): column 'text': missing"))
        let broken = s.write("broken.csv", "text\napple item\n\"bread item\n")
        #expect(try error(["--unlabeled", broken, "--pseudo-label", "0.9"]) == "mtl-tui: error: \(broken):3:1: unterminated quoted field\n")
    }

    @Test func aResumeNeedsTheSameFileAndContinuesBitForBit() throws {
        let s = Scratch()
        let (data, unlabeled) = Self.files(s)
        let common = ["train", data, "--trunk", "mlp", "--early-stop", "off", "--unlabeled", unlabeled, "--pseudo-label", "0.6:2"]
        #expect(try CLI.run(common + ["--epochs", "4", "--save", s.path + "/whole"]).status == 0)
        #expect(try CLI.run(common + ["--epochs", "2", "--save", s.path + "/half"]).status == 0)
        let without = try CLI.run(["train", data, "--resume", s.path + "/half", "--epochs", "4"])
        #expect(without.status == 1 && without.stderr.contains("--resume: the run trained with 40 rows from --unlabeled"), "\(without.stderr)")
        let resumed = try CLI.run(["train", data, "--resume", s.path + "/half", "--epochs", "4", "--unlabeled", unlabeled,
                                   "--save", s.path + "/half"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let whole = try Data(contentsOf: URL(fileURLWithPath: s.path + "/whole/model.safetensors"))
        let half = try Data(contentsOf: URL(fileURLWithPath: s.path + "/half/model.safetensors"))
        #expect(whole == half)
    }

    /// The workbench takes --unlabeled without a rule; P turns pseudo-labels on and the Controls
    /// view shows the rule, the logged command and then the epoch's counts.
    @Test func pTurnsPseudoLabelsOnInTheWorkbench() throws {
        let s = Scratch()
        let (data, unlabeled) = Self.files(s)
        let session = try TmuxSession("'\(CLI.binary)' '\(data)' --unlabeled '\(unlabeled)' --trunk mlp --epochs 100000 --early-stop off")
        // Once the screen is open: keys typed while the data is prepared are dropped.
        #expect(session.wait { $0.contains("1 Dashboard") } != nil, "\(session.screen())")
        try session.keys("2")
        #expect(session.wait { $0.contains("RUNNING") && $0.contains("pseudo-labels off · 40 unlabelled training rows (P)") } != nil,
                "\(session.screen())")
        try session.keys("P")
        #expect(session.wait { $0.contains("pseudo-labels p ≥ 0.95 from epoch 1 on 40 rows (P)") && $0.contains("pseudo-labels from epoch 1 at p ≥ 0.95, weight 1") } != nil,
                "\(session.screen())")
        #expect(session.wait { $0.range(of: #"epoch \d+ pseudo-labelled: topic \d+"#, options: .regularExpression) != nil } != nil, "\(session.screen())")
        try session.keys("P")
        #expect(session.wait { $0.contains("pseudo-labels off · 40") && $0.range(of: #"step \d+  pseudo-labels off"#, options: .regularExpression) != nil } != nil,
                "\(session.screen())")
        try session.keys("q", "y")
        #expect(session.exitStatus() == 0)
    }
}
