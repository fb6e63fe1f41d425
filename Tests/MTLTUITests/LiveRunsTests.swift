import Foundation
import MTLData
@testable import MTLEngine
import Testing
@testable import MTLTUI

/// The workbench's list of live runs on small synthetic trainers: branching, fresh runs, the
/// limit of four, selection and saving each unsaved run on quit.
@Suite(.serialized) struct LiveRunsTests {
    static func setup() -> TrainingSetup {
        let model = ModelConfig(trunk: .mlp, vocabulary: 0, hidden: [4], dropout: 0, features: 3, heads: SyntheticData.heads(Fixture.tasks))
        var training = TrainingConfig()
        training.epochs = 2
        training.batchSize = 8
        return SyntheticData.setup(rows: 60, tokens: 0, vocabulary: 0, features: 3, tasks: Fixture.tasks, model: model, training: training)
    }

    func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return false
    }

    /// `s` counts a run as saved only once its save succeeded; a failed one says why and leaves
    /// the run unsaved, so quitting still offers to save it.
    @Test func aSaveCountsOnlyOnceItSucceeded() throws {
        let scratch = NSTemporaryDirectory() + "mtl-tui-save-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let file = scratch + "/a-file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        for (directory, saved) in [(file + "/run", false), (scratch + "/run", true)] {
            let runs = LiveRuns(first: Trainer(Self.setup(), startPaused: true, continuable: true), saveDirectory: directory, references: [])
            let trainer = runs.current.trainer
            #expect(runs.saveSelected(trainer.snapshot) == "saving run 1 to \(directory)")
            var note: String?
            #expect(eventually { note = runs.poll(); return note != nil })
            let expected = saved ? "run 1 saved to \(directory)" : "run 1 not saved: could not save: \(directory)"
            #expect(note?.hasPrefix(expected) == true, "\(note ?? "")")
            #expect(runs.overlay([trainer.snapshot]).runs[0].saved == saved)
            runs.shutDown(saving: false)
        }
        // Saving on quit: a save that fails is returned, to be said once the screen has closed.
        let runs = LiveRuns(first: Trainer(Self.setup(), startPaused: true, continuable: true), saveDirectory: file + "/run", references: [])
        runs.current.trainer.send(.step(1))
        #expect(eventually { runs.current.trainer.snapshot.step == 1 })
        let ending = runs.shutDown(saving: true)
        #expect(ending.messages.count == 1 && ending.messages[0].hasPrefix("error: run 1 not saved: could not save: \(file)/run"), "\(ending)")
        #expect(ending.status == 1)
    }

    @Test func branchFreshRunsAFifthRefusedAndSaveOnQuit() throws {
        let directory = NSTemporaryDirectory() + "mtl-tui-runs-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runs = LiveRuns(first: Trainer(Self.setup(), startPaused: true, continuable: true), saveDirectory: directory, references: [])
        let first = runs.current.trainer
        first.send(.step(3))
        #expect(eventually { first.snapshot.step == 3 && first.snapshot.state == .paused })

        #expect(runs.branch(first.snapshot) == "branching run 1 at step 3…")
        var note: String?
        #expect(eventually { note = runs.poll(); return note != nil })
        #expect(note == "run 2: branch of run 1 at step 3 (selected: your next changes go to it)")
        #expect(runs.entries.count == 2 && runs.current.id == 2 && runs.current.forkStep == 3)
        // Paused like its origin, at the fork step.
        #expect(eventually { runs.current.trainer.snapshot.step == 3 && runs.current.trainer.snapshot.state == .paused })

        #expect(runs.fresh(first.snapshot).hasPrefix("run 3: a fresh run, seed "))
        #expect(runs.fresh(first.snapshot).hasPrefix("run 4: a fresh run, seed "))
        #expect(runs.fresh(first.snapshot) == "4 runs already: no more can start (every run is kept; quit to free them)")
        #expect(runs.branch(first.snapshot).hasPrefix("4 runs already"))
        #expect(runs.entries.map(\.id) == [1, 2, 3, 4])
        #expect(runs.select(1).hasPrefix("run 1 selected") && runs.select(-1).hasPrefix("run 4 selected"))

        let snapshots = runs.entries.map(\.trainer.snapshot)
        let overlay = runs.overlay(snapshots)
        #expect(overlay.runs.map(\.origin)[0...1] == ["fresh, seed 42", "branch of run 1 at step 3"])
        #expect(overlay.runs.allSatisfy { !$0.saved })
        runs.shutDown(saving: true)
        for id in [1, 2, 3, 4] {
            let path = id == 1 ? directory : directory + "-run\(id)"
            #expect(FileManager.default.fileExists(atPath: path + "/model.json"), "\(path)")
        }
        #expect(runs.entries.allSatisfy { $0.trainer.waitUntilFinished(seconds: 1) })
    }

    /// Without --save, a run's first save never replaces a checkpoint it did not write: an
    /// earlier session's run at the default directory stays, the new one takes `-2` (and says
    /// so), and its later saves go there too. --save DIR replaces what DIR holds, as asked.
    @Test func aDefaultSaveKeepsAnEarlierSessionsCheckpoint() throws {
        let scratch = NSTemporaryDirectory() + "mtl-tui-default-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let directory = scratch + "/penguins"
        func session(steps: Int, _ setup: TrainingSetup = Self.setup()) throws -> LiveRuns {
            let runs = LiveRuns(first: Trainer(setup, startPaused: true, continuable: true), saveDirectory: directory, references: [])
            runs.current.trainer.send(.step(steps))
            #expect(eventually { runs.current.trainer.snapshot.step == steps })
            return runs
        }
        func saved(_ runs: LiveRuns) -> String? {
            var note: String?
            _ = eventually { note = runs.poll(); return note != nil }
            return note
        }
        func step(_ path: String) throws -> Int { try Checkpoint.read(from: path).info.position.step }
        /// One more step, then `s`: it saves where the run's first save went.
        func stepAndSaveAgain(_ runs: LiveRuns, to target: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let next = runs.current.trainer.snapshot.step + 1
            runs.current.trainer.send(.step(1))
            #expect(eventually { runs.current.trainer.snapshot.step == next }, sourceLocation: sourceLocation)
            #expect(runs.saveSelected(runs.current.trainer.snapshot) == "saving run 1 to \(target)", sourceLocation: sourceLocation)
            #expect(saved(runs) == "run 1 saved to \(target)", sourceLocation: sourceLocation)
        }

        // An earlier session's run, 3 steps in, saved at the default directory.
        let earlier = try session(steps: 3)
        #expect(earlier.saveSelected(earlier.current.trainer.snapshot) == "saving run 1 to \(directory)")
        #expect(saved(earlier) == "run 1 saved to \(directory)")
        // Its own later saves replace it: the run wrote it.
        stepAndSaveAgain(earlier, to: directory)
        earlier.shutDown(saving: false)
        #expect(try step(directory) == 4)

        // A new session: its first save goes beside it, and so do its later ones.
        let later = try session(steps: 1)
        #expect(later.saveSelected(later.current.trainer.snapshot)
                == "saving run 1 to \(directory)-2 (\(directory) holds an earlier checkpoint)")
        #expect(saved(later) == "run 1 saved to \(directory)-2")
        stepAndSaveAgain(later, to: directory + "-2")
        later.shutDown(saving: false)
        #expect(try step(directory) == 4 && step(directory + "-2") == 2)

        // Saving on quit takes the next free name, said once the screen has closed.
        let third = try session(steps: 1)
        let ending = third.shutDown(saving: true)
        #expect(ending.saves == [WorkbenchExit.Save(run: 1, directory: directory + "-3", failure: nil, instead: directory)], "\(ending)")
        #expect(ending.messages == ["run 1 saved to \(directory)-3 (\(directory) holds an earlier checkpoint)"])
        #expect(try step(directory) == 4 && step(directory + "-3") == 1)

        // --save DIR: replaced, as asked.
        var named = Self.setup()
        named.saveDirectory = directory
        let explicit = try session(steps: 2, named)
        #expect(explicit.saveSelected(explicit.current.trainer.snapshot) == "saving run 1 to \(directory)")
        #expect(saved(explicit) == "run 1 saved to \(directory)")
        explicit.shutDown(saving: false)
        #expect(try step(directory) == 2)
    }

    @Test func aFreshNameSkipsWhatIsOnDiskAndWhatOtherRunsTook() {
        let disk: Set<String> = ["runs/a", "runs/a-2"]
        #expect(LiveRuns.unused("runs/b", taken: [], exists: disk.contains) == "runs/b")
        #expect(LiveRuns.unused("runs/a", taken: [], exists: disk.contains) == "runs/a-3")
        #expect(LiveRuns.unused("runs/a", taken: ["runs/a-3"], exists: disk.contains) == "runs/a-4")
    }

    /// `b` on a run fitting its linear model (which reads no commands until the fit ends) says
    /// the branch waits for it, the runs view lists it, and a refusal counts it beside the runs
    /// listed instead of claiming four runs while three show.
    @Test func aBranchWaitingForALinearFitIsSaidListedAndCounted() throws {
        let runs = LiveRuns(first: Trainer(Self.setup(), startPaused: true, continuable: true), saveDirectory: "unused", references: [])
        defer { runs.shutDown(saving: false) }
        let first = runs.current.trainer
        _ = runs.fresh(first.snapshot)
        _ = runs.fresh(first.snapshot)
        #expect(runs.entries.map(\.id) == [1, 2, 3] && runs.current.id == 3)
        // Run 3 as it is while the fit runs (the note is all `b` reads of it).
        var fitting = runs.current.trainer.snapshot
        fitting.state = .running
        fitting.preparing = "fitting the linear model of task0 (task 1 of 3) before training"
        #expect(runs.branch(fitting) == "run 3 is fitting its linear model: its branch starts as run 4 when the fit ends (7 lists it)")
        let refusal = "3 runs and the branch of run 3, which waits for its linear fit to end, make 4: no more can start (every run is kept; quit to free them)"
        #expect(runs.branch(fitting) == refusal)
        #expect(runs.fresh(fitting) == refusal)
        let overlay = runs.overlay(runs.entries.map(\.trainer.snapshot))
        #expect(overlay.pending == "run 4: branch of run 3, starts when its linear fit ends")
        var grid = Grid(width: 120, height: 12)
        RunsView.draw(&grid, overlay, ViewState(), y: 0, height: 12)
        let listed = (0..<12).map(grid.row)
        let pendingRow = try #require(listed.firstIndex { $0.contains("run 4: branch of run 3, starts when its linear fit ends") }, "\(grid.text)")
        #expect(listed.lastIndex { $0.contains("fresh, seed") }! < pendingRow)
        // Once the copy arrives it starts as run 4, and the list and the count agree again.
        var note: String?
        #expect(eventually { note = runs.poll(); return runs.entries.count == 4 })
        #expect(note?.hasPrefix("run 4: branch of run 3") == true, "\(note ?? "")")
        #expect(runs.overlay(runs.entries.map(\.trainer.snapshot)).pending == nil)
        #expect(runs.branch(runs.current.trainer.snapshot).hasPrefix("4 runs already: no more can start"))
    }

    /// A branch of a training run is being copied for a batch: R meanwhile is asked to wait.
    @Test func aRunStartedWhileABranchIsCopiedWaits() {
        let runs = LiveRuns(first: Trainer(Self.setup(), startPaused: true, continuable: true), saveDirectory: "unused", references: [])
        defer { runs.shutDown(saving: false) }
        #expect(runs.branch(runs.current.trainer.snapshot) == "branching run 1 at step 0…")
        #expect(runs.fresh(runs.current.trainer.snapshot) == "the branch of run 1 is being copied; try again once it has started")
        #expect(runs.overlay(runs.entries.map(\.trainer.snapshot)).pending == "run 2: branch of run 1, being copied")
    }
}
