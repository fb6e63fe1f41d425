import Foundation
import MTLProtocol
import XCTest

final class ProtocolTests: XCTestCase {
    /// One of every event kind, with optional fields set and unset.
    static func everyEvent() -> [RunEvent] {
        var start = RunEvent.Start(tasks: [.init(name: "polarity", kind: "binary", classes: ["neg", "pos"]), .init(name: "score", kind: "regression")])
        start.data = "sample-data/vader-domains/vader.csv"
        start.rows = ["train": 80, "val": 10, "test": 10]
        start.model = "cnn: embedding 2000×64 → 2 heads"
        start.parameters = 12345
        start.epochs = 3
        start.stepsPerEpoch = 10
        start.lr = 0.001
        start.layers = [.init(name: "conv", parameters: 4000), .init(name: "head.polarity", parameters: 130)]
        start.acceptsCommands = true
        start.commands = "run.jsonl.commands"
        start.producer = "mtl-tui"
        var step = RunEvent.Step(step: 10, epoch: 1, loss: ["polarity": 0.69, "score": nil], total: 0.7)
        step.lr = 0.001
        step.gradients = ["dense1": .init(cosine: ["polarity|score": -0.25], magnitudeSimilarity: ["polarity|score": nil])]
        var metrics = TaskMetricValues(count: 10, values: ["loss": 0.5, "accuracy": 0.8, "macro_f1": nil])
        metrics.confusion = [[4, 1], [1, 4]]
        metrics.precisionPerClass = [0.8, nil]
        metrics.supportPerClass = [5, 5]
        metrics.thresholds = [0.5, 0.4]
        let sets: MetricSets = ["train": ["polarity": metrics], "val": ["polarity": metrics]]
        var done = RunEvent.Done(state: "finished", step: 30, metrics: ["test": ["polarity": metrics]])
        done.epoch = 3
        done.baselines = ["test": ["polarity": TaskMetricValues(count: 10, values: ["loss": 0.6])]]
        done.deltaP = ["val": 1.5, "test": nil]
        return [
            .start(start), .start(RunEvent.Start(tasks: [])), .step(step),
            .step(RunEvent.Step(step: 1, epoch: 1, loss: [:], total: nil)),
            .epoch(.init(epoch: 1, step: 10, seconds: 0.5, totalValLoss: nil, metrics: sets)),
            .epoch(.init(epoch: 2, step: 20, seconds: nil, totalValLoss: 0.4, metrics: [:])),
            .message(.init(kind: "command", step: 12, message: "paused \u{1B}[31m")),
            .done(done), .done(RunEvent.Done(state: "stopped", step: 4, metrics: [:])),
            .ack(.init(id: "w1", line: 3, command: "pause", step: 12)), .ack(.init(id: nil, line: nil, command: "stop", step: 0)),
            .ack(.init(RunCommand(.setLossWeight, id: "x", task: "a", weight: 2), line: 4, step: 9)),
            .commandError(.init(line: 2, message: "not a JSON object")), .commandError(.init(line: 5, message: "x", id: "c5")),
            .examples(Self.examples), .examples(.init(task: "score", step: 3, rows: [])),
        ]
    }

    /// A classification task's hardest rows (one with nothing but its key) and its confusion counts.
    static let examples = RunEvent.Examples(
        task: "polarity", step: 30, epoch: 3,
        rows: [.init(key: "r17", text: "not \u{1B}good", split: "val", label: "pos", predicted: "neg", probability: 0.9, loss: 2.3),
               .init(key: "8", text: nil, split: "test", label: nil, predicted: nil, probability: nil, loss: nil)],
        confusion: .init(classes: ["neg", "pos"], matrix: [[4, 1], [2, 3]]))

    func testTheExamplesEventOnTheWire() throws {
        let line = try RunProtocol.line(RunEvent.examples(Self.examples))
        XCTAssertTrue(line.contains(#""event":"examples""#) && line.contains(#""confusion":{"classes":["neg","pos"],"matrix":[[4,1],[2,3]]}"#), line)
        XCTAssertTrue(line.contains(#""probability":0.9"#) && line.contains(#""split":"test""#), line)
        XCTAssertThrowsError(try RunProtocol.decode(RunEvent.self, from: #"{"event":"examples","task":"a","step":1}"#)) {
            XCTAssertEqual(($0 as? LineError)?.description, "rows: missing")
        }
    }

    func testEveryEventKindRoundTrips() throws {
        for event in Self.everyEvent() {
            let line = try RunProtocol.line(event)
            XCTAssertFalse(line.contains("\n"), line)
            XCTAssertFalse(line.unicodeScalars.contains { $0.value == 0x1B }, "a raw control in \(line)")
            XCTAssertEqual(try RunProtocol.decode(RunEvent.self, from: line), event, line)
        }
    }

    func testWireNamesAreSnakeCaseAndNullsStayExplicit() throws {
        let epoch = try RunProtocol.line(RunEvent.epoch(.init(epoch: 1, step: 3, seconds: 1, totalValLoss: nil, metrics: [:])))
        XCTAssertTrue(epoch.contains("\"total_val_loss\":null"), epoch)
        XCTAssertTrue(epoch.hasPrefix("{\"epoch\":1,\"event\":\"epoch\""), epoch)
        let step = try RunProtocol.line(RunEvent.step(.init(step: 1, epoch: 1, loss: ["a": nil], total: 2)))
        XCTAssertTrue(step.contains("\"loss\":{\"a\":null}"), step)
        XCTAssertFalse(step.contains("\"lr\""), "an absent optional is left out: \(step)")
        var start = RunEvent.Start(tasks: [])
        start.acceptsCommands = false
        start.specSource = "inferred"
        let text = try RunProtocol.line(RunEvent.start(start))
        XCTAssertTrue(text.contains("\"accepts_commands\":false") && text.contains("\"spec_source\":\"inferred\"")
                      && text.contains("\"version\":\(RunProtocol.version)"), text)
    }

    func testUnknownEventsAreKeptByNameAndBadLinesExplained() throws {
        XCTAssertEqual(try RunProtocol.decode(RunEvent.self, from: #"{"event":"fold","fold":2}"#), .other("fold"))
        XCTAssertThrowsError(try RunProtocol.decode(RunEvent.self, from: #"{"event":"step","epoch":1,"loss":{}}"#)) {
            XCTAssertEqual(($0 as? LineError)?.description, "step: missing")
        }
        XCTAssertThrowsError(try RunProtocol.decode(RunEvent.self, from: #"{"event":"step","step":"x","epoch":1,"loss":{}}"#)) {
            XCTAssertEqual(($0 as? LineError)?.description, "step: expected a whole number, got a string")
        }
        XCTAssertThrowsError(try RunProtocol.decode(RunEvent.self, from: #"{"event":"step","#)) {
            XCTAssertEqual(($0 as? LineError)?.description, "not valid JSON: it ends at column 17 before the JSON is complete")
        }
    }

    func testCommandsRoundTripAndExplainWhatTheyLack() throws {
        let commands: [RunCommand] = [
            .init(.pause, id: "1"), .init(.resume), .init(.step, count: 3), .init(.stop),
            .init(.save, path: "runs/x"), .init(.freeze, name: "trunk"), .init(.unfreeze, name: "trunk"),
            .init(.setLossWeight, task: "polarity", weight: 2), .init(.setLR, lr: 0.01),
        ]
        XCTAssertEqual(Set(commands.map(\.command)), Set(RunCommand.Kind.allCases))
        for command in commands {
            let line = try RunProtocol.line(command)
            XCTAssertEqual(try RunProtocol.decode(RunCommand.self, from: line), command, line)
            XCTAssertNil(command.problem, line)
        }
        XCTAssertEqual(try RunProtocol.decode(RunCommand.self, from: #"{"command":"set_lr","lr":0.5}"#).lr, 0.5)
        XCTAssertEqual(RunCommand(.setLossWeight, task: "a", weight: -1).problem, "set_loss_weight needs \"weight\", a number from 0 to 1000, got -1.0")
        // The workbench's range: far above it one task's loss swamps the rest and the run diverges.
        XCTAssertEqual(RunCommand(.setLossWeight, task: "a", weight: 1e300).problem, "set_loss_weight needs \"weight\", a number from 0 to 1000, got 1e+300")
        XCTAssertEqual(RunCommand(.setLossWeight, task: "a").problem, "set_loss_weight needs \"weight\", a number from 0 to 1000")
        XCTAssertEqual(RunCommand(.setLR).problem, "set_lr needs \"lr\", a finite number > 0 within 32-bit floats")
        XCTAssertEqual(RunCommand(.freeze).problem, "freeze needs \"name\" (a layer or module name)")
        XCTAssertThrowsError(try RunProtocol.decode(RunCommand.self, from: #"{"command":"explode"}"#)) {
            XCTAssertTrue(($0 as? LineError)?.description.hasPrefix("command: expected one of pause, resume, step,") == true, "\($0)")
        }
        // Said in the file's terms, not the decoder's ("Dictionary<String, Any>", "Double").
        for (line, message) in [("[1,2]", "expected a JSON object, got an array"),
                                (#"{"command":"set_lr","lr":"0.1","id":"r"}"#, "lr: expected a number, got a string"),
                                (#"{"command":"step","count":2.5}"#, "count: expected a whole number from -9223372036854775808 to 9223372036854775807, got 2.5"),
                                (#"{"command":"pause",,}"#, "not valid JSON at column 20")] {
            XCTAssertThrowsError(try RunProtocol.decode(RunCommand.self, from: line)) {
                let error = $0 as? LineError ?? LineError("")
                XCTAssertEqual(error.description, message, line)
                XCTAssertEqual(RunProtocol.badCommand(line, error).message, message, line)
            }
        }
        XCTAssertEqual(RunProtocol.badCommand(#"{"command":"set_lr","lr":"0.1","id":"r"}"#, LineError("x")).id, "r")
    }
}
