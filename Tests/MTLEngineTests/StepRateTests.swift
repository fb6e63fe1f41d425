import MTLEngine
import Testing

/// The ETA from steps per wall second, on synthetic clocks.
@Suite struct StepRateTests {
    /// Epochs of `steps` steps of `compute` seconds each, then `overhead` seconds (validation, a
    /// checkpoint save, events) before the next epoch: observed after every step, as the trainer does.
    static func epochs(_ count: Int, steps: Int, compute: Double, overhead: Double, into rate: inout StepRate,
                       from start: (seconds: Double, step: Int) = (0, 0)) -> (seconds: Double, step: Int) {
        var (seconds, step) = start
        for _ in 0..<count {
            for _ in 0..<steps {
                seconds += compute
                step += 1
                rate.observe(step: step, at: seconds)
            }
            seconds += overhead
        }
        return (seconds, step)
    }

    func close(_ eta: Double?, _ expected: Double) -> Bool { eta.map { abs($0 - expected) < 1e-6 } ?? false }

    /// The tester's penguins run: 0.003 s of compute per epoch of 30 steps and ~0.04 s saving
    /// and writing, 240 epochs in 10 s with 2,250 left: about 94 s, where the compute time
    /// alone said 0:07.
    @Test func countsWhatTheRunDoesBetweenEpochs() throws {
        var rate = StepRate()
        let compute = 0.0001, overhead = 10.0 / 240 - 30 * compute
        let end = Self.epochs(240, steps: 30, compute: compute, overhead: overhead, into: &rate)
        #expect(abs(end.seconds - 10) < 1e-6)
        let eta = try #require(rate.eta(remaining: 2_250 * 30))
        #expect(abs(eta - 2_250 * 10.0 / 240) < 2, "\(eta)")
    }

    @Test func noRateFromLessThanItsShortestSpan() {
        var rate = StepRate(window: 30, minimumSpan: 1)
        rate.observe(step: 0, at: 0)
        rate.observe(step: 50, at: 0.5)
        #expect(rate.eta(remaining: 100) == nil)
        rate.observe(step: 100, at: 1)
        #expect(close(rate.eta(remaining: 100), 1))
    }

    /// A pause's minute is no progress: after it the rate is the one before until a new one is
    /// measured, and then the new speed's alone.
    @Test func aPauseIsNotCountedAndTheWindowFollowsANewSpeed() {
        var rate = StepRate(window: 30, minimumSpan: 1)
        var end = Self.epochs(20, steps: 10, compute: 0.1, overhead: 0, into: &rate)   // 10 steps/s
        #expect(close(rate.eta(remaining: 100), 10))
        rate.pause()
        end.seconds += 60
        rate.observe(step: end.step + 1, at: end.seconds + 0.1)
        #expect(close(rate.eta(remaining: 100), 10), "the rate before the pause until one is measured again")
        // Now 5 steps/s: once a window has passed, the ETA is the new speed's.
        end = Self.epochs(40, steps: 10, compute: 0.2, overhead: 0, into: &rate, from: (end.seconds + 0.1, end.step + 1))
        #expect(close(rate.eta(remaining: 100), 20), "\(String(describing: rate.eta(remaining: 100)))")
    }

    @Test func aRunStartedAgainIsMeasuredAfresh() {
        var rate = StepRate(window: 30, minimumSpan: 1)
        _ = Self.epochs(10, steps: 10, compute: 0.1, overhead: 0, into: &rate)
        rate.observe(step: 1, at: 20)   // fewer steps than before: another run
        rate.observe(step: 3, at: 21)
        #expect(close(rate.eta(remaining: 10), 5))
    }
}
