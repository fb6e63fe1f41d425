import Foundation
import MTLProtocol
import XCTest

/// The Python bridge (`python/`) and the Swift reader speak the same protocol.
final class PythonStreamTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func testSwiftReadsEveryEventThePythonBridgeWrites() throws {
        let stream = try streamPath()
        // A loop of three steps: a good command, a bad one and a weight change arrive between steps.
        let script = """
        import json, sys
        sys.path.insert(0, sys.argv[2])
        from mtl_tui import Controls, Run
        path = sys.argv[1]
        run = Run(path, {"polarity": "binary", "score": "regression"}, epochs=1, model="toy")
        weights = {"polarity": 1.0, "score": 1.0}
        controls = Controls(run, loss_weights=weights)
        with open(path + ".commands", "a") as f:
            f.write(json.dumps({"command": "set_loss_weight", "task": "score", "weight": 0.5, "id": "w"}) + "\\n")
            f.write("{oops\\n")
        for step in range(1, 4):
            controls.apply(step - 1)
            run.step(step, 1, {"polarity": 0.7 / step, "score": None}, total=weights["score"], lr=0.01)
        run.epoch(1, 3, {"train": {"polarity": {"count": 24, "loss": 0.3, "accuracy": 0.9, "confusion": [[10, 2], [0, 12]]}},
                         "val": {"score": {"count": 6, "loss": 1.2, "mae": 0.8, "r2": float("nan")}}},
                  total_val_loss=1.5, seconds=0.25)
        run.message("warning", 3, "a warning")
        run.done("finished", 3, {"test": {"score": {"count": 6, "loss": 1.1, "mae": 0.7}}}, epoch=1)
        """
        try runPython(script, stream)

        let events = try read(stream)
        XCTAssertEqual(events.map(\.name), ["start", "command_error", "message", "ack", "step", "step", "step", "epoch", "message", "done"])
        guard case .start(let start) = events[0], case .ack(let ack) = events[3], case .step(let first) = events[4],
              case .step(let last) = events[6], case .epoch(let epoch) = events[7], case .done(let done) = events[9],
              case .commandError(let error) = events[1] else { return XCTFail("\(events)") }
        XCTAssertEqual(start.version, RunProtocol.version)
        XCTAssertEqual(start.producer, "python")
        XCTAssertEqual(start.tasks, [.init(name: "polarity", kind: "binary"), .init(name: "score", kind: "regression")])
        XCTAssertEqual(start.acceptsCommands, true)
        XCTAssertEqual(error, .init(line: 2, message: "not a JSON object"))
        XCTAssertEqual(ack, .init(RunCommand(.setLossWeight, id: "w", task: "score", weight: 0.5), line: 1, step: 0))
        let expected: [String: Double?] = ["polarity": 0.7, "score": nil]
        XCTAssertEqual(first.loss, expected)
        XCTAssertEqual(first.total, 0.5, "the weight applied before the first step")
        XCTAssertEqual(first.lr, 0.01)
        XCTAssertEqual(last.step, 3)
        let train = try XCTUnwrap(epoch.metrics["train"]?["polarity"])
        XCTAssertEqual(train.count, 24)
        XCTAssertEqual(train.values["accuracy"], 0.9)
        XCTAssertEqual(train.confusion, [[10, 2], [0, 12]])
        XCTAssertEqual(epoch.metrics["val"]?["score"]?.values.keys.contains("r2"), true)
        XCTAssertNil(epoch.metrics["val"]?["score"]?.values["r2"] ?? nil, "NaN travels as null")
        XCTAssertEqual(epoch.totalValLoss, 1.5)
        XCTAssertEqual(done.state, "finished")
        XCTAssertEqual(done.metrics["test"]?["score"]?.values["mae"], 0.7)
    }

    /// The call a tester made, metrics without "count", raises at the call (the reader refused
    /// every such line); with the count, or None where it is not known, every line reads.
    func testTheBridgeRaisesAtAnEpochWithoutCountsAndWritesWhatTheReaderReads() throws {
        let stream = try streamPath()
        let script = """
        import sys
        sys.path.insert(0, sys.argv[2])
        from mtl_tui import Run
        run = Run(sys.argv[1], {"a": "multiclass", "b": "regression"}, epochs=10)
        run.step(5, 1, {"a": 0.9, "b": 2.0})
        try:
            run.epoch(1, 5, {"val": {"a": {"loss": 0.6, "accuracy": 0.5}}})
            sys.exit("an epoch without counts was written")
        except ValueError as error:
            assert 'has no "count"' in str(error), error
        run.epoch(1, 5, {"val": {"a": {"count": 40, "loss": 0.6, "accuracy": 0.5}, "b": {"count": None, "loss": 1.5}}})
        run.done("finished", 5, {"val": {"b": {"count": None, "mae": 0.7}}})
        """
        try runPython(script, stream)
        let events = try read(stream)
        XCTAssertEqual(events.map(\.name), ["start", "step", "epoch", "done"])
        guard case .epoch(let epoch) = events[2] else { return XCTFail("\(events)") }
        XCTAssertEqual(epoch.metrics["val"]?["a"]?.count, 40)
        XCTAssertEqual(epoch.metrics["val"]?["b"]?.values["loss"], 1.5)
        XCTAssertNil(try XCTUnwrap(epoch.metrics["val"]?["b"]).count, "not known: null")
    }

    func testSwiftReadsThePythonBridgesExamples() throws {
        let stream = try streamPath()
        let script = """
        import sys
        sys.path.insert(0, sys.argv[2])
        from mtl_tui import Run
        run = Run(sys.argv[1], {"polarity": ("binary", ["neg", "pos"])}, accepts_commands=False)
        run.step(12, 1, {"polarity": 0.4})
        rows = [{"key": "a", "text": "fine", "label": "pos", "predicted": "pos", "probability": 0.7, "loss": 0.36},
                {"key": "b", "text": "not good", "label": "neg", "predicted": "pos", "probability": 0.8, "loss": 1.61, "split": "train"}]
        run.examples("polarity", rows, (["neg", "pos"], [[5, 2], [1, 6]]), epoch=1)
        """
        try runPython(script, stream)
        let events = try read(stream)
        guard case .examples(let examples) = try XCTUnwrap(events.last) else { return XCTFail("\(events)") }
        XCTAssertEqual(examples, RunEvent.Examples(
            task: "polarity", step: 12, epoch: 1,
            rows: [.init(key: "b", text: "not good", split: "train", label: "neg", predicted: "pos", probability: 0.8, loss: 1.61),
                   .init(key: "a", text: "fine", split: "val", label: "pos", predicted: "pos", probability: 0.7, loss: 0.36)],
            confusion: .init(classes: ["neg", "pos"], matrix: [[5, 2], [1, 6]])))
    }

    /// A stream's path in a directory of its own, removed when the test ends.
    func streamPath() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("py-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory.appendingPathComponent("run.jsonl").path
    }

    /// Every line of the stream, decoded by the Swift reader (a line it cannot read throws).
    func read(_ stream: String) throws -> [RunEvent] {
        try String(contentsOfFile: stream, encoding: .utf8).split(separator: "\n").map { try RunProtocol.decode(RunEvent.self, from: String($0)) }
    }

    /// Runs `script` with the stream's path and the bridge's folder as its arguments; it must exit 0.
    func runPython(_ script: String, _ stream: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, stream, Self.repository.appendingPathComponent("python").path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, message)
    }
}
