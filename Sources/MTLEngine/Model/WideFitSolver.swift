import Foundation
import MTLData

/// Limited-memory BFGS (Nocedal 1980) with a backtracking Armijo line search. For a strictly
/// convex objective (an L2 term with λ > 0) every accepted step has sᵀy > 0, so the curvature
/// pairs are always usable.
struct LBFGS {
    var memory = 7
    var maxIterations = 300
    /// Stops when an iteration lowers f by less than this × |f|, or ‖g‖ falls below `gradientTolerance` × ‖g₀‖.
    var relativeDecrease = 1e-4
    var gradientTolerance = 1e-4
    /// Asked before each iteration; true ends the search where it is (a stop command: a fit
    /// on a large table takes minutes and must not hold the run that long).
    var shouldStop: () -> Bool = { false }

    struct Result {
        var value: Double
        var iterations: Int
        var evaluations: Int
    }

    /// Minimises `f` from `x` (updated in place); `f(x, g)` returns f and writes ∇f into g.
    func minimise(_ x: FloatBuffer, count n: Int,
                  _ f: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Double) -> Result {
        let g = FloatBuffer(count: n), d = FloatBuffer(count: n), xNew = FloatBuffer(count: n), gNew = FloatBuffer(count: n)
        let sNew = FloatBuffer(count: n), yNew = FloatBuffer(count: n)
        var s: [FloatBuffer] = [], y: [FloatBuffer] = [], rho: [Double] = []
        var value = f(x.pointer, g.pointer), evaluations = 1
        let initialNorm = BLAS.dot(g.pointer, g.pointer, count: n).squareRoot()
        var alpha = [Double](repeating: 0, count: memory)
        var smallSteps = 0
        for iteration in 0..<maxIterations {
            if shouldStop() { return Result(value: value, iterations: iteration, evaluations: evaluations) }
            let norm = BLAS.dot(g.pointer, g.pointer, count: n).squareRoot()
            if norm <= gradientTolerance * initialNorm || norm == 0 { return Result(value: value, iterations: iteration, evaluations: evaluations) }
            // Two-loop recursion: d = −H g.
            d.copy(from: g)
            BLAS.scale(-1, d.pointer, count: n)
            for k in stride(from: s.count - 1, through: 0, by: -1) {
                alpha[k] = rho[k] * BLAS.dot(s[k].pointer, d.pointer, count: n)
                BLAS.axpy(Float(-alpha[k]), y[k].pointer, d.pointer, count: n)
            }
            if let last = s.indices.last {
                let gamma = BLAS.dot(s[last].pointer, y[last].pointer, count: n) / BLAS.dot(y[last].pointer, y[last].pointer, count: n)
                BLAS.scale(Float(gamma), d.pointer, count: n)
            } else {
                // No curvature yet: a first step of length 1.
                BLAS.scale(Float(1 / norm), d.pointer, count: n)
            }
            for k in s.indices {
                let beta = rho[k] * BLAS.dot(y[k].pointer, d.pointer, count: n)
                BLAS.axpy(Float(alpha[k] - beta), s[k].pointer, d.pointer, count: n)
            }
            var slope = BLAS.dot(g.pointer, d.pointer, count: n)
            if !(slope < 0) {
                // Not a descent direction (rounding): start the memory afresh from steepest descent.
                s.removeAll(); y.removeAll(); rho.removeAll()
                d.copy(from: g)
                BLAS.scale(Float(-1 / norm), d.pointer, count: n)
                slope = BLAS.dot(g.pointer, d.pointer, count: n)
            }
            var step: Float = 1, accepted = false, newValue = value
            for _ in 0..<30 {
                xNew.copy(from: x)
                BLAS.axpy(step, d.pointer, xNew.pointer, count: n)
                newValue = f(xNew.pointer, gNew.pointer)
                evaluations += 1
                if newValue <= value + 1e-4 * Double(step) * slope { accepted = true; break }
                step *= 0.5
            }
            guard accepted else { return Result(value: value, iterations: iteration, evaluations: evaluations) }
            sNew.copy(from: xNew)
            BLAS.axpy(-1, x.pointer, sNew.pointer, count: n)
            yNew.copy(from: gNew)
            BLAS.axpy(-1, g.pointer, yNew.pointer, count: n)
            // Relative to yᵀy, so that the objective's scale (a multi-label loss is a mean over
            // its labels) does not decide whether a pair is kept. Only a kept pair evicts the
            // oldest one, so a rejected pair never shrinks the memory.
            let sy = BLAS.dot(sNew.pointer, yNew.pointer, count: n), yy = BLAS.dot(yNew.pointer, yNew.pointer, count: n)
            if sy > 1e-10 * yy, sy > 0 {
                let sk = s.count == memory ? s.removeFirst() : FloatBuffer(count: n)
                let yk = y.count == memory ? y.removeFirst() : FloatBuffer(count: n)
                if rho.count == memory { rho.removeFirst() }
                sk.copy(from: sNew)
                yk.copy(from: yNew)
                s.append(sk); y.append(yk); rho.append(1 / sy)
            }
            x.copy(from: xNew)
            g.copy(from: gNew)
            let decrease = value - newValue
            value = newValue
            // Twice in a row, and not while the memory is still filling (a warm start's first
            // steps are short).
            smallSteps = decrease <= relativeDecrease * max(abs(value), 1e-12) ? smallSteps + 1 : 0
            if smallSteps >= 2, s.count >= min(memory, 3) {
                return Result(value: value, iterations: iteration + 1, evaluations: evaluations)
            }
        }
        return Result(value: value, iterations: maxIterations, evaluations: evaluations)
    }
}

/// Chooses C for one task's wide path on validation and returns its fitted weights.
enum WideFit {
    /// The C values tried, smallest first (each fit starts from the previous one's solution).
    static let grid: [Double] = [0.3, 1, 3, 10, 30, 100]

    struct Trial: Sendable, Equatable {
        var c: Double
        /// The task's validation metric with this C (nil without validation rows).
        var score: Double?
        var iterations: Int
    }

    struct Choice {
        /// θ = (W `[inputs, outputs]`, b `[outputs]`) of the chosen C.
        var parameters: FloatBuffer
        var c: Double
        var trials: [Trial]
    }

    /// Fits `train` for each C of `grid` (stopping two Cs after the validation metric last
    /// improved) and keeps the C whose fit scores best on `validation` by `metric` (higher is
    /// better unless `TaskMetrics.higherIsBetter` says otherwise); without validation rows, the
    /// middle C of the grid. When the grid's last C is still the best, up to `beyond` more Cs
    /// follow, each √10 times the last: on the public datasets five of nine tasks were still
    /// improving at C = 100. Nil when `solver.shouldStop` ended the search.
    static func choose(_ train: WideProblem, validation: WideProblem, metric: String, task: DataEncoder.TaskEncoding,
                       grid: [Double] = grid, beyond: Int = 2, solver: LBFGS = LBFGS()) -> Choice? {
        let n = train.parameterCount
        let theta = FloatBuffer(count: n), best = FloatBuffer(count: n)
        let scratch = WideProblem.Scratch(train)
        let higher = TaskMetrics.higherIsBetter(metric)
        var trials: [Trial] = [], bestScore: Double?, bestC = grid[grid.count / 2], sinceBest = 0
        let fallback = validation.rows == 0 ? grid.count / 2 : nil
        var cs = grid, i = 0
        while i < cs.count {
            let c = cs[i]
            defer { i += 1 }
            let lambda = train.lambda(c: c)
            let result = solver.minimise(theta, count: n) { x, g in train.objective(x, gradient: g, lambda: lambda, scratch: scratch) }
            if solver.shouldStop() { return nil }
            let score = validation.rows == 0 ? nil : evaluate(validation, theta.pointer, task: task).value(metric)
            trials.append(Trial(c: c, score: score, iterations: result.iterations))
            if let fallback {
                if i == fallback { best.copy(from: theta); bestC = c; break }
                continue
            }
            if let score, bestScore.map({ higher ? score > $0 : score < $0 }) ?? true {
                bestScore = score
                bestC = c
                best.copy(from: theta)
                sinceBest = 0
                if i == cs.count - 1, cs.count < grid.count + beyond { cs.append(c * 10.0.squareRoot()) }
            } else {
                sinceBest += 1
                if sinceBest >= 2 { break }
            }
        }
        if bestScore == nil, fallback == nil { best.copy(from: theta) }
        return Choice(parameters: best, c: bestC, trials: trials)
    }

    /// The task's metrics of θ on `problem`'s rows.
    static func evaluate(_ problem: WideProblem, _ theta: UnsafePointer<Float>, task: DataEncoder.TaskEncoding) -> TaskMetrics {
        let scratch = WideProblem.Scratch(problem), width = problem.outputs
        problem.logits(problem.x, theta, into: scratch.z.pointer)
        problem.targets.withUnsafeBufferPointer { y in
            problem.weights.withUnsafeBufferPointer { w in
                _ = TaskLoss.compute(kind: problem.kind, regression: problem.regression, logits: scratch.z.pointer,
                                     targets: y.baseAddress!, weights: w.baseAddress!, batch: problem.rows, width: width,
                                     probabilities: scratch.probabilities.pointer, rowLoss: scratch.rowLoss.pointer,
                                     gradient: nil, scale: 1, labelSmoothing: problem.labelSmoothing,
                                     positiveWeights: problem.positiveWeights)
            }
        }
        var accumulator = MetricAccumulator(kind: problem.kind, classes: width, mean: task.mean, std: task.std)
        problem.targets.withUnsafeBufferPointer { y in
            for r in 0..<problem.rows {
                accumulator.add(probabilities: scratch.probabilities.pointer + r * width, targets: y.baseAddress! + r * problem.targetWidth,
                                mask: 1, weight: problem.weights[r], loss: scratch.rowLoss[r])
            }
        }
        return accumulator.metrics()
    }
}
