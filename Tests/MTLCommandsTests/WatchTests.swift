import Foundation
import Testing

/// A PyTorch-like loop through the Python bridge (no PyTorch needed): a step every 50 ms, the
/// command channel polled before each, for at most a minute.
let slowPythonProducer = """
import math, sys, time
sys.path.insert(0, sys.argv[2])
from mtl_tui import Controls, Run
run = Run(sys.argv[1], {"sentiment": "binary", "rating": "regression"}, epochs=100, steps_per_epoch=40, lr=0.01)
weights = {"sentiment": 1.0, "rating": 1.0}
controls = Controls(run, loss_weights=weights, poll_seconds=0.02)
deadline = time.time() + 60
step = 0
while time.time() < deadline and controls.apply(step):
    step += 1
    losses = {"sentiment": 1 / (1 + 0.05 * step) + 0.05 * math.sin(step), "rating": 2 / (1 + 0.02 * step)}
    run.step(step, 1 + step // 40, losses, total=sum(weights[t] * v for t, v in losses.items()))
    time.sleep(0.05)
run.done("stopped" if controls.should_stop else "finished", step)
"""

/// `mtl-tui watch`: the workbench on an event stream another process writes.
@Suite(.serialized) struct WatchTests {
    static let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("python").path

    @Test func followsASlowPythonRunAndSteersIt() throws {
        let scratch = Scratch()
        let stream = scratch.path + "/run.jsonl"
        let producer = Process()
        producer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        producer.arguments = ["python3", "-c", slowPythonProducer, stream, Self.python]
        producer.standardOutput = FileHandle.nullDevice
        try producer.run()
        defer { if producer.isRunning { producer.terminate() } }
        let session = try TmuxSession("'\(CLI.binary)' watch '\(stream)'")

        // Charts appear and advance.
        let braille = { (text: String) in text.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) } }
        let first = session.wait { $0.contains("RUNNING") && $0.contains("sentiment") && braille($0) && (step(in: $0) ?? 0) > 5 }
        #expect(first != nil, "no chart: \(session.screen())")
        let early = step(in: session.screen()) ?? 0
        #expect(session.wait { (step(in: $0) ?? 0) > early + 5 } != nil, "the chart does not advance: \(session.screen())")

        // Space pauses the producer: the command travels in the channel, the ack comes back.
        try session.keys("Space")
        #expect(session.wait { $0.contains("PAUSED") } != nil, "\(session.screen())")
        let events = try String(contentsOfFile: stream, encoding: .utf8)
        #expect(events.contains(#""command":"pause""#) && events.contains(#""event":"ack""#), "\(events.suffix(400))")
        let stepAtPause = step(in: session.screen())
        Thread.sleep(forTimeInterval: 0.6)
        #expect(step(in: session.screen()) == stepAtPause, "the producer kept stepping while paused")

        // A weight change from the controls view reaches the loop's dict and is acknowledged.
        try session.keys("2", "+")
        #expect(session.wait { $0.contains("weight sentiment = 1.25") } != nil, "\(session.screen())")
        try session.keys("Space")
        #expect(session.wait { $0.contains("RUNNING") } != nil, "\(session.screen())")
        try session.keys("q")
        // The run goes on: quitting the watcher leaves it alone.
        #expect(session.exitStatus() == 0)
        #expect(producer.isRunning)
        let commands = try String(contentsOfFile: stream + ".commands", encoding: .utf8).split(separator: "\n")
        #expect(commands.count == 3, "\(commands)")
        #expect(commands.dropFirst().first?.contains(#""task":"sentiment""#) == true && commands.dropFirst().first?.contains(#""weight":1.25"#) == true)
    }

    /// `watch a.jsonl b.jsonl`: two slow producers are two runs; `)` selects the second, and
    /// space pauses it through its own command file only.
    @Test func twoStreamsAreTwoRunsSteeredOneAtATime() throws {
        let scratch = Scratch()
        let streams = ["a", "b"].map { scratch.path + "/\($0).jsonl" }
        let producers = try streams.map { stream in
            let producer = Process()
            producer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            producer.arguments = ["python3", "-c", slowPythonProducer, stream, Self.python]
            producer.standardOutput = FileHandle.nullDevice
            producer.standardError = FileHandle.nullDevice
            try producer.run()
            return producer
        }
        // SIGKILL: a paused producer waits for commands, and SIGTERM may reach it ignored.
        defer { for producer in producers where producer.isRunning { kill(producer.processIdentifier, SIGKILL) } }
        let session = try TmuxSession("'\(CLI.binary)' watch '\(streams[0])' '\(streams[1])'")

        // The runs view lists both streams by file name; both advance.
        func steps(_ screen: String) -> [Int]? {
            let found = ["1", "2"].compactMap { label -> Int? in
                guard let range = screen.range(of: #"[▶ ]\#(label)\s+\w+\s+epoch \d+/\d+ step \d+"#, options: .regularExpression) else { return nil }
                return Int(screen[range].split(separator: " ").last ?? "")
            }
            return found.count == 2 ? found : nil
        }
        try session.keys("7")
        let listed = session.wait { $0.contains("a.jsonl") && $0.contains("b.jsonl") && (steps($0)?.min() ?? 0) > 5 }
        let early = try #require(listed.flatMap(steps), "\(session.screen())")
        #expect(session.wait { screen in steps(screen).map { zip($0, early).allSatisfy { $0 > $1 + 5 } } ?? false } != nil,
                "both streams advance: \(session.screen())")

        // Both charts on the dashboard, each in its colour, with the legend.
        let braille = { (text: String) in text.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) } }
        try session.keys("1")
        #expect(session.wait { $0.contains("━1 ━2") && $0.contains("watch a.jsonl (stream 1 of 2)") && braille($0) } != nil,
                "\(session.screen())")

        // ) selects stream 2; space pauses it and only it.
        try session.keys(")")
        #expect(session.wait { $0.contains("watch b.jsonl (stream 2 of 2)") } != nil, "\(session.screen())")
        try session.keys("Space")
        #expect(session.wait { $0.contains("PAUSED") } != nil, "\(session.screen())")
        let sent = try String(contentsOfFile: streams[1] + ".commands", encoding: .utf8)
        #expect(sent.contains(#""command":"pause""#), "\(sent)")
        // Stream 1's producer created its command file empty; nothing was written to it.
        #expect((try? String(contentsOfFile: streams[0] + ".commands", encoding: .utf8)) == "", "stream 1 got no command")
        try session.keys("7")
        let states = session.wait { $0.range(of: #" 1\s+running"#, options: .regularExpression) != nil
            && $0.range(of: #"▶2\s+paused"#, options: .regularExpression) != nil }
        #expect(states != nil, "\(session.screen())")
        try session.keys("q")
        #expect(session.exitStatus() == 0)
        #expect(producers.allSatisfy { $0.isRunning }, "quitting the watcher leaves both runs alone")
    }

    @Test func aFifthStreamIsRefused() throws {
        let scratch = Scratch()
        let result = try CLI.run(["watch"] + (1...5).map { scratch.path + "/s\($0).jsonl" })
        #expect(result.status == 1)
        #expect(result.stderrLines == ["mtl-tui: error: watch: 5 streams, at most 4 (\(scratch.path)/s5.jsonl is one too many)"], "\(result.stderr)")
    }

    /// `train --json-examples N`: per epoch and task, the N rows of highest loss, which `watch`
    /// shows in view 3; its view 4 draws the epoch events' confusion counts, which the examples
    /// events do not repeat. Without the flag, no such event.
    @Test func ourTrainerSendsExamplesOnlyWhenAsked() throws {
        let scratch = Scratch()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let asked = try CLI.run(["train", "sample-data/penguins", "--epochs", "2", "--json", "--json-examples", "5"], in: root)
        #expect(asked.status == 0, "\(asked.stderr)")
        let events = asked.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let examples = events.filter { $0["event"] as? String == "examples" }
        let tasks = ((events.first?["tasks"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        #expect(examples.count == 2 * tasks.count && !tasks.isEmpty, "\(examples.count) for \(tasks)")
        for event in examples {
            let rows = event["rows"] as? [[String: Any]] ?? []
            let losses = rows.compactMap { $0["loss"] as? Double }
            #expect(rows.count == 5 && losses.count == 5 && losses == losses.sorted(by: >), "\(rows)")
            #expect(rows.allSatisfy { $0["split"] as? String == "val" && $0["key"] is String && $0["predicted"] is String })
        }
        #expect(examples.allSatisfy { $0["confusion"] == nil }, "the epoch events carry the counts")
        let epoch = try #require(events.last { $0["event"] as? String == "epoch" })
        let val = ((epoch["metrics"] as? [String: Any])?["val"] as? [String: Any])?["species"] as? [String: Any]
        let matrix = try #require(val?["confusion"] as? [[Int]])

        let stream = scratch.write("run.jsonl", asked.stdout)
        let screen = try CLI.run(["watch", stream, "--dump-screen", "120x30", "--view", "3"])
        #expect(screen.stdout.contains("5 of 5 hardest examples by loss · step"), "\(screen.stdout)")
        // View 4: the last epoch's matrix, under the class names `start` gave.
        let confusion = try CLI.run(["watch", stream, "--dump-screen", "120x30", "--view", "4"])
        #expect(confusion.stdout.contains("species · validation, epoch") && confusion.stdout.contains("rows true, columns predicted"),
                "\(confusion.stdout)")
        #expect(confusion.stdout.contains("Chinstrap") && matrix.joined().reduce(0, +) > 0, "\(confusion.stdout)")

        let plain = try CLI.run(["train", "sample-data/penguins", "--epochs", "1", "--json"], in: root)
        #expect(plain.status == 0 && !plain.stdout.contains(#""event":"examples""#))
        let alone = try CLI.run(["train", "sample-data/penguins", "--json-examples", "5"], in: root)
        #expect(alone.status == 1 && alone.stderrLines == ["mtl-tui: error: --json-examples: the examples travel in the event stream: add --json or --events FILE"],
                "\(alone.stderr)")
    }

    /// Our own trainer through its stream: pause, then freeze a layer `start` listed.
    @Test func steersOurOwnTrainerThroughItsStream() throws {
        let scratch = Scratch()
        let data = scratch.write("reviews.csv", reviewsCSV())
        let stream = scratch.path + "/run.jsonl"
        let trainer = Process()
        trainer.executableURL = URL(fileURLWithPath: CLI.binary)
        trainer.arguments = ["train", data, "--trunk", "mlp", "--epochs", "100000", "--early-stop", "off", "--batch-size", "8", "--events", stream]
        trainer.standardOutput = FileHandle.nullDevice
        trainer.standardError = FileHandle.nullDevice
        try trainer.run()
        defer { if trainer.isRunning { trainer.terminate() } }
        let session = try TmuxSession("'\(CLI.binary)' watch '\(stream)'")
        #expect(session.wait { $0.contains("RUNNING") && (step(in: $0) ?? 0) > 20 } != nil, "\(session.screen())")
        try session.keys("Space")
        #expect(session.wait { $0.contains("PAUSED") } != nil, "\(session.screen())")
        // Controls: the tasks (label, score), then the layers from start; freeze the first layer.
        try session.keys("2", "j", "j")
        #expect(session.wait { $0.contains("▶ ") && $0.contains("trainable") } != nil, "\(session.screen())")
        try session.keys("f")
        let frozen = session.wait { $0.range(of: #"froze \S+"#, options: .regularExpression) != nil && $0.contains("frozen") }
        #expect(frozen != nil, "\(session.screen())")
        try session.keys("q")
        #expect(session.exitStatus() == 0)
        #expect(trainer.isRunning, "quitting the watcher leaves the run alone")
        let events = try String(contentsOfFile: stream, encoding: .utf8)
        #expect(events.contains(#""command":"freeze","event":"ack""#), "\(events.suffix(500))")
    }

    /// A stream whose producer never answers: the command stays pending; one without commands: controls off.
    @Test func pendingAndUnavailableControls() throws {
        let scratch = Scratch()
        let start = #"{"event":"start","version":1,"tasks":[{"name":"a","kind":"binary"}],"accepts_commands":ACCEPTS}"#
        let steps = (1...30).map { #"{"event":"step","step":\#($0),"epoch":1,"loss":{"a":\#(1.0 / Double($0))}}"# }
        let silent = scratch.write("silent.jsonl", ([start.replacingOccurrences(of: "ACCEPTS", with: "true")] + steps).joined(separator: "\n") + "\n")
        var session = try TmuxSession("'\(CLI.binary)' watch '\(silent)'")
        #expect(session.wait { $0.contains("step 30") } != nil, "\(session.screen())")
        try session.keys("Space")
        #expect(session.wait { $0.contains("pending (not yet acknowledged): pause") } != nil, "\(session.screen())")
        #expect(try String(contentsOfFile: silent + ".commands", encoding: .utf8).contains(#""command":"pause""#))
        try session.keys("q")
        #expect(session.exitStatus() == 0)

        let closed = scratch.write("closed.jsonl", ([start.replacingOccurrences(of: "ACCEPTS", with: "false")] + steps).joined(separator: "\n") + "\n")
        session = try TmuxSession("'\(CLI.binary)' watch '\(closed)'")
        #expect(session.wait { $0.contains("step 30") } != nil, "\(session.screen())")
        try session.keys("Space")
        #expect(session.wait { $0.contains("controls are off") } != nil, "\(session.screen())")
        #expect(!FileManager.default.fileExists(atPath: closed + ".commands"))
        try session.keys("q")
        #expect(session.exitStatus() == 0)
    }

    /// Bad lines are shown with their line number; an incomplete last line is waited for.
    @Test func malformedAndTruncatedLines() throws {
        let scratch = Scratch()
        let lines = [
            #"{"event":"start","version":1,"tasks":[{"name":"a","kind":"binary"}],"epochs":2,"steps_per_epoch":10}"#,
            #"{"event":"step","step":1,"epoch":1,"loss":{"a":0.9}}"#,
            "this is not json",
            #"{"event":"step","epoch":1,"loss":{"a":0.8}}"#,
            #"{"event":"fold","fold":1}"#,
            #"{"event":"step","step":3,"epoch":1,"loss":{"a":0.7}}"#,
        ]
        let file = scratch.write("run.jsonl", lines.joined(separator: "\n") + "\n" + #"{"event":"step","step":4,"#)
        let result = try CLI.run(["watch", file, "--dump-screen", "120x40", "--view", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("stream line 3: not valid JSON at column 2"), "\(result.stdout)")
        #expect(result.stdout.contains("stream line 4: step: missing"), "\(result.stdout)")
        #expect(result.stdout.contains("step 3/20"), "\(result.stdout)")
        #expect(!result.stdout.contains("line 7"), "an incomplete last line is not an error")

        let newer = scratch.write("newer.jsonl", #"{"event":"start","version":9,"tasks":[]}"# + "\n")
        let future = try CLI.run(["watch", newer, "--dump-screen", "120x40", "--view", "2"])
        #expect(future.stdout.contains("protocol version 9 is newer than this reader's 1"), "\(future.stdout)")

        let missing = try CLI.run(["watch", scratch.path + "/no/such/run.jsonl"])
        #expect(missing.status == 1)
        #expect(missing.stderrLines.first?.hasPrefix("mtl-tui: error: \(scratch.path)/no/such/run.jsonl: no such directory") == true, "\(missing.stderr)")
    }

    /// A directory shows its newest stream; standard input is read to its end.
    @Test func directoryAndStandardInput() throws {
        let scratch = Scratch()
        let start = #"{"event":"start","version":1,"tasks":[{"name":"TASK","kind":"regression"}]}"#
        scratch.write("runs/old.jsonl", start.replacingOccurrences(of: "TASK", with: "oldtask") + "\n")
        Thread.sleep(forTimeInterval: 1.1)   // modification times of whole seconds on some file systems
        scratch.write("runs/new.jsonl", start.replacingOccurrences(of: "TASK", with: "newtask") + "\n")
        let directory = try CLI.run(["watch", scratch.path + "/runs", "--dump-screen", "100x30"])
        #expect(directory.stdout.contains("newtask") && !directory.stdout.contains("oldtask"), "\(directory.stdout)")
        #expect(directory.stdout.contains("watch new.jsonl"))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["watch", "-", "--dump-screen", "100x30"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data((start.replacingOccurrences(of: "TASK", with: "piped") + "\n").utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.contains("piped"), "\(text)")
    }
}
