import Foundation
import Synchronization
import MTLData
import Testing
@testable import MTLEngine

/// Splitting work across threads must not change a single bit: every part computes exactly
/// what the one-thread loop computes for its range.
@Suite(.serialized) struct ParallelTests {
    func oneStep(_ trunk: TrunkKind, wide: Bool = false, threads: Int) -> (parameters: [Float], probabilities: [Float]) {
        Parallel.threads = threads
        defer { Parallel.threads = 1 }
        let (config, batchSize, tokens) = Benchmark.config(trunk, wide: wide)
        let rows = SyntheticData.rows(count: batchSize, tokens: tokens, vocabulary: config.vocabulary, features: 0,
                                      tasks: Benchmark.tasks, seed: 3)
        var inputs = ModelInputs(rows: rows, idf: trunk == .mlp ? [Float](repeating: 1, count: config.vocabulary) : nil,
                                 kernel: config.kernel)
        if config.needsNGrams { (inputs.wide, inputs.bag) = SyntheticData.ngramTables(rows, ngrams: config.ngrams, seed: 7) }
        let model = Model(config, seed: 1)
        let batch = Batch(capacity: batchSize, inputs: inputs)
        batch.fill(Array(0..<batchSize)[...], from: inputs, kernel: config.kernel)
        let work = model.workspace(batch: batchSize, maxTokens: inputs.maxTokens)
        let optimizer = Optimizer(OptimizerConfig(kind: .adam, learningRate: 1e-3), parameterCount: model.parameterCount)
        model.forward(batch, work, training: true, step: 0)
        _ = model.losses(batch, work, taskWeights: [1, 1])
        model.backward(batch, work, frozen: [])
        optimizer.step(model, frozen: [])
        model.forward(batch, work, training: false, step: 1)
        _ = model.losses(batch, work, taskWeights: nil)
        return (model.parameters.array, work.probabilities[1].array)
    }

    @Test(arguments: [(TrunkKind.cnn, false), (.mlp, false), (.gru, false), (.bag, false), (.cnn, true)])
    func twoThreadsGiveTheSameBits(_ trunk: TrunkKind, _ wide: Bool) {
        let one = oneStep(trunk, wide: wide, threads: 1)
        for mode in WorkerMode.allCases {
            Parallel.mode = mode
            defer { Parallel.mode = .sleeping }
            let two = oneStep(trunk, wide: wide, threads: 2)
            #expect(one.parameters.map(\.bitPattern) == two.parameters.map(\.bitPattern), "\(mode)")
            #expect(one.probabilities.map(\.bitPattern) == two.probabilities.map(\.bitPattern), "\(mode)")
        }
    }

    /// A product split into row or column blocks is the plain product, and the same bits on one
    /// thread or two, for every transposition.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func splitProductsGiveTheSameBits(_ transA: Bool, _ transB: Bool) {
        for (m, n, k) in [(300, 40, 90), (24, 500, 70)] {
            var random = SeededRandom(seed: 7)
            let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &random) }
            let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &random) }
            func product(threads: Int) -> [Float] {
                Parallel.threads = threads
                defer { Parallel.threads = 1 }
                var c = [Float](repeating: 0.5, count: m * n)
                BLAS.gemm(m, n, k, a, transA: transA, b, transB: transB, &c, alpha: 0.7, beta: 1)
                return c
            }
            #expect(m * n * k >= 2 * BLAS.minimumProductsPerBlock)
            let one = product(threads: 1), two = product(threads: 2)
            // Each block reads the right rows or columns: the split product is the plain sum.
            var worst: Float = 0
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Float = 0
                    for p in 0..<k {
                        sum += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j])
                    }
                    worst = max(worst, abs(one[i * n + j] - (0.5 + 0.7 * sum)))
                }
            }
            #expect(worst < 1e-4, "\(m)×\(n)×\(k)")
            let differing = zip(one, two).filter { $0.bitPattern != $1.bitPattern }
            #expect(differing.isEmpty, "\(m)×\(n)×\(k): \(differing.count) of \(one.count) differ, e.g. \(differing.prefix(3))")
        }
    }

    /// Over many regions in a row, every part of every region runs exactly once (on the
    /// spinning pool, a late worker must not claim a part of a later region, nor run one twice).
    @Test(arguments: WorkerMode.allCases) func everyPartRunsOnceOverManyRegions(mode: WorkerMode) {
        Parallel.threads = 3
        Parallel.mode = mode
        defer { Parallel.threads = 1; Parallel.mode = .sleeping }
        let total = 64, regions = 3000
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: total)
        counts.initialize(repeating: 0, count: total)
        defer { counts.deallocate() }
        for _ in 0..<regions {
            Parallel.split(total, minimum: 1) { range in for i in range { counts[i] += 1 } }
        }
        #expect((0..<total).allSatisfy { counts[$0] == regions }, "\((0..<total).map { counts[$0] })")
    }

    /// A region started inside a region's part, and regions started by two threads at once,
    /// run every part (the spinning pool takes one region at a time; Dispatch runs the others).
    @Test(arguments: WorkerMode.allCases) func nestedAndConcurrentRegionsRunEveryPart(mode: WorkerMode) {
        Parallel.threads = 2
        Parallel.mode = mode
        defer { Parallel.threads = 1; Parallel.mode = .sleeping }
        let outer = 4, inner = 50
        let cells = UnsafeMutablePointer<Int>.allocate(capacity: 2 * outer * inner)
        cells.initialize(repeating: 0, count: 2 * outer * inner)
        defer { cells.deallocate() }
        nonisolated(unsafe) let shared = cells
        DispatchQueue.concurrentPerform(iterations: 2) { caller in
            for _ in 0..<200 {
                Parallel.blocks(outer, count: outer) { parts in
                    for o in parts {
                        Parallel.split(inner, minimum: 1) { range in
                            for i in range { shared[(caller * outer + o) * inner + i] += 1 }
                        }
                    }
                }
            }
        }
        #expect((0..<(2 * outer * inner)).allSatisfy { cells[$0] == 200 })
    }

    /// The pool itself, over many regions whose part counts change (2, 8, 3, as a training
    /// step's splits and blocks do): every part of every region runs exactly once, none past
    /// its region's end (a late worker reads its region's part count from the word it claims).
    @Test func thePoolRunsEveryPartOnceAsThePartCountChanges() {
        let pool = SpinningPool()
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 8)
        counts.initialize(repeating: 0, count: 8)
        defer { counts.deallocate() }
        var wrong = 0
        for region in 0..<20_000 {
            let parts = [2, 8, 3][region % 3]
            #expect(pool.run(parts, workers: 2) { counts[$0] += 1 })
            if (0..<8).contains(where: { counts[$0] != ($0 < parts ? 1 : 0) }) { wrong += 1 }
            counts.update(repeating: 0, count: 8)
        }
        #expect(wrong == 0)
    }

    /// Two parts that each wait (up to 2 s) until the other has started: they can only both
    /// see the other if two threads run them at once.
    final class Rendezvous: Sendable {
        /// Which parts have started (bit 0, bit 1), and the thread of each.
        let started = Atomic<Int>(0)
        let thread0 = Atomic<UInt>(0), thread1 = Atomic<UInt>(0)

        func arrive(_ part: Int) -> Bool {
            if part == 0 { thread0.store(UInt(pthread_self()), ordering: .relaxed) } else { thread1.store(UInt(pthread_self()), ordering: .relaxed) }
            started.bitwiseOr(1 << part, ordering: .sequentiallyConsistent)
            let until = DispatchTime.now().uptimeNanoseconds + 2_000_000_000
            while started.load(ordering: .sequentiallyConsistent) != 3 {
                if DispatchTime.now().uptimeNanoseconds > until { return false }
                sched_yield()
            }
            return true
        }
    }

    /// A worker asleep after a pause (longer than it spins) wakes for the next region, and a
    /// region started inside a part runs in place on that part's thread, the owner's or the
    /// worker's; another thread's region is refused while one runs (the caller uses Dispatch).
    @Test func thePoolWakesItsWorkerRunsNestedRegionsInPlaceAndRefusesOtherThreads() {
        let pool = SpinningPool()
        for _ in 0..<3 {
            usleep(5_000)
            let meeting = Rendezvous()
            let met = UnsafeMutablePointer<Bool>.allocate(capacity: 2)
            let nested = UnsafeMutablePointer<UInt>.allocate(capacity: 6)
            met.initialize(repeating: false, count: 2)
            nested.initialize(repeating: 0, count: 6)
            defer { met.deallocate(); nested.deallocate() }
            let ran = pool.run(2, workers: 1) { part in
                met[part] = meeting.arrive(part)
                // Both parts start a region of 3 parts; each part notes the thread it ran on.
                _ = pool.run(3, workers: 1) { inner in nested[part * 3 + inner] = UInt(pthread_self()) }
            }
            #expect(ran && met[0] && met[1])
            let threads = [meeting.thread0.load(ordering: .relaxed), meeting.thread1.load(ordering: .relaxed)]
            #expect(threads[0] != threads[1])
            #expect((0..<6).allSatisfy { nested[$0] == threads[$0 / 3] })
        }
        // Another thread's region while one runs: refused, nothing run.
        let other = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        other.initialize(repeating: 0, count: 2)
        defer { other.deallocate() }
        nonisolated(unsafe) let shared = other
        let tried = DispatchSemaphore(value: 0)
        #expect(pool.run(1, workers: 1) { _ in
            Thread {
                shared[0] = pool.run(1, workers: 1) { _ in shared[1] = 1 } ? 1 : 2
                tried.signal()
            }.start()
            tried.wait()
        })
        #expect(other[0] == 2 && other[1] == 0)
    }
}
