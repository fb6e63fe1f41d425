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

    let source: Source
    var themes: [Theme]
    var themeIndex = 0
    let forceASCII: Bool
    let noColor: Bool
    var state = ViewState()
    private let shared = Locked(StreamRun())
    /// The stream being followed and why it cannot be read, for the title and the footer.
    private let following = Locked<(path: String, problem: String?)>(("", nil))
    private let stopping = Locked(false)
    private var sentCount = 0

    public init(source: Source, themes: [Theme], forceASCII: Bool = false, noColor: Bool = false) {
        self.source = source
        self.themes = themes.isEmpty ? [Theme.builtIn] : themes
        self.forceASCII = forceASCII
        self.noColor = noColor
    }

    /// The run as read so far (what the screen draws).
    public var current: StreamRun { shared.withLock { $0 } }

    /// Runs until the user quits or a signal arrives; the terminal is always restored. Quitting
    /// leaves the watched run alone.
    public func run() throws {
        let terminal = try Terminal(forceASCII: forceASCII, noColor: noColor)
        defer { terminal.end() }
        StopSignals.install()
        state.unicode = terminal.unicode
        startReading()
        defer { stopping.withLock { $0 = true } }
        loop: while !StopSignals.received {
            let run = current
            let (width, height) = terminal.size
            var shown = state
            if shown.note == nil, shown.prompt == nil { shown.note = statusNote(run) }
            terminal.draw(Screen.render(run.snapshot, shown, context(run), width: width, height: height), theme: themes[themeIndex])
            guard let key = terminal.readKey(milliseconds: 50) else { continue }
            // Quitting the watcher never ends the run: no "still running" question.
            if case .character("q") = key, state.prompt == nil, state.picker == nil { break loop }
            for effect in Controller.handle(key, state: &state, snapshot: run.snapshot, context: context(run)) {
                switch effect {
                case .command(let command):
                    send(command, run)
                case .saveCheckpoint:
                    send(.save(""), run)
                case .cycleTheme:
                    themeIndex = (themeIndex + 1) % themes.count
                    state.note = "theme \(themes[themeIndex].name)"
                case .quit(let save):
                    if save { send(.save(""), run) }
                    break loop
                case .correction:
                    state.note = "corrections are not in the run protocol: only mtl-tui's own workbench can make them"
                case .selectRun, .branch, .freshRun:
                    state.note = "several runs are the workbench's: a watched stream is one run"
                }
            }
        }
    }

    /// What the workbench's screens need; the stream has no rows to show, only its tasks.
    func context(_ run: StreamRun) -> WorkbenchContext {
        let s = run.snapshot
        let path = following.withLock { $0.path }
        let classes = s.tasks.indices.map { t in
            run.classes.indices.contains(t) && !run.classes[t].isEmpty ? run.classes[t]
                : (0..<(s.history.last?.validation.indices.contains(t) == true ? s.history.last!.validation[t].confusion?.count ?? 0 : 0)).map(String.init)
        }
        return WorkbenchContext(title: "watch \((path as NSString).lastPathComponent)", tasks: s.tasks, kinds: s.taskKinds,
                                classes: classes, inputText: [], targets: [], scales: s.tasks.map { _ in (0, 1) },
                                image: nil, features: [], featureWidth: 0)
    }

    /// The footer when nothing else claims it: why the stream is not read, or what is pending.
    func statusNote(_ run: StreamRun) -> String? {
        if let problem = following.withLock({ $0.problem }) { return problem }
        if !run.started { return "waiting for the stream to start (\(following.withLock { $0.path }))" }
        if !run.pending.isEmpty {
            return "pending (not yet acknowledged): " + run.pending.map(\.summary).joined(separator: ", ")
        }
        return run.newerVersion
    }

    // MARK: Commands

    /// Appends the command to the run's command channel, or says why it cannot go.
    func send(_ command: TrainerCommand, _ run: StreamRun) {
        guard run.acceptsCommands else {
            state.note = "controls are off: this run does not read commands (its start event does not accept them)"
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
        let file = commandFile(run)
        do {
            try StreamWatch.append(try RunProtocol.line(sending), to: file)
            shared.withLock { $0.sent(sending) }   // the footer lists it as pending until acknowledged
        } catch {
            state.note = "cannot write the command file \(file): \(error)"
        }
    }

    /// The command channel: the stream's own `STREAM.commands`, or what `start` named when it
    /// is absolute (or when the stream is standard input).
    func commandFile(_ run: StreamRun) -> String {
        let path = following.withLock { $0.path }
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
            guard run.snapshot.learningRate > 0 else { return .failure(LineError("this stream reports no learning rate to scale")) }
            return .success(RunCommand(.setLR, lr: run.snapshot.learningRate * factor))
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

    // MARK: Reading

    private func startReading() {
        let source = self.source, shared = self.shared, following = self.following, stopping = self.stopping
        let thread = Thread {
            StreamWatch.follow(source, into: shared, following: following, until: { stopping.withLock { $0 } })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Reads the stream as it grows until `stop` says so (or standard input ends).
    static func follow(_ source: Source, into shared: Locked<StreamRun>, following: Locked<(path: String, problem: String?)>,
                       until stop: () -> Bool) {
        let follower = makeFollower(source)
        while !stop() {
            let read = readAvailable(source, follower, into: shared, following: following)
            if follower.ended { following.withLock { $0.problem = "the stream ended" }; return }
            if read == 0 { Thread.sleep(forTimeInterval: 0.1) }
        }
    }

    static func makeFollower(_ source: Source) -> LineFollower {
        switch source {
        case .file(let path): LineFollower(path: path)
        case .directory(let directory): LineFollower(path: newestStream(in: directory) ?? directory + "/*.jsonl")
        case .descriptor(let descriptor): LineFollower(streamDescriptor: descriptor, name: "-")
        }
    }

    /// One poll of the stream into the run; returns how many lines it read.
    static func readAvailable(_ source: Source, _ follower: LineFollower, into shared: Locked<StreamRun>,
                              following: Locked<(path: String, problem: String?)>) -> Int {
        if case .directory(let directory) = source, let newest = newestStream(in: directory) { follower.switchTo(newest) }
        var problem: String?
        var read = 0
        do {
            let poll = try follower.poll()
            read = poll.lines.count
            shared.withLock { run in
                if poll.restarted { run.reset() }
                for line in poll.lines { run.read(line: line.text, number: line.number) }
            }
        } catch {
            problem = error.description
        }
        if case .file(let path) = source, !FileManager.default.fileExists(atPath: path) { problem = "waiting for \(path) to appear" }
        following.withLock { $0 = (follower.path, problem) }
        return read
    }

    /// The stream as it is now (standard input: to its end), drawn once as text: `--dump-screen`.
    public func screen(width: Int, height: Int, view: View, unicode: Bool) -> String {
        let follower = StreamWatch.makeFollower(source)
        var isPipe = false
        if case .descriptor = source { isPipe = true }
        repeat {
            _ = StreamWatch.readAvailable(source, follower, into: shared, following: following)
        } while isPipe && !follower.ended
        var shown = state
        shown.view = view
        shown.unicode = unicode
        let run = current
        shown.note = statusNote(run)
        return Screen.render(run.snapshot, shown, context(run), width: width, height: height).text
    }

    /// The most recently modified `*.jsonl` file in a directory.
    static func newestStream(in directory: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".jsonl") }.map { (directory as NSString).appendingPathComponent($0) }
            .max { modified($0) < modified($1) }
    }

    private static func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }
}
