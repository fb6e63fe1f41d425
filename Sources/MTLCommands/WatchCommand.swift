import ArgumentParser
import Foundation
import MTLTUI

/// `mtl-tui watch STREAM`: the workbench on a run's event stream (ours or a PyTorch one).
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Show and steer runs from their event streams (mtl-tui train --events, or a PyTorch loop via python/).",
        discussion: """
        STREAM is a file of protocol events (protocol/README.md), followed as it grows and read \
        again when it is replaced; a directory follows its newest *.jsonl file; - reads standard \
        input. Charts, metrics and events appear as for a run of the workbench's own. When the \
        run's start event says it accepts commands, the controls (pause, step, weights, rate, \
        freeze, save) append commands to STREAM.commands, shown as pending until the run \
        acknowledges them; otherwise, or when it speaks a newer protocol version (shown as far \
        as it is understood), they are off. Quitting leaves the run alone.

        Examples:
          mtl-tui train sample-data/vader-domains --events run.jsonl &
          mtl-tui watch run.jsonl
          mtl-tui watch a.jsonl b.jsonl              # two runs overlaid
          mtl-tui train sample-data/penguins --json --commands c.jsonl | mtl-tui watch -
          mtl-tui watch runs/ --dump-screen 120x40     # print the dashboard once
        """)

    @Argument(help: ArgumentHelp("Event stream files (up to \(RunLimits.live)), directories of them, or - for standard input.",
                                 valueName: "stream"))
    var streams: [String]

    @Option(help: ArgumentHelp("Colour theme: default, or a NAME.theme file in themes/.", valueName: "NAME"))
    var theme = "default"

    @Flag(help: "Draw with ASCII only (charts, art and borders), even on a UTF-8 terminal.")
    var ascii = false

    @Option(name: .customLong("dump-screen"), help: ArgumentHelp("Read the streams as they are now and print the screen at this size.", valueName: "WxH"))
    var dumpScreen: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --dump-screen: the view to print, 1-\(View.allCases.count).", valueName: "N"))
    var view = 1

    func run() throws {
        let screen = exitOnUserError { try dumpScreen.map(Open.screenSize) }
        let themes = exitOnUserError { try Themes.load(first: theme, directory: Themes.directory()) }
        guard !streams.isEmpty else { fail("watch: name a stream (a file, a directory or -)") }
        guard streams.count <= RunLimits.live else {
            fail("watch: \(streams.count) streams, at most \(RunLimits.live) (\(streams[RunLimits.live]) is one too many)")
        }
        guard streams.filter({ $0 == "-" }).count <= 1 else { fail("watch: - (standard input) can be named once") }
        let sources = streams.map { source($0, keysFromTerminal: screen == nil) }
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let watch = StreamWatch(sources: sources, themes: themes, forceASCII: ascii, noColor: noColor)
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

    /// Where one STREAM argument is read from; a file may appear later, its directory must exist.
    func source(_ stream: String, keysFromTerminal: Bool) -> StreamWatch.Source {
        if stream == "-" {
            // The stream takes standard input's place; keys come from the terminal instead.
            let descriptor = dup(STDIN_FILENO)
            if keysFromTerminal {
                let tty = open("/dev/tty", O_RDONLY)
                guard tty >= 0 else { fail("watch -: keys need a terminal (/dev/tty), and there is none") }
                dup2(tty, STDIN_FILENO)
                close(tty)
            }
            return .descriptor(descriptor)
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: stream, isDirectory: &isDirectory), isDirectory.boolValue { return .directory(stream) }
        let parent = (stream as NSString).deletingLastPathComponent
        guard parent.isEmpty || FileManager.default.fileExists(atPath: parent) else {
            fail("\(stream): no such directory \(parent) (the stream's file may appear later, its directory must exist)")
        }
        return .file(stream)
    }
}
