import Dispatch
import Foundation
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
    private static let pool = SpinningPool()

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

    /// `body(0..<parts)`, the parts shared between this thread and the pool's workers.
    private static func run(_ parts: Int, _ body: (Int) -> Void) {
        // `body` works on raw buffers, which are not Sendable. Sharing it is safe here: each
        // call gets a disjoint part, and neither path returns before every part has finished
        // (nor keeps `body` after it: `withoutActuallyEscaping` checks).
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body
            if pool.run(parts, workers: threads - 1, work) { return }
            // A region inside a region, whose threads are all busy already, or another
            // thread's region (two runs training at once): the parts in turn, here.
            for part in 0..<parts { work(part) }
        }
    }
}

/// Worker threads that, after a region, wait for the next one spinning for about a
/// millisecond before they sleep. A training step is a chain of parallel regions of tens to
/// hundreds of microseconds with single-threaded work between them (the matrix products, the
/// loss); Dispatch's workers sleep in between, and waking one took longer than such a region
/// here (a 70 µs loop split in two took 82 µs through `concurrentPerform`, 43 µs with a
/// spinning worker), so short regions ran on one core.
///
/// One region at a time: `run` returns false when the pool is busy (another thread's region,
/// or a region started inside one of its parts), and the caller then runs the parts itself.
final class SpinningPool: Sendable {
    /// Counts regions; a new value tells the workers that a region's parts are up for claiming.
    private let generation = Atomic<Int>(0)
    /// The current region's next unclaimed part (claimed with compare-and-exchange on
    /// generation << 32 | part, so a late worker cannot claim a part of a later region).
    private let claim = Atomic<Int>(0)
    /// The current region's part count, and its parts not yet finished.
    private let parts = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// Workers started so far, and how many sleep (a new region wakes them).
    private let started = Mutex<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let wake = DispatchSemaphore(value: 0)
    /// The current region's body: written before its parts are up for claiming, read only by
    /// whoever claimed one (the region cannot end, and `job` change, before that part is done).
    nonisolated(unsafe) private var job: (Int) -> Void = SpinningPool.idle
    private static let idle: @Sendable (Int) -> Void = { _ in }
    /// How long a worker spins for the next region before it sleeps.
    static let spinNanoseconds: UInt64 = 1_000_000

    /// Runs `body(0..<parts)` on this thread and up to `workers` pool threads; false (and
    /// nothing run) when the pool cannot take the region.
    func run(_ parts: Int, workers: Int, _ body: @escaping (Int) -> Void) -> Bool {
        // A region inside a region (the pool is this thread's) or another thread's: not here.
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        startWorkers(workers)
        job = body
        self.parts.store(parts, ordering: .relaxed)
        remaining.store(parts, ordering: .relaxed)
        let region = generation.load(ordering: .relaxed) + 1
        claim.store(region << 32, ordering: .releasing)
        generation.store(region, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            for _ in 0..<min(workers, sleepers.load(ordering: .relaxed)) { wake.signal() }
        }
        work(region)
        while remaining.load(ordering: .acquiring) > 0 { spinPause() }
        job = SpinningPool.idle   // the caller's closure must not outlive the region
        return true
    }

    /// Claims and runs parts of `region` until none is left.
    private func work(_ region: Int) {
        while true {
            let value = claim.load(ordering: .acquiring)
            guard value >> 32 == region else { return }
            let part = value & 0xFFFF_FFFF
            guard part < parts.load(ordering: .relaxed) else { return }
            guard claim.compareExchange(expected: value, desired: value + 1, ordering: .acquiringAndReleasing).exchanged else { continue }
            job(part)
            remaining.subtract(1, ordering: .releasing)
        }
    }

    private func startWorkers(_ wanted: Int) {
        started.withLock { count in
            while count < wanted {
                let thread = Thread { [self] in loop() }
                thread.stackSize = 1 << 20
                thread.start()
                count += 1
            }
        }
    }

    private func loop() {
        var seen = generation.load(ordering: .acquiring)
        while true {
            var spinStart = DispatchTime.now().uptimeNanoseconds, spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spinPause()
                spins += 1
                guard spins % 256 == 0, DispatchTime.now().uptimeNanoseconds - spinStart > SpinningPool.spinNanoseconds else { continue }
                sleepers.add(1, ordering: .sequentiallyConsistent)
                if generation.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                spinStart = DispatchTime.now().uptimeNanoseconds
            }
            seen = generation.load(ordering: .acquiring)
            work(seen)
        }
    }

    /// A pause in a spin loop: a yield, so a spinning thread gives its core to any thread with
    /// work (the UI, another process).
    @inline(__always) private func spinPause() {
        sched_yield()
    }
}
