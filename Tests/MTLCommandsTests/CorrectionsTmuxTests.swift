import Foundation
import Testing

/// Corrections from the browser end to end: keys in a real terminal, lines in the corrections
/// file, the process killed, and the file replayed headless.
@Suite(.serialized) struct CorrectionsEndToEndTests {
    static func lines(_ file: String) -> [String] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func dropRelabelAndUndoFromTheBrowserSurviveAKill() throws {
        let scratch = Scratch()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = root.appendingPathComponent("sample-data/penguins")
        for name in ["penguins.csv", "spec.toml"] {
            scratch.write("penguins/\(name)", try String(contentsOf: source.appendingPathComponent(name), encoding: .utf8))
        }
        let data = scratch.path + "/penguins", file = scratch.path + "/penguins.corrections.jsonl", pidFile = scratch.path + "/pid"
        let session = try TmuxSession("sh -c \"echo \\$\\$ > '\(pidFile)'; exec '\(CLI.binary)' '\(data)' --epochs 100000 --early-stop off\"")
        #expect(session.wait { $0.contains("RUNNING") && $0.contains("┴e1") } != nil, "\(session.screen())")
        try session.keys("Space")
        #expect(session.wait { $0.contains("PAUSED") } != nil)
        try session.keys("3", "v")
        #expect(session.wait { $0.contains("train examples by loss") } != nil, "\(session.screen())")

        try session.keys("d")
        #expect(session.wait { _ in Self.lines(file).count == 1 } != nil, "\(session.screen())")
        #expect(session.wait { $0.contains("drop") } != nil, "\(session.screen())")
        try session.keys("r")
        #expect(session.wait { $0.contains("relabel for species: enter picks") } != nil, "\(session.screen())")
        try session.keys("j", "Enter")
        #expect(session.wait { _ in Self.lines(file).count == 2 } != nil, "\(session.screen())")
        try session.keys("j", "u")
        #expect(session.wait { _ in Self.lines(file).count == 3 } != nil, "\(session.screen())")
        try session.keys("z")
        #expect(session.wait { _ in Self.lines(file).count == 4 } != nil, "\(session.screen())")
        #expect(session.wait { $0.contains("undone: weight") } != nil, "\(session.screen())")

        let written = Self.lines(file)
        #expect(written[0].contains(#""action":"drop""#) && written[1].contains(#""action":"relabel""#) && written[1].contains(#""task":"species""#))
        #expect(written[2].contains(#""action":"weight""#) && written[2].contains(#""value":2"#) && written[3].contains(#""action":"undo""#))
        // Killed without a chance to clean up: every line is already on disk.
        let pid = try #require(Int32(((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, SIGKILL) == 0)
        #expect(session.exitStatus() == 128 + Int(SIGKILL))
        #expect(Self.lines(file) == written)
        let replay = try CLI.run(["train", data, "--corrections", file, "--epochs", "1", "--json"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let start = replay.stdout.split(separator: "\n").first { $0.contains(#""event":"start""#) } ?? ""
        #expect(start.contains(#""corrections":{"dropped":1,"relabeled":1,"unmatched":0,"weighted":0}"#), "\(start)")
    }
}
