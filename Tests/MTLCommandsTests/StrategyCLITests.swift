import Foundation
import Testing

/// Weighting strategies, baselines and gradient conflict through the binary.
@Suite(.serialized) struct StrategyCLITests {
    static let penguins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sample-data/penguins").path

    func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func badStrategiesAreOneLineErrors() throws {
        let s = Scratch()
        s.write("one/data.csv", "x,y\n1,a\n2,b\n3,a\n4,b\n5,a\n6,b\n7,a\n8,b\n9,a\n10,b\n")
        s.write("spec/data.csv", "x,y,z\n1,a,p\n2,b,q\n3,a,p\n4,b,q\n5,a,p\n6,b,q\n7,a,p\n8,b,q\n9,a,p\n10,b,q\n")
        s.write("spec/spec.toml", "strategy = \"gradnorm:beta=2\"\n[[input]]\ncolumn = \"x\"\nkind = \"numeric\"\n[[task]]\nname = \"y\"\nkind = \"binary\"\n[[task]]\nname = \"z\"\nkind = \"binary\"\n")
        let cases: [([String], String)] = [
            (["--strategy", "nope"], "--strategy: expected one of fixed, dwa, rlw, uw, gradnorm, pcgrad, famo, got 'nope'"),
            (["--strategy", "uw:alpha=2"], "--strategy: uw has no option 'alpha'"),
            (["--strategy", "pcgrad:every=0"], "--strategy: pcgrad: every must be a whole number ≥ 1, got 0"),
            (["--conflict-every", "-1"], "--conflict-every: expected a whole number ≥ 0, got -1"),
        ]
        for (flags, message) in cases {
            let result = try CLI.run(["train", Self.penguins, "--epochs", "1"] + flags)
            #expect(result.status == 1 && result.stderrLines == ["mtl-tui: error: \(message)"], "\(flags): \(result.stderr)")
        }
        let one = try CLI.run(["train", s.path + "/one", "--strategy", "famo"])
        #expect(one.status == 1 && one.stderr.contains("--strategy: famo weighs tasks against each other; this run has one task"), "\(one.stderr)")
        let alone = try CLI.run(["train", s.path + "/one", "--baselines"])
        #expect(alone.status == 1 && alone.stderr.contains("--baselines:"), "\(alone.stderr)")
        let spec = try CLI.run(["train", s.path + "/spec"])
        #expect(spec.status == 1 && spec.stderrLines.count == 1 && spec.stderr.contains("spec.toml") && spec.stderr.contains("strategy")
                && spec.stderr.contains("gradnorm has no option 'beta'"), "\(spec.stderr)")
    }

    @Test func baselinesGiveDeltaPAndAreReusedFromTheirDirectory() throws {
        let s = Scratch()
        let arguments = ["train", Self.penguins, "--epochs", "3", "--json", "--baselines-dir", s.path + "/baselines"]
        let first = try CLI.run(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        let done = try #require(jsonLines(first.stdout).last)
        #expect(done["event"] as? String == "done")
        let delta = try #require(done["delta_p"] as? [String: Any])
        #expect(delta["val"] is Double && delta["test"] is Double)
        let baselines = try #require(done["baselines"] as? [String: Any])
        let test = try #require(baselines["test"] as? [String: Any])
        #expect(Set(test.keys) == ["species", "sex"])
        #expect(FileManager.default.fileExists(atPath: s.path + "/baselines/baselines.json"))

        let second = try CLI.run(arguments)
        #expect(second.stderr.contains("reusing the single-task baselines saved in"), "\(second.stderr)")
        let again = try #require(jsonLines(second.stdout).last)
        #expect((again["delta_p"] as? [String: Double]) == (done["delta_p"] as? [String: Double]))
        let other = try CLI.run(arguments + ["--seed", "7"])   // another seed: other baselines
        #expect(!other.stderr.contains("reusing"), "\(other.stderr)")

        let table = try CLI.run(["train", Self.penguins, "--epochs", "2", "--baselines"])
        #expect(table.stdout.contains("multi-task vs single-task (test):") && table.stdout.contains("Δp "), "\(table.stdout)")
    }

    @Test func stepEventsCarryTheGradientConflictWhenMeasured() throws {
        let result = try CLI.run(["train", Self.penguins, "--epochs", "1", "--batch-size", "8", "--json", "--strategy", "pcgrad"])
        #expect(result.status == 0, "\(result.stderr)")
        let steps = jsonLines(result.stdout).filter { $0["event"] as? String == "step" }
        let measured = steps.filter { $0["gradients"] != nil }
        #expect(!measured.isEmpty && measured.allSatisfy { ($0["step"] as? Int ?? 0) % 10 == 0 })
        let layer = try #require((measured.first?["gradients"] as? [String: Any])?["dense1"] as? [String: Any])
        let cosine = try #require((layer["cosine"] as? [String: Double])?["species|sex"])
        #expect(abs(cosine) <= 1)
        let off = try CLI.run(["train", Self.penguins, "--epochs", "1", "--batch-size", "8", "--json", "--conflict-every", "0"])
        #expect(!off.stdout.contains("\"gradients\""))
    }
}

/// `sweep` through the binary: one row per strategy and the baselines, Δp, cost.
@Suite(.serialized) struct SweepCLITests {
    /// sweep keeps no model and continues none: its help leaves out --save and --resume, which it
    /// refuses with the reason; the commands that keep a run still list them.
    @Test func sweepListsOnlyTheOptionsItAccepts() throws {
        let help = try CLI.run(["sweep", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--seeds") && help.stdout.contains("--strategy"), "\(help.stdout)")
        #expect(!help.stdout.contains("--save <DIR>") && !help.stdout.contains("--resume <DIR>"), "\(help.stdout)")
        for command in ["train", "open"] {
            let listed = try CLI.run([command, "--help"]).stdout
            #expect(listed.contains("--save <DIR>") && listed.contains("--resume <DIR>"), "\(command): \(listed)")
        }
        // cv describes its own --save (an ensemble) and lists no --resume.
        let cv = try CLI.run(["cv", "--help"]).stdout
        #expect(cv.contains("--save DIR keeps the K models") && !cv.contains("--resume <DIR>") && !cv.contains("--save <DIR>"), "\(cv)")
        for flag in ["--save", "--resume"] {
            let refused = try CLI.run(["sweep", StrategyCLITests.penguins, flag, "runs/x"])
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderrLines == ["mtl-tui: error: --save and --resume do not apply to sweep: it trains many models and keeps none"],
                    "\(refused.stderr)")
        }
    }

    @Test func sweepPrintsOneRowPerStrategyWithDeltaPAndCost() throws {
        let result = try CLI.run(["sweep", StrategyCLITests.penguins, "--epochs", "3", "--seeds", "2",
                                  "--strategy", "fixed,gradnorm:alpha=1.2,every=2,uw"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasSuffix("test split (51 rows), seeds 42, 43") == true, "\(result.stdout)")
        #expect(lines[1].contains("species macro_f1") && lines[1].contains("Δp %") && lines[1].contains("ms/step"))
        #expect(lines.dropFirst(2).map { $0.split(separator: " ").first.map(String.init) ?? "" }
                == ["single-task", "fixed", "gradnorm:alpha=1.2,every=2", "uw"])
        #expect(lines[3].contains("(1.00×)") && lines[3].contains(" ± "))

        let json = try CLI.run(["sweep", StrategyCLITests.penguins, "--epochs", "2", "--seeds", "1", "--strategy", "fixed,rlw", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String } == ["single-task", "fixed", "rlw"])
        #expect(rows[0]["delta_p"] is NSNull && (rows[1]["delta_p"] as? [String: Any])?["mean"] is Double)

        for (flags, message) in [(["--seeds", "0"], "--seeds: expected a whole number from 1 to 100, got 0"),
                                 (["--strategy", "fixed,bogus"], "--strategy: expected one of fixed, dwa, rlw, uw, gradnorm, pcgrad, famo, got 'bogus'")] {
            let bad = try CLI.run(["sweep", StrategyCLITests.penguins] + flags)
            #expect(bad.status == 1 && bad.stderrLines == ["mtl-tui: error: \(message)"], "\(bad.stderr)")
        }
        // A run that diverges ends the sweep with the reason (it waited forever for a command).
        let diverged = try CLI.run(["sweep", StrategyCLITests.penguins, "--lr", "1e6", "--optimizer", "sgd", "--epochs", "3", "--seeds", "1"])
        #expect(diverged.status == 1 && diverged.stderrLines.last?.hasPrefix("mtl-tui: error: seed 42, ") == true
                && diverged.stderr.contains("training diverged:"), "\(diverged.stderr)")
        // train's stream ends with the state the run ended in: diverged, not stopped.
        let train = try CLI.run(["train", StrategyCLITests.penguins, "--lr", "1e6", "--optimizer", "sgd", "--epochs", "3", "--json"])
        let done = train.stdout.split(separator: "\n").last { $0.contains("\"event\":\"done\"") }
        #expect(train.status == 1 && done?.contains("\"state\":\"diverged\"") == true, "\(train.stdout.suffix(400))")
    }
}
