import Foundation
import Testing

/// `--schedule`, `--from` and `--extend-vocab` through the binary.
@Suite(.serialized) struct ScheduleCLITests {
    static let penguins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sample-data/penguins").path

    func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func badSchedulesAreOneLineErrorsNamingTheFlag() throws {
        let cases: [(String, String)] = [
            ("step:0:0.5", "--schedule: EVERY (epochs) must be a whole number ≥ 1, got '0' in 'step:0:0.5'"),
            ("cosine:-1", "--schedule: WARMUP (steps) must be a whole number ≥ 0, got '-1' in 'cosine:-1'"),
            ("plateau:2:2", "--schedule: FACTOR must be a number between 0 and 1 (exclusive), got '2' in 'plateau:2:2'"),
        ]
        for (spec, message) in cases {
            let result = try CLI.run(["train", Self.penguins, "--epochs", "1", "--schedule", spec])
            #expect(result.status == 1 && result.stderrLines == ["mtl-tui: error: \(message)"], "\(spec): \(result.stderr)")
        }
        let plateau = try CLI.run(["train", Self.penguins, "--epochs", "1", "--schedule", "plateau:x"])
        #expect(plateau.status == 1 && plateau.stderrLines.count == 1 && plateau.stderr.hasPrefix("mtl-tui: error: --schedule: expected constant"), "\(plateau.stderr)")
    }

    /// Step and epoch events carry the rate in force; step:1:0.5 halves it each epoch.
    @Test func jsonEventsCarryTheLearningRate() throws {
        let result = try CLI.run(["train", Self.penguins, "--epochs", "3", "--early-stop", "off", "--lr", "0.004",
                                  "--schedule", "step:1:0.5", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let events = jsonLines(result.stdout)
        #expect(events.filter { $0["event"] as? String == "epoch" }.map { $0["lr"] as? Double } == [0.004, 0.002, 0.001])
        let steps = events.filter { $0["event"] as? String == "step" }
        #expect(!steps.isEmpty && steps.allSatisfy { $0["lr"] is Double })
        let lastOfFirst = steps.last { ($0["epoch"] as? Int) == 1 }, lastOfThird = steps.last { ($0["epoch"] as? Int) == 3 }
        #expect(lastOfFirst?["lr"] as? Double == 0.004 && lastOfThird?["lr"] as? Double == 0.001)
    }

    @Test func fromStartsFromASavedModelAndRefusesWhatIsNotOne() throws {
        let s = Scratch()
        let saved = s.path + "/species"
        let first = try CLI.run(["train", Self.penguins, "--epochs", "2", "--task", "species", "--save", saved])
        #expect(first.status == 0, "\(first.stderr)")
        let tuned = try CLI.run(["train", Self.penguins, "--epochs", "1", "--from", saved, "--freeze", "trunk", "--json"])
        #expect(tuned.status == 0, "\(tuned.stderr)")
        #expect(tuned.stderr.contains("--from \(saved): loaded"), "\(tuned.stderr)")
        let notOne = try CLI.run(["train", Self.penguins, "--from", s.path])
        #expect(notOne.status == 1 && notOne.stderrLines.count == 1 && notOne.stderr.contains("--from: ")
                && notOne.stderr.contains("not a checkpoint directory"), "\(notOne.stderr)")
        let extend = try CLI.run(["train", Self.penguins, "--from", saved, "--extend-vocab"])
        #expect(extend.status == 1 && extend.stderrLines.count == 1 && extend.stderr.contains("--extend-vocab: "), "\(extend.stderr)")
    }
}
