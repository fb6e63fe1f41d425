import Foundation
import Testing

/// `--dump-screen --view 4 --view-task NAME` prints a binary task's curves; an unknown task is a
/// one-line error before any training.
struct CurvesCLITests {
    let checks = BadInputTests()

    @Test func viewTaskShowsTheCurvesOfABinaryTask() throws {
        let s = Scratch()
        let file = s.write("reviews.csv", reviewsCSV())
        let result = try CLI.run(["open", file, "--task", "label:binary", "--epochs", "2", "--dump-screen", "100x30", "--view", "4",
                                  "--view-task", "label"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("label · validation") && result.stdout.contains("ROC · AUC")
                && result.stdout.contains("Precision–recall · AP") && result.stdout.contains("● in use  threshold 0.500"), "\(result.stdout)")
        // --ascii: the printed screen is ASCII, each symbol by its stand-in.
        let ascii = try CLI.run(["open", file, "--task", "label:binary", "--epochs", "2", "--dump-screen", "100x30", "--view", "4",
                                 "--view-task", "label", "--ascii"])
        #expect(ascii.status == 0 && ascii.stdout.utf8.allSatisfy { $0 < 0x80 }, "\(ascii.stdout)")
        #expect(ascii.stdout.contains("label - validation") && ascii.stdout.contains("Precision-recall - AP")
                && ascii.stdout.contains("O in use  threshold 0.500"), "\(ascii.stdout)")
        try checks.expectOneLineError(["open", file, "--dump-screen", "100x30", "--view-task", "nope"], startsWith: "--view-task",
                                      contains: "no task 'nope' (tasks: ")
    }
}
