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
}
