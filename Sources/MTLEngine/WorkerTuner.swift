/// How a training step's parallel regions run when there are several threads.
public enum WorkerMode: Int, CaseIterable, Sendable {
    /// On `SpinningPool`, whose workers spin between regions.
    case spinning
    /// On Dispatch's workers, which sleep between regions.
    case sleeping
    /// On the calling thread alone, the parts in turn (the same parts, so the same bits).
    case oneThread

    public var name: String {
        switch self {
        case .spinning: "spinning"
        case .sleeping: "sleeping"
        case .oneThread: "one_thread"
        }
    }
}

/// Picks the `WorkerMode` of a run's training steps by timing steps in each. No fixed choice is
/// right on a shared or virtual machine: with a core of their own, spinning workers make an mlp
/// step of many short regions 1.2–1.4× faster than sleeping ones (waking one takes longer than
/// such a region); when the machine's two CPUs behave as one shared core (on this virtual
/// machine, for minutes at a time) spinning is up to 2.5× slower, and when handing work between
/// the CPUs stalls (also seen here: two threads at a third of one thread's speed, with either
/// kind of worker, while two separate processes each kept most of their speed) one thread is
/// fastest. It runs a block of steps in each mode, times each block's steps but the first
/// `transitionSteps` (the previous mode still shows there), keeps the mode whose median step was
/// shortest. It first measures after `firstSettle` steps, then after settled stretches of 64,
/// 256 and then `longestSettle` steps (a wrong early choice, made while the process was
/// starting, is soon corrected; later, measuring takes 24 steps in 536, 16 of them in the modes
/// not chosen), and, once a quarter of a stretch has passed, sooner when the median of
/// `measuredSteps` settled steps is more than `change` times the one that chose the mode, or
/// less than its 1/`change` (the machine changed: here its state flips within seconds).
///
/// ```swift
/// var tuner = WorkerTuner()
/// let mode = tuner.stepStarted(at: DispatchTime.now().uptimeNanoseconds)
/// ```
struct WorkerTuner {
    static let transitionSteps = 2, measuredSteps = 6
    static let firstSettle = 16, longestSettle = 512
    static let change = 1.3
    static let block = transitionSteps + measuredSteps
    private static let modes = WorkerMode.allCases

    /// The mode of the step now starting; sleeping (Dispatch, the engine's old way) until measured.
    private(set) var mode = WorkerMode.sleeping
    /// Steps started so far in each mode, the measurements made, and the last one's median step
    /// per mode (nanoseconds).
    private(set) var stepsByMode = [Int](repeating: 0, count: WorkerTuner.modes.count)
    private(set) var measurements = 0
    private(set) var lastMedians = [UInt64](repeating: 0, count: WorkerTuner.modes.count)
    private var lastStart: UInt64?
    private var settleLength = WorkerTuner.firstSettle, settledSteps = 0
    /// Steps started in the current measurement (a block per mode, in `WorkerMode` order).
    private var measuring = 0
    /// Each mode's measured step times (the training step allocates nothing: capacity kept).
    private var times = [[UInt64]](repeating: [], count: WorkerTuner.modes.count)
    /// The median step that chose the mode, and the settled steps' times since it or the last check.
    private var chosenMedian: UInt64 = 0
    private var settledTimes: [UInt64] = []

    init() {
        for mode in times.indices { times[mode].reserveCapacity(WorkerTuner.measuredSteps) }
        settledTimes.reserveCapacity(WorkerTuner.measuredSteps)
    }

    /// Notes that a step starts at `now` (nanoseconds, monotonic), the previous one having
    /// ended; returns the mode this step runs in.
    mutating func stepStarted(at now: UInt64) -> WorkerMode {
        mode = nextMode(now)
        lastStart = now
        stepsByMode[mode.rawValue] += 1
        return mode
    }

    private mutating func nextMode(_ now: UInt64) -> WorkerMode {
        if settledSteps < settleLength {
            settledSteps += 1
            if measurements > 0, settledSteps > WorkerTuner.transitionSteps + 1, let last = lastStart, now > last {
                settledTimes.append(now - last)
            }
            guard settledTimes.count == WorkerTuner.measuredSteps else { return mode }
            settledTimes.sort()
            let ratio = Double(settledTimes[settledTimes.count / 2]) / Double(max(chosenMedian, 1))
            settledTimes.removeAll(keepingCapacity: true)
            guard settledSteps >= settleLength / 4, ratio > WorkerTuner.change || ratio < 1 / WorkerTuner.change else { return mode }
            settledSteps = settleLength   // measure from the next step
            return mode
        }
        let previous = measuring - 1
        if previous >= 0, previous % WorkerTuner.block >= WorkerTuner.transitionSteps, let last = lastStart, now > last {
            times[previous / WorkerTuner.block].append(now - last)
        }
        guard measuring == WorkerTuner.modes.count * WorkerTuner.block else {
            defer { measuring += 1 }
            return WorkerTuner.modes[measuring / WorkerTuner.block]
        }
        var fastest = WorkerMode.sleeping, shortest = UInt64.max
        for mode in WorkerTuner.modes where !times[mode.rawValue].isEmpty {
            times[mode.rawValue].sort()
            let median = times[mode.rawValue][times[mode.rawValue].count / 2]
            lastMedians[mode.rawValue] = median
            if median < shortest { (fastest, shortest) = (mode, median) }
            times[mode.rawValue].removeAll(keepingCapacity: true)
        }
        measuring = 0
        settledSteps = 1
        settledTimes.removeAll(keepingCapacity: true)
        chosenMedian = shortest
        settleLength = min(4 * settleLength, WorkerTuner.longestSettle)
        measurements += 1
        return fastest
    }
}
