import ArgumentParser
import Foundation
import MTLTUI

/// `mtl-tui watch STREAM`: the workbench on a run's event stream (ours or a PyTorch one).
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Show and steer a run from its event stream (mtl-tui train --events, or a PyTorch loop via python/).",
        discussion: """
        STREAM is a file of protocol events (protocol/README.md), followed as it grows and read \
        again when it is replaced; a directory follows its newest *.jsonl file; - reads standard \
        input. Charts, metrics and events appear as for a run of the workbench's own. When the \
        run's start event says it accepts commands, the controls (pause, step, weights, rate, \
        freeze, save) append commands to STREAM.commands, shown as pending until the run \
        acknowledges them; otherwise they are off. Quitting leaves the run alone.

        Examples:
          mtl-tui train sample-data/vader-domains --events run.jsonl &
          mtl-tui watch run.jsonl
          mtl-tui train sample-data/penguins --json --commands c.jsonl | mtl-tui watch -
          mtl-tui watch runs/ --dump-screen 120x40     # print the dashboard once
        """)

    @Argument(help: ArgumentHelp("An event stream file, a directory of them, or - for standard input.", valueName: "stream"))
    var stream: String

    @Option(help: ArgumentHelp("Colour theme: default, or a NAME.theme file in themes/.", valueName: "NAME"))
    var theme = "default"

    @Flag(help: "Draw with ASCII only (charts, art and borders), even on a UTF-8 terminal.")
    var ascii = false

    @Option(name: .customLong("dump-screen"), help: ArgumentHelp("Read the stream as it is now and print the screen at this size.", valueName: "WxH"))
    var dumpScreen: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --dump-screen: the view to print, 1-\(View.allCases.count).", valueName: "N"))
    var view = 1

    func run() throws {
        let screen = exitOnUserError { try dumpScreen.map(Open.screenSize) }
        let themes = exitOnUserError { try Themes.load(first: theme, directory: Themes.directory()) }
        var isDirectory: ObjCBool = false
        let source: StreamWatch.Source
        if stream == "-" {
            // The stream takes standard input's place; keys come from the terminal instead.
            let descriptor = dup(STDIN_FILENO)
            if screen == nil {
                let tty = open("/dev/tty", O_RDONLY)
                guard tty >= 0 else { fail("watch -: keys need a terminal (/dev/tty), and there is none") }
                dup2(tty, STDIN_FILENO)
                close(tty)
            }
            source = .descriptor(descriptor)
        } else if FileManager.default.fileExists(atPath: stream, isDirectory: &isDirectory), isDirectory.boolValue {
            source = .directory(stream)
        } else {
            let parent = (stream as NSString).deletingLastPathComponent
            guard parent.isEmpty || FileManager.default.fileExists(atPath: parent) else {
                fail("\(stream): no such directory \(parent) (the stream's file may appear later, its directory must exist)")
            }
            source = .file(stream)
        }
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let watch = StreamWatch(source: source, themes: themes, forceASCII: ascii, noColor: noColor)
        if let screen {
            guard let chosen = View(rawValue: view) else { fail("--view: expected 1 to \(View.allCases.count), got \(view)") }
            Console.shared.out(watch.screen(width: screen[0], height: screen[1], view: chosen, unicode: !ascii))
            return
        }
        guard isatty(STDOUT_FILENO) != 0, isatty(STDIN_FILENO) != 0 else {
            fail("watch needs a terminal; --dump-screen WxH prints the screen once instead")
        }
        exitOnUserError { try watch.run() }
    }
}
