import Dispatch
import Foundation
import Synchronization

/// Worker threads for the engine's parallel regions that, after a region, wait for the next one
/// spinning for about a millisecond before they sleep. A training step is a chain of
/// parallel regions of tens to hundreds of microseconds with single-threaded work between them
/// (the matrix products, the loss); a sleeping worker takes longer to wake on this kind of
/// virtual machine than such a region lasts (a 70 µs loop split in two took 82 µs through
/// `concurrentPerform`, 43 µs with a spinning worker), so short regions ran on one core.
/// Spinning only pays when the workers have a core of their own, so `WorkerTuner` decides, from
/// the steps' durations, whether the engine's regions run here, on Dispatch's workers or on
/// one thread.
///
/// One region at a time: a region started inside one of its parts runs its parts in turn on
/// that thread (every thread is busy already), and `run` returns false for another thread's
/// region while one runs (two runs training at once), which the caller gives to Dispatch.
/// Workers, once started, stay for the life of the process and take parts of every region.
final class SpinningPool: Sendable {
    /// Counts regions (modulo 2³¹, to fit the claim word); a new value tells the workers that a
    /// region's parts are up for claiming.
    private let generation = Atomic<Int>(0)
    /// The current region in one word, `region << 32 | partCount << 16 | nextPart`, claimed with
    /// compare-and-exchange: a late worker reads the part count of the region it claims from,
    /// so it can neither claim a part of a later region nor one past its own region's end.
    private let claim = Atomic<Int>(0)
    /// The current region's parts not yet finished.
    private let remaining = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// The thread whose region runs (0: none), and the workers' threads.
    private let owner = Atomic<UInt>(0)
    private let workerThreads = Mutex<[UInt]>([])
    /// Workers started so far, and how many sleep (a new region wakes them).
    private let started = Mutex<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let wake = DispatchSemaphore(value: 0)
    /// How long a worker spins for the next region before it sleeps.
    static let spinNanoseconds: UInt64 = 1_000_000
    /// The current region's body: written before its parts are up for claiming, read only by
    /// whoever claimed one (the region cannot end, and `job` change, before that part is done).
    nonisolated(unsafe) private var job: (Int) -> Void = SpinningPool.idle
    private static let idle: @Sendable (Int) -> Void = { _ in }

    /// Runs `body(0..<parts)` on this thread and up to `workers` pool threads; false (and
    /// nothing run) when another thread's region runs.
    func run(_ parts: Int, workers: Int, _ body: @escaping (Int) -> Void) -> Bool {
        let me = UInt(pthread_self())
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            // Inside one of this pool's parts: every thread is busy, so the parts in turn here
            // (as Dispatch runs an apply inside an apply; asking Dispatch for more threads
            // made the GRU's two-group step 6 % slower).
            guard owner.load(ordering: .relaxed) == me || workerThreads.withLock({ $0.contains(me) }) else { return false }
            for part in 0..<parts { body(part) }
            return true
        }
        owner.store(me, ordering: .relaxed)
        defer {
            owner.store(0, ordering: .relaxed)
            busy.store(false, ordering: .releasing)
        }
        precondition(parts < 1 << 16, "a region of \(parts) parts")
        startWorkers(workers)
        job = body
        remaining.store(parts, ordering: .relaxed)
        let region = (generation.load(ordering: .relaxed) &+ 1) & 0x7FFF_FFFF
        claim.store(region << 32 | parts << 16, ordering: .releasing)
        generation.store(region, ordering: .sequentiallyConsistent)
        let sleeping = sleepers.load(ordering: .sequentiallyConsistent)
        for _ in 0..<min(workers, sleeping) { wake.signal() }
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
            let part = value & 0xFFFF
            guard part < (value >> 16) & 0xFFFF else { return }
            guard claim.compareExchange(expected: value, desired: value + 1, ordering: .acquiringAndReleasing).exchanged else { continue }
            job(part)
            remaining.subtract(1, ordering: .releasing)
        }
    }

    /// Starts workers up to `wanted`, before the caller publishes its region: they take part in
    /// that region too (a worker waits for regions after the one it was started in).
    private func startWorkers(_ wanted: Int) {
        let current = generation.load(ordering: .relaxed)
        started.withLock { count in
            while count < wanted {
                let thread = Thread { [self] in loop(after: current) }
                thread.stackSize = 1 << 20   // the parts' loops need little stack
                thread.start()
                count += 1
            }
        }
    }

    private func loop(after region: Int) {
        workerThreads.withLock { $0.append(UInt(pthread_self())) }
        Parallel.mode = .spinning   // a region inside a part runs in place (`run`)
        var seen = region
        while true {
            var spinStart = DispatchTime.now().uptimeNanoseconds
            while generation.load(ordering: .acquiring) == seen {
                spinPause()
                // The clock each time: a yield can last a scheduler slice when other threads want
                // the core, and reading the clock costs far less.
                guard DispatchTime.now().uptimeNanoseconds - spinStart > SpinningPool.spinNanoseconds else { continue }
                // Announce the sleep, then look once more: a region published in between has
                // either been seen here or seen this sleeper (and signals it).
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
