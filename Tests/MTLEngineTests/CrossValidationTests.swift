import Foundation
import MTLData
@testable import MTLEngine
import Testing

/// Folds, ensembles and average precision: the pieces under `mtl-tui cv` and ensemble `eval`.
struct CrossValidationTests {
    /// A text column with `duplicates` rows repeating an earlier text, and a label per row.
    static func table(labels: [String], duplicates: Set<Int> = []) -> (Table, DatasetSpec) {
        let texts = labels.indices.map { duplicates.contains($0) ? "text \($0 - 1)" : "text \($0)" }
        let table = Table(file: "t.csv", header: ["text", "label"], columns: [texts, labels], rowLines: labels.indices.map { $0 + 2 })
        let spec = DatasetSpec(inputs: [InputSpec(kind: .text, column: "text")], tasks: [TaskSpec(name: "label", kind: .multiclass)])
        return (table, spec)
    }

    @Test func foldsPartitionTheRowsStratifiedWithinOne() throws {
        let labels = (0..<103).map { ["a", "b", "c"][$0 % 7 == 0 ? 2 : $0 % 2] }
        let (table, spec) = Self.table(labels: labels)
        let pool = Array(0..<103).filter { $0 % 10 != 3 }   // rows 3, 13, … stand for the test rows
        for k in [2, 3, 5] {
            let folds = try Folds.make(table, spec: spec, rows: pool, k: k, seed: 7)
            #expect(folds.count == k)
            let all = folds.flatMap { $0 }
            #expect(all.sorted() == pool, "the folds together are exactly the pool, each row once")
            #expect(Set(all).count == all.count)
            for label in ["a", "b", "c"] {
                let counts = folds.map { $0.filter { labels[$0] == label }.count }
                #expect(counts.max()! - counts.min()! <= 1, "label \(label) over \(k) folds: \(counts)")
            }
            let sizes = folds.map(\.count)
            #expect(sizes.max()! - sizes.min()! <= 1, "fold sizes \(sizes)")
            // Each fold's split trains on the others and keeps the test rows.
            let split = Folds.split(folds, index: 1, test: [3, 13])
            #expect(split.validation == folds[1] && split.test == [3, 13] && Set(split.train).isDisjoint(with: folds[1]))
            #expect(split.train.count + split.validation.count == pool.count)
        }
        // Seeded: the same seed deals the same folds, another seed others.
        #expect(try Folds.make(table, spec: spec, rows: pool, k: 5, seed: 7) == Folds.make(table, spec: spec, rows: pool, k: 5, seed: 7))
        #expect(try Folds.make(table, spec: spec, rows: pool, k: 5, seed: 7) != Folds.make(table, spec: spec, rows: pool, k: 5, seed: 8))
    }

    @Test func rowsWithIdenticalInputsShareAFold() throws {
        let labels = (0..<60).map { $0 % 2 == 0 ? "a" : "b" }
        let duplicates: Set<Int> = [5, 11, 30, 47]   // row r repeats row r-1's text
        let (table, spec) = Self.table(labels: labels, duplicates: duplicates)
        let folds = try Folds.make(table, spec: spec, rows: Array(0..<60), k: 4, seed: 1)
        func fold(of row: Int) -> Int { folds.firstIndex { $0.contains(row) }! }
        #expect(fold(of: 4) == fold(of: 5) && fold(of: 10) == fold(of: 11))
        #expect(fold(of: 30) == fold(of: 29) && fold(of: 47) == fold(of: 46))
        #expect(folds.flatMap { $0 }.sorted() == Array(0..<60))
    }

    @Test func badFoldCountsAreOneLineErrors() throws {
        let (table, spec) = Self.table(labels: ["a", "b", "a", "b", "a", "b", "c", "c"])
        #expect(throws: UsageError.self) { try Folds.make(table, spec: spec, rows: Array(0..<8), k: 1, seed: 1) }
        do {
            _ = try Folds.make(table, spec: spec, rows: Array(0..<8), k: 3, seed: 1)
            Issue.record("3 folds with 2 rows of class c should be refused")
        } catch let error as UsageError {
            #expect(error.option == "--folds")
            #expect(error.message.contains("class 'c' has 2 distinct rows"), "\(error.message)")
            #expect(!error.description.contains("\n"))
        }
        #expect(try Folds.make(table, spec: spec, rows: Array(0..<8), k: 2, seed: 1).count == 2)
    }

    @Test func meanAndVoteCombineAsComputedByHand() {
        // Three members, two rows, three classes.
        let members: [[Float]] = [[0.6, 0.3, 0.1, 0.2, 0.5, 0.3],
                                  [0.2, 0.7, 0.1, 0.1, 0.1, 0.8],
                                  [0.5, 0.4, 0.1, 0.3, 0.4, 0.3]]
        let mean = Ensemble.combine(members, kind: .multiclass, width: 3, rule: .mean)
        for (got, want) in zip(mean, [1.3 / 3, 1.4 / 3, 0.1, 0.2, 1.0 / 3, 1.4 / 3] as [Float]) { #expect(abs(got - want) < 1e-6) }
        // Votes: row 0 → a, b, a; row 1 → b, c, b.
        let vote = Ensemble.combine(members, kind: .multiclass, width: 3, rule: .vote)
        for (got, want) in zip(vote, [2.0 / 3, 1.0 / 3, 0, 0, 2.0 / 3, 1.0 / 3] as [Float]) { #expect(abs(got - want) < 1e-6) }
        // Two members split a multiclass vote: the lower class wins (argmax keeps the first).
        let split = Ensemble.combine([[0.9, 0.1], [0.2, 0.8]], kind: .multiclass, width: 2, rule: .vote)
        #expect(split == [0.5, 0.5] && MetricAccumulator.argmax(split, 2) == 0)
        // Binary: p ≥ 0.5 votes positive; a 2–2 tie is not a positive.
        let binary = Ensemble.combine([[0.9, 0.4], [0.6, 0.7], [0.2, 0.1], [0.8, 0.6]], kind: .binary, width: 1, rule: .vote)
        #expect(binary[0] == 0.75 && binary[1] < 0.5 && binary[1] > 0.49)
        // Multi-label votes use each member's own thresholds.
        let labels = Ensemble.combine([[0.3, 0.6], [0.3, 0.6], [0.1, 0.9]], kind: .multilabel, width: 2, rule: .vote,
                                      thresholds: [[0.25, 0.7], [0.5, 0.5], nil])
        for (got, want) in zip(labels, [1.0 / 3, 2.0 / 3] as [Float]) { #expect(abs(got - want) < 1e-6) }
        // Regression always takes the mean, even under vote.
        #expect(Ensemble.combine([[1, 4], [3, 8]], kind: .regression, width: 1, rule: .vote) == [2, 6])
        #expect(Ensemble.thresholds([[0.2, 0.4], nil], labels: 2, rule: .mean) == [0.35, 0.45])
        #expect(Ensemble.thresholds([[0.2, 0.4], nil], labels: 2, rule: .vote) == nil)
    }

    @Test func combinedMetricsScoreTheCombinedProbabilities() {
        let task = DataEncoder.TaskEncoding(spec: TaskSpec(name: "y", kind: .multiclass), classes: ["a", "b"])
        let targets = TaskTargets(width: 1, values: [0, 1, 1, 0], mask: [1, 1, 1, 0], weights: [1, 1, 1, 0])
        // Rows 0–2 labelled (row 3 has no label): right, right, wrong.
        let m = Ensemble.metrics([0.8, 0.2, 0.3, 0.7, 0.6, 0.4], rows: [0, 1, 2], task: task, width: 2, targets: targets)
        #expect(m.count == 3)
        #expect(abs(m.accuracy! - 2.0 / 3) < 1e-12)
        let logLoss = -(log(0.8) + log(0.7) + log(0.4)) / 3
        #expect(abs(m.loss - logLoss) < 1e-5)
        // A vote decides by its shares but reports the log loss of the mean probabilities given:
        // row 2's shares (1, 0) would cost −log 1e-7 for its true class.
        let voted = Ensemble.metrics([1, 0, 0, 1, 1, 0], rows: [0, 1, 2], task: task, width: 2, targets: targets,
                                     likelihood: [0.8, 0.2, 0.3, 0.7, 0.6, 0.4])
        #expect(abs(voted.accuracy! - 2.0 / 3) < 1e-12 && abs(voted.loss - logLoss) < 1e-5)
    }

    struct APFixture: Decodable {
        struct Binary: Decodable { var name: String; var scores: [Float]; var labels: [Int]; var ap: Double; var auc: Double }
        struct Multi: Decodable { var name: String; var labels: Int; var scores: [Float]; var targets: [Float]; var ap: Double; var auc: Double }
        var binary: [Binary]
        var multilabel: [Multi]
    }

    /// scripts/ap_fixtures.py wrote scikit-learn's average_precision_score and roc_auc_score.
    @Test func averagePrecisionMatchesScikitLearn() throws {
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/average_precision.json"))
        let fixture = try JSONDecoder().decode(APFixture.self, from: Data(contentsOf: url))
        for c in fixture.binary {
            var accumulator = MetricAccumulator(kind: .binary, classes: 2)
            for (s, y) in zip(c.scores, c.labels) { accumulator.add([s], [Float(y)]) }
            let m = accumulator.metrics()
            #expect(abs(m.averagePrecision! - c.ap) < 1e-9, "\(c.name): ap \(m.averagePrecision!) vs \(c.ap)")
            #expect(abs(m.auc! - c.auc) < 1e-9, "\(c.name): auc")
            #expect(m.value("ap") == m.averagePrecision)
        }
        for c in fixture.multilabel {
            var accumulator = MetricAccumulator(kind: .multilabel, classes: c.labels)
            for r in 0..<(c.scores.count / c.labels) {
                let range = (r * c.labels)..<(r * c.labels + c.labels)
                accumulator.add(Array(c.scores[range]), Array(c.targets[range]))
            }
            let m = accumulator.metrics()
            #expect(abs(m.averagePrecision! - c.ap) < 1e-9, "\(c.name): ap \(m.averagePrecision!) vs \(c.ap)")
            #expect(abs(m.auc! - c.auc) < 1e-9, "\(c.name): auc")
        }
        // Without both outcomes there is no curve.
        var one = MetricAccumulator(kind: .binary, classes: 2)
        one.add([0.7], [1])
        #expect(one.metrics().averagePrecision == nil)
    }

    @Test func theSplitDigestTellsSeenRowsFromHeldOutOnes() {
        let (table, spec) = Self.table(labels: ["a", "b", "a", "b", "a", "b"])
        let digest = SplitDigest(table, spec: spec, split: DataSplit(train: [0, 1, 2], validation: [3], test: [4, 5]))
        #expect(digest.seen(table, spec: spec) == ["train", "train", "train", "validation", nil, nil])
        // Another file: rows match by their inputs, wherever they are.
        let other = Table(file: "o.csv", header: ["label", "text"], columns: [["a", "b", "a"], ["text 3", "new", "text 0"]], rowLines: [2, 3, 4])
        #expect(digest.seen(other, spec: spec) == ["validation", nil, "train"])
    }
}

extension MetricAccumulator {
    /// One row with weight and mask 1 and loss 0.
    mutating func add(_ p: [Float], _ y: [Float]) {
        p.withUnsafeBufferPointer { pp in y.withUnsafeBufferPointer { add(probabilities: pp.baseAddress!, targets: $0.baseAddress!, mask: 1, weight: 1, loss: 0) } }
    }

    static func argmax(_ p: [Float], _ n: Int) -> Int { p.withUnsafeBufferPointer { argmax($0.baseAddress!, n) } }
}
