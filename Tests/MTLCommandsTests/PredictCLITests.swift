import Foundation
import Testing

/// What `predict` reads of DATA and says about it.
@Suite(.serialized) struct PredictCLITests {
    /// A checkpoint trained on `reviewsCSV` (id, text, label, score) in a new scratch directory.
    func trained(_ s: Scratch) throws -> String {
        let run = s.path + "/run"
        let train = try CLI.run(["train", s.write("reviews.csv", reviewsCSV(rows: 60)), "--epochs", "1", "--trunk", "mlp", "--hidden", "4", "--save", run])
        try #require(train.status == 0, "\(train.stderr)")
        return run
    }

    /// predict uses no label, so a label training never saw (or a regression label that is no
    /// number) is not an error there; eval, which scores labels, still names it.
    @Test func predictIgnoresTheTaskColumns() throws {
        let s = Scratch()
        let run = try trained(s)
        let data = s.write("new.csv", "id,text,label,score\nn1,the film was great,meh,unknown\nn2,the film was awful,,\n")
        let predict = try CLI.run(["predict", run, data])
        #expect(predict.status == 0 && predict.stderr.isEmpty, "\(predict.stderr)")
        let lines = predict.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[1].hasPrefix("n1,") && lines[2].hasPrefix("n2,"), "\(predict.stdout)")
        let eval = try CLI.run(["eval", run, data])
        #expect(eval.status == 1 && eval.stderrLines.count == 1 && eval.stderr.contains("label 'meh' was not seen in training"), "\(eval.stderr)")
    }

    /// Data without the checkpoint's id column gets row numbers under `row`, never under `id`
    /// (where a join on id would take them for ids), and a note saying so.
    @Test func aMissingIDColumnIsNamedRowAndSaid() throws {
        let s = Scratch()
        let run = try trained(s)
        let withID = try CLI.run(["predict", run, s.write("ids.csv", "id,text\nn7,the film was great\n")])
        #expect(withID.status == 0 && withID.stderr.isEmpty && withID.stdout.hasPrefix("id,label,") && withID.stdout.contains("\nn7,"),
                "\(withID.stdout) \(withID.stderr)")
        let data = s.write("no-ids.csv", "text\nthe film was great\nthe film was awful\n")
        let result = try CLI.run(["predict", run, data])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("row,label,") && lines[1].hasPrefix("1,") && lines[2].hasPrefix("2,"), "\(result.stdout)")
        #expect(result.stderrLines == ["mtl-tui: note: \(data) has no id column 'id'; the first column is 'row', the row number in it (1: the first row)"],
                "\(result.stderr)")
    }

    /// A spec with no id column numbers the rows under `row` too: nothing is missing, so no note.
    @Test func aSpecWithoutIDsNumbersRowsUnderRow() throws {
        let s = Scratch()
        let noIDs = reviewsCSV(rows: 60).split(separator: "\n").map { $0.drop { $0 != "," }.dropFirst() }.joined(separator: "\n")
        let run = s.path + "/run"
        let train = try CLI.run(["train", s.write("reviews.csv", noIDs + "\n"), "--epochs", "1", "--trunk", "mlp", "--hidden", "4", "--save", run])
        try #require(train.status == 0, "\(train.stderr)")
        let result = try CLI.run(["predict", run, s.write("new.csv", "text\nthe film was great\n")])
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("row,label,") && result.stdout.contains("\n1,"), "\(result.stdout)")
    }

    /// Categories training never saw are said once per column, with the count and the first
    /// few values, by predict and eval.
    @Test func unseenCategoriesAreNotedOncePerColumn() throws {
        let s = Scratch()
        var csv = "x,color,kind\n"
        for i in 0..<40 { csv += "\(i % 7),\(["red", "green", "blue"][i % 3]),\(i % 2 == 0 ? "a" : "b")\n" }
        let run = s.path + "/run"
        let train = try CLI.run(["train", s.write("rows.csv", csv), "--input", "x", "--input", "color", "--task", "kind", "--epochs", "1", "--save", run])
        try #require(train.status == 0, "\(train.stderr)")
        let data = s.write("new.csv", "x,color,kind\n1,purple,a\n2,pink,b\n3,purple,a\n4,red,b\n5,teal,a\n6,olive,b\n7,,a\n")
        let note = "mtl-tui: note: \(data): column 'color': 5 of 7 rows hold a category training never saw ('purple', 'pink', 'teal', …); the model reads it as an unknown category"
        for command in ["predict", "eval"] {
            let result = try CLI.run([command, run, data])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(result.stderrLines.filter { $0.contains("never saw") } == [note], "\(command): \(result.stderr)")
        }
        let known = try CLI.run(["predict", run, s.write("known.csv", "x,color\n1,red\n2,\n")])
        #expect(known.status == 0 && known.stderr.isEmpty, "\(known.stderr)")
    }

    /// A checkpoint path that is a file (its model.json) or does not exist is said as such, with
    /// what to pass, by eval, predict and export alike.
    @Test func aFileOrAMissingPathIsNamedAsSuch() throws {
        let s = Scratch()
        let run = try trained(s)
        let data = s.path + "/reviews.csv"
        for command in [["predict"], ["eval"], ["export"]] {
            let tail = command == ["export"] ? ["--pytorch", s.path + "/m.py"] : [data]
            let file = try CLI.run(command + [run + "/model.json"] + tail)
            #expect(file.status == 1 && file.stderrLines == ["mtl-tui: error: \(run)/model.json: is a file: pass its directory (\(run))"], "\(file.stderr)")
            let missing = try CLI.run(command + [s.path + "/nothing"] + tail)
            #expect(missing.status == 1 && missing.stderrLines == ["mtl-tui: error: \(s.path)/nothing: no such directory"], "\(missing.stderr)")
        }
    }
}
