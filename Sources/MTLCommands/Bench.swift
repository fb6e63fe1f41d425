import ArgumentParser
import MTLEngine

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure training and inference speed on synthetic data.")
    func run() throws { fail("bench: not yet implemented") }
}
