import ArgumentParser
import Foundation
import MTLData
import MTLEngine
import MTLTUI

/// `mtl-tui [DATA]`: the live workbench.
struct Open: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Open the workbench: train while watching every task, and steer the run (the default command).",
        discussion: """
        Views: 1 dashboard, 2 controls, 3 hard examples, 4 confusion, 5 help (? anywhere), 6 gradients, 7 runs. \
        space pauses and resumes, n runs one step, s saves the selected run, q quits. \
        Several runs: E continues a finished run, b branches the selected run, R starts a fresh one (up to 4), \
        ( and ) select; --compare DIR ... shows saved runs beside them. \
        P turns pseudo-labels on or off (--pseudo-label, --unlabeled FILE); --oof FILE lets S rank every row by cv's out-of-fold probabilities. \
        --dump-screen WxH trains without a terminal and prints one view as text instead.
        """)

    @Argument(help: "A data file or a directory with one data file and an optional spec.toml (default: \(defaultData); with --resume, name the data the run trained on).")
    var data: String?

    @OptionGroup var options: TrainingOptions

    @OptionGroup var checkpoint: CheckpointOptions

    @Option(help: ArgumentHelp("Colour theme: default, or a NAME.theme file in themes/.", valueName: "NAME"))
    var theme = "default"

    @Flag(help: "Draw with ASCII only (charts, art and borders), even on a UTF-8 terminal.")
    var ascii = false

    @Option(name: .customLong("dump-screen"), help: ArgumentHelp("Train without a terminal, then print the screen at this size (each side at most \(Open.maxScreenSide)).", valueName: "WxH"))
    var dumpScreen: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --dump-screen: the view to print, 1-\(View.allCases.count).", valueName: "N"))
    var view = 1

    @Option(name: .customLong("view-task"), help: ArgumentHelp("With --dump-screen: the task views 3 and 4 show (default: the first).", valueName: "NAME"))
    var viewTask: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp(
        "Saved runs (checkpoint directories) whose histories the charts and the metrics table show beside the live runs.",
        valueName: "DIR"))
    var compare: [String] = []

    @Option(help: ArgumentHelp(
        "Out-of-fold probabilities (the CSV cv --oof writes on this DATA): the suspect filter (S) ranks every row they cover, training rows included, by them.",
        valueName: "FILE"))
    var oof: String?

    func run() throws {
        var runOptions = exitOnUserError { try options.runOptions(data: data ?? defaultData, given: data != nil, checkpoint: checkpoint) }
        runOptions.unlabeledWithoutRule = true   // P turns pseudo-labelling on
        // The browser's corrections go to --corrections FILE, else beside the data; a file already
        // there is applied first, so what is on screen is what a replay of the file gives.
        let correctionsPath = runOptions.corrections ?? CorrectionsWriter.defaultPath(forData: runOptions.data)
        var notes: [String] = []
        if runOptions.corrections == nil, FileManager.default.fileExists(atPath: correctionsPath) {
            runOptions.corrections = correctionsPath
            notes.append("applying the corrections in \(correctionsPath) (from an earlier session; move the file away to start without them)")
            Console.shared.err("mtl-tui: \(notes[0])")
        }
        let screen = exitOnUserError { try dumpScreen.map(Open.screenSize) }
        Parallel.threads = options.threads
        let themesDirectory = Themes.directory()
        let themes = exitOnUserError { try Themes.load(first: theme, directory: themesDirectory) }
        let name = (runOptions.data as NSString).lastPathComponent
        // Preparing large data takes seconds (word vectors, n-grams) before the screen opens;
        // keys typed meanwhile are neither echoed nor replayed as commands.
        if screen == nil {
            TypeAhead.hold()
            Console.shared.err("mtl-tui: preparing \(name)…")
        }
        let prepared = exitOnUserError { try RunPreparation.prepare(runOptions) }
        for note in prepared.notes { Console.shared.err("mtl-tui: \(note)") }
        var context = WorkbenchContext(run: prepared, title: name)
        context.notes = notes + prepared.notes
        if let oof { context.outOfFold = exitOnUserError { try Open.outOfFold(oof, prepared) } }
        let saveDirectory = prepared.setup.saveDirectory ?? "runs/\(name)"
        let references = exitOnUserError { try Open.references(compare, tasks: prepared.setup.model.heads.map(\.name)) }
        let baselines = runOptions.baselines ? exitOnUserError { try options.baselineRunner(prepared.setup) } : nil
        if let parts = screen {
            guard let chosen = View(rawValue: view) else { fail("--view: expected 1 to \(View.allCases.count), got \(view)") }
            var task = 0
            if let viewTask {
                guard let found = context.tasks.firstIndex(of: viewTask) else {
                    fail("--view-task: no task '\(viewTask)' (tasks: \(context.tasks.joined(separator: ", ")))")
                }
                task = found
            }
            let trainer = Trainer(prepared.setup)
            trainer.start()
            baselines?.start()
            trainer.waitUntilFinished()
            baselines?.waitUntilFinished()
            var state = ViewState()
            state.view = chosen
            state.unicode = !ascii
            state.task = task
            var first = RunView(id: 1, snapshot: trainer.snapshot, origin: "fresh, seed \(prepared.setup.training.seed)")
            first.saved = true
            let runs = RunsOverlay(runs: [first] + references, selected: 0)
            Console.shared.out(Screen.render(trainer.snapshot, state, context, width: parts[0], height: parts[1],
                                             baselines: baselines?.snapshot, runs: runs).text)
            return
        }
        guard isatty(STDOUT_FILENO) != 0, isatty(STDIN_FILENO) != 0 else {
            fail("the workbench needs a terminal; use 'mtl-tui train' for headless runs or --dump-screen WxH")
        }
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let workbench = Workbench(trainer: Trainer(prepared.setup, continuable: true), context: context, themes: themes,
                                  saveDirectory: saveDirectory, forceASCII: ascii, noColor: noColor, baselines: baselines,
                                  corrections: CorrectionsWriter(path: correctionsPath), references: references)
        let ending = exitOnUserError { try workbench.run() }
        if let baselines, let directory = options.baselinesDirectory, baselines.snapshot.finished, baselines.snapshot.failure == nil {
            exitOnUserError { try BaselineStore.save(baselines.snapshot.results.compactMap { $0 }, to: directory, for: prepared.setup) }
        }
        for line in ending.messages { Console.shared.err("mtl-tui: \(line)") }
        if ending.status != 0 { Foundation.exit(ending.status) }
    }
}

extension Open {
    /// `--oof FILE` for the workbench's binary and multiclass tasks, by task index.
    static func outOfFold(_ path: String, _ prepared: PreparedRun) throws -> [Int: WorkbenchContext.OutOfFold] {
        let tasks = prepared.setup.encoder.tasks
        let checked = tasks.indices.filter { tasks[$0].spec.kind == .binary || tasks[$0].spec.kind == .multiclass }
        let read = try OutOfFoldProbabilities.read(path, tasks: checked.map { tasks[$0] }, keys: RowKeys.keys(prepared.table, spec: prepared.spec))
        return Dictionary(uniqueKeysWithValues: checked.map { t in
            (t, WorkbenchContext.OutOfFold(rows: read.rows, probabilities: read.values[tasks[t].spec.name]!))
        })
    }

    /// `--compare DIR ...`: each saved run's history, as a fixed reference; it must share at
    /// least one task (by name) with this run.
    static func references(_ directories: [String], tasks: [String]) throws -> [RunView] {
        guard directories.count + 1 <= RunLimits.live + 4 else {
            throw UsageError("--compare", "at most \(RunLimits.live + 3) saved runs can be compared, got \(directories.count)")
        }
        return try directories.enumerated().map { i, directory in
            let info: Checkpoint.Info
            do { info = try Checkpoint.read(from: directory).info } catch {
                throw UsageError("--compare", "\(error)")
            }
            let names = info.model.heads.map(\.name)
            guard names.contains(where: tasks.contains) else {
                throw UsageError("--compare", "\(directory) has no task of this run (it has \(names.joined(separator: ", ")); this run: \(tasks.joined(separator: ", ")))")
            }
            return RunView.reference(id: i + 1, directory: directory, info: info)
        }
    }

    /// Wider or taller than any terminal; bounds the grid `--dump-screen` allocates.
    static let maxScreenSide = 10_000

    /// `WIDTHxHEIGHT`, checked against the limit and the memory its grid and text take.
    static func screenSize(_ text: String) throws -> [Int] {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let width = parts[0], let height = parts[1], width > 0, height > 0 else {
            throw UsageError("--dump-screen", "expected WIDTHxHEIGHT like 120x40, got '\(text)'")
        }
        // Each cell is held in the grid, then printed as up to 4 bytes of UTF-8.
        let bytes = Double(width) * Double(height) * Double(MemoryLayout<Cell>.stride + 4)
        if width > maxScreenSide || height > maxScreenSide || bytes > MemoryBudget.physicalBytes {
            throw UsageError("--dump-screen", "\(width)x\(height) is too large: each side may be at most \(maxScreenSide) "
                + "(and the screen must fit in memory: this one needs about \(MemoryBudget.format(bytes: bytes)))")
        }
        return [width, height]
    }
}

/// Finding and loading `themes/*.theme`.
enum Themes {
    /// `themes/` in the working directory, else beside the source tree the binary was built in.
    static func directory() -> String {
        let here = FileManager.default.currentDirectoryPath + "/themes"
        if FileManager.default.fileExists(atPath: here) { return here }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = binary.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("themes").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return here
    }

    /// All themes, the chosen one first (so `t` cycles from it).
    static func load(first name: String, directory: String) throws -> [Theme] {
        let chosen = try Theme.load(name, from: directory)
        let others = Theme.available(in: directory).filter { $0 != name }.compactMap { try? Theme.load($0, from: directory) }
        return [chosen] + others
    }
}
