import Foundation
import Testing

/// `mtl-tui cv`, ensembles in `eval`/`predict`, and `eval`'s notice about rows the run has seen.
@Suite(.serialized) struct CrossValidationCLITests {
    let checks = BadInputTests()

    static func json(_ line: Substring) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }

    @Test func cvReportsFoldsWritesOOFAndAnEnsembleThatEvalAndPredictUse() throws {
        let s = Scratch()
        let file = s.write("reviews.csv", reviewsCSV(rows: 90))
        let ensemble = s.path + "/ens", oof = s.path + "/oof.csv"
        let cv = try CLI.run(["cv", file, "--task", "label", "--task", "score:regression", "--folds", "3", "--epochs", "2",
                              "--save", ensemble, "--oof", oof, "--json"])
        #expect(cv.status == 0, "\(cv.stderr)")
        let events = cv.stdout.split(separator: "\n").map(Self.json)
        let folds = events.filter { $0["event"] as? String == "fold" }
        #expect(folds.map { $0["fold"] as? Int } == [1, 2, 3])
        #expect(folds.map { $0["run"] as? String } == ["fold-1", "fold-2", "fold-3"])
        let done = try #require(events.last)
        #expect(done["event"] as? String == "done")
        #expect((done["folds"] as? [Any])?.count == 3)
        let mean = try #require(done["mean"] as? [String: [String: Double]]), sd = try #require(done["sd"] as? [String: [String: Double]])
        #expect(Set(mean["label"]!.keys) == ["loss", "accuracy", "macro_f1", "precision", "recall", "auc", "ap"])
        #expect(Set(sd["score"]!.keys) == ["loss", "mae", "rmse", "r2"])
        // The mean is the folds' mean.
        let perFold = folds.compactMap { (($0["metrics"] as? [String: Any])?["val"] as? [String: [String: Any]])?["label"]?["accuracy"] as? Double }
        #expect(perFold.count == 3 && abs(perFold.reduce(0, +) / 3 - mean["label"]!["accuracy"]!) < 1e-12)
        let testRows = ((folds[0]["rows"] as? [String: Int])?["test"]) ?? -1
        #expect(testRows > 0)

        // OOF: one line per non-test row, each row once, probabilities summing to 1.
        let lines = try String(contentsOfFile: oof, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "row,fold,id,label.neg,label.pos,score.prediction")
        let rows = lines.dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(rows.count == 90 - testRows)
        #expect(Set(rows.map { $0[0] }).count == rows.count)
        #expect(Set(rows.map { $0[1] }) == ["1", "2", "3"])
        for row in rows {
            #expect(row.count == 6 && row[2] == "r\(Int(row[0])! - 1)")
            #expect(abs(Double(row[3])! + Double(row[4])! - 1) < 1e-5)
        }

        // The ensemble: manifest and three members; eval reports it beside the members' mean.
        #expect(FileManager.default.fileExists(atPath: ensemble + "/ensemble.json"))
        let eval = try CLI.run(["eval", ensemble, file, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let result = Self.json(Substring(eval.stdout.trimmingCharacters(in: .newlines)))
        #expect((result["ensemble"] as? [String: Any])?["members"] as? Int == 3)
        #expect((result["members_mean"] as? [String: Any])?["label"] != nil)
        // The file is the one cv trained on: its test rows are reported apart.
        #expect((result["held_out"] as? [String: Any])?["rows"] as? Int == testRows)
        #expect((result["seen"] as? [String: Any])?["rows"] as? Int == 90 - testRows)
        // The members' mean on the held-out rows is the mean of each member evaluated alone
        // (the ensemble takes subsets from one pass; a member alone runs its own evaluator).
        let heldOut = try #require(result["held_out"] as? [String: Any])
        let membersMean = try #require(heldOut["members_mean"] as? [String: [String: Double]])
        var alone: [[String: [String: Any]]] = []
        for k in 1...3 {
            let member = try CLI.run(["eval", ensemble + "/fold-\(k)", file, "--json"])
            let object = Self.json(Substring(member.stdout.trimmingCharacters(in: .newlines)))
            let part = try #require(object["held_out"] as? [String: Any])
            #expect(part["rows"] as? Int == testRows)
            alone.append(try #require(part["metrics"] as? [String: [String: Any]]))
        }
        for (task, metric) in [("score", "mae"), ("label", "loss"), ("label", "accuracy")] {
            let mean = alone.compactMap { $0[task]?[metric] as? Double }.reduce(0, +) / 3
            #expect(abs(mean - (membersMean[task]?[metric] ?? .nan)) < 1e-5, "\(task).\(metric)")
        }
        let vote = try CLI.run(["eval", ensemble, file, "--combine", "vote"])
        #expect(vote.status == 0 && vote.stdout.contains("ensemble of 3 (vote)"), "\(vote.stderr)")
        let predict = try CLI.run(["predict", ensemble, file, "--probabilities"])
        #expect(predict.status == 0)
        #expect(predict.stdout.split(separator: "\n").first == "id,label,label_probability,label.neg,label.pos,score")
        #expect(predict.stdout.split(separator: "\n").count == 91)
    }

    @Test func jsonlOOF() throws {
        let s = Scratch()
        let file = s.write("reviews.csv", reviewsCSV(rows: 40))
        let oof = s.path + "/oof.jsonl"
        let cv = try CLI.run(["cv", file, "--task", "label", "--folds", "2", "--epochs", "1", "--oof", oof])
        #expect(cv.status == 0, "\(cv.stderr)")
        #expect(cv.stdout.contains("mean") && cv.stdout.contains("fold 2"))
        let objects = try String(contentsOfFile: oof, encoding: .utf8).split(separator: "\n").map(Self.json)
        #expect(objects.count > 30)
        let probabilities = try #require((objects[0]["probabilities"] as? [String: [String: Double]])?["label"])
        #expect(Set(probabilities.keys) == ["neg", "pos"])
        #expect(objects.allSatisfy { $0["row"] is Int && $0["fold"] is Int })
    }

    @Test func evalSaysWhenTheFileHoldsTrainingRows() throws {
        let s = Scratch()
        let file = s.write("reviews.csv", reviewsCSV(rows: 60))
        let run = s.path + "/run"
        #expect(try CLI.run(["train", file, "--task", "label", "--epochs", "1", "--save", run]).status == 0)
        let eval = try CLI.run(["eval", run, file])
        #expect(eval.status == 0)
        #expect(eval.stderr.contains("rows have the inputs of rows the saved run trained on"), "\(eval.stderr)")
        #expect(eval.stdout.contains("held out (") && eval.stdout.contains("seen in training ("))
        // New rows only: no notice, one table.
        let fresh = s.write("fresh.csv", "id,text,label,score\nz1,a brand new film,pos,1\nz2,another unseen one,neg,-1\n")
        let clean = try CLI.run(["eval", run, fresh])
        #expect(clean.status == 0 && clean.stderr.isEmpty && !clean.stdout.contains("held out"), "\(clean.stderr)")
    }

    @Test func badInputIsOneLine() throws {
        let s = Scratch()
        let file = s.write("reviews.csv", reviewsCSV(rows: 40))
        try checks.expectOneLineError(["cv", file, "--folds", "1"], startsWith: "--folds", contains: "expected a whole number ≥ 2, got 1")
        try checks.expectOneLineError(["cv", file, "--task", "label", "--folds", "30"], startsWith: "--folds", contains: "distinct rows outside the test split; there are")
        try checks.expectOneLineError(["cv", file, "--task", "label", "--folds", "14"], startsWith: "--folds", contains: "need every class of 'label' in each fold; class")
        s.write("busy/notes.txt", "mine")
        try checks.expectOneLineError(["cv", file, "--task", "label", "--save", s.path + "/busy"], startsWith: "--save", contains: "holds 'notes.txt'")
        #expect(FileManager.default.fileExists(atPath: s.path + "/busy/notes.txt"))

        // A regression-only ensemble cannot vote; a single checkpoint takes no --combine.
        let regression = s.path + "/reg"
        #expect(try CLI.run(["cv", file, "--task", "score:regression", "--folds", "2", "--epochs", "1", "--save", regression]).status == 0)
        try checks.expectOneLineError(["eval", regression, file, "--combine", "vote"], startsWith: "--combine", contains: "every task here is regression")
        try checks.expectOneLineError(["eval", regression + "/fold-1", file, "--combine", "mean"], startsWith: "--combine", contains: "not an ensemble")
        // A broken member is named.
        try Data("not json".utf8).write(to: URL(fileURLWithPath: regression + "/fold-2/model.json"))
        try checks.expectOneLineError(["eval", regression, file], startsWith: regression + "/fold-2/model.json", contains: "not valid JSON")
        try checks.expectOneLineError(["predict", regression, file], startsWith: regression + "/fold-2/model.json", contains: "not valid JSON")
    }
}
