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
