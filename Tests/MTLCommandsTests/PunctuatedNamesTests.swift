import Foundation
import MTLData
import MTLEngine
import Testing
@testable import MTLCommands

/// Real headers hold `=`, `:` and `.` (`score.v2`, `a:b`, `x=y`): every flag that names a task
/// reaches such a task, and an unknown name is refused with the known ones listed.
@Suite struct PunctuatedNamesTests {
    static let tasks = ["score", "score.v2", "a:b", "x=y", "c:binary"]

    /// A text input and tasks named with the flags' separators: two regression tasks (one named
    /// as the other plus `.v2`), a binary, a multiclass, and one whose name ends like a kind.
    static func data(_ scratch: Scratch) -> String {
        var csv = "text," + tasks.joined(separator: ",") + "\n"
        for i in 0..<60 {
            let positive = i % 2 == 0
            csv += "the film was \(positive ? "great" : "awful") \(i % 7),\(positive ? 1.5 : -1.5),\(Double(i % 5) + 0.5),"
                + "\(positive ? "p" : "q"),\(["u", "v", "w"][i % 3]),\(positive ? "yes" : "no")\n"
        }
        return scratch.write("named.csv", csv)
    }

    func options(_ arguments: [String], data: String = "d.csv") throws -> RunOptions {
        try TrainingOptions.parse(arguments).runOptions(data: data, checkpoint: CheckpointOptions.parse([]))
    }

    /// The flags with every task named, a small fast model.
    func prepared(_ scratch: Scratch, _ arguments: [String]) throws -> PreparedRun {
        let named = ["--input", "text", "--trunk", "mlp", "--hidden", "8", "--epochs", "2"]
            + Self.tasks.flatMap { ["--task", $0 == "c:binary" ? "c:binary:binary" : $0] }
        return try RunPreparation.prepare(try options(named + arguments, data: Self.data(scratch)))
    }

    @Test func flagsSplitAtTheLastSeparator() throws {
        let o = try options(["--task", "a:b", "--task", "score.v2:regression", "--task", "x=y:multiclass", "--task", "c:binary:binary",
                             "--task", "binary", "--loss-weight", "x=y=0.5", "--loss-weight", "a:b=2",
                             "--label-smoothing", "a:b=0.1", "--label-smoothing", "0.05", "--loss", "x=y=focal:2", "--loss", "ce",
                             "--ohem", "x=y=0.5", "--ohem", "0.75", "--early-stop", "score.v2.mae:5"])
        #expect(o.tasks.map(\.name) == ["a:b", "score.v2", "x=y", "c:binary", "binary"])
        #expect(o.tasks.map(\.kind) == [nil, .regression, .multiclass, .binary, nil])
        #expect(o.lossWeights.map(\.task) == ["x=y", "a:b"] && o.lossWeights.map(\.weight) == [0.5, 2])
        #expect(o.labelSmoothing.map(\.task) == ["a:b", nil] && o.labelSmoothing.map(\.value) == [0.1, 0.05])
        #expect(o.losses.map(\.task) == ["x=y", nil] && o.losses.map(\.text) == ["focal:2", "ce"])
        #expect(o.ohem.map(\.task) == ["x=y", nil] && o.ohem.map(\.fraction) == [0.5, 0.75])
        #expect(o.earlyStop == "score.v2.mae:5")
        for (flag, value) in [("--task", ":binary"), ("--loss-weight", "=2"), ("--loss-weight", "x=y"), ("--ohem", "=0.5")] {
            #expect(throws: UsageError.self, "\(flag) \(value)") { try options([flag, value]) }
        }
    }

    @Test func earlyStopReadsTaskNamesWithDotsAndColons() throws {
        let tasks: [(name: String, kind: TaskKind)] = [("score", .regression), ("score.v2", .regression), ("a:b", .binary), ("a", .binary)]
        #expect(try EarlyStop.parse("score.v2.mae", tasks: tasks) == EarlyStop(metric: "score.v2.mae", patience: 3))
        #expect(try EarlyStop.parse("score.v2.mae:5", tasks: tasks) == EarlyStop(metric: "score.v2.mae", patience: 5))
        #expect(try EarlyStop.parse("score.rmse:0", tasks: tasks) == EarlyStop(metric: "score.rmse", patience: 0))
        #expect(try EarlyStop.parse("a:b.auc", tasks: tasks) == EarlyStop(metric: "a:b.auc", patience: 3))
        #expect(try EarlyStop.parse("a:b.auc:2", tasks: tasks) == EarlyStop(metric: "a:b.auc", patience: 2))
        #expect(try EarlyStop.parse("loss:4", tasks: tasks) == EarlyStop(metric: "loss", patience: 4))
        #expect(EarlyStop.taskMetric("score.v2.mae")! == ("score.v2", "mae"))
        #expect(EarlyStop.taskMetric("loss") == nil)
        func expectInvalid(_ text: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(sourceLocation: sourceLocation) { try EarlyStop.parse(text, tasks: tasks) } throws: { "\($0)" == message }
        }
        expectInvalid("nope.mae:3", "no task named 'nope' in 'nope.mae:3' (tasks: score, score.v2, a:b, a)")
        expectInvalid("score.v2.mae:x", "patience must be a whole number ≥ 0, got 'x' in 'score.v2.mae:x'")
        expectInvalid("score.v2.auc", "task 'score.v2' (regression) has no metric 'auc' (its metrics: loss, mae, rmse, r2)")
        expectInvalid("a.b.auc", "no task named 'a.b' in 'a.b.auc' (tasks: score, score.v2, a:b, a)")
    }

    /// Each flag's task reaches the run: its weight, loss, smoothing, early-stopping rule and frozen head.
    @Test func everyFlagReachesItsTask() throws {
        let scratch = Scratch()
        let run = try prepared(scratch, ["--loss-weight", "x=y=0.5", "--loss-weight", "score.v2=2", "--loss", "a:b=focal:2",
                                         "--ohem", "x=y=0.5", "--label-smoothing", "c:binary=0.1", "--early-stop", "score.v2.mae:1",
                                         "--freeze", "head.a:b"])
        #expect(run.spec.tasks.map(\.name) == Self.tasks)
        #expect(run.spec.tasks.map(\.kind) == [.regression, .regression, .binary, .multiclass, .binary])
        #expect(run.setup.training.lossWeights == [1, 2, 1, 0.5, 1])
        #expect(run.setup.training.earlyStop == EarlyStop(metric: "score.v2.mae", patience: 1))
        #expect(run.setup.training.lossShapes["a:b"]?.focal != nil && run.setup.training.lossShapes["x=y"]?.ohem == 0.5)
        #expect(run.setup.model.heads.map(\.labelSmoothing) == [0, 0, 0, 0, 0.1])
        #expect(run.setup.training.frozen.contains("head.a:b"))
        // The rule's metric is read back each epoch: early stopping keeps a best epoch.
        let trainer = Trainer(run.setup)
        trainer.start()
        trainer.waitUntilFinished()
        #expect(trainer.snapshot.bestEpoch != nil)
        // The single-task baseline of `score` does not mistake `score.v2.mae` for its own metric.
        #expect(run.setup.singleTask(0).training.earlyStop?.metric == "loss")
        #expect(run.setup.singleTask(1).training.earlyStop?.metric == "score.v2.mae")
    }

    @Test func unknownNamesListTheKnownOnes() throws {
        let scratch = Scratch()
        let known = "(tasks: score, score.v2, a:b, x=y, c:binary)"
        for (arguments, flag) in [(["--loss-weight", "x=0.5"], "--loss-weight"), (["--loss", "a=ce"], "--loss"),
                                  (["--ohem", "x=0.5"], "--ohem"), (["--label-smoothing", "y=0.1"], "--label-smoothing")] {
            #expect { try prepared(scratch, arguments) } throws: { error in
                "\(error)".hasPrefix(flag + ": no task named") && "\(error)".hasSuffix(known)
            }
        }
        #expect { try prepared(scratch, ["--early-stop", "score.v3.mae"]) } throws: { error in
            "\(error)" == "--early-stop: no task named 'score.v3' in 'score.v3.mae' \(known)"
        }
        // A kind misspelt after ':' reads as part of the name: the error says what a kind is.
        let data = Self.data(scratch)
        #expect { try RunPreparation.prepare(try options(["--task", "a:b:binnary"], data: data)) } throws: { error in
            "\(error)".contains("a:b:binnary: no such column (columns: text, score, score.v2, a:b, x=y, c:binary; a kind after the last ':' is one of binary, multiclass, multilabel, regression)")
        }
    }
}
