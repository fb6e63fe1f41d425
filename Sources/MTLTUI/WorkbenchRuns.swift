import Foundation
import MTLEngine

/// The runs behind the workbench, each its own `Trainer` on its own queue (they train side by
/// side; the screen only copies their snapshots). One is selected and receives the controls.
/// Used on the main thread only.
final class LiveRuns {
    final class Entry {
        let id: Int
        let trainer: Trainer
        let origin: String
        let forkStep: Int?
        /// The settings in force when the branch was taken: what "changed" compares against.
        let base: TrainerSnapshot?
        /// Where it saves: its default until the first save settles it (`LiveRuns.settle`).
        private(set) var directory: String
        /// The directory is the one its saves go to from now on.
        private(set) var settled: Bool
        /// The step at which `s` last saved it (nil: never).
        var savedStep: Int?
        /// How the run answered `s` saves that `poll` has not read yet (filled on its queue).
        let saveReplies = Locked<[CommandReply]>([])

        init(id: Int, trainer: Trainer, origin: String, forkStep: Int?, base: TrainerSnapshot?, directory: String, settled: Bool) {
            self.id = id
            self.trainer = trainer
            self.origin = origin
            self.forkStep = forkStep
            self.base = base
            self.directory = directory
            self.settled = settled
        }

        func settle(at directory: String) {
            self.directory = directory
            settled = true
        }

        /// Asks the run to save to its directory; the answer lands in `saveReplies`.
        func sendSave() {
            let replies = saveReplies
            trainer.send(.save(directory)) { reply in replies.withLock { $0.append(reply) } }
        }

        func isSaved(_ s: TrainerSnapshot) -> Bool {
            savedStep == s.step || (trainer.setup.saveDirectory != nil && !s.state.isActive)
        }
    }

    private(set) var entries: [Entry] = []
    private(set) var selected = 0
    let references: [RunView]
    let saveDirectory: String
    /// The user named the save directory (`--save DIR`): saves replace what it holds, as asked.
    /// Without it the directory is a default, and a run's first save never replaces a
    /// checkpoint it did not write (`settle`).
    let overwrites: Bool
    /// The run asked to fork, and its settings then; the copy arrives a batch later, or once the
    /// run's linear fit has ended (`waitsForFit`: it was fitting when asked).
    private var pendingBranch: (entry: Entry, base: TrainerSnapshot, waitsForFit: Bool)?

    init(first: Trainer, saveDirectory: String, references: [RunView]) {
        self.saveDirectory = saveDirectory
        self.references = references
        overwrites = first.setup.saveDirectory != nil
        add(first, origin: "fresh, seed \(first.setup.training.seed)", forkStep: nil, base: nil)
    }

    var current: Entry { entries[selected] }

    @discardableResult
    private func add(_ trainer: Trainer, origin: String, forkStep: Int?, base: TrainerSnapshot?) -> Entry {
        let id = (entries.map(\.id).max() ?? 0) + 1
        let directory = id == 1 ? saveDirectory : saveDirectory + "-run\(id)"
        let entry = Entry(id: id, trainer: trainer, origin: origin, forkStep: forkStep, base: base, directory: directory, settled: overwrites)
        entries.append(entry)
        selected = entries.count - 1
        trainer.start()
        return entry
    }

    func select(_ delta: Int) -> String {
        selected = (selected + delta + entries.count) % entries.count
        return "run \(current.id) selected: \(current.origin)"
    }

    /// Why another run cannot start now, or nil. A branch asked for and not yet started counts:
    /// the refusal names it beside the runs listed.
    private var fullMessage: String? {
        guard let pending = pendingBranch else {
            return entries.count >= RunLimits.live ? "\(RunLimits.live) runs already: no more can start (every run is kept; quit to free them)" : nil
        }
        let waiting = pending.waitsForFit ? "waits for its linear fit to end" : "is being copied"
        if entries.count + 1 >= RunLimits.live {
            return "\(entries.count) runs and the branch of run \(pending.entry.id), which \(waiting), make \(RunLimits.live): no more can start"
                + " (every run is kept; quit to free them)"
        }
        return "the branch of run \(pending.entry.id) \(waiting); try again once it has started"
    }

    /// The branch asked for and not started yet, as the runs view lists it (nil: none).
    var pendingNote: String? {
        guard let pending = pendingBranch else { return nil }
        let id = (entries.map(\.id).max() ?? 0) + 1
        return "run \(id): branch of run \(pending.entry.id), "
            + (pending.waitsForFit ? "starts when its linear fit ends" : "being copied")
    }

    /// `b`: asks the selected run for a copy of its state (it arrives in `poll`). A run fitting
    /// its linear model reads no commands until the fit ends: the branch waits for it, and says so.
    func branch(_ snapshot: TrainerSnapshot) -> String {
        if let full = fullMessage { return full }
        guard snapshot.state.isActive || snapshot.state == .finished else { return "run \(current.id) was stopped: it cannot branch" }
        let fitting = snapshot.preparing != nil
        pendingBranch = (current, snapshot, fitting)
        current.trainer.send(.fork)
        if fitting {
            let id = (entries.map(\.id).max() ?? 0) + 1
            return "run \(current.id) is fitting its linear model: its branch starts as run \(id) when the fit ends (7 lists it)"
        }
        return "branching run \(current.id) at step \(snapshot.step)…"
    }

    /// `R`: a new run with the selected run's settings in force and a new seed.
    func fresh(_ snapshot: TrainerSnapshot) -> String {
        if let full = fullMessage { return full }
        let seed = UInt64.random(in: 1...999_999)
        let setup = current.trainer.setup.fresh(settings: snapshot, seed: seed)
        let entry = add(Trainer(setup, continuable: true), origin: "fresh, seed \(seed)", forkStep: nil, base: nil)
        return "run \(entry.id): a fresh run, seed \(seed) (selected)"
    }

    /// Starts a branch whose copy has arrived, and reads how saves ended; a note to show, or nil.
    func poll() -> String? {
        let saved = answeredSaves()
        guard let (origin, base, _) = pendingBranch, let fork = origin.trainer.takeFork() else { return saved }
        pendingBranch = nil
        let paused = base.state == .paused
        let trainer = Trainer(origin.trainer.setup.branch(from: fork), startPaused: paused, continuable: true)
        let step = fork.info.position.step
        let entry = add(trainer, origin: "branch of run \(origin.id) at step \(step)", forkStep: step, base: base)
        return "run \(entry.id): branch of run \(origin.id) at step \(step) (selected: your next changes go to it)"
    }

    /// `s`: saves the selected run to its own directory. It counts as saved once the save has
    /// succeeded (`poll` says so, or why it failed: the run stays unsaved, and quitting asks).
    func saveSelected(_ snapshot: TrainerSnapshot) -> String {
        let moved = settle(current)
        current.sendSave()
        return "saving run \(current.id) to \(current.directory)" + (moved.map { " (\($0) holds an earlier checkpoint)" } ?? "")
    }

    /// Before a run's first save to a default directory: keeps the default if nothing is there,
    /// else takes the first free `-2`, `-3`, … beside it, so that an earlier session's
    /// checkpoint is never replaced without a word. Later saves of the run go to the same place.
    /// Returns the default it moved away from, or nil.
    @discardableResult
    func settle(_ entry: Entry) -> String? {
        guard !entry.settled else { return nil }
        let taken = Set(entries.filter { $0 !== entry && $0.settled }.map(\.directory))
        let wanted = entry.directory
        entry.settle(at: Self.unused(wanted, taken: taken))
        return entry.directory == wanted ? nil : wanted
    }

    /// `base` when nothing is there (on disk or claimed by another run), else `base-2`, `base-3`, ….
    static func unused(_ base: String, taken: Set<String>,
                       exists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) -> String {
        func free(_ path: String) -> Bool { !taken.contains(path) && !exists(path) }
        if free(base) { return base }
        var n = 2
        while !free("\(base)-\(n)") { n += 1 }
        return "\(base)-\(n)"
    }

    /// The saves the runs have answered since the last poll: the latest one's note, or nil.
    private func answeredSaves() -> String? {
        var note: String?
        for entry in entries {
            for reply in entry.saveReplies.withLock({ replies in defer { replies = [] }; return replies }) {
                switch reply {
                case .applied(let step):
                    entry.savedStep = step
                    note = "run \(entry.id) saved to \(entry.directory)"
                case .refused(let reason, _):
                    note = "run \(entry.id) not saved: \(reason)"
                }
            }
        }
        return note
    }

    /// Every run's view, references last, with the snapshots taken once per frame.
    func overlay(_ snapshots: [TrainerSnapshot]) -> RunsOverlay {
        let live = zip(entries, snapshots).map { entry, s in
            var view = RunView(id: entry.id, snapshot: s, origin: entry.origin)
            view.forkStep = entry.forkStep
            view.changes = entry.base.map { RunDifference.changes(from: $0, to: s) } ?? []
            view.saved = entry.isSaved(s)
            return view
        }
        var overlay = RunsOverlay(runs: live + references, selected: selected)
        overlay.pending = pendingNote
        return overlay
    }

    /// On quit: saves the unsaved runs when asked, stops every run and waits (bounded) for
    /// saves and final evaluations. Returns how each save asked for ended and which runs were
    /// left unsaved, for after the screen has closed (the workbench's own note would go with it).
    @discardableResult
    func shutDown(saving: Bool) -> WorkbenchExit {
        var asked: [Int] = []
        var moved: [Int: String] = [:]
        for entry in entries {
            let s = entry.trainer.snapshot
            if saving, !entry.isSaved(s) {
                moved[entry.id] = settle(entry)
                entry.saveReplies.withLock { $0 = [] }
                entry.sendSave()
                asked.append(entry.id)
            }
            entry.trainer.send(.stop)
        }
        let deadline = Date().addingTimeInterval(10)
        for entry in entries { entry.trainer.waitUntilFinished(seconds: max(deadline.timeIntervalSinceNow, 0.1)) }
        let saves = entries.filter { asked.contains($0.id) }.map { entry in
            let failure: String? = switch entry.saveReplies.withLock({ $0.last }) {
            case .refused(let reason, _)?: reason
            case nil: "the save did not finish within 10 s"
            case .applied?: nil
            }
            return WorkbenchExit.Save(run: entry.id, directory: entry.directory, failure: failure, instead: moved[entry.id])
        }
        let unsaved = entries.filter { entry in
            let s = entry.trainer.snapshot
            return !asked.contains(entry.id) && s.step > 0 && !entry.isSaved(s)
        }
        return WorkbenchExit(saves: saves, unsaved: unsaved.map(\.id))
    }
}
