import Foundation
import Testing

/// Several runs in the workbench, end to end in tmux: continue a finished run, branch it,
/// compare with a saved run, and save the unsaved branch on quit.
@Suite(.serialized) struct RunsEndToEndTests {
    @Test func continueBranchCompareAndSaveOnQuit() throws {
        let scratch = Scratch()
        let reference = scratch.path + "/ref", saved = scratch.path + "/run"
        let trained = try CLI.run(["train", "sample-data/penguins", "--epochs", "2", "--save", reference],
                                  in: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path)
        #expect(trained.status == 0, "\(trained.stderr)")
        let session = try TmuxSession("'\(CLI.binary)' sample-data/penguins --epochs 2 --early-stop off --save '\(saved)' --compare '\(reference)'",
                                      width: 130, height: 40)
        // Finished, with the saved run's curves beside it (legend: run 1 and compared c1).
        #expect(session.wait { $0.contains("FINISHED") && $0.contains("epoch 2/2") && $0.contains("━1 ━c1") } != nil, "\(session.screen())")
        #expect(session.screen().contains("run 1    run c1"))

        // Continue in place: E trains 5 more epochs of the same run.
        try session.keys("E")
        #expect(session.wait { $0.contains("FINISHED") && $0.contains("epoch 7/7") } != nil, "\(session.screen())")
        try session.keys("2")
        #expect(session.wait { $0.contains("continuing to epoch 7 (5 more than the 2 planned) from the") } != nil, "\(session.screen())")

        // Branch: run 2 is selected; continuing it leaves run 1 where it was.
        try session.keys("b")
        #expect(session.wait { $0.contains("run 2: branch of run 1 at step") && $0.contains("━1 ━2 ━c1") } != nil, "\(session.screen())")
        try session.keys("E")
        #expect(session.wait { $0.contains("FINISHED") && $0.contains("epoch 12/12") } != nil, "\(session.screen())")
        try session.keys("7")
        // Waits for the compared run's row too: a capture can catch the screen half redrawn.
        let list = session.wait { $0.contains("▶2") && $0.contains("epochs 7 → 12") && $0.contains("saved run") }   // c1: its path, wrapped to the width
        #expect(list != nil, "\(session.screen())")
        #expect(list?.range(of: #"1\s+finished\s+epoch 7/7"#, options: .regularExpression) != nil, "\(list ?? "")")
        try session.keys("(")
        #expect(session.wait { $0.contains("▶1") && $0.contains("epoch 7/7") } != nil, "\(session.screen())")

        // Quit: the branch is unsaved; s saves it to its own directory.
        try session.keys("q")
        #expect(session.wait { $0.contains("Quit? unsaved runs: 2") } != nil, "\(session.screen())")
        try session.keys("s")
        #expect(session.exitStatus() == 0)
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: saved + "-run2/model.json"))) as? [String: Any]
        #expect((info?["history"] as? [Any])?.count == 12)
    }

    @Test func compareRejectsWhatIsNotASavedRun() throws {
        let scratch = Scratch()
        let result = try CLI.run(["open", "sample-data/penguins", "--dump-screen", "100x30", "--compare", scratch.path],
                                 in: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path)
        #expect(result.status != 0)
        #expect(result.stderrLines.count == 1 && result.stderr.contains("--compare") && result.stderr.contains("not a checkpoint directory"),
                "\(result.stderr)")
    }
}
