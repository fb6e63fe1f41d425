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
        Views: 1 dashboard, 2 controls, 3 hard examples, 4 confusion, 5 help (? anywhere). \
        space pauses and resumes, n runs one step, s saves a checkpoint, q quits. \
        --dump-screen WxH trains without a terminal and prints one view as text instead.
        """)

    @Argument(help: "A data file or a directory with one data file and an optional spec.toml.")
    var data: String = defaultData

    @OptionGroup var options: TrainingOptions

    @Option(help: ArgumentHelp("Colour theme: default, or a NAME.theme file in themes/.", valueName: "NAME"))
    var theme = "default"

    @Flag(help: "Draw with ASCII only (charts, art and borders), even on a UTF-8 terminal.")
    var ascii = false

    @Option(name: .customLong("dump-screen"), help: ArgumentHelp("Train without a terminal, then print the screen at this size.", valueName: "WxH"))
    var dumpScreen: String?

    @Option(help: ArgumentHelp("With --dump-screen: the view to print, 1-5.", valueName: "N"))
    var view = 1

    func run() throws {
        let runOptions = exitOnUserError { try options.runOptions(data: data) }
        Parallel.threads = options.threads
        let themesDirectory = Themes.directory()
        let themes = exitOnUserError { try Themes.load(first: theme, directory: themesDirectory) }
        let prepared = exitOnUserError { try RunPreparation.prepare(runOptions) }
        let name = (data as NSString).lastPathComponent
        let context = WorkbenchContext(run: prepared, title: name)
        let saveDirectory = prepared.setup.saveDirectory ?? "runs/\(name)"
        if let size = dumpScreen {
            let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else { fail("--dump-screen: expected WIDTHxHEIGHT like 120x40, got '\(size)'") }
            guard let chosen = View(rawValue: view) else { fail("--view: expected 1 to 5, got \(view)") }
            let trainer = Trainer(prepared.setup)
            trainer.start()
            trainer.waitUntilFinished()
            var state = ViewState()
            state.view = chosen
            state.unicode = !ascii
            Console.shared.out(Screen.render(trainer.snapshot, state, context, width: parts[0], height: parts[1]).text)
            return
        }
        guard isatty(STDOUT_FILENO) != 0, isatty(STDIN_FILENO) != 0 else {
            fail("the workbench needs a terminal; use 'mtl-tui train' for headless runs or --dump-screen WxH")
        }
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let workbench = Workbench(trainer: Trainer(prepared.setup), context: context, themes: themes,
                                  saveDirectory: saveDirectory, forceASCII: ascii, noColor: noColor)
        exitOnUserError { try workbench.run() }
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
