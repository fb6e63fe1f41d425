import Dispatch
import Foundation
import MTLData
import MTLEngine
import MTLProtocol

/// `mtl-tui watch`: the workbench on another run's event stream. A reader thread follows the
/// stream into a `StreamRun`; the main thread draws copies of it and turns the workbench's
/// commands into lines of the run's command channel. Neither waits for the other.
public final class StreamWatch {
    public enum Source: Sendable {
        case file(String)
        /// The newest `*.jsonl` in the directory, re-chosen as newer ones appear.
        case directory(String)
        /// An open pipe (standard input, moved aside so keys come from the terminal).
        case descriptor(Int32)
    }

    /// The streams watched, each a run of the workbench (up to `RunLimits.live`).
    let feeds: [StreamFeed]
    /// The stream receiving the controls.
    private(set) var selected = 0
    var themes: [Theme]
    var themeIndex = 0
    let forceASCII: Bool
    let noColor: Bool
    var state = ViewState()
    private let stopping = Locked(false)
    private var sentCount = 0

    public convenience init(source: Source, themes: [Theme], forceASCII: Bool = false, noColor: Bool = false) {
        self.init(sources: [source], themes: themes, forceASCII: forceASCII, noColor: noColor)
    }

    /// `sources`: one to `RunLimits.live` streams, shown as that many runs.
    public init(sources: [Source], themes: [Theme], forceASCII: Bool = false, noColor: Bool = false) {
        precondition(!sources.isEmpty && sources.count <= RunLimits.live, "watch takes 1 to \(RunLimits.live) streams")
        feeds = sources.map(StreamFeed.init)
        self.themes = themes.isEmpty ? [Theme.builtIn] : themes
        self.forceASCII = forceASCII
        self.noColor = noColor
        state.runCount = feeds.count
    }

    /// The selected stream's run as read so far (what the screen draws).
    public var current: StreamRun { feeds[selected].current }
    var selectedFeed: StreamFeed { feeds[selected] }

    /// Runs until the user quits or a signal arrives; the terminal is always restored. Quitting
    /// leaves the watched runs alone.
    public func run() throws {
        let terminal = try Terminal(forceASCII: forceASCII, noColor: noColor)
        defer { terminal.end() }
        StopSignals.install()
        state.unicode = terminal.unicode
        let stopping = self.stopping
        for feed in feeds { feed.startReading(until: { stopping.withLock { $0 } }) }
        defer { stopping.withLock { $0 = true } }
        loop: while !StopSignals.received {
            let runs = feeds.map(\.current)
            let run = runs[selected]
            let (width, height) = terminal.size
            terminal.draw(frame(runs, width: width, height: height), theme: themes[themeIndex])
            guard let key = terminal.readKey(milliseconds: 50) else { continue }
            state.helpLimit = HelpView.maxOffset(width: width, height: height)
            // Quitting the watcher never ends a run: no "still running" question.
            if case .character("q") = key, state.prompt == nil, state.picker == nil { break loop }
            for effect in handle(key, run) {
                switch effect {
                case .command(let command):
                    send(command, to: selectedFeed)
                case .saveCheckpoint:
                    send(.save(""), to: selectedFeed)
                case .cycleTheme:
                    themeIndex = (themeIndex + 1) % themes.count
                    state.note = "theme \(themes[themeIndex].name)"
                case .quit(let save):
                    if save { send(.save(""), to: selectedFeed) }
                    break loop
                case .correction:
                    state.note = WatchedExamplesView.readOnly
                case .selectRun(let delta):
                    state.note = select(delta)
                case .branch, .freshRun:
                    state.note = "a watched stream cannot branch or start another run: only the workbench's own runs can"
                }
            }
        }
    }

    /// A key's effects: the workbench's, with a watched run's context (its correction keys
    /// refuse such a run; its moves in view 3 go through the stream's examples).
    func handle(_ key: Key, _ run: StreamRun) -> [Effect] {
        Controller.handle(key, state: &state, snapshot: run.snapshot, context: context(run))
    }

    /// `(` `)`: the stream that receives the controls.
    func select(_ delta: Int) -> String {
        selected = (selected + delta + feeds.count) % feeds.count
        return "stream \(selected + 1) selected: \(selectedFeed.name)" + (current.controlsOff.map { " (\($0.short): controls are off)" } ?? "")
    }

    /// The screen for runs read at one instant: the selected one drawn, every one overlaid.
    func frame(_ runs: [StreamRun], width: Int, height: Int) -> Grid {
        let run = runs[selected]
        var shown = state
        if shown.note == nil, shown.prompt == nil { shown.note = statusNote(run) }
        let overlay = overlay(runs)
        return Screen.render(run.snapshot, shown, context(run), width: width, height: height,
                             runs: overlay.isShown || state.view == .runs ? overlay : nil)
    }

    /// Every stream as a run of the multi-run views: charts, legend, runs view.
    func overlay(_ runs: [StreamRun]) -> RunsOverlay {
        let views = zip(feeds, runs).enumerated().map { i, pair in
            var view = RunView(id: i + 1, snapshot: pair.1.snapshot, origin: pair.0.name + (pair.1.controlsOff.map { " · " + $0.short } ?? ""))
            view.saved = true   // nothing of a watched run is the watcher's to save
            return view
        }
        var overlay = RunsOverlay(runs: views, selected: selected)
        overlay.streams = true
        return overlay
    }

    /// What the workbench's screens need: the stream's tasks and the examples it sent (no rows).
    func context(_ run: StreamRun) -> WorkbenchContext {
        let s = run.snapshot
        let classes = s.tasks.indices.map { t in
            run.classes.indices.contains(t) && !run.classes[t].isEmpty ? run.classes[t]
                : (0..<(s.history.last?.validation.indices.contains(t) == true ? s.history.last!.validation[t].confusion?.count ?? 0 : 0)).map(String.init)
        }
        let title = "watch \(selectedFeed.name)" + (feeds.count > 1 ? " (stream \(selected + 1) of \(feeds.count))" : "")
        var context = WorkbenchContext(title: title, tasks: s.tasks, kinds: s.taskKinds,
                                       classes: classes, inputText: [], targets: [], scales: s.tasks.map { _ in (0, 1) },
                                       image: nil, features: [], featureWidth: 0)
        context.watched = run.examples
        return context
    }

    /// The footer when nothing else claims it: why the stream is not read, or what is pending.
    func statusNote(_ run: StreamRun) -> String? {
        if let problem = selectedFeed.problem { return problem }
        if !run.started, let unreadable = run.unreadable {
            return "\(selectedFeed.path) is not a run stream (\(unreadable)): watch reads what train --events or the Python bridge writes"
        }
        if !run.started { return "waiting for the stream to start (\(selectedFeed.path))" }
        if !run.pending.isEmpty {
            return "pending (not yet acknowledged): " + run.pending.map(\.summary).joined(separator: ", ")
        }
        return run.newerVersion
    }

    // MARK: Commands

    /// Appends the command to the stream's own command channel, or says why it cannot go.
    func send(_ command: TrainerCommand, to feed: StreamFeed) {
        let run = feed.current
        guard run.started else {
            state.note = "waiting for the stream to start: there is nothing to steer yet"
            return
        }
        if let off = run.controlsOff {
            state.note = "controls are off: \(feeds.count > 1 ? feed.name : "this run") \(off.reason)"
            return
        }
        guard run.snapshot.state.isActive else {
            state.note = "the run has ended (\(run.snapshot.state.rawValue)): there is nothing to steer"
            return
        }
        let translated: RunCommand
        switch StreamWatch.protocolCommand(command, run) {
        case .failure(let reason): state.note = reason.description; return
        case .success(let value): translated = value
        }
        sentCount += 1
        var sending = translated
        sending.id = "w\(ProcessInfo.processInfo.processIdentifier)-\(sentCount)"
        let file = commandFile(run, path: feed.path)
        do {
            try StreamWatch.append(try RunProtocol.line(sending), to: file)
            feed.run.withLock { $0.sent(sending) }   // the footer lists it as pending until acknowledged
        } catch {
            state.note = "cannot write the command file \(file): \(error)"
        }
    }

    /// The command channel: the stream's own `STREAM.commands`, or what `start` named when it
    /// is absolute (or when the stream is standard input).
    func commandFile(_ run: StreamRun, path: String) -> String {
        if let named = run.commandFile, named.hasPrefix("/") || path == "-" { return named }
        return path + ".commands"
    }

    /// The protocol's form of a workbench command; relative changes become absolute values.
    static func protocolCommand(_ command: TrainerCommand, _ run: StreamRun) -> Result<RunCommand, LineError> {
        switch command {
        case .pause: return .success(RunCommand(.pause))
        case .resume: return .success(RunCommand(.resume))
        case .step(let count): return .success(RunCommand(.step, count: count))
        case .stop: return .success(RunCommand(.stop))
        case .save(let path): return .success(RunCommand(.save, path: path.isEmpty ? nil : path))
        case .freeze(let name): return .success(RunCommand(.freeze, name: name))
        case .unfreeze(let name): return .success(RunCommand(.unfreeze, name: name))
        case .setLossWeight(let task, let weight): return .success(RunCommand(.setLossWeight, task: task, weight: weight))
        case .scaleLossWeight(let task, let factor):
            let weight = run.weight(task)
            let scaled = weight == 0 ? (factor > 1 ? 0.1 : 0) : (weight * factor * 1000).rounded() / 1000
            return .success(RunCommand(.setLossWeight, task: task, weight: scaled))
        case .setLearningRate(let rate): return .success(RunCommand(.setLR, lr: rate))
        case .scaleLearningRate(let factor):
            guard let rate = run.snapshot.reportedRate, rate > 0 else { return .failure(LineError("this stream reports no learning rate to scale")) }
            return .success(RunCommand(.setLR, lr: rate * factor))
        case .unpinLossWeight, .setStrategy, .addEpochs, .setEarlyStop, .setLossShape, .setSchedule, .correct, .setPseudoLabel,
             .showExamples, .fork:
            return .failure(LineError("not in the run protocol: only mtl-tui's own workbench can do that"))
        }
    }

    static func append(_ line: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw LineError(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let bytes = Array((line + "\n").utf8)
        guard bytes.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
            throw LineError(String(cString: strerror(errno)))
        }
    }

    /// The streams as they are now (standard input: to its end), drawn once as text: `--dump-screen`.
    public func screen(width: Int, height: Int, view: View, unicode: Bool) -> String {
        for feed in feeds { feed.readOnce() }
        state.view = view
        state.unicode = unicode
        return frame(feeds.map(\.current), width: width, height: height).text
    }
}
