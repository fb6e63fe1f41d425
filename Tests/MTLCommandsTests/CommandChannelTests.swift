import Foundation
import MTLProtocol
import Testing

/// `train --events FILE`: the stream a watcher reads and the command channel beside it.
@Suite(.serialized) struct CommandChannelTests {
    /// The stream's events so far (a last line still being written is left out).
    static func events(_ path: String) -> [RunEvent] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropLast(text.hasSuffix("\n") ? 0 : 1).compactMap {
            try? RunProtocol.decode(RunEvent.self, from: String($0))
        }
    }

    /// Waits (up to 60 s) until the stream holds an event that `match` accepts.
    static func waitFor(_ path: String, _ what: String, _ match: (RunEvent) -> Bool) throws -> RunEvent {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let event = events(path).first(where: match) { return event }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no \(what) in \(path)"])
    }

    static func append(_ line: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((line + "\n").utf8))
        try handle.close()
    }

    @Test func commandsApplyAtAStepAndAreAcknowledgedThere() throws {
        let s = Scratch()
        let data = s.write("reviews.csv", reviewsCSV())
        let stream = s.path + "/run.jsonl", commands = stream + ".commands"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["train", data, "--trunk", "mlp", "--epochs", "100000", "--early-stop", "off",
                             "--batch-size", "8", "--events", stream]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        guard case .start(let start) = try Self.waitFor(stream, "start", { $0.name == "start" }) else { return }
        #expect(start.acceptsCommands == true)
        #expect(start.commands == commands)
        #expect(start.version == RunProtocol.version)
        _ = try Self.waitFor(stream, "a step", { $0.name == "step" })
        try Self.append(#"{"command":"pause","id":"p"}"#, to: commands)
        guard case .ack(let paused) = try Self.waitFor(stream, "pause ack", { $0.name == "ack" }) else { return }
        #expect(paused.id == "p" && paused.line == 1 && paused.command == "pause")
        // Paused: commands still apply, at the same step, and no step runs in between.
        try Self.append(#"{"command":"set_loss_weight","task":"label","weight":2.5}"#, to: commands)
        try Self.append(#"{"command":"set_lr",}"#, to: commands)
        try Self.append(#"{"command":"set_loss_weight","task":"nope","weight":1}"#, to: commands)
        try Self.append(#"{"command":"fly","id":"f"}"#, to: commands)
        // Valid commands the run cannot carry out: refused too, with the run's reason.
        try Self.append(#"{"command":"freeze","name":"conv9","id":"z"}"#, to: commands)
        try Self.append(#"{"command":"save","path":"\#(data)/run","id":"v"}"#, to: commands)
        // A weight the workbench refuses too: one such step made the gradient norm NaN.
        try Self.append(#"{"command":"set_loss_weight","task":"label","weight":1e300,"id":"x7"}"#, to: commands)
        try Self.append(#"{"command":"stop","id":"s"}"#, to: commands)
        guard case .done(let done) = try Self.waitFor(stream, "done", { $0.name == "done" }) else { return }
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(done.state == "stopped")
        let events = Self.events(stream)
        let acks = events.compactMap { if case .ack(let a) = $0 { a } else { nil } }
        #expect(acks.map(\.command) == ["pause", "set_loss_weight", "stop"])
        #expect(acks[1].task == "label" && acks[1].weight == 2.5, "the ack repeats the values it set")
        #expect(acks.allSatisfy { $0.step == paused.step }, "\(acks)")
        #expect(done.step == paused.step)
        let errors = events.compactMap { if case .commandError(let e) = $0 { e } else { nil } }
        // The channel refuses a line as it reads it (line 8 too), without a step; the run refuses
        // at its next batch, saying at which step. The two interleave as the lines arrive.
        try #require(errors.filter { $0.step == nil }.map(\.line) == [3, 4, 5, 8], "\(errors)")
        try #require(errors.filter { $0.step != nil }.map(\.line) == [6, 7], "\(errors)")
        #expect(errors.allSatisfy { $0.step == nil || $0.step == paused.step }, "\(errors)")
        let line = { (n: Int) in errors.first { $0.line == n }! }
        let (weight, layer, save, fly) = (line(8), line(6), line(7), line(5))
        #expect(line(4).message == "no task named 'nope' (tasks: label, score)")
        // A line that does not decode still names its id, so the sender can clear what it sent.
        #expect(fly.id == "f" && fly.message.hasPrefix("unknown command 'fly' (expected pause, resume, step"), "\(fly)")
        #expect(weight.id == "x7" && weight.message == "set_loss_weight needs \"weight\", a number from 0 to 1000, got 1e+300", "\(weight)")
        #expect(events.contains(.message(.init(kind: "command", step: paused.step, message: "weight label = 2.5"))))
        #expect(layer.id == "z" && layer.message.hasPrefix("no layer named 'conv9' (layers: ") && layer.message.contains("head.label"), "\(layer)")
        #expect(save.id == "v" && save.message.hasPrefix("could not save: \(data)/run"), "\(save)")
        #expect(!events.contains { if case .message(let m) = $0 { m.message.hasPrefix("could not save") } else { false } },
                "the refusal is the answer; it is not logged as well")
    }

    @Test func commandsNeedAStreamForTheirAcknowledgements() throws {
        let s = Scratch()
        let data = s.write("reviews.csv", reviewsCSV())
        let result = try CLI.run(["train", data, "--commands", s.path + "/c"])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["mtl-tui: error: --commands: the acknowledgements travel in the event stream: add --json or --events FILE"])
        let unwritable = try CLI.run(["train", data, "--events", s.path + "/missing/dir/run.jsonl"])
        #expect(unwritable.status == 1)
        #expect(unwritable.stderrLines.first?.hasPrefix("mtl-tui: error: --events: cannot write \(s.path)/missing/dir/run.jsonl") == true)
    }
}
