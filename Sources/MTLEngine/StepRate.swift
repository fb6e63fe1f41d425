import Dispatch

/// Steps per wall-clock second over the recent past, and the time the remaining steps take at
/// that rate: the ETA of the workbench's trainer and of a watched stream. Wall time between
/// steps, not the steps' compute time: what a run does once an epoch (validation, a checkpoint
/// save, writing events) counts, and on a small data set it can be most of the time.
public struct StepRate: Sendable {
    /// Seconds of history the rate is measured over: long enough to hold several epochs' pauses
    /// on a small data set, short enough to follow a change of speed.
    public let window: Double
    /// The shortest span a rate is measured over; from less it would jump about.
    public let minimumSpan: Double
    /// Completed steps at moments, oldest first: at most one per 1/40 of the window, and one at
    /// or before the window's start.
    private var points: [(seconds: Double, step: Int)] = []
    /// The latest rate measured, kept across a pause until the next is measured.
    public private(set) var stepsPerSecond: Double?

    public init(window: Double = 30, minimumSpan: Double = 1) {
        self.window = window
        self.minimumSpan = minimumSpan
    }

    /// Seconds on a monotonic clock, for `observe`.
    public static var now: Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// `step` steps were complete at `seconds` (a monotonic clock: `now`, or a test's own).
    public mutating func observe(step: Int, at seconds: Double) {
        if let last = points.last, step < last.step || seconds < last.seconds { points.removeAll() }   // another run
        if points.count >= 2, seconds - points[points.count - 2].seconds < window / 40 { points.removeLast() }
        points.append((seconds, step))
        while points.count > 2, seconds - points[1].seconds >= window { points.removeFirst() }
        let first = points[0], span = seconds - first.seconds
        if span >= minimumSpan, step > first.step { stepsPerSecond = Double(step - first.step) / span }
    }

    /// The time from here to the next step is no progress (a pause, a wait to continue): measure
    /// afresh from it, keeping the latest rate until then.
    public mutating func pause() { points.removeAll() }

    /// Seconds the `remaining` steps take at the measured rate; nil before one is measured.
    public func eta(remaining: Int) -> Double? {
        stepsPerSecond.map { Double(max(remaining, 0)) / $0 }
    }
}
