import Foundation
import Testing

/// A small multi-label set: each label has its own words, `rare` is on one row in twelve.
func tagsCSV(rows: Int = 240) -> String {
    let words = ["red": ["crimson", "scarlet"], "blue": ["azure", "navy"], "green": ["olive", "lime"], "rare": ["zircon"]]
    let filler = ["the", "a", "thing", "item", "with", "and", "of", "some"]
    var csv = "id,text,tags\n"
    for i in 0..<rows {
        var labels = ["red", "blue", "green"].enumerated().filter { (i / (1 << $0.offset)) % 2 == 1 }.map(\.element)
        if i % 12 == 0 { labels.append("rare") }
        if labels.isEmpty { labels = ["red"] }
        var tokens = (0..<4).map { filler[(i * 3 + $0 * 5) % filler.count] }
        for label in labels { tokens.append(words[label]![i % words[label]!.count]) }
        csv += "t\(i),\(tokens.joined(separator: " ")) n\(i),\(labels.joined(separator: "|"))\n"
    }
    return csv
}

@Suite(.serialized) struct MultiLabelCLITests {
    @Test func trainReportsMultiLabelMetricsAndEvalAndPredictUseTheTunedThresholds() throws {
        let s = Scratch()
        s.write("tags/tags.csv", tagsCSV())
        s.write("tags/spec.toml", """
            id = "id"
            [[input]]
            column = "text"
            kind = "text"
            [[task]]
            name = "tags"
            kind = "multilabel"
            class_weights = "balanced"
            label_smoothing = 0.05
            """)
        let run = s.path + "/run"
        let train = try CLI.run(["train", s.path + "/tags", "--trunk", "mlp", "--epochs", "6", "--save", run, "--json"])
        #expect(train.status == 0, "\(train.stderr)")
        let done = try #require(train.stdout.split(separator: "\n").last.flatMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        })
        #expect(done["event"] as? String == "done")
        let metrics = done["metrics"] as? [String: Any]
        let test = try #require((metrics?["test"] as? [String: Any])?["tags"] as? [String: Any])
        for key in ["micro_f1", "macro_f1", "subset_accuracy", "f1_per_class", "support_per_class", "thresholds"] {
            #expect(test[key] != nil, "test metrics lack \(key)")
        }
        let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/model.json"))) as! [String: Any]
        let thresholds = try #require((sidecar["thresholds"] as? [String: [Double]])?["tags"])
        #expect(thresholds.count == 4)
        #expect((test["thresholds"] as? [Double])?.count == 4)
        let head = ((sidecar["model"] as? [String: Any])?["heads"] as? [[String: Any]])?.first
        #expect((head?["labelSmoothing"] as? Double).map { abs($0 - 0.05) < 1e-6 } == true)
        // Balanced: `rare` (1 row in 12 positive) weighs its positives about 11×.
        let positive = try #require(head?["positiveWeights"] as? [Double])
        #expect(positive.count == 4 && positive[2] > 5)

        let eval = try CLI.run(["eval", run, s.path + "/tags"])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("micro_f1") && eval.stdout.contains("subset_accuracy"))
        #expect(eval.stdout.contains("tags per label, on the rows above: decision thresholds tuned on the validation rows"))
        // Predict decides with the saved thresholds: with every threshold forced to 0.95 the
        // predicted sets shrink to labels at ≥ 0.95 only.
        var edited = sidecar
        edited["thresholds"] = ["tags": [0.95, 0.95, 0.95, 0.95]]
        try JSONSerialization.data(withJSONObject: edited).write(to: URL(fileURLWithPath: run + "/model.json"))
        let predict = try CLI.run(["predict", run, s.path + "/tags"])
        #expect(predict.status == 0, "\(predict.stderr)")
        let rows = predict.stdout.split(separator: "\n").dropFirst()
        for row in rows {
            let cells = row.split(separator: ",", omittingEmptySubsequences: false)
            let chosen = cells[2].split(separator: "|").compactMap { Double($0) }
            #expect(chosen.allSatisfy { $0 >= 0.95 }, "\(row)")
        }
        edited["thresholds"] = ["tags": [0.5, 2, 0.5, 0.5]]
        try JSONSerialization.data(withJSONObject: edited).write(to: URL(fileURLWithPath: run + "/model.json"))
        let refused = try CLI.run(["eval", run, s.path + "/tags"])
        #expect(refused.status == 1 && refused.stderr.contains("thresholds.tags: 2.0 is not in (0, 1)"), "\(refused.stderr)")
    }

    @Test func labelSmoothingFlagErrorsNameTheFlag() throws {
        let s = Scratch()
        let data = s.write("tags.csv", tagsCSV(rows: 60))
        let cases: [([String], String)] = [
            (["--label-smoothing", "1"], "expected a number in [0, 1), got 1.0"),
            (["--label-smoothing", "-0.1"], "expected a number in [0, 1), got -0.1"),
            (["--label-smoothing", "tags=1.5"], "for 'tags', got 1.5"),
            (["--label-smoothing", "nope=0.1"], "no task named 'nope' (tasks: tags)"),
            (["--label-smoothing", "tags=x"], "expected X or TASK=X"),
            (["--label-smoothing", "=0.1"], "expected X or TASK=X"),
        ]
        for (flags, text) in cases {
            let result = try CLI.run(["train", data, "--epochs", "1"] + flags)
            #expect(result.status == 1, "\(flags)")
            #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("mtl-tui: error: --label-smoothing: ") && result.stderr.contains(text),
                    "\(flags): \(result.stderr)")
        }
        let regression = s.write("scores.csv", "text,score\n" + (0..<40).map { "word\($0 % 5) text,\(Double($0) / 3)" }.joined(separator: "\n") + "\n")
        let result = try CLI.run(["train", regression, "--epochs", "1", "--input", "text", "--task", "score:regression",
                                  "--label-smoothing", "score=0.1"])
        #expect(result.status == 1 && result.stderr.contains("'score' is a regression task"), "\(result.stderr)")
        let fine = try CLI.run(["train", data, "--epochs", "1", "--trunk", "mlp", "--label-smoothing", "0.1", "--label-smoothing", "tags=0.2"])
        #expect(fine.status == 0, "\(fine.stderr)")
    }
}
