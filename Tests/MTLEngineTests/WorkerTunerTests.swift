import Testing
@testable import MTLEngine

/// The choice of worker mode, driven by a clock the test advances by each step's duration in
/// the mode the tuner picked for it.
@Suite struct WorkerTunerTests {
    let block = WorkerTuner.block, first = WorkerTuner.firstSettle

    /// The modes the tuner picks for `steps` steps that take `duration(step, mode)` nanoseconds.
    func modes(steps: Int, _ duration: (_ step: Int, _ mode: WorkerMode) -> UInt64) -> [WorkerMode] {
        var tuner = WorkerTuner()
        var now: UInt64 = 1_000_000, chosen: [WorkerMode] = []
        for step in 0..<steps {
            let mode = tuner.stepStarted(at: now)
            chosen.append(mode)
            now += duration(step, mode)
        }
        #expect(tuner.stepsByMode == WorkerMode.allCases.map { mode in chosen.filter { $0 == mode }.count })
        return chosen
    }

    func share(_ mode: WorkerMode, _ chosen: ArraySlice<WorkerMode>) -> Double {
        Double(chosen.filter { $0 == mode }.count) / Double(chosen.count)
    }

    /// Sleeping (Dispatch) until the first measurement, then a block in each mode, then the
    /// mode of the shortest median step: one slow step (an evaluation) does not decide it.
    @Test(arguments: WorkerMode.allCases) func itMeasuresEachModeAndKeepsTheFastest(fastest: WorkerMode) {
        let chosen = modes(steps: 3000) { step, mode in
            if step == first + block - 1 { return 100_000_000 }
            return mode == fastest ? 1_000_000 : 1_500_000
        }
        #expect(chosen.prefix(first).allSatisfy { $0 == .sleeping })
        for (index, mode) in WorkerMode.allCases.enumerated() {
            let measured = (first + index * block)..<(first + (index + 1) * block)
            #expect(chosen[measured].allSatisfy { $0 == mode }, "\(mode)")
        }
        #expect(chosen[first + WorkerMode.allCases.count * block] == fastest)
        #expect(share(fastest, chosen[1000...]) > 0.96)
    }

    /// Each step's time counts for the mode it ran in, and the first `transitionSteps` of each
    /// block do not count: steps that take their place in the block in microseconds beyond a
    /// mode's base give each mode the median of places 2–7, place 5 (place 4 if a step's time
    /// went to the next step, or if the transition steps counted).
    @Test func eachBlockCountsItsOwnStepsButTheFirstTwo() {
        var tuner = WorkerTuner()
        var now: UInt64 = 1_000_000
        for step in 0..<(first + WorkerMode.allCases.count * block + 1) {
            let mode = tuner.stepStarted(at: now)
            let place = step >= first ? UInt64((step - first) % block) : 0
            now += UInt64(mode.rawValue + 1) * 1_000_000 + place * 1_000
        }
        #expect(tuner.measurements == 1)
        #expect(tuner.lastMedians == WorkerMode.allCases.map { UInt64($0.rawValue + 1) * 1_000_000 + 5_000 })
    }

    /// Measuring gets rarer (under 4 % of the steps in another mode once settled), steps that
    /// vary by 10 % do not start a measurement, and a change of the machine (handing work
    /// between its CPUs stalls) is acted on once a quarter of the settled stretch has passed,
    /// not before.
    @Test func itMeasuresRarelyAndFollowsAChange() {
        // Settled from step 2016 on (measurements at 16, 104, 384, 920, 1456 and 1992, 24 steps
        // each); at 2100 the spinning steps triple. A quarter of 512 is reached at step 2143,
        // and the window of 6 steps ending there is all after the change.
        let change = 2100
        let chosen = modes(steps: 3000) { step, mode in
            let noise = UInt64(step / 7 % 2) * 100_000   // 10 % more in every other stretch of 7 steps
            switch mode {
            case .spinning: return (step < change ? 1_000_000 : 3_000_000) + noise
            case .sleeping: return (step < change ? 1_300_000 : 2_800_000) + noise
            case .oneThread: return 1_500_000 + noise
            }
        }
        #expect(share(.spinning, chosen[1000..<change]) > 0.96)
        #expect(chosen[2016...2144].allSatisfy { $0 == .spinning })
        #expect(chosen[2145..<2169] == ArraySlice(WorkerMode.allCases.flatMap { [WorkerMode](repeating: $0, count: block) }))
        #expect(chosen[2169..<2469].allSatisfy { $0 == .oneThread })
    }
}
