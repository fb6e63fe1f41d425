import ArgumentParser
import Foundation
import MTLData
import MTLEngine

/// `mtl-tui corrections FILE --apply DATA`: the data with its corrections, as CSV on stdout.
struct CorrectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corrections",
        abstract: "Write DATA with a corrections file applied, as CSV to stdout: dropped rows left out, relabelled cells changed.",
        discussion: """
        Rows are matched by key: the spec's id column when it has one, else a hash of the row's input columns. Weight corrections \
        have no place in the data: they are counted on stderr and apply when training with --corrections FILE.

        Example:
          mtl-tui corrections reviews.corrections.jsonl --apply reviews.csv > reviews-fixed.csv
        """)

    @Argument(help: "A corrections file (JSON Lines).")
    var file: String

    @Option(help: ArgumentHelp("The data file or directory the corrections were made on.", valueName: "DATA"))
    var apply: String

    @Flag(name: .customLong("skip-bad-corrections"), help: "Apply the rest when some lines are malformed (each is warned about).")
    var skipBadCorrections = false

    func run() throws {
        let (table, plan) = exitOnUserError { () throws -> (Table, CorrectionPlan) in
            var source = try DatasetSource.load(apply)
            let spec = try source.spec ?? SpecInference.infer(source.table, inputs: [], tasks: [])
            let corrections = try Corrections.read(file)
            let plan = try CorrectionPlan.apply(corrections, to: &source.table, spec: spec, skipBad: skipBadCorrections)
            return (source.table, plan)
        }
        for warning in plan.warnings { Console.shared.err("mtl-tui: \(warning)") }
        if plan.summary.weighted > 0 {
            Console.shared.err("mtl-tui: note: \(plan.summary.weighted) weighted row\(plan.summary.weighted == 1 ? "" : "s") kept as they are (weights apply with train --corrections)")
        }
        let forTerminal = Console.stdoutIsTerminal
        var lines = [csvLine(table.header, forTerminal: forTerminal)]
        for r in 0..<table.rowCount where !plan.dropped.contains(r) {
            lines.append(csvLine(table.columns.map { $0[r] }, forTerminal: forTerminal))
        }
        Console.shared.out(lines.joined(separator: "\n"), raw: true)
    }
}
