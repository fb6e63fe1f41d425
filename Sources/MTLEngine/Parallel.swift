import Dispatch
import Synchronization

/// How the engine uses several cores: it splits its own large loops (the conv's tap table and
/// window sums, the optimizer) into contiguous parts, one per thread, and keeps OpenBLAS on one
/// thread. Measured here, OpenBLAS's own threads spin between the many small products of a
/// training step and made 2-thread runs slower than 1-thread ones.
///
/// ```swift
/// Parallel.threads = 2
/// Parallel.split(rows, minimum: 256) { range in … }
/// ```
public enum Parallel {
    private static let count = Atomic<Int>(1)

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
        // `body` works on raw buffers, which are not Sendable. Sharing it is safe here: each
        // call gets a disjoint range, and concurrentPerform returns only after all have finished.
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            work((total * part / parts)..<(total * (part + 1) / parts))
        }
    }

    /// Calls `body` on `count` disjoint, contiguous blocks of `0..<total` whose bounds depend on
    /// `total` and `count` only, in parallel when there are several threads: for work whose
    /// result must not depend on the thread count.
    static func blocks(_ total: Int, count: Int, _ body: (Range<Int>) -> Void) {
        if threads <= 1 || count <= 1 {
            for part in 0..<count { body((total * part / count)..<(total * (part + 1) / count)) }
            return
        }
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: count) { part in
            work((total * part / count)..<(total * (part + 1) / count))
        }
    }
}
