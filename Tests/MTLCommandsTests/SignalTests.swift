import Foundation
import Testing

/// How signals end commands: at the next batch, saving what --save asks, with the exit status
/// a shell gives a command the signal ended (128 + its number).
@Suite(.serialized) struct SignalTests {
    static let penguins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sample-data/penguins").path

    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func headlessTrainSavesAndExitsWith128PlusTheSignal(_ signal: Int32) throws {
        let scratch = Scratch()
        let run = scratch.path + "/run"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["train", Self.penguins, "--epochs", "100000", "--early-stop", "off", "--save", run]
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // The first epoch's save: the run is training, with its handlers installed.
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: run + "/model.json"), Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(kill(process.processIdentifier, signal) == 0)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "ended by the signal itself, not through the normal exit path")
        #expect(process.terminationStatus == 128 + signal, "\(stderr)")
        #expect(stderr.contains("mtl-tui: stopped at step") && stderr.contains("checkpoint in \(run)"), "\(stderr)")
        let eval = try CLI.run(["eval", run, Self.penguins])
        #expect(eval.status == 0, "\(eval.stderr)")
    }
}

/// Signals to the workbench in a real terminal (tmux): Ctrl-C asks before losing a run, a kill
/// saves where --save says; each leaves through endwin with 128 + the signal.
@Suite(.serialized) struct WorkbenchSignalTests {
    @Test func ctrlCWhileTrainingAsksAndASecondOneQuitsWith130() throws {
        let session = try TmuxSession("'\(CLI.binary)' sample-data/penguins --epochs 100000 --early-stop off")
        #expect(session.wait { $0.contains("RUNNING") } != nil, "\(session.screen())")
        try session.keys("C-c")
        #expect(session.wait { $0.contains("Training is still running. Quit?") && $0.contains("Ctrl-C again quits without saving") } != nil,
                "\(session.screen())")
        #expect(session.exitStatus(seconds: 1) == nil, "the first Ctrl-C only asks")
        try session.keys("C-c")
        #expect(session.exitStatus() == 130)
        #expect(session.wait(seconds: 5) { !$0.contains("RUNNING") && $0.contains("mtl-tui: interrupted: run 1 not saved") } != nil,
                "\(session.screen())")
    }

    @Test func ctrlCWithNothingToLoseQuitsAtOnce() throws {
        let scratch = Scratch()
        let session = try TmuxSession("'\(CLI.binary)' sample-data/penguins --epochs 1 --save '\(scratch.path)/run'")
        #expect(session.wait { $0.contains("FINISHED") } != nil, "\(session.screen())")
        try session.keys("C-c")
        #expect(session.exitStatus() == 130)
        #expect(session.wait(seconds: 5) { !$0.contains("FINISHED") } != nil, "\(session.screen())")
    }

    /// SIGTERM while two runs train: both are saved (run 2 beside --save's directory), and
    /// the terminal, once restored, says where.
    @Test func sigtermSavesEveryRunWhereSaveSaysAndExits143() throws {
        let scratch = Scratch()
        let saved = scratch.path + "/run", pidFile = scratch.path + "/pid"
        let session = try TmuxSession("sh -c \"echo \\$\\$ > '\(pidFile)'; exec '\(CLI.binary)' sample-data/penguins --epochs 100000 --early-stop off --save '\(saved)'\"")
        #expect(session.wait { $0.contains("RUNNING") } != nil, "\(session.screen())")
        try session.keys("b")
        #expect(session.wait { $0.contains("run 2: branch of run 1") } != nil, "\(session.screen())")
        let pid = try #require(Int32(((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, SIGTERM) == 0)
        #expect(session.exitStatus() == 143)
        // A long scratch path wraps in the pane: read the screen with its lines joined.
        let said = session.wait(seconds: 5) { screen in
            let joined = screen.replacingOccurrences(of: "\n", with: "")
            return joined.contains("mtl-tui: stopped by SIGTERM: run 1 saved to \(saved)") && joined.contains("mtl-tui: stopped by SIGTERM: run 2 saved to \(saved)-run2")
        }
        #expect(said != nil, "\(session.screen())")
        for directory in [saved, saved + "-run2"] {
            let eval = try CLI.run(["eval", directory, "sample-data/penguins"],
                                   in: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path)
            #expect(eval.status == 0, "\(directory): \(eval.stderr)")
        }
    }
}
