import Foundation
import Testing

/// `train --corrections FILE` and `mtl-tui corrections FILE --apply DATA`.
@Suite struct CorrectionsCLITests {
    static func topicsCSV() -> String {
        let words = ["a": "apple", "b": "bread", "c": "cheese"]
        return "id,text,topic\n" + (1...60).map { i in
            let topic = ["a", "b", "c"][i % 3]
            return "r\(i),\(words[topic]!) item \(i % 7),\(topic)"
        }.joined(separator: "\n") + "\n"
    }

    static let good = [
        #"{"key": "r1", "action": "drop", "step": 2}"#,
        #"{"key": "r2", "task": "topic", "action": "relabel", "value": "a", "step": 3}"#,
        #"{"key": "r3", "action": "weight", "value": 2, "step": 4}"#,
        #"{"key": "r4", "action": "drop", "step": 5}"#,
        #"{"key": "r4", "action": "undo", "step": 6}"#,
        #"{"key": "nope", "action": "drop", "step": 7}"#,
    ]

    @Test func trainReportsWhatTheCorrectionsChanged() throws {
        let s = Scratch()
        let data = s.write("topics.csv", Self.topicsCSV())
        let file = s.write("topics.corrections.jsonl", Self.good.joined(separator: "\n") + "\n")
        let result = try CLI.run(["train", data, "--epochs", "1", "--trunk", "mlp", "--corrections", file, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let start = try #require(result.stdout.split(separator: "\n").first { $0.contains("\"event\":\"start\"") })
        #expect(start.contains(#""corrections":{"dropped":1,"relabeled":1,"unmatched":1,"weighted":1}"#), "\(start)")
        #expect(result.stderr.contains("warning: \(file): 1 correction match no row (keys: nope)"), "\(result.stderr)")
    }

    @Test func aMalformedLineIsAnErrorUnlessSkipped() throws {
        let s = Scratch()
        let data = s.write("topics.csv", Self.topicsCSV())
        var lines = Self.good
        lines.insert(#"{"key": "r5", "action": "relabel", "task": "topic", "value": "q"}"#, at: 1)
        let file = s.write("bad.jsonl", lines.joined(separator: "\n") + "\n")
        let refused = try CLI.run(["train", data, "--epochs", "1", "--trunk", "mlp", "--corrections", file])
        #expect(refused.status == 1)
        #expect(refused.stderrLines.count == 1 && refused.stderr.contains("\(file):2: relabel to 'q': task 'topic' has no such class (classes: a, b, c)"),
                "\(refused.stderr)")
        let skipped = try CLI.run(["train", data, "--epochs", "1", "--trunk", "mlp", "--corrections", file, "--skip-bad-corrections", "--json"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("warning: skipped \(file):2: relabel to 'q'"), "\(skipped.stderr)")
        #expect(skipped.stdout.contains(#""corrections":{"dropped":1,"relabeled":1,"unmatched":1,"weighted":1}"#))
        let broken = s.write("broken.jsonl", #"{"key": "r1", "action": "drop"}"# + "\n{oops\n")
        let result = try CLI.run(["train", data, "--epochs", "1", "--corrections", broken])
        #expect(result.status == 1 && result.stderr == "mtl-tui: error: \(broken):2: expected one JSON object like {\"key\": \"…\", \"action\": \"drop\"}\n",
                "\(result.stderr)")
    }

    @Test func applyWritesTheCorrectedData() throws {
        let s = Scratch()
        let data = s.write("topics.csv", Self.topicsCSV())
        let file = s.write("topics.corrections.jsonl", Self.good.joined(separator: "\n") + "\n")
        let result = try CLI.run(["corrections", file, "--apply", data])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 60 && rows[0] == "id,text,topic")
        #expect(!rows.contains { $0.hasPrefix("r1,") })
        #expect(rows.contains("r2,cheese item 2,a") && rows.contains("r4,bread item 4,b"))
        #expect(result.stderr.contains("1 weighted row kept as they are") && result.stderr.contains("match no row (keys: nope)"))
    }
}
