import Dispatch
import Foundation
import MTLData
import MTLEngine

/// The live workbench: the main thread draws the trainer's snapshot and reads keys about 20
/// times a second; the trainer runs on its own queue. Neither ever waits for the other.
///
/// ```swift
/// let workbench = Workbench(trainer: trainer, context: context, themes: themes, saveDirectory: "runs/x")
/// try workbench.run()
/// ```
public final class Workbench {
    let trainer: Trainer
    let context: WorkbenchContext
    var themes: [Theme]
    var themeIndex = 0
    let saveDirectory: String
    let forceASCII: Bool
    let noColor: Bool
    /// Single-task baselines trained beside the run, when asked for: started with the trainer,
    /// stopped on quit; the dashboard compares the run with them.
    let baselines: BaselineRunner?
    /// Where the browser's corrections are appended (nil: kept in memory only).
    let corrections: CorrectionsWriter?
    /// Saved runs loaded with `--compare`: fixed curves beside the live ones.
    let references: [RunView]
    var state = ViewState()

    /// `trainer` should be continuable, so that a finished run can go on (`E`) or branch (`b`).
    public init(trainer: Trainer, context: WorkbenchContext, themes: [Theme], saveDirectory: String,
                forceASCII: Bool = false, noColor: Bool = false, baselines: BaselineRunner? = nil,
                corrections: CorrectionsWriter? = nil, references: [RunView] = []) {
        self.trainer = trainer
        self.corrections = corrections
        self.baselines = baselines
        self.context = context
        self.themes = themes.isEmpty ? [Theme.builtIn] : themes
        self.saveDirectory = saveDirectory
        self.forceASCII = forceASCII
        self.noColor = noColor
        self.references = references
    }

    /// Runs until the user quits or a signal ends it; the terminal is always restored. Returns
    /// how it ended (saves, lost runs, the signal), to print once it is.
    @discardableResult
    public func run() throws -> WorkbenchExit {
        let terminal = try Terminal(forceASCII: forceASCII, noColor: noColor)
        defer { terminal.end() }
        // Keys typed while the data was prepared are not commands (TypeAhead).
        TypeAhead.discard()
        StopSignals.install()
        state.unicode = terminal.unicode
        state.greys = terminal.colorMode != .none
        if !context.notes.isEmpty {
            state.note = context.notes.count == 1 ? context.notes[0] : "\(context.notes.count) notes on the data: the Controls view (2) lists them"
        }
        let runs = LiveRuns(first: trainer, saveDirectory: saveDirectory, references: references)
        if let baselines, !baselines.snapshot.finished { baselines.start() }
        var saveOnExit = false
        var deferred: Key?, deferrals = 0
        var interrupts = 0, termination: Int32?
        loop: while true {
            // SIGTERM, SIGHUP: no one to ask; the runs are saved as on `s` at the quit prompt
            // when the user gave a save directory (--save).
            if let signal = StopSignals.termination {
                termination = signal
                saveOnExit = trainer.setup.saveDirectory != nil
                break
            }
            if let note = runs.poll() { state.note = note }
            let snapshots = runs.entries.map(\.trainer.snapshot)
            let overlay = runs.overlay(snapshots)
            let snapshot = snapshots[runs.selected]
            state.runCount = runs.entries.count
            state.unsavedRuns = overlay.runs.filter { !$0.isReference && !$0.saved }.map(\.id)
            // Each Ctrl-C counts: two within one frame ask and then quit.
            while interrupts < StopSignals.interrupts {
                interrupts += 1
                if Controller.interrupt(state: &state, snapshot: snapshot) == [.quit(save: false)] { break loop }
            }
            let (width, height) = terminal.size
            terminal.draw(Screen.render(snapshot, state, context, width: width, height: height, baselines: baselines?.snapshot,
                                        runs: overlay.runs.count > 1 || state.view == .runs ? overlay : nil),
                          theme: themes[themeIndex])
            guard let key = deferred ?? terminal.readKey(milliseconds: 50) else { continue }
            // A toggle pressed while the run has not yet taken the last command waits for it
            // (a few frames at most: a run that has ended takes none).
            if deferrals < 20, Controller.followsTheRunState(key, state), runs.current.trainer.hasWaitingCommands {
                deferred = key
                deferrals += 1
                usleep(5_000)
                continue
            }
            deferred = nil
            deferrals = 0
            state.helpLimit = HelpView.maxOffset(width: width, height: height)
            // The state now, not as drawn: the run may have taken a command since.
            let now = runs.current.trainer.snapshot
            for effect in Controller.handle(key, state: &state, snapshot: now, context: context) {
                switch effect {
                case .command(let command):
                    runs.current.trainer.send(command)
                case .correction(let correction):
                    Self.save(correction, step: now.step, to: corrections, book: &state.book)
                    runs.current.trainer.send(.correct(correction))
                case .saveCheckpoint:
                    state.note = runs.saveSelected(now)
                case .cycleTheme:
                    themeIndex = (themeIndex + 1) % themes.count
                    state.note = "theme \(themes[themeIndex].name)"
                case .selectRun(let delta):
                    state.note = runs.select(delta)
                case .branch:
                    state.note = runs.branch(now)
                case .freshRun:
                    state.note = runs.fresh(now)
                case .quit(let save):
                    saveOnExit = save
                    break loop
                }
            }
        }
        baselines?.stop()
        // Let saves and final evaluations finish; never hang on exit.
        var exit = runs.shutDown(saving: saveOnExit)
        exit.signal = termination ?? (state.quitByInterrupt ? SIGINT : nil)
        return exit
    }
}

extension Workbench {
    /// Appends the correction's line before the trainer sees it (one small append and fsync, so
    /// the frame is not held up); a failure is shown in the browser and the correction, applied
    /// in memory all the same, is counted unsaved.
    static func save(_ correction: RowCorrection, step: Int, to writer: CorrectionsWriter?, book: inout CorrectionBook) {
        guard let writer else { return }
        do {
            try writer.append(correction.jsonLine(step: step))
            book.problem = nil
        } catch {
            book.unsaved += 1
            book.problem = error.description
        }
    }
}

extension WorkbenchContext {
    /// What the screens need to know about a prepared run.
    public init(run: PreparedRun, title: String) {
        let setup = run.setup
        let encoder = setup.encoder
        let table = run.table
        var text: [String]
        if let column = encoder.text?.column, let values = table.column(column) {
            text = values
        } else {
            let columns = encoder.spec.inputs.filter { $0.kind == .numeric || $0.kind == .categorical }.map(\.column)
            let values = columns.map { table.column($0) ?? [] }
            text = (0..<table.rowCount).map { r in
                zip(columns, values).map { "\($0)=\($1.indices.contains(r) && !$1[r].isEmpty ? $1[r] : "?")" }.joined(separator: ", ")
            }
            if let image = encoder.image {
                text = text.map { ($0.isEmpty ? "" : $0 + ", ") + "\(image.width)×\(image.height) image" }
            }
        }
        let rows = setup.inputs.rows
        let image = encoder.image.map { ImageLayout(offset: encoder.featureWidth - $0.width * $0.height, width: $0.width, height: $0.height) }
        self.init(title: title, tasks: encoder.tasks.map(\.spec.name), kinds: encoder.tasks.map(\.spec.kind),
                  classes: encoder.tasks.map(\.classes), inputText: text, targets: rows.targets,
                  scales: encoder.tasks.map { (mean: $0.mean, std: $0.std) }, image: image,
                  features: image == nil ? [] : rows.features, featureWidth: rows.featureWidth)
        rowKeys = RowKeys.keys(table, spec: run.spec)
        if let id = run.spec.idColumn, let values = table.column(id) { rowIDs = values }
    }
}

extension WorkbenchContext {
    /// A context for a run on `SyntheticData` rows (benchmarks and tests), with the given texts.
    public init(synthetic setup: TrainingSetup, title: String, inputText: [String]) {
        let encoder = setup.encoder
        self.init(title: title, tasks: encoder.tasks.map(\.spec.name), kinds: encoder.tasks.map(\.spec.kind),
                  classes: encoder.tasks.map(\.classes), inputText: inputText, targets: setup.inputs.rows.targets,
                  scales: encoder.tasks.map { (mean: $0.mean, std: $0.std) }, image: nil, features: [], featureWidth: 0)
    }

    /// Trains a run on `SyntheticData` rows to its end (waiting here) and returns its final
    /// snapshot with a context whose row `r` reads `text(r)`: what benchmarks and tests render.
    public static func finishedSyntheticRun(model: ModelConfig, tasks: [(kind: TaskKind, classes: Int)], rows: Int,
                                            tokens: Int, epochs: Int, batchSize: Int, title: String,
                                            text: (Int) -> String) -> (snapshot: TrainerSnapshot, context: WorkbenchContext) {
        var training = TrainingConfig()
        training.epochs = epochs
        training.batchSize = batchSize
        let setup = SyntheticData.setup(rows: rows, tokens: tokens, vocabulary: model.vocabulary, features: model.features,
                                        tasks: tasks, model: model, training: training)
        let trainer = Trainer(setup)
        trainer.start()
        trainer.waitUntilFinished()
        return (trainer.snapshot, WorkbenchContext(synthetic: setup, title: title, inputText: (0..<rows).map(text)))
    }
}
