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

    /// Measuring gets rarer (under 4 % of the steps in another mode once settled), steps that
    /// vary by 10 % do not start a measurement, and a change of the machine (handing work
    /// between its CPUs stalls) is followed within a quarter of a settled stretch.
    @Test func itMeasuresRarelyAndFollowsAChange() {
        let change = 2000
        let chosen = modes(steps: 4000) { step, mode in
            let noise = UInt64(step / 7 % 2) * 100_000   // 10 % more in every other stretch of 7 steps
            switch mode {
            case .spinning: return (step < change ? 1_000_000 : 3_000_000) + noise
            case .sleeping: return (step < change ? 1_300_000 : 2_800_000) + noise
            case .oneThread: return 1_500_000 + noise
            }
        }
        #expect(share(.spinning, chosen[1000..<change]) > 0.96)
        // A change is seen once a quarter of the stretch has passed and a window of steps is full.
        let followed = change + WorkerTuner.longestSettle / 4 + 2 * WorkerTuner.measuredSteps + WorkerMode.allCases.count * block
        #expect(chosen[followed..<(followed + 300)].allSatisfy { $0 == .oneThread })
    }
}
