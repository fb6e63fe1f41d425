import Dispatch
import Foundation
import MTLData

/// Everything a run needs, prepared before it starts (all plain values, safe to hand over).
public struct TrainingSetup: Sendable {
    public var encoder: DataEncoder
    public var inputs: ModelInputs
    public var split: DataSplit
    public var model: ModelConfig
    public var training: TrainingConfig
    /// Where `--save` writes checkpoints (after each epoch and at the end).
    public var saveDirectory: String?
    /// A checkpoint to continue from.
    public var resume: Checkpoint?
    /// Pretrained rows for the cnn trunk's embedding (a new run only).
    public var vectors: WordVectors?
    /// Weights to start from, matched by tensor name (`--from`; a new run only).
    public var warmStart: WarmStart?
    /// The split's inputs, kept in the checkpoint for `eval`.
    public var splitDigest: SplitDigest?

    public init(encoder: DataEncoder, inputs: ModelInputs, split: DataSplit, model: ModelConfig,
                training: TrainingConfig, saveDirectory: String? = nil, resume: Checkpoint? = nil) {
        self.encoder = encoder
        self.inputs = inputs
        self.split = split
        self.model = model
        self.training = training
        self.saveDirectory = saveDirectory
        self.resume = resume
    }
}

/// Streamed to an observer on the training queue: what a headless run prints.
public enum TrainerProgress: Sendable {
    case started(parameters: Int)
    case step(step: Int, epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, losses: [Float?], total: Float)
    /// The task gradients' agreement measured on step `step`, reported before that step's `.step`.
    case gradientConflict(step: Int, GradientConflict)
    /// The learning rate of step `step` on, reported before that step's `.step` when it changed.
    case learningRate(step: Int, rate: Double)
    case epoch(EpochRecord)
    /// The validation rows' predictions and losses of the evaluation just reported by `.epoch`.
    case examples(ExampleTable)
    case event(TrainerEvent)
    case finished(TrainerSnapshot)
}

/// How the run took a command sent with a reply.
public enum CommandReply: Sendable, Equatable {
    /// It took effect once the run had completed this many steps.
    case applied(step: Int)
    /// It could not apply, for this one-line reason, when the run had completed this many steps.
    case refused(String, step: Int)
}

/// A command as the run takes it from the inbox, with whoever waits for its reply.
struct TakenCommand: Sendable {
    let command: TrainerCommand
    let reply: (@Sendable (CommandReply) -> Void)?
}

/// Trains on a background queue and takes commands while it runs.
///
/// The UI (or a script) sends commands, which apply at the next batch boundary, and copies out
/// a snapshot whenever it wants to draw; neither side ever waits for the other.
///
/// ```swift
/// let trainer = Trainer(setup)
/// trainer.start()
/// trainer.send(.setLossWeight(task: "polarity", weight: 2))
/// let now = trainer.snapshot
/// ```
public final class Trainer: Sendable {
    public let setup: TrainingSetup
    private let inbox = Locked<[TakenCommand]>([])
    private let shared = Locked(TrainerSnapshot())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let queue = DispatchQueue(label: "mtl-tui.trainer", qos: .userInitiated)
    private let observer: (@Sendable (TrainerProgress) -> Void)?
    private let startPaused: Bool
    /// A finished run waits for more epochs (`addEpochs`) or a branch (`fork`) until `stop`.
    let continuable: Bool
    private let forks = Locked<[Checkpoint]>([])

    /// `continuable`: after finishing, the run keeps its state and takes commands (the
    /// workbench); otherwise it ends there (headless commands).
    public init(_ setup: TrainingSetup, startPaused: Bool = false, continuable: Bool = false,
                observer: (@Sendable (TrainerProgress) -> Void)? = nil) {
        self.setup = setup
        self.observer = observer
        self.startPaused = startPaused
        self.continuable = continuable
    }

    /// The state copied by the oldest `fork` not yet taken, or nil while none is ready.
    public func takeFork() -> Checkpoint? { forks.withLock { $0.isEmpty ? nil : $0.removeFirst() } }

    public func start() {
        queue.async {
            let run = TrainingRun(setup: self.setup, startPaused: self.startPaused, channel: self)
            run.run()
            self.finished.signal()
        }
    }

    /// Sends a command; one the run refuses (an unknown layer, a save that fails) is logged as
    /// a warning or an error in the run's events.
    public func send(_ command: TrainerCommand) { send(command, reply: nil) }

    /// Sends a command; `reply` is called on the training queue once the run has taken it: with
    /// the number of completed steps when it took effect (what a protocol `ack` reports), or with
    /// the one-line reason it was refused (a `command_error`), which is then not logged.
    public func send(_ command: TrainerCommand, reply: (@Sendable (CommandReply) -> Void)?) {
        inbox.withLock { $0.append(TakenCommand(command: command, reply: reply)) }
        wake.signal()
    }

    /// Whether commands wait in the inbox, not yet taken by the run (the snapshot does not show them yet).
    public var hasWaitingCommands: Bool { inbox.withLock { !$0.isEmpty } }

    /// The latest published state; copying it never blocks training for more than the copy.
    public var snapshot: TrainerSnapshot { shared.withLock { $0 } }

    /// Blocks until the run has ended (finished or stopped) or `seconds` pass; true if it ended.
    @discardableResult
    public func waitUntilFinished(seconds: Double = .infinity) -> Bool {
        let deadline: DispatchTime = seconds.isFinite ? .now() + seconds : .distantFuture
        guard finished.wait(timeout: deadline) == .success else { return false }
        finished.signal()
        return true
    }

    // Used by the run on the training queue.
    func takeCommands() -> [TakenCommand] { inbox.withLock { entries in defer { entries = [] }; return entries } }
    /// Whether a `stop` waits in the inbox, for work that runs long between batches (the wide fit).
    func stopIsWaiting() -> Bool { inbox.withLock { $0.contains { if case .stop = $0.command { true } else { false } } } }
    func publish(_ snapshot: TrainerSnapshot) { shared.withLock { $0 = snapshot } }
    func waitForCommand(seconds: Double) { _ = wake.wait(timeout: .now() + seconds) }
    func deposit(fork: Checkpoint) { forks.withLock { $0.append(fork) } }
    func report(_ progress: TrainerProgress) { observer?(progress) }
    /// Whether anyone listens: step reports are not even built for the workbench, which polls.
    var hasObserver: Bool { observer != nil }
}
