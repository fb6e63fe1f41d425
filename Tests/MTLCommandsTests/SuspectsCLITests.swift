import Foundation
import Testing

/// `mtl-tui suspects`: label suspects by confident learning, from its own folds or cv's file.
@Suite(.serialized) struct SuspectsCLITests {
    let checks = BadInputTests()

    /// `reviewsCSV` with the labels of rows 10, 21, 40 and 57 (0-based) flipped.
    static let flipped: Set<Int> = [10, 21, 40, 57]
    static func noisyReviews() -> String {
        var lines = reviewsCSV(rows: 90).split(separator: "\n").map(String.init)
        for row in flipped {
            let line = lines[row + 1]
            lines[row + 1] = line.contains(",pos,") ? line.replacingOccurrences(of: ",pos,", with: ",neg,")
                                                     : line.replacingOccurrences(of: ",neg,", with: ",pos,")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func report(_ stdout: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
    }

    @Test func findsFlippedLabelsAndReadsTheSameFromCVsOutOfFoldFile() throws {
        let s = Scratch()
        let file = s.write("reviews.csv", Self.noisyReviews())
        let settings = ["--folds", "3", "--epochs", "30", "--trunk", "bag", "--lr", "0.01"]
        let run = try CLI.run(["suspects", file, "--task", "label", "--json", "--top", "0"] + settings)
        #expect(run.status == 0, "\(run.stderr)")
        let report = Self.report(run.stdout)
        #expect(report["task"] as? String == "label")
        let suspects = try #require(report["suspects"] as? [[String: Any]])
        let rows = suspects.compactMap { $0["row"] as? Int }
        // Every suspect is a flipped row (rows are 1-based) and most flipped rows are found.
        #expect(!rows.isEmpty && Set(rows).isSubset(of: Set(Self.flipped.map { $0 + 1 })), "\(rows)")
        #expect(rows.count >= 3, "\(rows)")
        for suspect in suspects {
            #expect(suspect["given"] as? String != suspect["likely"] as? String)
            #expect((suspect["id"] as? String) == "r\((suspect["row"] as? Int ?? 0) - 1)")
        }
        let scores = suspects.compactMap { $0["self_confidence"] as? Double }
        #expect(scores == scores.sorted())

        // cv --oof with the same settings, seed and tasks (label and score, both inferred; suspects
        // trains on all of DATA's tasks): the same suspects, without training again.
        let oof = s.path + "/oof.csv"
        let cv = try CLI.run(["cv", file, "--oof", oof, "--json"] + settings)
        #expect(cv.status == 0, "\(cv.stderr)")
        let read = try CLI.run(["suspects", file, "--task", "label", "--oof", oof, "--json", "--top", "0"])
        #expect(read.status == 0, "\(read.stderr)")
        let fromFile = try #require(Self.report(read.stdout)["suspects"] as? [[String: Any]])
        #expect(fromFile.compactMap { $0["row"] as? Int } == rows)
        // The JSONL form of the same probabilities reads to the same suspects.
        let oofJSONL = s.path + "/oof.jsonl"
        #expect(try CLI.run(["cv", file, "--oof", oofJSONL, "--json"] + settings).status == 0)
        let readJSONL = try CLI.run(["suspects", file, "--task", "label", "--oof", oofJSONL, "--json", "--top", "0"])
        #expect(readJSONL.status == 0, "\(readJSONL.stderr)")
        #expect((Self.report(readJSONL.stdout)["suspects"] as? [[String: Any]])?.compactMap { $0["row"] as? Int } == rows)
        // The same file against the rows in another order is refused: its keys name other rows.
        let lines = Self.noisyReviews().split(separator: "\n", omittingEmptySubsequences: true)
        let reordered = s.write("reordered.csv", ([lines[0]] + lines.dropFirst().reversed()).joined(separator: "\n") + "\n")
        let misread = try CLI.run(["suspects", reordered, "--task", "label", "--oof", oof, "--json"])
        #expect(misread.status == 1 && misread.stderr.contains("was the file written by cv --oof on this DATA, in this order?"), "\(misread.stderr)")

        // The baseline ranks every labelled row; the flipped ones lead it here too.
        let baseline = try CLI.run(["suspects", file, "--task", "label", "--oof", oof, "--json", "--top", "3", "--rank", "lowest-self-confidence"])
        let ranked = try #require(Self.report(baseline.stdout)["suspects"] as? [[String: Any]])
        #expect(ranked.count == 3)
        #expect((Self.report(baseline.stdout)["count"] as? Int ?? 0) > 60)
    }

    @Test func badInputIsOneLine() throws {
        let s = Scratch()
        let file = s.write("reviews.csv", reviewsCSV(rows: 40))
        try checks.expectOneLineError(["suspects", file, "--task", "nope"], startsWith: "--task", contains: "no task named 'nope'")
        try checks.expectOneLineError(["suspects", file, "--task", "score"], startsWith: "--task", contains: "regression")
        try checks.expectOneLineError(["suspects", file, "--folds", "1"], startsWith: "--folds", contains: "≥ 2")
        try checks.expectOneLineError(["suspects", file, "--rank", "loss"], startsWith: "--rank", contains: "'loss'")
        // It keeps no model: --save is refused rather than ignored, and neither it nor --resume is in the help.
        try checks.expectOneLineError(["suspects", file, "--save", s.path + "/kept"], startsWith: "--save", contains: "keeps no model")
        try checks.expectOneLineError(["suspects", file, "--resume", s.path + "/kept"], startsWith: "--resume", contains: "cannot continue")
        let help = try CLI.run(["suspects", "--help"]).stdout
        #expect(help.contains("--oof") && !help.contains("--save <DIR>") && !help.contains("--resume <DIR>"), "\(help)")
        let bad = s.write("oof.csv", "row,fold,label.neg,label.pos\n1,1,0.2,x\n")
        try checks.expectOneLineError(["suspects", file, "--task", "label", "--oof", bad], startsWith: bad + ":2",
                                      contains: "column 'label.pos'")
        let other = s.write("other.csv", "row,fold,mood.sad,mood.glad\n1,1,0.2,0.8\n")
        try checks.expectOneLineError(["suspects", file, "--task", "label", "--oof", other], startsWith: "--oof", contains: "no column 'label.neg'")
        let badJSONL = s.write("oof.jsonl", #"{"row": 1, "fold": 1, "probabilities": {"label": {"neg": 0.2, "pos": 0.8}}}"# + "\n[1]\n")
        try checks.expectOneLineError(["suspects", file, "--task", "label", "--oof", badJSONL], startsWith: badJSONL + ":2", contains: "one JSON object per line")
        let outsideJSONL = s.write("outside.jsonl", #"{"row": 41, "fold": 1, "probabilities": {"label": {"neg": 0.2, "pos": 0.8}}}"#)
        try checks.expectOneLineError(["suspects", file, "--task", "label", "--oof", outsideJSONL], startsWith: outsideJSONL + ":1", contains: "1 to 40")
        let outside = s.write("outside.csv", "row,fold,label.neg,label.pos\n41,1,0.2,0.8\n")
        try checks.expectOneLineError(["suspects", file, "--task", "label", "--oof", outside], startsWith: outside + ":2", contains: "1 to 40")
        // The workbench's --oof is read, and refused, before the screen opens.
        try checks.expectOneLineError(["open", file, "--oof", other, "--dump-screen", "100x30"], startsWith: "--oof", contains: "no column 'label.neg'")
        try checks.expectOneLineError(["open", file, "--oof", s.path + "/none.csv", "--dump-screen", "100x30"], startsWith: "--oof", contains: "cannot read")
    }
}
