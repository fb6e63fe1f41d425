import Foundation
import MTLEngine
import Testing
@testable import MTLTUI

/// `watch a.jsonl b.jsonl`: each stream is a run of the multi-run views, drawn on the cell grid
/// from files read once (nothing follows them here).
@Suite struct WatchStreamsTests {
    static func start(accepts: Bool) -> String {
        #"{"event":"start","version":1,"tasks":[{"name":"a","kind":"binary"}],"epochs":2,"steps_per_epoch":40,"accepts_commands":\#(accepts)}"#
    }

    static func steps(_ count: Int, scale: Double) -> [String] {
        (1...count).map { #"{"event":"step","step":\#($0),"epoch":1,"loss":{"a":\#(scale / Double($0))}}"# }
    }

    /// Two streams in a scratch directory: `a.jsonl` (40 steps, reads commands) and `b.jsonl`
    /// (20 steps, reads none, a bad third line).
    static func watch() throws -> (StreamWatch, directory: String) {
        let directory = NSTemporaryDirectory() + "watch-streams-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let a = [start(accepts: true)] + steps(40, scale: 1)
        var b = [start(accepts: false)] + steps(20, scale: 3)
        b.insert("not json", at: 2)
        try (a.joined(separator: "\n") + "\n").write(toFile: directory + "/a.jsonl", atomically: true, encoding: .utf8)
        try (b.joined(separator: "\n") + "\n").write(toFile: directory + "/b.jsonl", atomically: true, encoding: .utf8)
        let watch = StreamWatch(sources: [.file(directory + "/a.jsonl"), .file(directory + "/b.jsonl")], themes: [])
        for feed in watch.feeds { feed.readOnce() }
        return (watch, directory)
    }

    func cells(_ grid: Grid, _ colour: Role, dim: Bool) -> Int {
        (2..<grid.height - 1).reduce(0) { sum, y in
            sum + (0..<grid.width).filter { grid[$0, y].style.foreground == colour && grid[$0, y].style.dim == dim && grid[$0, y].text != " " }.count
        }
    }

    @Test func twoStreamsAreOverlaidRunsTheSelectedOneBright() throws {
        let (watch, directory) = try Self.watch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var grid = watch.frame(watch.feeds.map(\.current), width: 100, height: 30)
        #expect(grid.row(0).contains("watch a.jsonl (stream 1 of 2)"), "\(grid.row(0))")
        #expect(grid.row(1).hasSuffix("━1 ━2 "), "\(grid.row(1))")
        #expect(grid.row(1).contains("step 40/80"), "the selected stream's status: \(grid.row(1))")
        // Stream 2's curve in its colour, dim (not selected); stream 1 is the panel's own.
        #expect(cells(grid, .task2, dim: true) > 10, "\(grid.text)")

        #expect(watch.select(1) == "stream 2 selected: b.jsonl (reads no commands: controls are off)")
        grid = watch.frame(watch.feeds.map(\.current), width: 100, height: 30)
        #expect(grid.row(0).contains("watch b.jsonl (stream 2 of 2)"))
        #expect(grid.row(1).contains("step 20/80"), "\(grid.row(1))")
        #expect(cells(grid, .task1, dim: true) > 10, "now stream 1 is the dim one")

        watch.state.view = .runs
        grid = watch.frame(watch.feeds.map(\.current), width: 120, height: 30)
        let rows = (2..<grid.height).map(grid.row)   // below the title, which names the selected stream too
        let a = try #require(rows.first { $0.contains("a.jsonl") }), b = try #require(rows.first { $0.contains("b.jsonl") })
        #expect(a.range(of: #" 1\s+running\s+epoch 1/2 step 40"#, options: .regularExpression) != nil, "\(a)")
        #expect(b.range(of: #"▶2\s+running\s+epoch 1/2 step 20"#, options: .regularExpression) != nil, "\(b)")
        #expect(b.contains("b.jsonl · reads no commands") && !a.contains("reads no commands"))
        #expect(rows.contains { $0.contains("run") && $0.contains("stream") }, "the last column names the stream")
    }

    @Test func aBadLineIsAnEventOfItsOwnStreamOnly() throws {
        let (watch, directory) = try Self.watch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (a, b) = (watch.feeds[0].current.snapshot.events, watch.feeds[1].current.snapshot.events)
        #expect(b.contains { $0.kind == .error && $0.message == "stream line 3: not valid JSON at column 2" }, "\(b.map(\.message))")
        #expect(!a.contains { $0.kind == .error }, "\(a.map(\.message))")
    }

    @Test func controlsGoToTheSelectedStreamsCommandFile() throws {
        let (watch, directory) = try Self.watch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = watch.select(1)
        watch.send(.pause, to: watch.selectedFeed)
        #expect(watch.state.note == "controls are off: b.jsonl does not read commands (its start event does not accept them)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/b.jsonl.commands"))
        _ = watch.select(1)   // cycles back to stream 1, which reads commands
        watch.send(.pause, to: watch.selectedFeed)
        let sent = try String(contentsOfFile: directory + "/a.jsonl.commands", encoding: .utf8)
        #expect(sent.contains(#""command":"pause""#), "\(sent)")
        #expect(watch.feeds[0].current.pending.count == 1 && watch.feeds[1].current.pending.isEmpty)
    }
}

/// Views 3 and 4 of a watched run come from its latest `examples` event, read-only.
@Suite struct WatchedExamplesTests {
    static let start = #"{"event":"start","version":1,"tasks":[{"name":"polarity","kind":"binary","classes":["neg","pos"]},{"name":"score","kind":"regression"}],"accepts_commands":true}"#

    static func event(step: Int, first: String) -> String {
        #"{"event":"examples","task":"polarity","step":\#(step),"epoch":2,"rows":[{"key":"r17","text":"\#(first)","split":"val","label":"pos","predicted":"neg","probability":0.91,"loss":2.4},{"key":"r3","text":"fine enough","split":"train","label":"neg","predicted":"neg","probability":0.55,"loss":0.6}],"confusion":{"classes":["neg","pos"],"matrix":[[7,1],[3,9]]}}"#
    }

    func open(_ lines: [String]) throws -> (StreamWatch, String) {
        let directory = NSTemporaryDirectory() + "watched-examples-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(toFile: directory + "/run.jsonl", atomically: true, encoding: .utf8)
        let watch = StreamWatch(source: .file(directory + "/run.jsonl"), themes: [])
        for feed in watch.feeds { feed.readOnce() }
        return (watch, directory)
    }

    func rows(_ grid: Grid) -> [String] { (0..<grid.height).map(grid.row) }

    @Test func theHardExamplesViewShowsTheLatestEvent() throws {
        let (watch, directory) = try open([Self.start, Self.event(step: 10, first: "older"), Self.event(step: 20, first: "not good at all")])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        watch.state.view = .examples
        let grid = watch.frame(watch.feeds.map(\.current), width: 120, height: 24)
        let lines = rows(grid)
        #expect(lines[2].contains("polarity · 2 of 2 hardest examples by loss · step 20, epoch 2 · from the stream, read-only"), "\(grid.text)")
        let first = try #require(lines.firstIndex { $0.contains("r17") }), second = try #require(lines.firstIndex { $0.contains("r3 ") })
        #expect(first < second, "highest loss first")
        #expect(lines[first].range(of: #"▶ 2\.400\s+val\s+pos\s+neg\s+91%\s+r17\s+not good at all"#, options: .regularExpression) != nil, "\(lines[first])")
        #expect(lines[second].range(of: #"0\.600\s+train\s+neg\s+neg\s+55%"#, options: .regularExpression) != nil, "\(lines[second])")
        #expect(!grid.text.contains("older"), "the latest event replaces the earlier one")
        #expect(grid[3, first].style.foreground == .selectedText)
        #expect(grid[3, second].style.foreground == .text, "right, so not marked")

        #expect(lines[23].contains("read-only: the stream's rows"), "the footer offers no corrections: \(lines[23])")
        _ = watch.handle(.enter, watch.current)
        let detail = watch.frame(watch.feeds.map(\.current), width: 120, height: 24).text
        #expect(detail.contains("polarity: true pos · predicted neg (91%) · loss 2.400 · val row r17"), "\(detail)")
        _ = watch.handle(.enter, watch.current)

        // Read-only: a correction key says so; ↓ moves; m keeps the misclassified row only.
        _ = watch.handle(.character("d"), watch.current)
        #expect(watch.state.note == "corrections are not available for a watched run: its rows live with its producer")
        _ = watch.handle(.down, watch.current)
        #expect(watch.state.exampleCursor == 1)
        _ = watch.handle(.character("m"), watch.current)
        let filtered = rows(watch.frame(watch.feeds.map(\.current), width: 120, height: 24))
        #expect(filtered[2].contains("1 of 2 hardest examples") && filtered[2].contains("misclassified"), "\(filtered[2])")

        // Another task without an event says the stream carries none.
        _ = watch.handle(.character("T"), watch.current)
        let other = watch.frame(watch.feeds.map(\.current), width: 140, height: 24).text
        #expect(other.contains("score: this stream carries no examples"), "\(other)")
    }

    @Test func theConfusionViewDrawsTheEventsCounts() throws {
        let (watch, directory) = try open([Self.start, Self.event(step: 20, first: "x")])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        watch.state.view = .confusion
        let lines = rows(watch.frame(watch.feeds.map(\.current), width: 100, height: 24))
        #expect(lines[2].contains("polarity · step 20, epoch 2 · rows true, columns predicted · accuracy 0.800 · from the stream"), "\(lines[2])")
        #expect(lines[5].range(of: #"neg\s+7 \S\s+1"#, options: .regularExpression) != nil, "\(lines[5])")
        #expect(lines[6].range(of: #"pos\s+3 \S?\s+9 \S"#, options: .regularExpression) != nil, "\(lines[6])")

        let (plain, other) = try open([Self.start])
        defer { try? FileManager.default.removeItem(atPath: other) }
        plain.state.view = .confusion
        #expect(plain.frame(plain.feeds.map(\.current), width: 140, height: 24).text.contains("polarity: this stream carries no examples"))
    }
}
