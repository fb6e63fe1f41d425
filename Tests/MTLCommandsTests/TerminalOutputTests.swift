import Foundation
import MTLData
import MTLEngine
import Testing
@testable import MTLCommands

/// Headless output never writes a control character from the data to a terminal.
@Suite(.serialized) struct TerminalOutputTests {
    static let evilLabel = "lab\u{1B}]0;pwned\u{7}el"     // sets the terminal title
    static let evilClass = "\u{1B}[2Jpos"                 // clears the screen

    /// reviewsCSV with a label column and a class named to drive a terminal, and a bidi override.
    static func data(_ scratch: Scratch) -> String {
        let csv = reviewsCSV().replacingOccurrences(of: "id,text,label,score", with: "id,text,\(evilLabel),sc\u{202E}ore")
            .replacingOccurrences(of: ",pos,", with: ",\(evilClass),")
        return scratch.write("evil.csv", csv)
    }

    /// No scalar that drives a terminal, line feeds aside.
    func expectInert(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let bad = text.unicodeScalars.filter { TerminalText.isUnsafe($0) && $0 != "\n" }
        #expect(bad.isEmpty, "\(what): \(bad.map { String($0.value, radix: 16) })", sourceLocation: sourceLocation)
    }

    @Test func tablesMessagesAndJSONAreInert() throws {
        let scratch = Scratch()
        let data = Self.data(scratch)
        let saved = scratch.path + "/run"
        let train = try CLI.run(["train", data, "--epochs", "2", "--save", saved])
        #expect(train.status == 0, "\(train.stderr)")
        expectInert(train.stdout, "train stdout")
        expectInert(train.stderr, "train stderr")
        #expect(train.stdout.contains("lab\u{FFFD}]0;pwned\u{FFFD}el"))
        let eval = try CLI.run(["eval", saved, data])
        expectInert(eval.stdout, "eval")
        #expect(eval.stdout.contains("lab\u{FFFD}]0;pwned\u{FFFD}el"))
        // JSON keeps the data exactly, as escapes.
        let json = try CLI.run(["eval", saved, data, "--json"])
        expectInert(json.stdout, "eval --json")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["metrics"] as? [String: Any])?.keys.sorted() == [Self.evilLabel, "sc\u{202E}ore"])
        let trainJSON = try CLI.run(["train", data, "--epochs", "1", "--json"])
        expectInert(trainJSON.stdout, "train --json")

        // An error quoting a cell.
        let bad = scratch.write("bad.csv", try String(contentsOfFile: data, encoding: .utf8)
            .replacingOccurrences(of: ",-1.5\n", with: ",\u{1B}]0;pwned\u{7}\n"))
        let failed = try CLI.run(["eval", saved, bad])
        #expect(failed.status == 1)
        expectInert(failed.stderr, "error")
        #expect(failed.stderr.contains("'\u{FFFD}]0;pwned\u{FFFD}' is not a number"), "\(failed.stderr)")

        // predict into a pipe: the data byte for byte, for the program that reads it.
        let predict = try CLI.run(["predict", saved, data])
        #expect(predict.status == 0)
        #expect(predict.stdout.hasPrefix("id,\(Self.evilLabel),\(Self.evilLabel)_probability,sc\u{202E}ore\n"))

        // predict on a terminal: the header shows stand-ins, and the title is not set.
        let few = scratch.write("few.csv", try String(contentsOfFile: data, encoding: .utf8).split(separator: "\n").prefix(4).joined(separator: "\n") + "\n")
        let session = try TmuxSession("'\(CLI.binary)' predict '\(saved)' '\(few)'")
        #expect(session.exitStatus() == 0)
        let screen = session.wait(seconds: 5) { $0.contains("_probability") } ?? session.screen()
        #expect(screen.contains("id,lab\u{FFFD}]0;pwned\u{FFFD}el,lab\u{FFFD}]0;pwned\u{FFFD}el_probability,sc\u{FFFD}ore"), "\(screen)")
        #expect(!((try? TmuxSession.tmux(["display-message", "-p", "-t", session.name, "#{pane_title}"])) ?? "").contains("pwned"))
    }

    @Test func predictNeutralisesOnlyForATerminalAndQuotesAsCSV() {
        let fields = ["r1", Self.evilClass, "a,b", "say \"hi\"", "two\nlines"]
        #expect(csvLine(fields, forTerminal: false) == "r1,\u{1B}[2Jpos,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"")
        #expect(csvLine(fields, forTerminal: true) == "r1,\u{FFFD}[2Jpos,\"a,b\",\"say \"\"hi\"\"\",two\u{FFFD}lines")
    }

    @Test func tableColumnsAlignByDisplayWidth() {
        let table = Report.align([["task", "loss"], ["日本語", "1.0"], ["👨‍👩‍👧‍👦", "2.0"], ["e\u{1B}", "3.0"]])
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.map { TextWidth.of($0) } == [14, 14, 14, 14], "\(table)")
        #expect(lines[3] == "  e\u{FFFD}       3.0")
    }

    /// A diverging run's losses keep the table's columns: no cell is wider than "-999.9999".
    @Test func numbersKeepTheirWidthAtAnyMagnitude() {
        let cases: [(Double, String)] = [
            (0.25, "0.2500"), (-999.99994, "-999.9999"), (999.99996, "1000.0000"), (123_456_789, "123456789"),
            (-12_345_678, "-12345678"), (999_999_999.7, "1.0e+09"), (3.14e33, "3.1e+33"), (-9.96e100, "-1.0e+101"),
            (Double.greatestFiniteMagnitude, "1.8e+308"), (-Double.greatestFiniteMagnitude, "-1.8e+308"),
            (1e-300, "0.0000"), (.nan, "nan"), (-Double.nan, "nan"), (.infinity, "inf"), (-.infinity, "-inf"),
        ]
        for (value, text) in cases {
            #expect(Report.number(value) == text, "\(value)")
            #expect(Report.number(value).count <= "-999.9999".count, "\(value)")
        }
        // The per-epoch table: a diverging epoch's lines are as wide as an ordinary epoch's.
        func widths(train: Double, val: Double) -> [Int] {
            func set(_ loss: Double) -> TaskMetrics {
                var metrics = TaskMetrics(loss: loss, count: 1)
                metrics.accuracy = 0.5
                return metrics
            }
            let table = Report.metricsTable(rows: [(label: "species", kind: .multiclass, metrics: [("train", set(train)), ("val", set(val))])])
            return table.split(separator: "\n").map { TextWidth.of(String($0)) }
        }
        #expect(widths(train: 3.1e33, val: -.nan) == widths(train: 0.5, val: 0.25))
        #expect(widths(train: -.infinity, val: 1e9) == widths(train: 0.5, val: 0.25))
    }
}
