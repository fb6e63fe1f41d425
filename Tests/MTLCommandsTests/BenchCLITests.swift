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

    /// The text output gives each median with the range of the runs it is the median of.
    @Test func textShowsTheMedianAndTheRangeOfTheRuns() throws {
        let result = try CLI.run(["bench", "--model", "mlp", "--steps", "2", "--repeats", "3", "--batch-size", "16"])
        try #require(result.status == 0, "\(result.stderr)")
        let train = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("train") }.map(String.init))
        let numbers = train.split(whereSeparator: { !$0.isNumber }).compactMap { Double($0) }
        // train MEDIAN samples/s (median of 3; runs LOW–HIGH)
        #expect(numbers.count == 4 && numbers[1] == 3 && numbers[2] <= numbers[0] && numbers[0] <= numbers[3], "\(train)")
    }
}
