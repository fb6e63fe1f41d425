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
}
