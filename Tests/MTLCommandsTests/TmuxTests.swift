import Foundation
import MTLData
import Testing

/// The workbench end to end in a real terminal (tmux): keys in, screen text out.
final class TmuxSession {
    let name = "mtl-tui-test-\(UUID().uuidString.prefix(8))"
    let exitFile = NSTemporaryDirectory() + "mtl-tui-exit-\(UUID().uuidString)"

    init(_ command: String, width: Int = 120, height: Int = 40) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let script = "cd '\(root)' && TERM=tmux-256color \(command); echo $? > '\(exitFile)'; sleep 30"
        // When the previous test's session was the last, the tmux server is exiting as this one
        // connects ("server exited unexpectedly", about one start in 200): start again.
        var status: Int32 = 0
        for _ in 0..<5 {
            (_, status) = try Self.run(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", script])
            if status == 0 { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw TmuxError(message: "tmux new-session failed 5 times (exit status \(status))")
    }

    deinit {
        _ = try? Self.tmux(["kill-session", "-t", name])
        unlink(exitFile)
    }

    /// Runs tmux and returns what it printed. Spawned directly and reaped with waitpid: the
    /// first call starts the tmux server, which keeps inherited descriptors open, and
    /// Foundation's Process could then wait forever.
    @discardableResult
    static func tmux(_ arguments: [String]) throws -> String { try run(arguments).output }

    /// Runs tmux; what it printed and its exit status.
    static func run(_ arguments: [String]) throws -> (output: String, status: Int32) {
        let output = NSTemporaryDirectory() + "mtl-tui-tmux-\(UUID().uuidString)"
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = (["tmux"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0)=\($1)") } + [nil]
        defer { environment.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, "tmux", &actions, nil, argv, environment)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL) }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "", exitStatus)
    }

    func keys(_ keys: String...) throws { try Self.tmux(["send-keys", "-t", name] + keys) }
    func screen() -> String { (try? Self.tmux(["capture-pane", "-t", name, "-p"])) ?? "" }
    func resize(_ width: Int, _ height: Int) throws { try Self.tmux(["resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"]) }

    /// Polls the screen until `condition` holds, for at most `seconds`.
    @discardableResult
    func wait(seconds: Double = 60, _ condition: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let text = screen()
            if condition(text) { return text }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }

    func exitStatus(seconds: Double = 20) -> Int? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: exitFile, encoding: .utf8), let status = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return status
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }
}

struct TmuxError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// The step counter in the status line, `step N/M`.
func step(in screen: String) -> Int? {
    guard let range = screen.range(of: #"step (\d+)/"#, options: .regularExpression) else { return nil }
    return Int(screen[range].dropFirst(5).dropLast())
}

@Suite(.serialized) struct WorkbenchEndToEndTests {
    /// Every 12th row of the bundled VADER sample (all four domains), with its spec: a debug
    /// build trains an epoch of it in a few seconds.
    static func vaderSubset(_ scratch: Scratch) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = root.appendingPathComponent("sample-data/vader-domains")
        let csv = try String(contentsOf: source.appendingPathComponent("vader_domains.csv"), encoding: .utf8)
        // Rows never span lines in this file, so lines are rows.
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: true)
        let subset = [lines[0]] + lines.dropFirst().enumerated().filter { $0.offset % 12 == 0 }.map(\.element)
        scratch.write("vader/vader_domains.csv", subset.joined(separator: "\n") + "\n")
        scratch.write("vader/spec.toml", try String(contentsOf: source.appendingPathComponent("spec.toml"), encoding: .utf8))
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/vader/glove-6b-50d.txt",
                                                   withDestinationPath: source.appendingPathComponent("glove-6b-50d.txt").path)
        return scratch.path + "/vader"
    }

    @Test func steerARunThenQuit() throws {
        let scratch = Scratch()
        let saved = scratch.path + "/run"
        let session = try TmuxSession("'\(CLI.binary)' '\(try Self.vaderSubset(scratch))' --epochs 200 --early-stop off --save '\(saved)'")
        // The dashboard with a chart and at least one finished epoch (so examples exist).
        // Under ThreadSanitizer the linear fit before epoch 1 alone can take a minute.
        let first = session.wait(seconds: 240) { $0.contains("RUNNING") && $0.contains("┴e1") && $0.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) } }
        #expect(first != nil, "no chart: \(session.screen())")

        try session.keys("Space")
        let paused = session.wait { $0.contains("PAUSED") }
        #expect(paused != nil)
        let stepAtPause = step(in: session.screen())
        Thread.sleep(forTimeInterval: 1)
        #expect(step(in: session.screen()) == stepAtPause && stepAtPause != nil)

        // Controls: raise polarity's weight, freeze conv.
        try session.keys("2", "j", "+")
        #expect(session.wait { $0.contains("weight polarity = 1.25") && $0.contains("polarity weight 1.25") } != nil,
                "\(session.screen())")
        // The engine's weight changed, not just the screen: save (s) and read the checkpoint.
        try session.keys("s")
        #expect(session.wait { $0.contains("saved checkpoint to") } != nil, "\(session.screen())")
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: saved + "/model.json"))) as? [String: Any]
        let weights = (info?["training"] as? [String: Any])?["lossWeights"] as? [Double]
        #expect(weights == [1, 1.25, 1])
        try session.keys("j", "j", "j", "f")
        #expect(session.wait { $0.contains("froze conv") && $0.range(of: #"conv\s+\d+\.\dk\s+frozen"#, options: .regularExpression) != nil } != nil,
                "\(session.screen())")

        // Hard examples: the cursor moves down a row.
        try session.keys("3")
        #expect(session.wait { $0.contains("validation examples by loss") } != nil, "\(session.screen())")
        let rowsBefore = session.screen().split(separator: "\n").map(String.init)
        let cursorBefore = rowsBefore.firstIndex { $0.hasPrefix(" ▶") }
        try session.keys("j")
        let moved = session.wait { screen in
            let rows = screen.split(separator: "\n").map(String.init)
            return rows.firstIndex { $0.hasPrefix(" ▶") } == cursorBefore.map { $0 + 1 }
        }
        #expect(cursorBefore != nil && moved != nil)

        try session.keys("?")
        #expect(session.wait { $0.contains("Keys") && $0.contains("pause or resume training") } != nil)

        try session.resize(80, 24)
        #expect(session.wait { $0.contains("PAUSED") && $0.split(separator: "\n").count <= 24 } != nil, "\(session.screen())")
        try session.resize(40, 12)
        #expect(session.wait { $0.contains("enlarge the terminal") } != nil)
        try session.resize(120, 40)
        #expect(session.wait { $0.contains("PAUSED") } != nil)

        try session.keys("q")
        #expect(session.wait { $0.contains("Quit?") } != nil)
        try session.keys("y")
        #expect(session.exitStatus() == 0)
        // The terminal is restored: the workbench's screen is gone.
        #expect(session.wait(seconds: 5) { !$0.contains("PAUSED") && !$0.contains("1 Dashboard") } != nil)
    }

    /// View 6 on a live two-task run shows the cosine matrix; W picks uw, and Controls shows it.
    @Test func gradientsViewAndStrategyPicker() throws {
        let session = try TmuxSession("'\(CLI.binary)' sample-data/penguins --epochs 100000 --early-stop off")
        #expect(session.wait { $0.contains("RUNNING") } != nil)
        try session.keys("6")
        let gradients = session.wait { $0.contains("Gradient conflict · 2 tasks") && $0.contains("cosine  species") && $0.contains("species|sex") }
        #expect(gradients != nil, "\(session.screen())")
        #expect(session.screen().range(of: #"species\s+·\s+[+-]\d\.\d\d"#, options: .regularExpression) != nil, "\(session.screen())")
        try session.keys("W")
        #expect(session.wait { $0.contains("Loss weighting") && $0.contains("uncertainty weighting: a learned log-variance") } != nil, "\(session.screen())")
        try session.keys("j", "j", "j", "Enter")
        #expect(session.wait { $0.contains("weights uw") && !$0.contains("Loss weighting") } != nil, "\(session.screen())")
        try session.keys("2")
        #expect(session.wait { $0.contains("strategy uw (w next, W pick)") && $0.contains("uncertainty weighting: a learned log-variance") } != nil,
                "\(session.screen())")
        try session.keys("q", "y")
        #expect(session.exitStatus() == 0)
    }

    /// Two presses of a toggle in one burst are on then off, not the same command twice.
    @Test func aToggleTwiceInOneBurstTogglesTwice() throws {
        let session = try TmuxSession("'\(CLI.binary)' sample-data/penguins --epochs 100000 --early-stop off")
        #expect(session.wait { $0.contains("RUNNING") } != nil)
        try session.keys("2")
        #expect(session.wait { $0.contains("early stop off") } != nil)
        try session.keys("x", "x")
        let log = session.wait { $0.contains("early stop on: macro_f1, patience 3") && $0.contains("early stop off: every epoch runs") }
        #expect(log != nil, "\(session.screen())")
        try session.keys("q", "y")
        #expect(session.exitStatus() == 0)
    }

    /// Keys typed while the data is prepared are neither echoed nor replayed once the screen
    /// opens (`q` would open the quit prompt, `3` the hard examples), and the terminal's modes
    /// come back however the program ends: a quit, an error, a signal while preparing.
    @Test func keysTypedWhilePreparingAreDroppedAndTheModesComeBack() throws {
        let scratch = Scratch()
        let data = try Self.vaderSubset(scratch), pidFile = scratch.path + "/pid"
        // Runs the command (its pid in the file given first), then prints its echo and icanon
        // modes, one a line ("-echo": off), before the pane's shell could restore them.
        let script = scratch.write("modes.sh", """
            sh -c 'echo $$ > "$0"; exec "$@"' "$@"
            s=$?
            stty -a | tr ' ;' '\\n\\n' | grep -x -e echo -e -echo -e icanon -e -icanon
            exit $s
            """)
        func run(_ arguments: String) throws -> TmuxSession {
            try TmuxSession("sh '\(script)' '\(pidFile)' '\(CLI.binary)' '\(data)' " + arguments)
        }
        func modesRestored(_ screen: String) -> Bool {
            let lines = screen.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            return lines.contains("echo") && lines.contains("icanon") && !lines.contains("-echo") && !lines.contains("-icanon")
        }

        let session = try run("--epochs 200 --early-stop off")
        #expect(session.wait { $0.contains("mtl-tui: preparing vader…") } != nil, "\(session.screen())")
        try session.keys("q", "3")
        Thread.sleep(forTimeInterval: 0.3)
        let preparing = session.screen()
        #expect(!preparing.contains("1 Dashboard"), "prepared before the keys came: the test typed too late")
        #expect(!preparing.contains("q3"), "echoed: \(preparing)")
        #expect(session.wait { $0.contains("RUNNING") } != nil, "\(session.screen())")
        Thread.sleep(forTimeInterval: 1)
        let opened = session.screen()
        #expect(opened.contains("l log-y") && !opened.contains("Quit?"), "replayed: \(opened)")
        try session.keys("q")
        #expect(session.wait { $0.contains("Quit?") } != nil)
        try session.keys("y")
        #expect(session.exitStatus() == 0)
        #expect(session.wait(seconds: 5) { modesRestored($0) && $0.contains("preparing vader…") && !$0.contains("q3") } != nil, "\(session.screen())")

        // An error found while preparing, and SIGTERM while preparing (its default: the process
        // ends; not SIGINT, which a test runner may have its children ignore).
        let failed = try run("--task nope")
        #expect(failed.exitStatus() == 1)
        #expect(failed.wait(seconds: 5) { modesRestored($0) && $0.contains("no such column") } != nil, "\(failed.screen())")
        try? FileManager.default.removeItem(atPath: pidFile)
        let terminated = try run("")
        #expect(terminated.wait { $0.contains("mtl-tui: preparing vader…") } != nil, "\(terminated.screen())")
        let pid = try #require(Int32(((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, SIGTERM) == 0)
        #expect(terminated.exitStatus() == 128 + Int(SIGTERM))
        #expect(terminated.wait(seconds: 5) { modesRestored($0) } != nil, "\(terminated.screen())")
    }

    @Test func aTerminalWithoutColoursGetsAReadableMonochromeScreen() throws {
        let session = try TmuxSession("TERM=vt100 '\(CLI.binary)' sample-data/penguins --epochs 100000 --early-stop off")
        #expect(session.wait { $0.contains("RUNNING") && $0.contains("species") } != nil)
        try session.keys("Space")
        #expect(session.wait { $0.contains("PAUSED") } != nil)
        try session.keys("q", "y")
        #expect(session.exitStatus() == 0)
    }

    /// Labels made of several scalars (a ZWJ family, a flag, a combining accent, CJK): the
    /// columns after them line up in the confusion matrix and the hard examples.
    @Test func graphemeClusterLabelsKeepColumnsAligned() throws {
        let scratch = Scratch()
        let labels = ["👨‍👩‍👧‍👦 family", "🇫🇷 cafe\u{301}", "日本語"]
        var csv = "text,label\n"
        for i in 0..<150 { csv += "\"word\(i % 3) text \(labels[i % 3]) \(i)\",\(labels[i % 3])\n" }
        let data = scratch.write("zwj.csv", csv)
        let session = try TmuxSession("'\(CLI.binary)' '\(data)' --epochs 100000 --early-stop off")
        #expect(session.wait { $0.contains("┴e1") } != nil, "\(session.screen())")
        try session.keys("Space")
        #expect(session.wait { $0.contains("PAUSED") } != nil)
        /// Display column where `needle` starts in `line` (wide characters count two).
        func column(of needle: String, in line: String) -> Int? {
            guard let range = line.range(of: needle) else { return nil }
            return TextWidth.of(String(line[..<range.lowerBound]))
        }
        try session.keys("4")
        // The matrix rows: a label, then counts; the first count starts at the same column.
        func matrixRows(_ screen: String) -> [String] {
            screen.split(separator: "\n").map(String.init).filter { line in
                !line.contains("precision") && ["日本語", "🇫🇷", "👨"].contains { line.unicodeScalars.starts(with: (" " + $0).unicodeScalars) }
            }
        }
        let confusion = session.wait { $0.contains("rows true, columns predicted") && matrixRows($0).count == 3 } ?? ""
        let lines = confusion.split(separator: "\n").map(String.init)
        let rows = matrixRows(confusion)
        let starts = rows.compactMap { line in line.firstIndex { $0.isNumber }.map { TextWidth.of(String(line[..<$0])) } }
        #expect(rows.count == 3 && Set(starts).count == 1, "\(confusion)")
        #expect(lines.allSatisfy { TextWidth.of($0) <= 120 }, "\(confusion)")
        try session.keys("3")
        // Wait for the list itself, not just its title: tmux can capture a half-drawn screen.
        func inputColumns(_ screen: String) -> [Int] {
            screen.split(separator: "\n").map(String.init).compactMap { column(of: "word", in: $0) }
        }
        let examples = session.wait { $0.contains("validation examples by loss") && inputColumns($0).count >= 5 } ?? ""
        let inputs = inputColumns(examples)
        #expect(inputs.count >= 5 && Set(inputs).count == 1, "\(examples)")
        try session.keys("q", "y")
        #expect(session.exitStatus() == 0)
    }

    /// The Linux console has no alternate screen: leaving clears what the workbench drew.
    @Test func aTerminalWithoutAnAlternateScreenIsLeftClean() throws {
        let session = try TmuxSession("TERM=linux '\(CLI.binary)' sample-data/penguins --epochs 100000 --early-stop off")
        #expect(session.wait { $0.contains("RUNNING") && $0.contains("species") } != nil, "\(session.screen())")
        try session.keys("q", "y")
        #expect(session.exitStatus() == 0)
        let after = session.wait(seconds: 5) { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        #expect(after != nil, "\(session.screen())")
    }

    @Test func badInputIsRejectedBeforeTheScreenOpens() throws {
        let cases = [
            ("'\(CLI.binary)' sample-data/nope", "mtl-tui: error: sample-data/nope: no such file or directory"),
            ("'\(CLI.binary)' sample-data/penguins --theme nope", "--theme: no theme 'nope' (themes: default, high-contrast, light)"),
            ("TERM=dumb '\(CLI.binary)' sample-data/penguins", "cannot position the cursor"),
            ("TERM=no-such-terminal '\(CLI.binary)' sample-data/penguins", "is unknown to ncurses"),
        ]
        for (command, message) in cases {
            let session = try TmuxSession(command)
            #expect(session.exitStatus() == 1, "\(command)")
            #expect(session.wait(seconds: 5) { $0.contains(message) } != nil, "\(command)")
        }
    }
}
