import Foundation
import Testing

@Suite struct BenchCLITests {
    @Test func batchSizeReplacesTheFixedBatchAndIsChecked() throws {
        let result = try CLI.run(["bench", "--model", "mlp", "--steps", "2", "--repeats", "1", "--batch-size", "16", "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["batch"] as? Int == 16)
        let fixed = try CLI.run(["bench", "--model", "mlp", "--steps", "2", "--repeats", "1", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(fixed.stdout.utf8)) as? [String: Any])?["batch"] as? Int == 128)
        let bad = try CLI.run(["bench", "--model", "mlp", "--batch-size", "0"])
        #expect(bad.status != 0)
        #expect(bad.stderrLines.count == 1 && bad.stderr.contains("--batch-size: expected a whole number ≥ 1, got 0"), "\(bad.stderr)")
    }

    /// Sizes beyond memory are refused as train refuses them, before anything is allocated: a
    /// batch that does not fit says how many rows do, and so do the synthetic rows of all steps.
    /// The address space is capped so that, were the check missing, the allocation would fail at
    /// once rather than take the machine's memory.
    @Test func sizesBeyondMemoryAreRefusedBeforeAllocating() throws {
        let cases: [([String], String, String)] = [
            (["--batch-size", "100000000", "--steps", "1"], "--batch-size", "rows fit"),
            (["--batch-size", "100000", "--steps", "100000"], "--steps", "lower --steps or --batch-size"),
        ]
        for (flags, flag, says) in cases {
            let arguments = ["bench", "--model", "mlp", "--repeats", "1"] + flags
            let result = try CLI.run(["-c", "ulimit -v 4000000; exec \"$0\" \"$@\"", CLI.binary] + arguments, executable: "/bin/sh")
            #expect(result.status == 1 && result.stderrLines.count == 1 && result.stderr.hasPrefix("mtl-tui: error: \(flag): ")
                    && result.stderr.contains(says) && result.stderr.contains("more than this machine's"), "\(flags): \(result.stderr)")
        }
    }

    /// The text output gives each median with the range of the runs it is the median of.
    @Test func textShowsTheMedianAndTheRangeOfTheRuns() throws {
        let result = try CLI.run(["bench", "--model", "mlp", "--steps", "2", "--repeats", "3", "--batch-size", "16"])
        try #require(result.status == 0, "\(result.stderr)")
        let train = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("train") }.map(String.init))
        let numbers = train.split(whereSeparator: { !$0.isNumber }).compactMap { Double($0) }
        // train MEDIAN samples/s (median of 3; runs LOW–HIGH)
        #expect(numbers.count == 4 && numbers[1] == 3 && numbers[2] <= numbers[0] && numbers[0] <= numbers[3], "\(train)")
    }

    /// --freeze times the steps with those layers fixed (the default text model's wide path after
    /// its fit): their parameters are the same after the timed steps, every other layer's moved. A
    /// name that matches no layer is a one-line error listing the layers.
    @Test func freezeLeavesTheNamedLayersOutOfTheTimedSteps() throws {
        func run(_ extra: [String]) throws -> [String: Any] {
            let result = try CLI.run(["bench", "--model", "mlp+wide", "--steps", "2", "--repeats", "1", "--json"] + extra)
            try #require(result.status == 0, "\(result.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        }
        let all = try run([]), frozen = try run(["--freeze", "wide", "--freeze", "wide"])
        let wide = ["wide.task0", "wide.task1"]
        #expect(all["frozen_layers"] as? [String] == [])
        #expect(frozen["frozen_layers"] as? [String] == wide)
        let updatedByAll = try #require(all["updated_layers"] as? [String])
        let updatedByFrozen = try #require(frozen["updated_layers"] as? [String])
        #expect(wide.allSatisfy(updatedByAll.contains), "\(updatedByAll)")
        #expect(updatedByFrozen == updatedByAll.filter { !wide.contains($0) }, "\(updatedByFrozen)")
        let bad = try CLI.run(["bench", "--model", "mlp", "--freeze", "nope"])
        #expect(bad.status != 0)
        #expect(bad.stderrLines.count == 1 && bad.stderr.contains("--freeze: no layer named 'nope'") && bad.stderr.contains("head.task0"),
                "\(bad.stderr)")
    }

    /// With two threads the JSON counts the timed training steps in each worker mode (all of
    /// them, once); on one thread there is no choice and no count.
    @Test func twoThreadsCountTheTimedStepsByWorkerMode() throws {
        func counts(threads: Int) throws -> [String: Int] {
            let result = try CLI.run(["bench", "--model", "mlp", "--steps", "4", "--repeats", "2", "--batch-size", "16",
                                      "--threads", "\(threads)", "--json"])
            try #require(result.status == 0, "\(result.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            return try #require(object["steps_by_worker_mode"] as? [String: Int])
        }
        #expect(try counts(threads: 1).isEmpty)
        let two = try counts(threads: 2)
        #expect(two.values.reduce(0, +) == 8 && Set(two.keys).isSubset(of: ["spinning", "sleeping", "one_thread"]), "\(two)")
    }
}
