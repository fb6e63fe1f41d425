import MTLEngine
import MTLProtocol
@testable import MTLTUI
import XCTest

/// Another run's events fold into the snapshot the workbench draws.
final class StreamRunTests: XCTestCase {
    func read(_ run: inout StreamRun, _ lines: [String]) {
        for (i, line) in lines.enumerated() { run.read(line: line, number: i + 1) }
    }

    let start = #"{"event":"start","version":1,"tasks":[{"name":"a","kind":"multiclass","classes":["x","y"]},{"name":"b","kind":"regression"}],"accepts_commands":true,"epochs":4,"steps_per_epoch":5,"lr":0.01,"layers":[{"name":"trunk.conv","parameters":300}]}"#

    /// A run that ended on an earlier epoch's model says which in `done`: the views show it.
    func testDoneNamingAnEarlierEpochKeepsItsModel() {
        var run = StreamRun()
        read(&run, [
            start,
            #"{"event":"epoch","epoch":1,"step":5,"seconds":2,"metrics":{"val":{"a":{"count":4,"loss":0.6,"accuracy":0.75},"b":{"count":4,"loss":0.9,"mae":0.5}}}}"#,
            #"{"event":"epoch","epoch":2,"step":10,"seconds":2,"metrics":{"val":{"a":{"count":4,"loss":0.8,"accuracy":0.5},"b":{"count":4,"loss":1.1,"mae":0.7}}}}"#,
            #"{"event":"done","state":"finished","step":10,"epoch":1,"metrics":{"val":{"a":{"count":4,"loss":0.6,"accuracy":0.75},"b":{"count":4,"loss":0.9,"mae":0.5}}}}"#,
        ])
        XCTAssertEqual(run.snapshot.restoredEpoch, 1)
        XCTAssertEqual(run.snapshot.keptRecord?.step, 5)
        XCTAssertEqual(run.snapshot.keptModelValidation?[0].accuracy, 0.75)
        // Ending on the last epoch: nothing was restored.
        var last = StreamRun()
        read(&last, [start, #"{"event":"epoch","epoch":1,"step":5,"seconds":2,"metrics":{}}"#,
                     #"{"event":"done","state":"finished","step":5,"epoch":1,"metrics":{}}"#])
        XCTAssertNil(last.snapshot.restoredEpoch)
        XCTAssertNil(last.snapshot.keptValidation)
    }

    func testStepsEpochsAndDoneBecomeTheSnapshot() {
        var run = StreamRun()
        read(&run, [
            start,
            #"{"event":"step","step":1,"epoch":1,"loss":{"a":0.9,"b":null},"total":0.9}"#,
            #"{"event":"step","step":2,"epoch":1,"loss":{"a":0.7,"b":2.0},"total":2.7,"lr":0.005}"#,
            #"{"event":"epoch","epoch":1,"step":5,"seconds":2,"total_val_loss":1.5,"metrics":{"val":{"a":{"count":4,"loss":0.6,"accuracy":0.75,"confusion":[[2,0],[1,1]]},"b":{"count":4,"loss":0.9,"mae":0.5}}}}"#,
            #"{"event":"message","kind":"warning","step":5,"message":"careful"}"#,
            #"{"event":"done","state":"finished","step":5,"metrics":{"test":{"b":{"count":3,"loss":1.0,"mae":0.4}}}}"#,
        ])
        let s = run.snapshot
        XCTAssertTrue(run.started && run.acceptsCommands)
        XCTAssertEqual(run.classes, [["x", "y"], []])
        XCTAssertEqual(s.tasks, ["a", "b"])
        XCTAssertEqual(s.taskKinds, [.multiclass, .regression])
        XCTAssertEqual(s.lossSeries[0].buckets.map(\.mean), [0.9, 0.7])
        XCTAssertEqual(s.lossSeries[1].buckets.map(\.mean), [2.0], "a null loss is no point")
        XCTAssertEqual(s.learningRate, 0.005)
        XCTAssertEqual(s.epochs, 4)
        XCTAssertEqual(s.stepsPerEpoch, 5)
        XCTAssertEqual(s.layers, [LayerSummary.reported(name: "trunk.conv", parameters: 300)])
        XCTAssertEqual(s.history.count, 1)
        XCTAssertEqual(s.history[0].validation[0].accuracy, 0.75)
        XCTAssertEqual(s.history[0].validation[0].confusion, [[2, 0], [1, 1]])
        XCTAssertEqual(s.history[0].validation[1].mae, 0.5)
        XCTAssertTrue(s.history[0].train.isEmpty)
        XCTAssertEqual(s.history[0].validationTotal, 1.5)
        XCTAssertEqual(s.state, .finished)
        XCTAssertEqual(s.test?[1].mae, 0.4)
        XCTAssertTrue(s.test?[0].loss.isNaN == true, "a task the set does not name")
        XCTAssertEqual(s.events.last?.message, "careful")
        XCTAssertEqual(s.events.last?.kind, .warning)
    }

    /// A count the producer does not know (null, as a Lightning or Keras callback writes it, or
    /// left out) still reads: the task counts as measured when it reports a number.
    func testAnEpochWithoutACountIsReadAndMeasured() {
        var run = StreamRun()
        read(&run, [
            start,
            #"{"event":"epoch","epoch":1,"step":5,"total_val_loss":null,"metrics":{"val":{"a":{"count":null,"loss":0.6},"b":{"loss":0.9,"mae":0.5}}}}"#,
            #"{"event":"epoch","epoch":2,"step":10,"total_val_loss":null,"metrics":{"val":{"a":{"count":0,"loss":null},"b":{"mae":null}}}}"#,
        ])
        XCTAssertFalse(run.snapshot.events.contains { $0.kind == .error }, "\(run.snapshot.events.map(\.message))")
        XCTAssertEqual(run.snapshot.history.map { $0.validation.map(\.count) }, [[1, 1], [0, 0]])
        XCTAssertEqual(run.snapshot.history[0].validation[1].mae, 0.5)
    }

    /// The status line of a stream that does not say its steps per epoch or rate (the Python
    /// bridge's default) or its epochs: unknowns read `—` or are left out, with no full bar.
    func testTheStatusLineLeavesOutWhatTheStreamDoesNotSay() {
        func status(_ lines: [String]) -> String {
            var run = StreamRun()
            read(&run, lines)
            var grid = Grid(width: 100, height: 2)
            Screen.statusBar(&grid, run.snapshot, ViewState(), y: 1, width: 100)
            return grid.row(1)
        }
        let steps = (201...207).map { #"{"event":"step","step":\#($0),"epoch":21,"loss":{"a":0.5}}"# }
        let knownEpochs = status([#"{"event":"start","version":1,"tasks":[{"name":"a","kind":"binary"}],"epochs":10000}"#] + steps)
        XCTAssertTrue(knownEpochs.contains("epoch 21/10000 ░░░░") && !knownEpochs.contains("█"), knownEpochs)
        XCTAssertTrue(knownEpochs.contains("step 207 · lr —"), knownEpochs)
        let unknown = status([#"{"event":"start","version":1,"tasks":[{"name":"a","kind":"binary"}]}"#] + steps)
        XCTAssertTrue(unknown.contains("epoch 21 step 207 · lr —") && !unknown.contains("░"), unknown)
        // An epoch event says the steps per epoch and its rate.
        let epoch = #"{"event":"epoch","epoch":20,"step":200,"lr":0.01,"total_val_loss":null,"metrics":{}}"#
        let told = status([#"{"event":"start","version":1,"tasks":[{"name":"a","kind":"binary"}],"epochs":40}"#, epoch] + steps)
        XCTAssertTrue(told.contains("epoch 21/40 █████") && told.contains("step 207/400 · lr 0.01"), told)
    }

    /// The ETA is the remaining steps at the rate they arrive in wall time, not the epochs'
    /// compute `seconds`; a backlog read at once and a pause count for nothing.
    func testTheETAIsTheRemainingStepsAtTheRateTheyArrive() throws {
        var run = StreamRun()
        var line = 0, step = 0
        func steps(_ count: Int, at seconds: Double) {
            for _ in 0..<count {
                step += 1
                line += 1
                run.read(line: #"{"event":"step","step":\#(step),"epoch":\#(step / 5 + 1),"loss":{"a":0.5}}"#, number: line)
            }
            run.clock(seconds)
        }
        run.read(line: start, number: 1)   // 4 epochs of 5 steps
        line = 1
        steps(5, at: 100)   // the backlog
        run.read(line: #"{"event":"epoch","epoch":1,"step":5,"seconds":0.01,"total_val_loss":null,"metrics":{}}"#, number: 7)
        line = 7
        XCTAssertNil(run.snapshot.etaSeconds, "nothing measured yet: the backlog says nothing of the speed")
        for second in 1...5 { steps(1, at: 100 + 2 * Double(second)) }   // a step every 2 s
        XCTAssertEqual(try XCTUnwrap(run.snapshot.etaSeconds), 2 * 10, accuracy: 1e-9)
        run.read(line: #"{"event":"ack","command":"pause","step":10}"#, number: line + 1)
        line += 1
        run.clock(200)
        run.read(line: #"{"event":"ack","command":"resume","step":10}"#, number: line + 1)
        line += 1
        run.clock(201)
        steps(1, at: 203)
        XCTAssertEqual(try XCTUnwrap(run.snapshot.etaSeconds), 2 * 9, accuracy: 1e-9, "the paused minute is not counted")
    }

    func testPendingCommandsClearOnTheirAckOrError() {
        var run = StreamRun()
        read(&run, [start])
        run.sent(RunCommand(.setLossWeight, id: "w1", task: "b", weight: 0.5))
        run.sent(RunCommand(.pause, id: "w2"))
        run.sent(RunCommand(.freeze, id: "w3", name: "trunk"))
        XCTAssertEqual(run.pending.map(\.summary), ["set_loss_weight b=0.5", "pause", "freeze trunk"])
        run.read(line: #"{"event":"ack","id":"w1","command":"set_loss_weight","step":7}"#, number: 2)
        run.read(line: #"{"event":"ack","id":"w2","command":"pause","step":7}"#, number: 3)
        XCTAssertEqual(run.pending.map(\.id), ["w3"])
        XCTAssertEqual(run.snapshot.lossWeights, [1, 0.5])
        XCTAssertEqual(run.weight("b"), 0.5)
        XCTAssertEqual(run.snapshot.weightTrace[1].last, WeightPoint.reported(step: 7, weight: 0.5))
        XCTAssertEqual(run.snapshot.markers, [7])
        XCTAssertEqual(run.snapshot.state, .paused)
        // Another sender's change, known from the values its ack repeats.
        run.read(line: #"{"event":"ack","command":"set_lr","lr":0.002,"step":9}"#, number: 5)
        run.read(line: #"{"event":"ack","command":"set_loss_weight","task":"a","weight":3,"step":9}"#, number: 6)
        XCTAssertEqual(run.snapshot.learningRate, 0.002)
        // The dashboard's rate line draws from the trace, which the stream's rates now fill.
        XCTAssertEqual(run.snapshot.rateTrace.last, WeightPoint(step: 9, weight: 0.002))
        XCTAssertEqual(run.snapshot.lossWeights, [3, 0.5])
        run.read(line: #"{"event":"command_error","id":"w3","line":3,"message":"no layer","step":8}"#, number: 4)
        XCTAssertTrue(run.pending.isEmpty)
        XCTAssertEqual(run.snapshot.events.last?.message, "command line 3 refused: no layer")
        // Logged at the step the run refused it, not the latest step the stream reported (9).
        XCTAssertEqual(run.snapshot.events.last?.step, 8)
    }

    func testBadLinesAreEventsAndANewStartBeginsAgain() {
        var run = StreamRun()
        read(&run, [start, "{", #"{"event":"step","step":1,"epoch":1,"loss":{"a":1}}"#])
        XCTAssertEqual(run.snapshot.events.last?.message, "stream line 2: not valid JSON: it ends at column 2 before the JSON is complete")
        XCTAssertEqual(run.snapshot.events.last?.kind, .error)
        run.sent(RunCommand(.pause, id: "p"))
        run.read(line: #"{"event":"start","version":1,"tasks":[{"name":"c","kind":"binary"}]}"#, number: 4)
        XCTAssertEqual(run.snapshot.tasks, ["c"])
        XCTAssertFalse(run.acceptsCommands)
        XCTAssertTrue(run.pending.isEmpty)
        XCTAssertEqual(run.snapshot.step, 0)
        XCTAssertNil(run.unreadable)   // its bad line came after a start
    }

    func testAFileThatIsNoStreamIsSaidSo() {
        var run = StreamRun()
        read(&run, ["species,island,mass", "Adelie,Biscoe,3750"])
        XCTAssertFalse(run.started)
        XCTAssertEqual(run.unreadable, "line 1: not valid JSON at column 1")
    }

    func testWorkbenchCommandsBecomeProtocolCommands() throws {
        var run = StreamRun()
        read(&run, [start])
        func translated(_ command: TrainerCommand) -> RunCommand? { try? StreamWatch.protocolCommand(command, run).get() }
        XCTAssertEqual(translated(.scaleLossWeight(task: "a", factor: 1.25)), RunCommand(.setLossWeight, task: "a", weight: 1.25))
        XCTAssertEqual(translated(.scaleLearningRate(factor: 0.5)), RunCommand(.setLR, lr: 0.005))
        XCTAssertEqual(translated(.step(1)), RunCommand(.step, count: 1))
        XCTAssertEqual(translated(.save("")), RunCommand(.save))
        XCTAssertNil(translated(.setStrategy(.dwa)))
        XCTAssertNil(translated(.addEpochs(5)))
    }
}

final class StreamWatchCommandTests: XCTestCase {
    func testACommandFileThatCannotBeWrittenIsSaidNotLost() throws {
        let directory = NSTemporaryDirectory() + "watch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/run.jsonl.commands", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stream = directory + "/run.jsonl"
        let start = #"{"event":"start","version":1,"tasks":[{"name":"a","kind":"binary"}],"accepts_commands":true}"#
        XCTAssertTrue(FileManager.default.createFile(atPath: stream, contents: Data((start + "\n").utf8)))
        let watch = StreamWatch(source: .file(stream), themes: [])
        _ = watch.screen(width: 80, height: 24, view: .dashboard, unicode: true)
        watch.send(.pause, to: watch.selectedFeed)
        XCTAssertTrue(watch.state.note?.hasPrefix("cannot write the command file \(stream).commands: ") == true, "\(watch.state.note ?? "nil")")
        XCTAssertTrue(watch.current.pending.isEmpty, "a command that did not go is not pending")
    }

    /// A newer protocol's stream is shown as far as it is understood, with a warning, and is
    /// sent no command, though it says it reads them: it could read one otherwise.
    func testANewerProtocolIsShownButNotSteered() throws {
        let directory = NSTemporaryDirectory() + "watch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stream = directory + "/run.jsonl"
        let lines = [#"{"event":"start","version":7,"tasks":[{"name":"a","kind":"binary"}],"accepts_commands":true,"epochs":2}"#,
                     #"{"event":"step","step":3,"epoch":1,"loss":{"a":0.5},"novelty":{"x":1}}"#,
                     #"{"event":"hologram","step":3}"#]
        XCTAssertTrue(FileManager.default.createFile(atPath: stream, contents: Data((lines.joined(separator: "\n") + "\n").utf8)))
        let watch = StreamWatch(source: .file(stream), themes: [])
        let screen = watch.screen(width: 120, height: 30, view: .dashboard, unicode: true)
        XCTAssertTrue(screen.contains("step 3"), screen)
        XCTAssertTrue(screen.contains("protocol version 7 is newer than this reader's 1: shown as far as it is understood"), screen)
        XCTAssertEqual(watch.current.snapshot.events.map(\.kind), [.warning, .info], "a warning, not an error")
        XCTAssertEqual(watch.current.controlsOff, .newerProtocol(7))
        watch.send(.pause, to: watch.selectedFeed)
        XCTAssertEqual(watch.state.note, "controls are off: this run speaks protocol version 7, newer than this watcher's 1, and could misread a command")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stream + ".commands"), "no command was written")
        XCTAssertTrue(watch.current.pending.isEmpty)
    }
}
