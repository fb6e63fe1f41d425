import Foundation
import Testing

/// `train --pseudo-label`: counts in the epoch events, a bad rule refused.
@Suite struct PseudoLabelCLITests {
    @Test func epochEventsCountPseudoLabelsFromTheStartEpoch() throws {
        let s = Scratch()
        let words = ["a": "apple", "b": "bread", "c": "cheese"]
        // Two rows in three have no label: the pool.
        let csv = "id,text,topic\n" + (1...90).map { i in
            let topic = ["a", "b", "c"][i % 3]
            return "r\(i),\(words[topic]!) \(words[topic]!) item,\(i % 3 == 0 || i % 5 == 0 ? topic : "")"
        }.joined(separator: "\n") + "\n"
        let data = s.write("topics.csv", csv)
        let result = try CLI.run(["train", data, "--epochs", "4", "--trunk", "mlp", "--early-stop", "off", "--lr", "0.05",
                                  "--pseudo-label", "0.6:3:0.5", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let epochs = result.stdout.split(separator: "\n").compactMap { line -> [String: Any]? in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["event"] as? String == "epoch" ? object : nil
        }
        let counts = epochs.map { ($0["pseudo_labels"] as? [String: Int])?["topic"] }
        #expect(counts.count == 4 && counts[0] == 0 && counts[1] == 0, "\(counts)")
        #expect(counts[2].map { $0 > 0 && $0 <= 90 } == true && counts[3].map { $0 > 0 } == true, "\(counts)")
        let bad = try CLI.run(["train", data, "--pseudo-label", "1.5"])
        #expect(bad.status != 0 && bad.stderr.contains("--pseudo-label") && bad.stderr.contains("THRESHOLD in (0, 1]"), "\(bad.stderr)")
    }
}
