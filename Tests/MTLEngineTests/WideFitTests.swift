import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// The wide path's linear fit (`--wide-fit linear`): its objective's gradient, its optimum
/// against scikit-learn, the choice of C, and epoch 0 in a run.
@Suite struct WideFitTests {
    /// A small near-separable problem: 40 rows over 6 columns, 2 to 4 non-zeros each, drawn
    /// from a seeded stream; the label depends on which columns a row holds.
    static func problem(_ kind: TaskKind, outputs: Int, rows: Int = 40, seed: UInt64 = 7) -> (WideProblem, SparseTable, TaskTargets) {
        var random = SeededRandom(seed: seed, stream: 1)
        var table = SparseTable(), values: [Float] = [], weights: [Float] = []
        let columns = 6
        for r in 0..<rows {
            var picked = Set<Int32>()
            while picked.count < 2 + r % 3 { picked.insert(Int32(random.next() % UInt64(columns))) }
            let ids = picked.sorted()
            table.append(columns: ids, values: ids.map { _ in 0.2 + Float(random.next() % 1000) / 1000 })
            let score = ids.reduce(0) { $0 + Int($1) }
            switch kind {
            case .multiclass: values.append(Float(score % outputs))
            case .binary: values.append(score % 3 == 0 ? 1 : 0)
            case .multilabel: for c in 0..<outputs { values.append(ids.contains(Int32(c)) != (r % 5 == 0) ? 1 : 0) }
            case .regression: values.append(Float(score) / 5 - 1)
            }
            weights.append(r % 4 == 0 ? 2 : 1)
        }
        let width = kind == .multilabel ? outputs : 1
        let targets = TaskTargets(width: width, values: values, mask: weights.map { _ in 1 }, weights: weights)
        let head = HeadConfig(name: "t", kind: kind, outputs: outputs)
        return (WideProblem(head: head, inputs: columns, table: table, rows: Array(0..<rows), targets: targets), table, targets)
    }

    static let kinds: [(TaskKind, Int)] = [(.binary, 1), (.multiclass, 3), (.multilabel, 3), (.regression, 1)]

    @Test(arguments: 0..<4) func gradientMatchesFiniteDifferences(_ k: Int) {
        let (kind, outputs) = Self.kinds[k]
        let (p, _, _) = Self.problem(kind, outputs: outputs)
        let scratch = WideProblem.Scratch(p)
        let theta = FloatBuffer(count: p.parameterCount), g = FloatBuffer(count: p.parameterCount), unused = FloatBuffer(count: p.parameterCount)
        for i in 0..<p.parameterCount { theta[i] = Float(i % 7) * 0.1 - 0.3 }
        let lambda = p.lambda(c: 0.5)
        _ = p.objective(theta.pointer, gradient: g.pointer, lambda: lambda, scratch: scratch)
        for i in 0..<p.parameterCount {
            let h: Float = 1e-2, original = theta[i]
            theta[i] = original + h
            let up = p.objective(theta.pointer, gradient: unused.pointer, lambda: lambda, scratch: scratch)
            theta[i] = original - h
            let down = p.objective(theta.pointer, gradient: unused.pointer, lambda: lambda, scratch: scratch)
            theta[i] = original
            let numeric = (up - down) / Double(2 * h)
            #expect(abs(numeric - Double(g[i])) < 2e-3 * max(1, abs(numeric)), "\(kind) parameter \(i): \(numeric) vs \(g[i])")
        }
    }

    @Test(arguments: 0..<4) func solverReachesTheOptimum(_ k: Int) {
        let (kind, outputs) = Self.kinds[k]
        let (p, _, _) = Self.problem(kind, outputs: outputs)
        let scratch = WideProblem.Scratch(p)
        let theta = FloatBuffer(count: p.parameterCount), g = FloatBuffer(count: p.parameterCount)
        let lambda = p.lambda(c: 3)
        let start = p.objective(theta.pointer, gradient: g.pointer, lambda: lambda, scratch: scratch)
        let startNorm = BLAS.dot(g.pointer, g.pointer, count: p.parameterCount).squareRoot()
        var solver = LBFGS()
        solver.relativeDecrease = 1e-12
        solver.gradientTolerance = 1e-6
        let result = solver.minimise(theta, count: p.parameterCount) { x, g in p.objective(x, gradient: g, lambda: lambda, scratch: scratch) }
        let end = p.objective(theta.pointer, gradient: g.pointer, lambda: lambda, scratch: scratch)
        let norm = BLAS.dot(g.pointer, g.pointer, count: p.parameterCount).squareRoot()
        #expect(end < start)
        #expect(abs(end - result.value) < 1e-9)
        #expect(norm < 1e-3 * startNorm, "\(kind): ‖g‖ \(norm) from \(startNorm)")
    }

    struct Fixture: Decodable {
        struct Row: Decodable { var columns: [Int32]; var values: [Float] }
        struct Case: Decodable { var kind: String; var outputs: Int; var targets: [Float]; var weight: [Double]; var bias: [Double] }
        var columns: Int
        var rows: [Row]
        var weights: [Float]
        var c: Double
        var cases: [Case]
    }

    /// scikit-learn's solutions (scripts/widefit_fixtures.py) at the same C: LogisticRegression
    /// (multinomial; binary; one per label) and Ridge(alpha = 1/C).
    @Test func theFitMatchesScikitLearn() throws {
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/wide_fit.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        var table = SparseTable()
        for row in fixture.rows { table.append(columns: row.columns, values: row.values) }
        #expect(fixture.cases.count == 4)
        for item in fixture.cases {
            let kind = try #require(TaskKind(rawValue: item.kind))
            let width = kind == .multilabel ? item.outputs : 1
            let targets = TaskTargets(width: width, values: item.targets, mask: fixture.weights.map { _ in 1 }, weights: fixture.weights)
            let p = WideProblem(head: HeadConfig(name: "t", kind: kind, outputs: item.outputs), inputs: fixture.columns, table: table,
                                rows: Array(fixture.rows.indices), targets: targets)
            let theta = FloatBuffer(count: p.parameterCount), scratch = WideProblem.Scratch(p), lambda = p.lambda(c: fixture.c)
            var solver = LBFGS()
            solver.relativeDecrease = 1e-12
            solver.gradientTolerance = 1e-7
            _ = solver.minimise(theta, count: p.parameterCount) { x, g in p.objective(x, gradient: g, lambda: lambda, scratch: scratch) }
            let weights = p.inputs * p.outputs
            for i in 0..<weights {
                #expect(abs(Double(theta[i]) - item.weight[i]) < 2e-3, "\(kind) weight \(i): \(theta[i]) vs \(item.weight[i])")
            }
            // Softmax logits are defined up to a constant: compare the biases centred.
            let centre = kind == .multiclass ? (0..<p.outputs).reduce(0.0) { $0 + Double(theta[weights + $1]) } / Double(p.outputs) : 0
            let reference = kind == .multiclass ? item.bias.reduce(0, +) / Double(p.outputs) : 0
            for o in 0..<p.outputs {
                #expect(abs(Double(theta[weights + o]) - centre - (item.bias[o] - reference)) < 2e-3, "\(kind) bias \(o)")
            }
        }
    }

    /// The grid keeps the C whose fit scores best on validation, and stops two Cs after the last gain.
    @Test func theGridKeepsTheCWithTheBestValidationMetric() throws {
        let (train, table, targets) = Self.problem(.multiclass, outputs: 3, rows: 80)
        let trainRows = WideProblem(head: HeadConfig(name: "t", kind: .multiclass, outputs: 3), inputs: 6, table: table,
                                    rows: Array(0..<60), targets: targets)
        let validation = WideProblem(head: HeadConfig(name: "t", kind: .multiclass, outputs: 3), inputs: 6, table: table,
                                     rows: Array(60..<80), targets: targets)
        #expect(train.rows == 80)
        let task = DataEncoder.TaskEncoding(spec: TaskSpec(name: "t", kind: .multiclass), classes: ["a", "b", "c"])
        let grid = [0.001, 0.01, 0.1, 1, 10, 100, 1000]
        let choice = try #require(WideFit.choose(trainRows, validation: validation, metric: "macro_f1", task: task, grid: grid, beyond: 0))
        let scores = choice.trials.map { $0.score! }
        let best = scores.indices.max { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 > $1) }!
        #expect(choice.c == choice.trials[best].c)
        #expect(choice.trials.count == min(grid.count, best + 3))
        // A grid that ends while the metric still rises goes on, √10 apart, up to `beyond` more Cs.
        let short = Array(grid.prefix(best + 1))
        let extended = try #require(WideFit.choose(trainRows, validation: validation, metric: "macro_f1", task: task, grid: short, beyond: 2))
        #expect(extended.trials.count > short.count && extended.trials.count <= short.count + 2)
        #expect(extended.trials.dropFirst(short.count).enumerated().allSatisfy { k, trial in
            abs(trial.c - short.last! * pow(10.0.squareRoot(), Double(k + 1))) < 1e-9 * trial.c
        })
        let unextended = try #require(WideFit.choose(trainRows, validation: validation, metric: "macro_f1", task: task, grid: short, beyond: 0))
        #expect(unextended.trials.count == short.count)
        #expect(Set(scores).count > 1, "the grid should matter on this problem: \(scores)")
        let kept = WideFit.evaluate(validation, UnsafePointer(choice.parameters.pointer), task: task).macroF1
        #expect(kept == scores[best])
        let none = WideProblem(head: HeadConfig(name: "t", kind: .multiclass, outputs: 3), inputs: 6, table: table, rows: [], targets: targets)
        let middle = try #require(WideFit.choose(trainRows, validation: none, metric: "macro_f1", task: task, grid: grid))
        #expect(middle.c == grid[grid.count / 2])
    }

    static func runSetup(_ mode: WideFitMode?, epochs: Int = 3, learningRate: Float = 1e-3, patience: Int = 5) -> TrainingSetup {
        let tasks: [(kind: TaskKind, classes: Int)] = [(.multiclass, 3), (.binary, 2)]
        let model = ModelConfig(trunk: .cnn, vocabulary: 60, embedding: 8, filters: 12, kernel: 3, hidden: [10],
                                dropout: 0.2, features: 0, heads: SyntheticData.heads(tasks), ngrams: 90, wide: true,
                                wideLearningRate: 30)
        var training = TrainingConfig()
        training.epochs = epochs
        training.batchSize = 16
        training.optimizer.learningRate = learningRate
        training.earlyStop = EarlyStop(metric: "macro_f1", patience: patience)
        training.wideFit = mode
        return SyntheticData.setup(rows: 400, tokens: 12, vocabulary: 60, features: 0, tasks: tasks, model: model, training: training)
    }

    /// Epoch 0 is the fitted linear model (heads at zero); when no later epoch beats it on
    /// validation, early stopping restores exactly it.
    @Test func epochZeroIsTheLinearModelAndCanBeRestored() throws {
        let fitted = Trainer(Self.runSetup(.linear, epochs: 1, patience: 1))
        fitted.start()
        fitted.waitUntilFinished()
        #expect(fitted.snapshot.history.map(\.epoch) == [0, 1])
        #expect(fitted.snapshot.preparing == nil)
        // Nothing learns after the fit, so no later epoch beats epoch 0 (improving means strictly better).
        let directory = NSTemporaryDirectory() + "mtl-widefit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var setup = Self.runSetup(.linear, epochs: 4, patience: 2)
        setup.training.frozen = ["trunk", "heads", "wide"]
        setup.saveDirectory = directory
        let wrecked = Trainer(setup)
        wrecked.start()
        wrecked.waitUntilFinished()
        let history = wrecked.snapshot.history
        let means = history.map { ($0.validation[0].macroF1! + $0.validation[1].macroF1!) / 2 }
        #expect(history.first?.epoch == 0)
        #expect(means.allSatisfy { $0 == means[0] }, "\(means)")
        #expect(history.map(\.epoch) == [0, 1, 2])
        #expect(wrecked.snapshot.restoredEpoch == 0)
        let saved = try Checkpoint.read(from: directory, for: .resume)
        let heads = Model.tensors(of: setup.model).filter { $0.layer.hasPrefix("head.") }
        let wide = Model.tensors(of: setup.model).filter { $0.layer.hasPrefix("wide.") && $0.name.hasSuffix(".weight") }
        #expect(heads.count == 4 && wide.count == 2)
        for t in heads { #expect(saved.parameters[t.offset..<(t.offset + t.count)].allSatisfy { $0 == 0 }, "\(t.name)") }
        for t in wide { #expect(saved.parameters[t.offset..<(t.offset + t.count)].contains { $0 != 0 }, "\(t.name)") }
        let plain = Trainer(Self.runSetup(nil, epochs: 1))
        plain.start()
        plain.waitUntilFinished()
        #expect(plain.snapshot.history.map(\.epoch) == [1])
    }

    /// A stop that arrives during the fit ends it at the next L-BFGS iteration (a fit on a large
    /// table takes minutes): the run stops before training, with no epoch 0 of a half-fitted model.
    @Test func aStopDuringTheFitEndsItAtOnce() {
        let trainer = Trainer(Self.runSetup(.linear, epochs: 3))
        trainer.send(.stop)
        trainer.start()
        #expect(trainer.waitUntilFinished(seconds: 60))
        let s = trainer.snapshot
        #expect(s.state == .stopped)
        #expect(s.history.isEmpty)
        #expect(s.events.contains { $0.message.contains("wide fit: stopped during") })
        #expect(s.preparing == nil)
    }

    /// After early stopping keeps a deep epoch, a task that scored better on validation in
    /// epoch 0 predicts with the fitted linear model again (its head zeroed), the others keep
    /// the deep model; the test metrics are those of that mixed model.
    @Test func aTaskTheDeepEpochsDidNotHelpKeepsTheLinearModel() throws {
        var fellBack = 0, kept = 0
        for learningRate: Float in [0.01, 0.1, 0.3] {
            let directory = NSTemporaryDirectory() + "mtl-widefit-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var setup = Self.runSetup(.linear, epochs: 4, learningRate: learningRate, patience: 4)
            setup.training.frozen = ["wide"]   // as the fit leaves it without --wide-lr
            setup.saveDirectory = directory
            let trainer = Trainer(setup)
            trainer.start()
            trainer.waitUntilFinished()
            let s = trainer.snapshot
            let keptEpoch = try #require(s.restoredEpoch ?? s.history.last?.epoch)
            guard keptEpoch != 0 else { continue }
            let linear = try #require(s.history.first { $0.epoch == 0 }), deep = try #require(s.history.first { $0.epoch == keptEpoch })
            let parameters = try Checkpoint.read(from: directory).parameters   // the kept model, as eval reads it
            for (t, tensor) in Model.tensors(of: setup.model).filter({ $0.layer.hasPrefix("head.") && $0.name.hasSuffix(".weight") }).enumerated() {
                let zero = parameters[tensor.offset..<(tensor.offset + tensor.count)].allSatisfy { $0 == 0 }
                let linearWins = linear.validation[t].macroF1! > deep.validation[t].macroF1!
                #expect(zero == linearWins, "lr \(learningRate) task \(t): epoch 0 \(linear.validation[t].macroF1!), epoch \(keptEpoch) \(deep.validation[t].macroF1!)")
                if linearWins { fellBack += 1 } else { kept += 1 }
                // What the run reports for its kept model (the done event, cv, sweep, Δp): a task
                // back on the fixed linear model scores exactly as epoch 0 did.
                let reported = try #require(s.keptModelValidation?[t].macroF1)
                #expect(reported == (linearWins ? linear : deep).validation[t].macroF1!, "lr \(learningRate) task \(t)")
            }
            let logged = s.events.filter { $0.message.contains("keeps the linear model") }.count
            let zeroed = (0..<2).filter { linear.validation[$0].macroF1! > deep.validation[$0].macroF1! }.count
            #expect(logged == zeroed, "each fallback is said in the event log")
        }
        #expect(fellBack > 0 && kept > 0, "both outcomes exercised: \(fellBack) fell back, \(kept) kept the deep model")
    }

        /// The fit runs at a fresh start only: a run stopped after it (within epoch 1: a stop after
    /// a later epoch that did not beat epoch 0 restores epoch 0, as any stop restores the best
    /// epoch) and resumed ends bit for bit as the run that never stopped.
    @Test func aFittedRunResumesBitForBit() throws {
        let directory = NSTemporaryDirectory() + "mtl-widefit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runs = try StraightAndResumed(Self.runSetup(.linear), stopAfter: 10, in: directory)
        #expect(runs.reachedStop)
        let c = runs.resumed
        expectSameFiles(directory + "/straight", directory + "/resumed", ["model.safetensors", "optimizer.safetensors", "best.safetensors"])
        #expect(c.snapshot.history.map(\.epoch) == [0, 1, 2, 3])
    }

    /// `--wide-fit linear` needs the wide path and a fresh start; the default follows the model.
    @Test func theModeIsCheckedAgainstTheModel() throws {
        let plain = ModelConfig(trunk: .cnn, vocabulary: 10, embedding: 4, filters: 4, kernel: 1, hidden: [4], features: 0,
                                heads: [HeadConfig(name: "y", kind: .binary, outputs: 1)])
        var wide = plain
        wide.wide = true
        var options = RunOptions(data: "x")
        #expect(try RunPreparation.wideFit(options, model: wide, fineTuning: false) == RunOptions.defaultWideFit)
        #expect(try RunPreparation.wideFit(options, model: plain, fineTuning: false) == .off)
        #expect(try RunPreparation.wideFit(options, model: wide, fineTuning: true) == .off)
        options.wideFit = .linear
        for (model, fineTuning) in [(plain, false), (wide, true)] {
            do {
                _ = try RunPreparation.wideFit(options, model: model, fineTuning: fineTuning)
                Issue.record("accepted --wide-fit linear for \(model.summary), fine-tuning \(fineTuning)")
            } catch let error as UsageError {
                #expect(error.option == "--wide-fit")
                #expect(!error.description.contains("\n"))
            }
        }
        options.wideFit = .off
        #expect(try RunPreparation.wideFit(options, model: wide, fineTuning: false) == .off)
    }
}
