import Dispatch
import Glibc
import Synchronization

/// How the engine uses several cores: it splits its own large loops (the conv's tap table and
/// window sums, the optimizer) into contiguous parts, one per thread, and keeps OpenBLAS on one
/// thread. Measured here, OpenBLAS's own threads spin between the many small products of a
/// training step and made 2-thread runs slower than 1-thread ones. The parts run on Dispatch's
/// workers, on a pool whose workers spin between regions, or on one thread: whichever
/// `WorkerTuner`, timing the training steps, finds fastest.
///
/// ```swift
/// Parallel.threads = 2
/// Parallel.split(rows, minimum: 256) { range in … }
/// ```
public enum Parallel {
    private static let count = Atomic<Int>(1)
    private static let pool = SpinningPool()
    /// Each thread's mode, as rawValue + 1 (0, no value: sleeping).
    private static let modeKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no thread-specific key left")
        return key
    }()

    /// How the regions this thread starts run with several threads: its run's tuner's choice at
    /// each training step (two runs training at once each have their own), or a test's.
    static var mode: WorkerMode {
        get { WorkerMode(rawValue: Int(bitPattern: pthread_getspecific(modeKey)) - 1) ?? .sleeping }
        set { pthread_setspecific(modeKey, UnsafeRawPointer(bitPattern: newValue.rawValue + 1)) }
    }

    /// Threads for the engine's loops; also pins OpenBLAS to one thread.
    public static var threads: Int {
        get { count.load(ordering: .relaxed) }
        set {
            count.store(max(1, newValue), ordering: .relaxed)
            BLAS.threads = 1
        }
    }

    /// Calls `body` on disjoint, contiguous parts of `0..<total`, in parallel when there are
    /// several threads and each part would hold at least `minimum` items.
    static func split(_ total: Int, minimum: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(threads, max(1, total / max(minimum, 1)))
        if parts <= 1 {
            body(0..<total)
            return
        }
        run(parts) { part in body((total * part / parts)..<(total * (part + 1) / parts)) }
    }

    /// Calls `body` on `count` disjoint, contiguous blocks of `0..<total` whose bounds depend on
    /// `total` and `count` only, in parallel when there are several threads: for work whose
    /// result must not depend on the thread count.
    static func blocks(_ total: Int, count: Int, _ body: (Range<Int>) -> Void) {
        if threads <= 1 || count <= 1 {
            for part in 0..<count { body((total * part / count)..<(total * (part + 1) / count)) }
            return
        }
        run(count) { part in body((total * part / count)..<(total * (part + 1) / count)) }
    }

    /// Notes that a training step starts on this thread, so `tuner` (its run's) can time the
    /// steps and pick this thread's mode.
    static func stepStarted(_ tuner: inout WorkerTuner) {
        guard threads > 1 else { return }
        mode = tuner.stepStarted(at: DispatchTime.now().uptimeNanoseconds)
    }

    /// `body(0..<parts)`, as `mode` says: shared between this thread and the spinning pool's
    /// workers or Dispatch's, or in turn here.
    private static func run(_ parts: Int, _ body: (Int) -> Void) {
        let mode = mode
        if mode == .oneThread {
            for part in 0..<parts { body(part) }
            return
        }
        // `body` works on raw buffers, which are not Sendable. Sharing it is safe here: each
        // call gets a disjoint part, and neither path returns before every part has finished
        // (nor keeps `body` after it: `withoutActuallyEscaping` checks).
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body
            if mode == .spinning, pool.run(parts, workers: threads - 1, work) { return }
            // Sleeping workers, or another thread's region while the pool runs one (two runs
            // training at once).
            DispatchQueue.concurrentPerform(iterations: parts) { work($0) }
        }
    }
}
