import Foundation
import MTLData
import MTLEngine
import MTLProtocol

/// Another run seen through its event stream: each event folds into a `TrainerSnapshot`, so
/// the workbench draws a PyTorch run (or our own, from a file) as it draws a live trainer.
/// A plain value: the reader thread folds lines in, the UI thread copies it out.
public struct StreamRun: Sendable {
    public private(set) var snapshot = TrainerSnapshot()
    /// Whether the producer reads the command channel (its `start` said so).
    public private(set) var acceptsCommands = false
    /// Per task, its class names as `start` gave them (empty when it did not).
    public private(set) var classes: [[String]] = []
    /// The command file its `start` named.
    public private(set) var commandFile: String?
    /// Commands sent and not yet acknowledged, oldest first.
    public private(set) var pending: [RunCommand] = []
    public private(set) var started = false
    /// The first line that failed to decode before any `start`: a file that is no run stream.
    public private(set) var unreadable: String?
    /// The protocol version `start` gave.
    public private(set) var version = RunProtocol.version
    /// What to say when `start` speaks a newer protocol than this reader; nil when it does not.
    public var newerVersion: String? {
        guard version > RunProtocol.version else { return nil }
        return "protocol version \(version) is newer than this reader's \(RunProtocol.version): "
            + "shown as far as it is understood, and controls are off (it could misread a command)"
    }
    /// Per task, its latest `examples` event (empty when the producer writes none).
    public private(set) var examples: [String: RunEvent.Examples] = [:]
    /// Lines read so far (for the title: a stream that never starts shows that it is read).
    public private(set) var lines = 0
    /// The steps the stream reports per wall second as it is read, for the ETA.
    private var stepRate = StepRate()

    public init() {}

    /// A fresh stream (the file was replaced): nothing from before holds, pending commands too.
    public mutating func reset() { self = StreamRun() }

    /// Folds in one line of the stream: an event, or a line that is not one (shown as an error).
    public mutating func read(line text: String, number: Int) {
        read(StreamRun.decode(text), number: number)
    }

    /// One line decoded, apart from folding it in: a reader decodes outside the lock it folds under.
    public static func decode(_ text: String) -> Result<RunEvent, LineError> {
        do { return .success(try RunProtocol.decode(RunEvent.self, from: text)) } catch { return .failure(error) }
    }

    /// Folds in one decoded line (`decode`).
    public mutating func read(_ decoded: Result<RunEvent, LineError>, number: Int) {
        lines += 1
        switch decoded {
        case .success(let event): apply(event, line: number)
        case .failure(let error):
            log(.error, "stream line \(number): \(error.description)")
            if !started, unreadable == nil { unreadable = "line \(number): \(error.description)" }
        }
    }

    /// The wall-clock moment (`StepRate.now`) lines were folded in at: the ETA is the remaining
    /// steps at the rate they arrive, so all a producer does between steps counts. A file read
    /// from its start gives the first moment only: its backlog says nothing of the speed.
    public mutating func clock(_ seconds: Double) {
        guard snapshot.state == .running else { return stepRate.pause() }   // a pause is no progress
        stepRate.observe(step: snapshot.step, at: seconds)
        snapshot.etaSeconds = snapshot.totalSteps.flatMap { stepRate.eta(remaining: $0 - snapshot.step) }
    }

    /// A command this watcher wrote (with an id): pending until the producer answers it.
    public mutating func sent(_ command: RunCommand) { pending.append(command) }

    /// Why this watcher sends the run no commands: nil when it may, or before `start`.
    public var controlsOff: ControlsOff? {
        guard started else { return nil }
        if version > RunProtocol.version { return .newerProtocol(version) }
        return acceptsCommands ? nil : .notRead
    }

    public enum ControlsOff: Sendable, Equatable {
        /// Its `start` does not say it reads commands.
        case notRead
        /// It speaks a newer protocol version, whose commands may mean something else.
        case newerProtocol(Int)

        /// A few words, for the runs view and the note on selecting the stream.
        public var short: String {
            switch self {
            case .notRead: "reads no commands"
            case .newerProtocol(let version): "speaks protocol \(version)"
            }
        }

        /// Why, after the run's name.
        public var reason: String {
            switch self {
            case .notRead: "does not read commands (its start event does not accept them)"
            case .newerProtocol(let version):
                "speaks protocol version \(version), newer than this watcher's \(RunProtocol.version), and could misread a command"
            }
        }
    }

    /// The loss weight in force for a task as the stream last told it (1 before any change).
    public func weight(_ task: String) -> Double {
        snapshot.tasks.firstIndex(of: task).map { snapshot.lossWeights[$0] } ?? 1
    }

    mutating func apply(_ event: RunEvent, line: Int) {
        switch event {
        case .start(let start):
            if started { self = StreamRun() }   // a second run in the same file: show the new one
            started = true
            lines = 1
            version = start.version
            // Shown as far as it is understood, as readers skip what they do not know; but a
            // newer run could read a command of this version otherwise, so none is sent.
            if let newerVersion { log(.warning, newerVersion) }
            snapshot.state = .running
            snapshot.tasks = start.tasks.map(\.name)
            snapshot.taskKinds = start.tasks.map { TaskKind(rawValue: $0.kind) ?? .regression }
            classes = start.tasks.map { $0.classes ?? [] }
            snapshot.classes = classes
            snapshot.lossSeries = start.tasks.map { _ in Series() }
            snapshot.lossWeights = start.tasks.map { _ in 1 }
            snapshot.userWeights = snapshot.lossWeights
            snapshot.weightTrace = start.tasks.map { _ in [WeightPoint.reported(step: 0, weight: 1)] }
            snapshot.epochs = max(start.epochs ?? 0, 0)   // 0: not said, shown as unknown
            snapshot.parameterCount = start.parameters ?? 0
            snapshot.layers = (start.layers ?? []).map { LayerSummary.reported(name: $0.name, parameters: $0.parameters) }
            snapshot.stepsPerEpoch = start.stepsPerEpoch ?? 0
            snapshot.learningRate = start.lr ?? 0
            if let lr = start.lr { snapshot.traceRate(lr, at: 0) }
            acceptsCommands = start.acceptsCommands ?? false
            commandFile = start.commands
            log(.info, "watching \(start.producer ?? "a") run: \(start.model ?? "\(start.tasks.count) tasks")"
                + (acceptsCommands ? "" : " · it does not read commands: controls are off"))
        case .step(let step):
            snapshot.step = step.step
            snapshot.epoch = max(step.epoch - 1, 0)
            for (t, task) in snapshot.tasks.enumerated() {
                if let loss = step.loss[task] ?? nil { snapshot.lossSeries[t].append(step: step.step, value: Float(loss)) }
            }
            if let lr = step.lr {
                snapshot.learningRate = lr
                snapshot.traceRate(lr, at: step.step)
            }
            if snapshot.stepsPerEpoch > 0 { snapshot.stepInEpoch = step.step - snapshot.epoch * snapshot.stepsPerEpoch }
        case .epoch(let epoch):
            let train = metrics(epoch.metrics["train"]), validation = metrics(epoch.metrics["val"])
            snapshot.history.append(EpochRecord.reported(epoch: epoch.epoch, step: epoch.step, train: train, validation: validation,
                                                validationTotal: epoch.totalValLoss ?? .nan, seconds: epoch.seconds ?? 0))
            snapshot.step = max(snapshot.step, epoch.step)
            snapshot.epoch = snapshot.epochs > 0 ? min(epoch.epoch, snapshot.epochs - 1) : epoch.epoch
            snapshot.stepsPerEpoch = epoch.step / max(epoch.epoch, 1)
            if let lr = epoch.lr {
                snapshot.learningRate = lr
                snapshot.traceRate(lr, at: epoch.step)
            }
        case .message(let message):
            log(TrainerEvent.Kind(rawValue: message.kind) ?? .info, message.message, step: message.step)
        case .ack(let ack):
            // The values come with the ack (whoever sent the command); an older producer's ack
            // lacks them, and then only our own pending copy knows them.
            var values = RunCommand.Kind(rawValue: ack.command).map {
                RunCommand($0, task: ack.task, weight: ack.weight, lr: ack.lr, name: ack.name)
            }
            if let index = pending.firstIndex(where: { $0.id != nil && $0.id == ack.id }) {
                let sent = pending.remove(at: index)
                if values?.problem != nil { values = sent }
            }
            if let values, values.problem == nil { confirmed(values, step: ack.step) }
            if snapshot.markers.last != ack.step { snapshot.markers.append(ack.step) }
            switch ack.command {
            case "pause", "step": snapshot.state = .paused
            case "resume": snapshot.state = .running
            default: break
            }
        case .commandError(let error):
            if let id = error.id { pending.removeAll { $0.id == id } }
            log(.warning, "command line \(error.line) refused: \(error.message)", step: error.step)
        case .examples(let event):
            examples[event.task] = event
        case .done(let done):
            snapshot.state = TrainerState(rawValue: done.state) ?? .finished
            snapshot.step = done.step
            if let test = done.metrics["test"] { snapshot.test = metrics(test) }
            // A run that ended on an earlier epoch's model (early stopping) names it: the views
            // show that model's validation figures, as for a run of the workbench's own.
            if let epoch = done.epoch, let last = snapshot.history.last?.epoch, epoch != last,
               snapshot.history.contains(where: { $0.epoch == epoch }) {
                snapshot.restoredEpoch = epoch
                if let validation = done.metrics["val"] { snapshot.keptValidation = metrics(validation) }
            }
            snapshot.etaSeconds = nil
        case .other:
            break   // a newer producer's event: nothing here reads it
        }
    }

    /// What our own acknowledged command changed, which the stream does not repeat.
    private mutating func confirmed(_ command: RunCommand, step: Int) {
        switch command.command {
        case .setLossWeight:
            guard let task = command.task, let weight = command.weight, let t = snapshot.tasks.firstIndex(of: task) else { return }
            snapshot.lossWeights[t] = weight
            snapshot.userWeights[t] = weight
            snapshot.pinned.insert(task)
            snapshot.weightTrace[t].append(WeightPoint.reported(step: step, weight: weight))
        case .setLR:
            if let lr = command.lr {
                snapshot.learningRate = lr
                snapshot.traceRate(lr, at: step)
            }
        case .freeze, .unfreeze:
            guard let name = command.name else { return }
            if command.command == .freeze { snapshot.frozen.insert(name) } else { snapshot.frozen.remove(name) }
        default:
            break
        }
    }

    /// Per task in start's order, its metrics in the set (empty when the set does not name it).
    private func metrics(_ set: [String: TaskMetricValues]?) -> [TaskMetrics] {
        guard let set else { return [] }
        return snapshot.tasks.map { task in
            guard let v = set[task] else { return TaskMetrics(loss: .nan, count: 0) }
            // The views read a count only as whether the set measured the task (> 0); when the
            // producer does not know it, any number among the values says so.
            let count = v.count ?? (v.values.values.contains { $0 != nil } ? 1 : 0)
            var m = TaskMetrics(loss: (v.values["loss"] ?? nil) ?? .nan, count: count)
            func value(_ name: String) -> Double? { v.values[name] ?? nil }
            m.accuracy = value("accuracy")
            m.macroF1 = value("macro_f1")
            m.microF1 = value("micro_f1")
            m.subsetAccuracy = value("subset_accuracy")
            m.auc = value("auc")
            m.mae = value("mae")
            m.rmse = value("rmse")
            m.r2 = value("r2")
            m.confusion = v.confusion
            m.precision = v.precisionPerClass.map { $0.map { $0 ?? .nan } }
            m.recall = v.recallPerClass.map { $0.map { $0 ?? .nan } }
            m.f1 = v.f1PerClass.map { $0.map { $0 ?? .nan } }
            m.support = v.supportPerClass
            m.thresholds = v.thresholds.map { $0.map { $0 ?? .nan } }
            return m
        }
    }

    private mutating func log(_ kind: TrainerEvent.Kind, _ message: String, step: Int? = nil) {
        snapshot.events.append(TrainerEvent.reported(step: step ?? snapshot.step, epoch: snapshot.epoch + 1, kind: kind, message: message))
        if kind == .command, snapshot.markers.last != (step ?? snapshot.step) { snapshot.markers.append(step ?? snapshot.step) }
        if snapshot.events.count > 1000 { snapshot.events.removeFirst(snapshot.events.count - 1000) }
    }
}
