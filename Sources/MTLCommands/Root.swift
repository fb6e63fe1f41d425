import ArgumentParser
import Foundation
import MTLData
import MTLEngine
import MTLTUI

/// `mtl-tui`: a terminal workbench for multi-task learning.
public struct MTLTUI: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mtl-tui",
        abstract: "Train, watch and steer multi-task models in the terminal.",
        discussion: """
        DATA is a CSV, TSV or JSONL file with several label columns, or a directory holding one \
        such file and an optional spec.toml. Without a spec, inputs and tasks are inferred and \
        the inferred spec is printed so you can save and edit it.

        Examples:
          mtl-tui                                   # the workbench on the bundled VADER sample
          mtl-tui sample-data/penguins --epochs 50  # the workbench on other data
          mtl-tui train sample-data/vader-domains   # headless
          mtl-tui train reviews.csv --task domain --task stars:regression --loss-weight stars=0.5
          mtl-tui train sample-data/vader-domains --strategy uw --baselines   # does sharing help?
          mtl-tui sweep sample-data/vader-domains --seeds 3                   # every strategy, compared
          mtl-tui train sample-data/penguins --epochs 50 --save runs/penguins
          mtl-tui eval runs/penguins sample-data/penguins
          mtl-tui cv sample-data/penguins --epochs 50 --save runs/penguins-cv
          mtl-tui predict runs/penguins new-penguins.csv > predictions.csv
        """,
        subcommands: [Open.self, Train.self, CrossValidate.self, SuspectsCommand.self, SweepCommand.self, Evaluate.self, Predict.self,
                      Bench.self, CorrectionsCommand.self, WatchCommand.self, Export.self],
        defaultSubcommand: Open.self)

    public init() {}

    /// Runs the command line. A value or option the argument parser refuses is, like every
    /// other user error, one line and exit status 1 (help and version still print in full).
    public static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                let message = message(for: error).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                fail(message.filter { !$0.isEmpty }.joined(separator: "; ") + " (see --help)")
            }
            exit(withError: error)
        }
    }
}

/// Prints a one-line error and exits 1 for the errors users cause; anything else is re-thrown.
func exitOnUserError<T>(_ body: () throws -> T) -> T {
    do {
        return try body()
    } catch let error as DataError {
        fail(error.description)
    } catch let error as UsageError {
        fail(error.description)
    } catch let error as CheckpointError {
        fail(error.description)
    } catch let error as ThemeError {
        fail(error.description)
    } catch let error as WorkbenchError {
        fail(error.description)
    } catch {
        fail("\(error)")
    }
}

/// Error messages quote data (a cell, a column name): neutralised, they cannot drive the terminal.
func fail(_ message: String) -> Never {
    Console.shared.err("mtl-tui: error: \(TerminalText.neutralized(message, keepingLineBreaks: true))")
    exit(1)
}

/// The default data: the bundled VADER sample next to the executable's working directory.
let defaultData = "sample-data/vader-domains"
